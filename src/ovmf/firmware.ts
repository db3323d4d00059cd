/**
 * OVMF image parsing: the GUID-keyed footer table that ends 32 bytes before the end of the
 * image, and the SEV metadata ("ASEV") block it points to (docs/spec/ovmf.md#footer-table,
 * docs/spec/ovmf.md#sev-metadata).
 */
import { fail } from '../errors.js';
import { hex64, readU16, readU32 } from '../bytes.js';
import { GUIDS, GUID_NAMES, guidFromBytes } from './guid.js';
import { defaultSuite, type HashSuite } from '../hash/suite.js';

export const FOUR_GIB = 0x1_0000_0000;
const ENTRY_HEADER = 18; // u16 length + 16-byte GUID
const RESET_VECTOR_AREA = 32;

export enum SectionType {
  SnpSecMem = 1,
  SnpSecrets = 2,
  Cpuid = 3,
  SvsmCaa = 4,
  SnpKernelHashes = 0x10,
}

export const SECTION_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'SNP_SEC_MEM', 2: 'SNP_SECRETS', 3: 'CPUID', 4: 'SVSM_CAA', 0x10: 'SNP_KERNEL_HASHES',
};

export function sectionTypeName(t: number): string {
  return SECTION_TYPE_NAMES[t] ?? `UNKNOWN(0x${t.toString(16)})`;
}

/** One section of OVMF's SEV metadata (ASEV table): where it lies, its size in bytes and its section type. */
export interface MetadataSection {
  /** Position in the ASEV table (table order is measurement order). */
  readonly index: number;
  readonly gpa: number;
  readonly size: number;
  readonly type: number;
}

/** What a launch needs from the firmware besides its bytes. Also what metadata-only JSON carries. */
export interface FirmwareLayout {
  /** null: the image has no SEV metadata at all. */
  readonly sections: readonly MetadataSection[] | null;
  /** AP reset EIP from the SEV-ES reset block; undefined when the block is absent. */
  readonly resetEip?: number;
  /** Kernel-hashes table location (SEV_HASH_TABLE_RV); undefined when the entry is absent. */
  readonly hashTable?: { readonly gpa: number; readonly size: number };
}

/** Random access to an image too large to hold whole (a firmware region read from guest memory). */
export interface ByteSource {
  readonly length: number;
  /**
   * When set, only bytes [0, dataLength) hold data and the rest reads as zero padding (a region
   * source shorter than its region): parsers refuse structures that would have to lie in the padding
   * before reading them, so the cost follows the real data, not a declared size.
   */
  readonly dataLength?: number;
  /** Returns bytes [offset, offset + length); the caller keeps within bounds. */
  read(offset: number, length: number): Uint8Array;
}

export function bytesSource(data: Uint8Array): ByteSource {
  return { length: data.length, read: (o, n) => data.subarray(o, o + n) };
}

/** SHA-256 of a whole source, read in 1 MiB chunks. */
export function sourceSha256(src: ByteSource, hashes: HashSuite = defaultSuite): Uint8Array {
  const h = hashes.createSha256();
  for (let o = 0; o < src.length; o += 1 << 20) h.update(src.read(o, Math.min(1 << 20, src.length - o)));
  return h.digest();
}

function asSource(data: Uint8Array | ByteSource): ByteSource {
  return ArrayBuffer.isView(data) ? bytesSource(data as Uint8Array) : data as ByteSource;
}

/** What parseFirmware finds in an OVMF image: its layout plus size and footer GUID table entries. */
export interface FirmwareInfo extends FirmwareLayout {
  readonly size: number;
  readonly hasFooterTable: boolean;
  /** Footer entries by canonical GUID, in file order (lowest offset first). */
  readonly entries: ReadonlyMap<string, { readonly offset: number; readonly data: Uint8Array }>;
}

/** Walks the footer GUID table. A file without the footer GUID simply has no table. */
export function parseFooterTable(image: Uint8Array | ByteSource, what = 'firmware'): { found: boolean; entries: Map<string, { offset: number; data: Uint8Array }> } {
  const src = asSource(image);
  const entries = new Map<string, { offset: number; data: Uint8Array }>();
  const footer = src.length - RESET_VECTOR_AREA - ENTRY_HEADER;
  if (footer < 0) return { found: false, entries };
  const footerEntry = src.read(footer, ENTRY_HEADER);
  if (guidFromBytes(footerEntry.subarray(2, 18)) !== GUIDS.ovmfTableFooter) return { found: false, entries };
  const tableSize = readU16(footerEntry, 0);
  if (tableSize < ENTRY_HEADER) {
    fail('footer-table', `${what}: footer table length ${tableSize} at offset 0x${footer.toString(16)} is smaller than its own 18-byte header`);
  }
  const bodyStart = footer - (tableSize - ENTRY_HEADER);
  if (bodyStart < 0) {
    fail('footer-table', `${what}: footer table length ${tableSize} at offset 0x${footer.toString(16)} reaches before the start of the file`);
  }
  // The table is at most 64 KiB (its length is a u16): read it once, walk it in memory.
  const body = src.read(bodyStart, footer - bodyStart);
  const rel = (offset: number): number => offset - bodyStart;
  // Entries are laid out first-to-last but must be walked backwards from the footer.
  const found: [string, { offset: number; data: Uint8Array }][] = [];
  let end = footer;
  while (end - bodyStart >= ENTRY_HEADER) {
    const hdr = end - ENTRY_HEADER;
    const len = readU16(body, rel(hdr));
    const guid = guidFromBytes(body.subarray(rel(hdr) + 2, rel(hdr) + 18));
    if (len < ENTRY_HEADER || len > end - bodyStart) {
      fail('footer-table', `${what}: footer table entry ${GUID_NAMES[guid] ?? guid} at offset 0x${hdr.toString(16)} has length ${len}, outside 18..${end - bodyStart}`);
    }
    const start = end - len;
    found.push([guid, { offset: start, data: body.subarray(rel(start), rel(hdr)) }]);
    end = start;
  }
  found.reverse();
  for (const [guid, entry] of found) {
    if (entries.has(guid)) fail('footer-duplicate', `${what}: footer table lists ${GUID_NAMES[guid] ?? guid} twice (offsets 0x${entries.get(guid)!.offset.toString(16)} and 0x${entry.offset.toString(16)})`);
    entries.set(guid, entry);
  }
  return { found: true, entries };
}

