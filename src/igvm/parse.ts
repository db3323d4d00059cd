/**
 * A strict IGVM (format v1) parser: fixed header, checksum, variable headers in section order,
 * and the consistency rules loaders apply (docs/spec/igvm.md#parsing-rules; the
 * checks run in that order, the first violation wins). Errors name the header index, its file
 * offset and the field.
 */
import { fail, type ErrorCode } from '../errors.js';
import { readU16, readU32, readU64, plainBytes } from '../bytes.js';
import { crc32 } from './crc32.js';
import { bytesSource, type ByteSource } from '../ovmf/firmware.js';
import {
  FIXED_HEADER_SIZE_V1, HeaderType, IGVM_MAGIC, IGVM_PAGE_SIZE, NATIVE_CONTEXT_SIZE, PAGE_2MB, PAGE_DATA_FLAGS_KNOWN,
  PARAMETER_USAGE_TYPES, PageDataFlags, PlatformType, STRUCTURE_SIZES, headerTypeName, parameterWriteSize, sectionOf,
  type Section,
} from './defs.js';

interface Base { readonly index: number; readonly type: number; readonly offset: number }

export interface SupportedPlatform extends Base { readonly kind: 'platform'; readonly mask: number; readonly highestVtl: number; readonly platformType: number; readonly platformVersion: number; readonly sharedGpaBoundary: bigint }
export interface GuestPolicy extends Base { readonly kind: 'guest-policy'; readonly policy: bigint; readonly mask: number; readonly reserved: number }
export interface PageData extends Base { readonly kind: 'page-data'; readonly gpa: bigint; readonly mask: number; readonly fileOffset: number; readonly flags: number; readonly dataType: number; readonly reserved: number }
export interface ParameterArea extends Base { readonly kind: 'parameter-area'; readonly numberOfBytes: bigint; readonly areaIndex: number; readonly fileOffset: number }
export interface ParameterInsert extends Base { readonly kind: 'parameter-insert'; readonly gpa: bigint; readonly mask: number; readonly areaIndex: number }
export interface VpContext extends Base { readonly kind: 'vp-context'; readonly gpa: bigint; readonly mask: number; readonly fileOffset: number; readonly vpIndex: number; readonly reserved: number }
export interface RequiredMemory extends Base { readonly kind: 'required-memory'; readonly gpa: bigint; readonly mask: number; readonly numberOfBytes: number; readonly flags: number; readonly reserved: number }
export interface ParameterUsage extends Base { readonly kind: 'parameter-usage'; readonly areaIndex: number; readonly byteOffset: number }
export interface SnpIdBlock extends Base {
  readonly kind: 'snp-id-block'; readonly mask: number; readonly authorKeyEnabled: number; readonly ld: Uint8Array;
  readonly familyId: Uint8Array; readonly imageId: Uint8Array; readonly version: number; readonly guestSvn: number;
  readonly idKeyAlgorithm: number; readonly authorKeyAlgorithm: number; readonly body: Uint8Array;
}

export type IgvmHeader = SupportedPlatform | GuestPolicy | PageData | ParameterArea | ParameterInsert | VpContext | RequiredMemory | ParameterUsage | SnpIdBlock;

/**
 * A parsed IGVM file: its fixed-header fields and variable headers, with page data left in
 * `source` and read only when measured, so a large image is not held in memory.
 */
export interface IgvmFile {
  /** The file, read on demand: only the headers are held in memory, page data is read when needed. */
  readonly source: ByteSource;
  readonly formatVersion: number;
  readonly checksum: number;
  readonly variableHeaderOffset: number;
  readonly variableHeaderSize: number;
  /** Start of the file-data section. */
  readonly dataStart: number;
  readonly headers: readonly IgvmHeader[];
  readonly platforms: readonly SupportedPlatform[];
}

function igvmFail(code: ErrorCode, message: string, offset?: number, field?: string): never {
  return fail(code, message, { ...(offset === undefined ? {} : { offset }), ...(field === undefined ? {} : { field }) });
}

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;
const at = (h: Base): string => `header ${h.index} (${headerTypeName(h.type)}) at file offset ${hex(h.offset)}`;

