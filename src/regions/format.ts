/**
 * The vmfwupdate binary structures (docs/spec/regions.md#structures): the control struct the
 * guest writes and its array of 32-byte region descriptors. All little-endian.
 */
import { fail } from '../errors.js';
import { readU16, readU64, writeU16, writeU64 } from '../bytes.js';

export { RULES_VERSION } from './rules.js';

/** The region descriptor flag bits (docs/spec/regions.md#structures), as bigints of the 64-bit flags field. */
export const REGION_FLAGS = {
  COPY: 1n << 0n,
  ZERO: 1n << 1n,
  MEASURE: 1n << 2n,
  VALIDATE: 1n << 3n,
  IGVM_IMAGE: 1n << 8n,
  IGVM_PARAM: 1n << 9n,
  SEV_CPUID: 1n << 16n,
  SEV_SECRETS: 1n << 17n,
} as const;

export type RegionFlagName = keyof typeof REGION_FLAGS;
export const KNOWN_FLAGS_MASK = Object.values(REGION_FLAGS).reduce((a, b) => a | b, 0n);

export const CAPABILITY_BIOS_RESIZE = 1n << 0n;
export const CAPABILITY_IGVM_IMAGES = 1n << 1n;
export const CONTROL_DISABLE = 1;

export const STRUCT_SIZE_NATURAL = 40;
export const STRUCT_SIZE_PACKED = 36;
export const REGION_ENTRY_SIZE = 32;
export const MAX_REGIONS = 65535;

export function flagNames(flags: bigint): string[] {
  const names: string[] = (Object.keys(REGION_FLAGS) as RegionFlagName[]).filter((n) => (flags & REGION_FLAGS[n]) !== 0n);
  for (let bit = 0n; bit < 64n; bit++) {
    if ((flags >> bit) & 1n && !((KNOWN_FLAGS_MASK >> bit) & 1n)) names.push(`bit${bit}`);
  }
  return names;
}

export interface VmfwupdateStruct {
  readonly capabilities: bigint;
  readonly firmwareSize: bigint;
  readonly opaqueAddr: bigint;
  readonly regionsAddr: bigint;
  readonly regionsCount: number;
  readonly control: number;
}

/** One region descriptor as the guest wrote it. */
export interface RegionDescriptor {
  readonly size: bigint;
  readonly src: bigint;
  readonly dst: bigint;
  readonly flags: bigint;
}

export function decodeStruct(bytes: Uint8Array, what = 'struct vmfwupdate'): VmfwupdateStruct {
  if (bytes.length !== STRUCT_SIZE_NATURAL && bytes.length !== STRUCT_SIZE_PACKED) {
    fail('struct-size', `${what} is ${bytes.length} bytes; expected 40 (natural layout) or 36 (packed)`);
  }
  return {
    capabilities: readU64(bytes, 0x00),
    firmwareSize: readU64(bytes, 0x08),
    opaqueAddr: readU64(bytes, 0x10),
    regionsAddr: readU64(bytes, 0x18),
    regionsCount: readU16(bytes, 0x20),
    control: readU16(bytes, 0x22),
  };
}

export function encodeStruct(s: VmfwupdateStruct, size: 40 | 36 = STRUCT_SIZE_NATURAL): Uint8Array {
  if (s.regionsCount > MAX_REGIONS) fail('too-many-regions', `${s.regionsCount} regions do not fit the u16 regions_count`);
  const b = new Uint8Array(size);
  writeU64(b, 0x00, s.capabilities);
  writeU64(b, 0x08, s.firmwareSize);
  writeU64(b, 0x10, s.opaqueAddr);
  writeU64(b, 0x18, s.regionsAddr);
  writeU16(b, 0x20, s.regionsCount);
  writeU16(b, 0x22, s.control);
  return b;
}

export function decodeRegionArray(bytes: Uint8Array, count: number): RegionDescriptor[] {
  if (bytes.length < count * REGION_ENTRY_SIZE) fail('region-array-range', `region array has ${bytes.length} bytes, ${count} regions need ${count * REGION_ENTRY_SIZE}`);
  const out: RegionDescriptor[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * REGION_ENTRY_SIZE;
    out.push({ size: readU64(bytes, o), src: readU64(bytes, o + 8), dst: readU64(bytes, o + 16), flags: readU64(bytes, o + 24) });
  }
  return out;
}

export function encodeRegionArray(regions: readonly RegionDescriptor[]): Uint8Array {
  const b = new Uint8Array(regions.length * REGION_ENTRY_SIZE);
  regions.forEach((r, i) => {
    const o = i * REGION_ENTRY_SIZE;
    writeU64(b, o, r.size);
    writeU64(b, o + 8, r.src);
    writeU64(b, o + 16, r.dst);
    writeU64(b, o + 24, r.flags);
  });
  return b;
}
