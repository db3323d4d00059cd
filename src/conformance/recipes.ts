/**
 * Generators for the conformance recipes (vectors/synthetic-firmware.md and
 * vectors/regions-README.md): the deterministic byte stream and the synthetic OVMF images, so vector
 * files run without binary fixtures.
 */
import { fail } from '../errors.js';
import { fromHex, toHex } from '../bytes.js';
import { defaultSuite } from '../hash/suite.js';

/** stream(label, n) = (SHA-256(label ":0") || SHA-256(label ":1") || ...)[0..n) */
export function stream(label: string, n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0 || n > 2 ** 31) fail('conformance', `stream length ${n} is out of range`);
  const enc = new TextEncoder();
  const out = new Uint8Array(n);
  for (let i = 0, o = 0; o < n; i++, o += 32) {
    const block = defaultSuite.sha256(enc.encode(`${label}:${i}`));
    out.set(block.subarray(0, Math.min(32, n - o)), o);
  }
  return out;
}

export interface SynthImage {
  readonly name: string;
  readonly label: string;
  readonly size: number;
  readonly reset_eip: number;
  readonly sections: readonly { gpa: number; size: number; type: number }[] | null;
  readonly metadata_offset_from_end: number | null;
  readonly hash_table: { gpa: number; size: number } | null;
  readonly footer_entries: readonly string[];
  readonly sha256: string;
}

const FOOTER_GUIDS: Readonly<Record<string, string>> = {
  sev_metadata: '666588dc4a989847a75e5585a7bf67cc',
  sev_hash_table: '1f3755723b3a044b927b1da6efa8d454',
  sev_secret_block: '61b32e4c9b7dc34c8081127c90d3d294',
  sev_es_reset: 'de71f7007e1acb4f890e68c77e2fb44e',
  footer: 'de82b596b21ff745baeaa366c55a082d',
};

const le = (v: number, n: number): number[] => Array.from({ length: n }, (_, i) => Math.floor(v / 2 ** (8 * i)) & 0xff);

/** Builds a synthetic image (vectors/synthetic-firmware.md section 3) and checks it against its SHA-256. */
export function buildSyntheticImage(img: SynthImage): Uint8Array {
  if (!Number.isSafeInteger(img.size) || img.size < 4096 || img.size % 4096 !== 0 || img.size > 64 * 2 ** 20) {
    fail('conformance', `synthetic image ${img.name}: size ${img.size} is not a multiple of 4096 up to 64 MiB`);
  }
  const data = stream(img.label, img.size);
  const entryData = (kind: string): number[] => {
    switch (kind) {
      case 'sev_metadata': return le(img.metadata_offset_from_end ?? 0, 4);
      case 'sev_hash_table': return [...le(img.hash_table?.gpa ?? 0, 4), ...le(img.hash_table?.size ?? 0, 4)];
      case 'sev_secret_block': return [0x00, 0x00, 0x81, 0x00, 0x00, 0x0c, 0x00, 0x00];
      case 'sev_es_reset': return le(img.reset_eip, 4);
      default: return fail('conformance', `synthetic image ${img.name}: unknown footer entry kind ${JSON.stringify(kind)}`);
    }
  };
  const table: number[] = [];
  for (const kind of img.footer_entries) {
    const d = entryData(kind);
    table.push(...d, ...le(d.length + 18, 2), ...fromHex(FOOTER_GUIDS[kind]!, 'GUID'));
  }
  const total = table.length + 18;
  data.set(table, img.size - 32 - total);
  data.set([...le(total, 2), ...fromHex(FOOTER_GUIDS['footer']!, 'GUID')], img.size - 50);
  if (img.sections) {
    const a = img.size - (img.metadata_offset_from_end ?? 0);
    const block = [0x41, 0x53, 0x45, 0x56, ...le(16 + 12 * img.sections.length, 4), ...le(1, 4), ...le(img.sections.length, 4)];
    for (const s of img.sections) block.push(...le(s.gpa, 4), ...le(s.size, 4), ...le(s.type, 4));
    if (a < 0 || a + block.length > img.size) fail('conformance', `synthetic image ${img.name}: ASEV block outside the image`);
    data.set(block, a);
  }
  const digest = toHex(defaultSuite.sha256(data));
  if (img.sha256 && digest !== img.sha256) {
    fail('conformance', `synthetic image ${img.name}: generated SHA-256 ${digest} differs from the recipe's ${img.sha256}`);
  }
  return data;
}

/** Reads bytes of stream(label, ∞) from `offset` without generating what comes before. */
export function readStream(label: string, offset: number, into: Uint8Array): void {
  const enc = new TextEncoder();
  let block = Math.floor(offset / 32);
  let skip = offset - block * 32;
  let o = 0;
  while (o < into.length) {
    const digest = defaultSuite.sha256(enc.encode(`${label}:${block}`));
    const take = Math.min(32 - skip, into.length - o);
    into.set(digest.subarray(skip, skip + take), o);
    o += take;
    skip = 0;
    block++;
  }
}
