/**
 * Metadata-only input: the interchange format of the Go port of sev-snp-measure, so a digest can
 * be computed without the firmware binary:
 *   {"MetadataItems":[{"GPA":"0x800000","Size":"0x9000","SectionTypeInt":1}, ...],
 *    "ResetEIP":"0x80b004", "OVMFHash":"<96 hex digits>"}
 * Extension (optional): "SevHashTableGPA":"0x810c00" enables measured direct boot.
 */
import { fail } from '../errors.js';
import { fromHex, hex64, parseUnsigned, toHex } from '../bytes.js';
import { parseJsonExact } from '../json-exact.js';
import type { FirmwareLayout, MetadataSection } from './firmware.js';

export interface MetadataOnlyInput {
  readonly layout: FirmwareLayout;
  readonly ovmfHash: Uint8Array;
}

const MAX_ITEMS = 4096;

function u32(v: unknown, what: string): number {
  if (typeof v !== 'string' && typeof v !== 'number') fail('metadata-json', `${what}: expected a 0x-prefixed hex string`);
  try {
    return Number(parseUnsigned(v, what, 0xffffffffn));
  } catch (e) {
    return fail('metadata-json', (e as Error).message);
  }
}

export function parseMetadataJson(text: string, what = 'metadata JSON'): MetadataOnlyInput {
  const doc = parseJsonExact(text, what, 'metadata-json');
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('metadata-json', `${what}: expected a JSON object`);
  const o = doc as Record<string, unknown>;
  for (const key of ['MetadataItems', 'ResetEIP', 'OVMFHash']) {
    if (!(key in o)) fail('metadata-json', `${what}: missing required key ${key}`);
  }
  const known = new Set(['MetadataItems', 'ResetEIP', 'OVMFHash', 'SevHashTableGPA']);
  for (const key of Object.keys(o)) if (!known.has(key)) fail('metadata-json', `${what}: unknown key ${JSON.stringify(key)}`);
  const items = o['MetadataItems'];
  if (!Array.isArray(items)) fail('metadata-json', `${what}: MetadataItems must be an array`);
  if (items.length > MAX_ITEMS) fail('metadata-json', `${what}: ${items.length} MetadataItems is more than ${MAX_ITEMS}`);
  const sections: MetadataSection[] = items.map((it: unknown, index) => {
    const w = `${what}: MetadataItems[${index}]`;
    if (typeof it !== 'object' || it === null) fail('metadata-json', `${w}: expected an object`);
    const r = it as Record<string, unknown>;
    for (const k of ['GPA', 'Size', 'SectionTypeInt']) if (!(k in r)) fail('metadata-json', `${w}: missing ${k}`);
    return { index, gpa: u32(r['GPA'], `${w}.GPA`), size: u32(r['Size'], `${w}.Size`), type: u32(r['SectionTypeInt'], `${w}.SectionTypeInt`) };
  });
  const resetEip = u32(o['ResetEIP'], `${what}: ResetEIP`);
  const hashText = o['OVMFHash'];
  if (typeof hashText !== 'string') fail('metadata-json', `${what}: OVMFHash must be a hex string`);
  let ovmfHash: Uint8Array;
  try {
    ovmfHash = fromHex(hashText, `${what}: OVMFHash`, 48);
  } catch (e) {
    return fail('metadata-json', (e as Error).message);
  }
  const htGpa = o['SevHashTableGPA'] === undefined ? undefined : u32(o['SevHashTableGPA'], `${what}: SevHashTableGPA`);
  return {
    layout: { sections, resetEip, ...(htGpa === undefined ? {} : { hashTable: { gpa: htGpa, size: 0 } }) },
    ovmfHash,
  };
}

/** The inverse: what a firmware image contributes, for users who want to ship metadata instead of binaries. */
export function formatMetadataJson(layout: FirmwareLayout, ovmfHash: Uint8Array): string {
  const doc: Record<string, unknown> = {
    MetadataItems: (layout.sections ?? []).map((s) => ({ GPA: hex64(s.gpa), Size: hex64(s.size), SectionTypeInt: s.type })),
    ResetEIP: hex64(layout.resetEip ?? 0),
    OVMFHash: toHex(ovmfHash),
  };
  if (layout.hashTable) doc['SevHashTableGPA'] = hex64(layout.hashTable.gpa);
  return `${JSON.stringify(doc, null, 2)}\n`;
}