function decodeHeader(index: number, type: number, offset: number, b: Uint8Array): IgvmHeader {
  const base = { index, type, offset };
  switch (type) {
    case HeaderType.SUPPORTED_PLATFORM:
      return { ...base, kind: 'platform', mask: readU32(b, 0), highestVtl: b[4]!, platformType: b[5]!, platformVersion: readU16(b, 6), sharedGpaBoundary: readU64(b, 8) };
    case HeaderType.GUEST_POLICY:
      return { ...base, kind: 'guest-policy', policy: readU64(b, 0), mask: readU32(b, 8), reserved: readU32(b, 12) };
    case HeaderType.PAGE_DATA:
      return { ...base, kind: 'page-data', gpa: readU64(b, 0), mask: readU32(b, 8), fileOffset: readU32(b, 12), flags: readU32(b, 16), dataType: readU16(b, 20), reserved: readU16(b, 22) };
    case HeaderType.PARAMETER_AREA:
      return { ...base, kind: 'parameter-area', numberOfBytes: readU64(b, 0), areaIndex: readU32(b, 8), fileOffset: readU32(b, 12) };
    case HeaderType.PARAMETER_INSERT:
      return { ...base, kind: 'parameter-insert', gpa: readU64(b, 0), mask: readU32(b, 8), areaIndex: readU32(b, 12) };
    case HeaderType.VP_CONTEXT:
      return { ...base, kind: 'vp-context', gpa: readU64(b, 0), mask: readU32(b, 8), fileOffset: readU32(b, 12), vpIndex: readU16(b, 16), reserved: readU16(b, 18) };
    case HeaderType.REQUIRED_MEMORY:
      return { ...base, kind: 'required-memory', gpa: readU64(b, 0), mask: readU32(b, 8), numberOfBytes: readU32(b, 12), flags: readU32(b, 16), reserved: readU32(b, 20) };
    case HeaderType.SNP_ID_BLOCK:
      return {
        ...base, kind: 'snp-id-block', mask: readU32(b, 0), authorKeyEnabled: b[4]!, ld: b.slice(8, 56), familyId: b.slice(56, 72),
        imageId: b.slice(72, 88), version: readU32(b, 88), guestSvn: readU32(b, 92), idKeyAlgorithm: readU32(b, 96),
        authorKeyAlgorithm: readU32(b, 100), body: b.slice(),
      };
    default:
      return { ...base, kind: 'parameter-usage', areaIndex: readU32(b, 0), byteOffset: readU32(b, 4) };
  }
}

const SECTION_RANK: Record<Section, number> = { platform: 0, initialization: 1, directive: 2 };

function maskOf(h: IgvmHeader): number | undefined {
  return 'mask' in h && h.kind !== 'platform' ? h.mask : undefined;
}

function popcount(n: number): number { let c = 0; for (let v = n >>> 0; v; v &= v - 1) c++; return c; }

/**
 * Parses and validates an IGVM file (version 1) from bytes or a ByteSource: the fixed header,
 * then each variable header. Malformed files are refused with an `igvm-*` code naming the offset.
 */
