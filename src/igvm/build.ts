/**
 * A small IGVM (format v1) writer, for tests, examples and users who want a known-good file:
 * platform, initialization and directive headers in section order, file data appended in header
 * order (4 KiB per page and VP context), and the CRC-32 over the headers.
 */
import { fail } from '../errors.js';
import { writeU16, writeU32, writeU64 } from '../bytes.js';
import { crc32 } from './crc32.js';
import { FIXED_HEADER_SIZE_V1, HeaderType, IGVM_MAGIC, IGVM_PAGE_SIZE, STRUCTURE_SIZES } from './defs.js';

export type IgvmBuildHeader =
  | { kind: 'platform'; mask: number; platformType: number; highestVtl?: number; version?: number; sharedGpaBoundary?: bigint }
  | { kind: 'guest-policy'; policy: bigint; mask: number }
  | { kind: 'page-data'; gpa: bigint; mask: number; flags?: number; dataType?: number; data?: Uint8Array }
  | { kind: 'parameter-area'; index: number; size: bigint; data?: Uint8Array }
  | { kind: 'parameter-usage'; type: number; index: number; byteOffset: number }
  | { kind: 'parameter-insert'; gpa: bigint; mask: number; index: number }
  | { kind: 'vp-context'; gpa: bigint; mask: number; vpIndex: number; data: Uint8Array }
  | { kind: 'required-memory'; gpa: bigint; mask: number; size: number; flags?: number }
  | { kind: 'snp-id-block'; mask: number; body: Uint8Array };

const TYPE_OF: Record<IgvmBuildHeader['kind'], number> = {
  'platform': HeaderType.SUPPORTED_PLATFORM, 'guest-policy': HeaderType.GUEST_POLICY, 'page-data': HeaderType.PAGE_DATA,
  'parameter-area': HeaderType.PARAMETER_AREA, 'parameter-usage': 0, 'parameter-insert': HeaderType.PARAMETER_INSERT,
  'vp-context': HeaderType.VP_CONTEXT, 'required-memory': HeaderType.REQUIRED_MEMORY, 'snp-id-block': HeaderType.SNP_ID_BLOCK,
};

export function buildIgvm(headers: readonly IgvmBuildHeader[]): Uint8Array {
  const typeOf = (h: IgvmBuildHeader): number => (h.kind === 'parameter-usage' ? h.type : TYPE_OF[h.kind]);
  const vhSize = headers.reduce((n, h) => n + 8 + Math.ceil(STRUCTURE_SIZES[typeOf(h)]! / 8) * 8, 0);
  const dataStart = FIXED_HEADER_SIZE_V1 + vhSize;
  const blobs: Uint8Array[] = [];
  let dataEnd = dataStart;
  const place = (data: Uint8Array | undefined, size: number): number => {
    if (!data) return 0;
    if (data.length > size) fail('usage', `IGVM data of ${data.length} bytes does not fit its ${size}-byte slot`);
    const slot = new Uint8Array(size);
    slot.set(data);
    blobs.push(slot);
    const at = dataEnd;
    dataEnd += size;
    return at;
  };
  const vh = new Uint8Array(vhSize);
  let pos = 0;
  for (const h of headers) {
    const type = typeOf(h);
    const size = STRUCTURE_SIZES[type]!;
    writeU32(vh, pos, type);
    writeU32(vh, pos + 4, size);
    const b = vh.subarray(pos + 8, pos + 8 + size);
    switch (h.kind) {
      case 'platform':
        writeU32(b, 0, h.mask); b[4] = h.highestVtl ?? 0; b[5] = h.platformType; writeU16(b, 6, h.version ?? 1); writeU64(b, 8, h.sharedGpaBoundary ?? 0n);
        break;
      case 'guest-policy': writeU64(b, 0, h.policy); writeU32(b, 8, h.mask); break;
      case 'page-data':
        writeU64(b, 0, h.gpa); writeU32(b, 8, h.mask); writeU32(b, 12, place(h.data, IGVM_PAGE_SIZE)); writeU32(b, 16, h.flags ?? 0); writeU16(b, 20, h.dataType ?? 0);
        break;
      case 'parameter-area': writeU64(b, 0, h.size); writeU32(b, 8, h.index); writeU32(b, 12, place(h.data, Number(h.size))); break;
      case 'parameter-usage': writeU32(b, 0, h.index); writeU32(b, 4, h.byteOffset); break;
      case 'parameter-insert': writeU64(b, 0, h.gpa); writeU32(b, 8, h.mask); writeU32(b, 12, h.index); break;
      case 'vp-context': writeU64(b, 0, h.gpa); writeU32(b, 8, h.mask); writeU32(b, 12, place(h.data, IGVM_PAGE_SIZE)); writeU16(b, 16, h.vpIndex); break;
      case 'required-memory': writeU64(b, 0, h.gpa); writeU32(b, 8, h.mask); writeU32(b, 12, h.size); writeU32(b, 16, h.flags ?? 0); break;
      case 'snp-id-block':
        if (h.body.length !== size) fail('usage', `an SNP_ID_BLOCK body is ${size} bytes, got ${h.body.length}`);
        b.set(h.body); writeU32(b, 0, h.mask);
        break;
    }
    pos += 8 + Math.ceil(size / 8) * 8;
  }
  if (dataEnd === dataStart) fail('usage', 'an IGVM file needs some file data (the loaders reject an empty data section)');
  const out = new Uint8Array(dataEnd);
  writeU32(out, 0, IGVM_MAGIC);
  writeU32(out, 4, 1);
  writeU32(out, 8, FIXED_HEADER_SIZE_V1);
  writeU32(out, 12, vhSize);
  writeU32(out, 16, dataEnd);
  out.set(vh, FIXED_HEADER_SIZE_V1);
  let o = dataStart;
  for (const blob of blobs) { out.set(blob, o); o += blob.length; }
  writeU32(out, 20, crc32(out.subarray(0, FIXED_HEADER_SIZE_V1), vh));
  return out;
}
