/** EFI GUIDs: canonical text form <-> the mixed-endian 16 bytes stored in firmware. */
import { fail } from '../errors.js';
import { fromHex, toHex } from '../bytes.js';

export function guidToBytes(guid: string): Uint8Array {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i.exec(guid);
  if (!m) fail('bad-hex', `not a GUID: ${JSON.stringify(guid)}`);
  const swap = (h: string): Uint8Array => fromHex(h, 'GUID').reverse();
  const out = new Uint8Array(16);
  out.set(swap(m[1]!), 0);
  out.set(swap(m[2]!), 4);
  out.set(swap(m[3]!), 6);
  out.set(fromHex(m[4]! + m[5]!, 'GUID'), 8);
  return out;
}

export function guidFromBytes(b: Uint8Array): string {
  const h = (s: number, e: number, rev: boolean): string => {
    // A copy, whatever the view's class: Buffer#slice shares memory, and reverse() must not write back.
    const part = Uint8Array.prototype.slice.call(b, s, e);
    return toHex(rev ? part.reverse() : part);
  };
  return `${h(0, 4, true)}-${h(4, 6, true)}-${h(6, 8, true)}-${h(8, 10, false)}-${h(10, 16, false)}`;
}

export const GUIDS = {
  ovmfTableFooter: '96b582de-1fb2-45f7-baea-a366c55a082d',
  sevEsResetBlock: '00f771de-1a7e-4fcb-890e-68c77e2fb44e',
  ovmfSevMetadata: 'dc886566-984a-4798-a75e-5585a7bf67cc',
  sevHashTableRv: '7255371f-3a3b-4b04-927b-1da6efa8d454',
  sevSecretBlock: '4c2eb361-7d9b-4cc3-8081-127c90d3d294',
  tdxMetadataOffset: 'e47a6535-984a-4798-865e-4685a7bf8ec2',
  svsmInfo: 'a789a612-0597-4c4b-a49f-cbb1fe9d1ddd',
  hashTableHeader: '9438d606-4f22-4cc9-b479-a793d411fd21',
  hashTableCmdline: '97d02dd8-bd20-4c94-aa78-e7714d36ab2a',
  hashTableInitrd: '44baf731-3a2f-4bd7-9af1-41e29169781d',
  hashTableKernel: '4de79437-abd2-427f-b835-d5b172d2045b',
} as const;

export const GUID_NAMES: Readonly<Record<string, string>> = {
  [GUIDS.ovmfTableFooter]: 'OVMF_TABLE_FOOTER',
  [GUIDS.sevEsResetBlock]: 'SEV_ES_RESET_BLOCK',
  [GUIDS.ovmfSevMetadata]: 'OVMF_SEV_METADATA',
  [GUIDS.sevHashTableRv]: 'SEV_HASH_TABLE_RV',
  [GUIDS.sevSecretBlock]: 'SEV_SECRET_BLOCK',
  [GUIDS.tdxMetadataOffset]: 'TDX_METADATA_OFFSET',
  [GUIDS.svsmInfo]: 'SVSM_INFO',
};