export function parseIgvm(input: Uint8Array | ByteSource): IgvmFile {
  const source: ByteSource = ArrayBuffer.isView(input) ? bytesSource(plainBytes(input as Uint8Array)) : input as ByteSource;
  const length = source.length;
  // 1-5: the fixed header and the sections it describes.
  if (length < FIXED_HEADER_SIZE_V1) igvmFail('igvm-short-file', `IGVM file has ${length} bytes, fewer than the 24-byte fixed header`);
  const head = source.read(0, FIXED_HEADER_SIZE_V1);
  const magic = readU32(head, 0);
  if (magic !== IGVM_MAGIC) igvmFail('igvm-bad-magic', `IGVM magic at offset 0x0 is ${hex(magic)}, expected 0x4d564749 ("IGVM")`, 0, 'magic');
  const version = readU32(head, 4);
  if (version !== 1) {
    igvmFail('igvm-unsupported-version', version === 2
      ? 'IGVM format version 2 is recognised but unstable; only version 1 is supported'
      : `IGVM format version ${version} at offset 0x4 is not supported (only 1)`, 4, 'format_version');
  }
  const vhOffset = readU32(head, 8);
  const vhSize = readU32(head, 12);
  const total = readU32(head, 16);
  const checksum = readU32(head, 20);
  if (total !== length) igvmFail('igvm-size-mismatch', `total_file_size (offset 0x10) is ${total}, but the file has ${length} bytes`, 0x10, 'total_file_size');
  if (vhOffset < FIXED_HEADER_SIZE_V1 || vhOffset % 8 !== 0 || vhOffset >= length) {
    igvmFail('igvm-bad-vh-offset', `variable_header_offset (offset 0x8) is ${hex(vhOffset)}: must be at least 24, a multiple of 8 and inside the ${length}-byte file`, 8, 'variable_header_offset');
  }
  if (vhOffset + vhSize > length || vhSize % 8 !== 0) {
    igvmFail('igvm-bad-vh-size', `variable_header_size (offset 0xc) is ${hex(vhSize)}: the section must be a multiple of 8 bytes inside the file`, 12, 'variable_header_size');
  }
  // A source padded with zeros (a region shorter than its declared size) cannot hold headers in the padding.
  const backed = source.dataLength ?? length;
  if (vhOffset + vhSize > backed) {
    igvmFail('igvm-bad-vh-size', `variable_header_size (offset 0xc) is ${hex(vhSize)}: the headers would end at ${hex(vhOffset + vhSize)}, but only the first ${hex(backed)} bytes of the image hold data (the rest is zero padding)`, 12, 'variable_header_size');
  }
  const dataStart = vhOffset + vhSize;
  if (dataStart >= length) igvmFail('igvm-empty-file-data', 'the file-data section after the variable headers is empty', dataStart);
  // The variable headers are read once (their size is bounded by the file's); offsets below stay absolute.
  const vh = source.read(vhOffset, vhSize);
  const vhView = { at: (o: number): number => vh[o - vhOffset]!, u32: (o: number): number => readU32(vh, o - vhOffset), slice: (a: number, b: number): Uint8Array => vh.subarray(a - vhOffset, b - vhOffset) };
  const fixed = Uint8Array.from(head);
  fixed.fill(0, 20, 24);
  const computed = crc32(fixed, vh);
  if (computed !== checksum) igvmFail('igvm-bad-checksum', `checksum (offset 0x14) is ${hex(checksum)}, the headers' CRC-32 is ${hex(computed)}`, 20, 'checksum');

  // 6: walk the variable headers.
  const headers: IgvmHeader[] = [];
  let pos = vhOffset;
  let rank = 0;
  while (pos < dataStart) {
    const index = headers.length;
    if (pos + 8 > dataStart) igvmFail('igvm-truncated-header', `header ${index} at file offset ${hex(pos)}: its type and length run past the variable-header section`, pos);
    const type = vhView.u32(pos);
    const size0 = vhView.u32(pos + 4);
    const padded = Math.ceil(size0 / 8) * 8;
    if (pos + 8 + padded > dataStart) {
      igvmFail('igvm-truncated-header', `header ${index} (${headerTypeName(type)}) at file offset ${hex(pos)}: length ${size0} runs past the variable-header section (ends at ${hex(dataStart)})`, pos + 4, 'length');
    }
    for (let i = pos + 8 + size0; i < pos + 8 + padded; i++) {
      if (vhView.at(i) !== 0) igvmFail('igvm-nonzero-padding', `header ${index} (${headerTypeName(type)}) at file offset ${hex(pos)}: padding byte at ${hex(i)} is not zero`, i);
    }
    const size = STRUCTURE_SIZES[type];
    const section = sectionOf(type);
    if (size === undefined || section === undefined) {
      const optional = (type & 0x80000000) !== 0 ? ' (the optional bit is set, but the loaders modelled here reject it too)' : '';
      igvmFail('igvm-unknown-type', `header ${index} at file offset ${hex(pos)}: type ${hex(type)} is not supported${optional}`, pos, 'type');
    }
    if (size0 !== size) igvmFail('igvm-bad-length', `header ${index} (${headerTypeName(type)}) at file offset ${hex(pos)}: length ${size0}, the structure is ${size} bytes`, pos + 4, 'length');
    if (SECTION_RANK[section] < rank) igvmFail('igvm-section-order', `header ${index} (${headerTypeName(type)}, a ${section} header) at file offset ${hex(pos)} comes after a later section started`, pos, 'type');
    rank = SECTION_RANK[section];
    headers.push(decodeHeader(index, type, pos, vhView.slice(pos + 8, pos + 8 + size0)));
    pos += 8 + padded;
  }
  const platforms = headers.filter((h): h is SupportedPlatform => h.kind === 'platform');
  if (platforms.length === 0) igvmFail('igvm-no-platform', 'the file declares no SUPPORTED_PLATFORM header');

  // 7: platforms.
  for (const p of platforms) {
    if (popcount(p.mask) !== 1) igvmFail('igvm-bad-platform', `${at(p)}: compatibility_mask ${hex(p.mask)} must have exactly one bit`, p.offset + 8, 'compatibility_mask');
    if (p.highestVtl !== 0 && p.highestVtl !== 2) igvmFail('igvm-bad-platform', `${at(p)}: highest_vtl ${p.highestVtl} must be 0 or 2`, p.offset + 12, 'highest_vtl');
    if (p.platformType > PlatformType.SEV_ES) igvmFail('igvm-bad-platform', `${at(p)}: unknown platform_type ${p.platformType}`, p.offset + 13, 'platform_type');
    if (p.platformVersion !== 1) igvmFail('igvm-bad-platform', `${at(p)}: platform_version ${p.platformVersion} must be 1`, p.offset + 14, 'platform_version');
    if ((p.platformType === PlatformType.NATIVE || p.platformType === PlatformType.VSM_ISOLATION) && p.sharedGpaBoundary !== 0n) {
      igvmFail('igvm-bad-platform', `${at(p)}: shared_gpa_boundary must be 0 for this platform`, p.offset + 16, 'shared_gpa_boundary');
    }
  }
  platforms.forEach((p, i) => {
    const dup = platforms.slice(0, i).find((q) => q.platformType === p.platformType || q.mask === p.mask);
    if (dup) igvmFail('igvm-duplicate-platform', `${at(p)} repeats the platform type or mask bit of header ${dup.index}`, p.offset);
  });
  const declared = platforms.reduce((m, p) => m | p.mask, 0);

  // 8: every other compatibility mask.
  for (const h of headers) {
    const mask = maskOf(h);
    if (mask !== undefined && (mask === 0 || (mask & ~declared) !== 0)) {
      igvmFail('igvm-bad-mask', `${at(h)}: compatibility_mask ${hex(mask)} must be non-zero and use only declared platform bits (${hex(declared)})`, h.offset, 'compatibility_mask');
    }
  }

  // 9: reserved fields, alignment, data types, sizes.
  for (const h of headers) {
    const reserved = (field: string, v: number | bigint): void => {
      if (v !== 0 && v !== 0n) igvmFail('igvm-reserved-nonzero', `${at(h)}: reserved ${field} is ${hex(v)}`, h.offset, field);
    };
    const aligned = (gpa: bigint, to: number, field = 'gpa'): void => {
      if (gpa % BigInt(to) !== 0n) igvmFail('igvm-unaligned-gpa', `${at(h)}: ${field} ${hex(gpa)} is not ${to === PAGE_2MB ? '2 MiB' : '4 KiB'} aligned`, h.offset + 8, field);
    };
    switch (h.kind) {
      case 'guest-policy': reserved('reserved', h.reserved); break;
      case 'page-data':
        reserved('reserved', h.reserved);
        reserved('flags bits 31:3', h.flags & ~PAGE_DATA_FLAGS_KNOWN);
        aligned(h.gpa, h.flags & PageDataFlags.IS_2MB_PAGE ? PAGE_2MB : IGVM_PAGE_SIZE);
        if (h.dataType > 3) igvmFail('igvm-bad-page-data-type', `${at(h)}: data_type ${h.dataType} is not NORMAL, SECRETS, CPUID_DATA or CPUID_XF`, h.offset + 28, 'data_type');
        break;
      case 'vp-context': reserved('reserved', h.reserved); aligned(h.gpa, IGVM_PAGE_SIZE); break;
      case 'required-memory':
        reserved('reserved', h.reserved);
        reserved('flags bits 31:1', h.flags & ~1);
        // Its size is not checked: the reference parsers do not, and it never reaches the digest.
        aligned(h.gpa, IGVM_PAGE_SIZE);
        break;
      case 'parameter-insert': aligned(h.gpa, IGVM_PAGE_SIZE); break;
      case 'parameter-area':
        if (h.numberOfBytes === 0n || h.numberOfBytes % BigInt(IGVM_PAGE_SIZE) !== 0n) {
          igvmFail('igvm-unaligned-size', `${at(h)}: number_of_bytes ${hex(h.numberOfBytes)} must be a non-zero multiple of 4096`, h.offset + 8, 'number_of_bytes');
        }
        break;
      case 'snp-id-block':
        reserved('reserved bytes 5..7', (h.body[5]! | (h.body[6]! << 8) | (h.body[7]! << 16)));
        reserved('id_public_key reserved', readU32(h.body, 0xfc));
        reserved('author_public_key reserved', readU32(h.body, 0x224));
        break;
      default: break;
    }
  }

  // 10: file offsets point into the data section with enough bytes.
  const checkData = (h: IgvmHeader, fileOffset: number, need: bigint): void => {
    if (fileOffset === 0) return;
    if (fileOffset < dataStart || BigInt(fileOffset) + need > BigInt(length)) {
      igvmFail('igvm-bad-file-offset', `${at(h)}: file_offset ${hex(fileOffset)} must point into the file-data section [${hex(dataStart)}, ${hex(length)}) with ${need} bytes`, h.offset + 8, 'file_offset');
    }
  };
  for (const h of headers) {
    if (h.kind === 'page-data' || h.kind === 'vp-context') checkData(h, h.fileOffset, BigInt(IGVM_PAGE_SIZE));
    else if (h.kind === 'parameter-area') checkData(h, h.fileOffset, h.numberOfBytes);
  }

  // 11: parameter areas.
  const areas = new Map<number, { size: bigint; inserted: boolean }>();
  for (const h of headers) {
    if (h.kind === 'parameter-area') {
      if (areas.has(h.areaIndex)) igvmFail('igvm-param-index-reuse', `${at(h)}: parameter area index ${h.areaIndex} is declared twice`, h.offset, 'parameter_area_index');
      areas.set(h.areaIndex, { size: h.numberOfBytes, inserted: false });
    } else if (h.kind === 'parameter-usage' || h.kind === 'parameter-insert') {
      const area = areas.get(h.areaIndex);
      if (!area || area.inserted) {
        igvmFail('igvm-param-index-invalid', `${at(h)}: parameter area ${h.areaIndex} is ${area ? 'already inserted' : 'not declared'}`, h.offset, 'parameter_area_index');
      }
      if (h.kind === 'parameter-insert') area.inserted = true;
      else if (BigInt(h.byteOffset) + BigInt(parameterWriteSize(h.type)) > area.size) {
        igvmFail('igvm-param-offset-range', `${at(h)}: byte_offset ${hex(h.byteOffset)} + ${parameterWriteSize(h.type)} bytes does not fit area ${h.areaIndex} (${hex(area.size)} bytes)`, h.offset, 'byte_offset');
      }
    }
  }

  // 12: VP contexts.
  const seenVp = new Set<string>();
  for (const h of headers) {
    if (h.kind !== 'vp-context') continue;
    const platform = platforms.find((p) => p.mask === h.mask);
    if (!platform) igvmFail('igvm-bad-vp-context', `${at(h)}: compatibility_mask ${hex(h.mask)} must equal exactly one platform's mask`, h.offset, 'compatibility_mask');
    const t = platform.platformType;
    if (t === PlatformType.NATIVE || t === PlatformType.SEV) {
      if (h.gpa !== 0n) igvmFail('igvm-bad-vp-context', `${at(h)}: a native VP context must have gpa 0`, h.offset + 8, 'gpa');
      if (h.fileOffset !== 0 && source.read(h.fileOffset + NATIVE_CONTEXT_SIZE, IGVM_PAGE_SIZE - NATIVE_CONTEXT_SIZE).some((b) => b !== 0)) {
        igvmFail('igvm-bad-vp-context', `${at(h)}: bytes past the ${NATIVE_CONTEXT_SIZE}-byte native context must be zero`, h.fileOffset + NATIVE_CONTEXT_SIZE);
      }
    } else if (t !== PlatformType.SEV_SNP && t !== PlatformType.SEV_ES) {
      igvmFail('igvm-bad-vp-context', `${at(h)}: VP contexts are not defined for this platform type (${t})`, h.offset, 'compatibility_mask');
    }
    const key = `${h.mask}:${h.vpIndex}`;
    if (seenVp.has(key)) igvmFail('igvm-duplicate-vp-context', `${at(h)}: a second VP context for vp_index ${h.vpIndex} on mask ${hex(h.mask)}`, h.offset, 'vp_index');
    seenVp.add(key);
  }

  // 13: at most one guest policy and one ID block per platform.
  for (const kind of ['guest-policy', 'snp-id-block'] as const) {
    for (const p of platforms) {
      const hits = headers.filter((h) => h.kind === kind && (h.mask & p.mask) !== 0);
      if (hits.length > 1) {
        igvmFail(kind === 'guest-policy' ? 'igvm-duplicate-policy' : 'igvm-duplicate-id-block', `${at(hits[1]!)}: a second ${headerTypeName(hits[1]!.type)} for platform mask ${hex(p.mask)} (first: header ${hits[0]!.index})`, hits[1]!.offset);
      }
    }
  }
  return { source, formatVersion: version, checksum, variableHeaderOffset: vhOffset, variableHeaderSize: vhSize, dataStart, headers, platforms };
}

/** The 4 KiB of file data a page or VP context names (zeros when file_offset is 0). */
export function fileData(f: IgvmFile, fileOffset: number): Uint8Array {
  if (fileOffset === 0) return new Uint8Array(IGVM_PAGE_SIZE);
  return f.source.read(fileOffset, IGVM_PAGE_SIZE);
}

export { PARAMETER_USAGE_TYPES };