function entryU32(entries: ReadonlyMap<string, { offset: number; data: Uint8Array }>, guid: string, at: number, what: string): number | undefined {
  const e = entries.get(guid);
  if (!e) return undefined;
  if (e.data.length < at + 4) {
    fail('footer-entry', `${what}: ${GUID_NAMES[guid]} entry at offset 0x${e.offset.toString(16)} has ${e.data.length} data bytes, needs at least ${at + 4}`);
  }
  return readU32(e.data, at);
}

/** Parses the ASEV block that starts `offsetFromEnd` bytes before the end of the file. */
export function parseSevMetadata(image: Uint8Array | ByteSource, offsetFromEnd: number, what = 'firmware'): MetadataSection[] {
  const src = asSource(image);
  const start = src.length - offsetFromEnd;
  const where = `${what}: SEV metadata at offset 0x${start.toString(16)} (0x${offsetFromEnd.toString(16)} from the end)`;
  if (offsetFromEnd === 0 || start < 0 || start + 16 > src.length) fail('sev-metadata', `${where} lies outside the ${src.length}-byte file`);
  const header = src.read(start, 16);
  const sig = String.fromCharCode(...header.subarray(0, 4));
  if (sig !== 'ASEV') fail('sev-metadata', `${where}: signature is ${JSON.stringify(sig)}, expected "ASEV"`);
  const size = readU32(header, 4);
  const version = readU32(header, 8);
  const count = readU32(header, 12);
  if (version !== 1) fail('sev-metadata', `${where}: version ${version}, expected 1`);
  const available = Math.min(size, src.length - start);
  if (available < 16 || count > Math.floor((available - 16) / 12)) {
    fail('sev-metadata', `${where}: ${count} sections of 12 bytes do not fit in the block (size field ${size}, ${src.length - start} bytes to the end of the file)`);
  }
  const items = src.read(start + 16, 12 * count);
  const sections: MetadataSection[] = [];
  for (let i = 0; i < count; i++) {
    const o = 12 * i;
    sections.push({ index: i, gpa: readU32(items, o), size: readU32(items, o + 4), type: readU32(items, o + 8) });
  }
  return sections;
}

/** Everything the measurement needs from an OVMF (or legacy SVSM) image's tables. */
export function parseFirmware(image: Uint8Array | ByteSource, what = 'firmware'): FirmwareInfo {
  const data = asSource(image);
  const { found, entries } = parseFooterTable(data, what);
  const metaOffset = entryU32(entries, GUIDS.ovmfSevMetadata, 0, what);
  const sections = metaOffset === undefined ? null : parseSevMetadata(data, metaOffset, what);
  const resetEip = entryU32(entries, GUIDS.sevEsResetBlock, 0, what);
  const htGpa = entryU32(entries, GUIDS.sevHashTableRv, 0, what);
  const htEntry = entries.get(GUIDS.sevHashTableRv);
  const htSize = htEntry && htEntry.data.length >= 8 ? readU32(htEntry.data, 4) : 0;
  return {
    size: data.length,
    hasFooterTable: found,
    entries,
    sections,
    ...(resetEip === undefined ? {} : { resetEip }),
    ...(htGpa === undefined ? {} : { hashTable: { gpa: htGpa, size: htSize } }),
  };
}

/** GPA of a firmware image loaded so that it ends at `endAt` (4 GiB for pflash). */
export function firmwareGpa(size: number, what: string, endAt: number = FOUR_GIB): number {
  if (size === 0 || size % 4096 !== 0) fail('firmware-size', `${what}: size ${size} bytes is not a positive multiple of 4096`);
  if (size > endAt) fail('firmware-size', `${what}: ${size} bytes do not fit below ${hex64(endAt)}`);
  return endAt - size;
}

export function svsmEntryOffset(info: FirmwareInfo, what = 'SVSM image'): number {
  const v = entryU32(info.entries, GUIDS.svsmInfo, 0, what);
  if (v === undefined) fail('no-svsm-info', `${what}: no SVSM_INFO entry (${GUIDS.svsmInfo}) in its footer table`);
  return v;
}
