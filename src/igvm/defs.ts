/**
 * IGVM file-format definitions (format version 1): type numbers, structure sizes and field
 * values, as data. Logic lives in parse.ts and measure.ts. Everything is little-endian.
 */

export const IGVM_MAGIC = 0x4d564749; // "IGVM"
export const FIXED_HEADER_SIZE_V1 = 24;
export const FIXED_HEADER_SIZE_V2 = 32;
export const IGVM_PAGE_SIZE = 4096;
export const PAGE_2MB = 2 * 1024 * 1024;

export const HeaderType = {
  SUPPORTED_PLATFORM: 0x001,
  GUEST_POLICY: 0x101,
  RELOCATABLE_REGION: 0x102,
  PAGE_TABLE_RELOCATION_REGION: 0x103,
  PARAMETER_AREA: 0x301,
  PAGE_DATA: 0x302,
  PARAMETER_INSERT: 0x303,
  VP_CONTEXT: 0x304,
  REQUIRED_MEMORY: 0x305,
  VP_COUNT_PARAMETER: 0x307,
  SRAT: 0x308,
  MADT: 0x309,
  MMIO_RANGES: 0x30a,
  SNP_ID_BLOCK: 0x30b,
  MEMORY_MAP: 0x30c,
  ERROR_RANGE: 0x30d,
  COMMAND_LINE: 0x30e,
  SLIT: 0x30f,
  PPTT: 0x310,
  VBS_MEASUREMENT: 0x311,
  DEVICE_TREE: 0x312,
  ENVIRONMENT_INFO_PARAMETER: 0x313,
} as const;

export const HEADER_TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(HeaderType).map(([k, v]) => [v, k]),
);

export function headerTypeName(t: number): string {
  return HEADER_TYPE_NAMES[t] ?? `0x${t.toString(16)}`;
}

export type Section = 'platform' | 'initialization' | 'directive';

export function sectionOf(type: number): Section | undefined {
  if (type >= 0x001 && type <= 0x100) return 'platform';
  if (type >= 0x101 && type <= 0x200) return 'initialization';
  if (type >= 0x301 && type <= 0x400) return 'directive';
  return undefined;
}

/** Parameter-usage directives: a PARAMETER structure (area index, byte offset). */
export const PARAMETER_USAGE_TYPES: readonly number[] = [
  HeaderType.VP_COUNT_PARAMETER, HeaderType.SRAT, HeaderType.MADT, HeaderType.MMIO_RANGES, HeaderType.MEMORY_MAP,
  HeaderType.COMMAND_LINE, HeaderType.SLIT, HeaderType.PPTT, HeaderType.DEVICE_TREE, HeaderType.ENVIRONMENT_INFO_PARAMETER,
];

/** Bytes a loader writes at the usage's offset; a parameter must fit its area. */
export function parameterWriteSize(type: number): number {
  switch (type) {
    case HeaderType.VP_COUNT_PARAMETER:
    case HeaderType.ENVIRONMENT_INFO_PARAMETER: return 4;
    case HeaderType.MEMORY_MAP: return 24;
    case HeaderType.MMIO_RANGES: return 32;
    default: return 1;
  }
}

/**
 * Exact structure sizes of the types this parser accepts. Others (relocation, CoRIM, CCA,
 * ERROR_RANGE, VBS) are refused as unknown: no SNP loader that this tool models handles them.
 */
export const STRUCTURE_SIZES: Readonly<Record<number, number>> = {
  [HeaderType.SUPPORTED_PLATFORM]: 16,
  [HeaderType.GUEST_POLICY]: 16,
  [HeaderType.PARAMETER_AREA]: 16,
  [HeaderType.PAGE_DATA]: 24,
  [HeaderType.PARAMETER_INSERT]: 16,
  [HeaderType.VP_CONTEXT]: 20,
  [HeaderType.REQUIRED_MEMORY]: 24,
  [HeaderType.SNP_ID_BLOCK]: 696,
  ...Object.fromEntries(PARAMETER_USAGE_TYPES.map((t) => [t, 8])),
};

export const PlatformType = { NATIVE: 0, VSM_ISOLATION: 1, SEV_SNP: 2, TDX: 3, SEV: 4, SEV_ES: 5 } as const;
export const PLATFORM_TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(PlatformType).map(([k, v]) => [v, k]),
);

export const PageDataFlags = { IS_2MB_PAGE: 1 << 0, UNMEASURED: 1 << 1, SHARED: 1 << 2 } as const;
export const PAGE_DATA_FLAGS_KNOWN = 0x7;
export const PageDataType = { NORMAL: 0, SECRETS: 1, CPUID_DATA: 2, CPUID_XF: 3 } as const;
export const PAGE_DATA_TYPE_NAMES: readonly string[] = ['NORMAL', 'SECRETS', 'CPUID_DATA', 'CPUID_XF'];

/** sev_features bit 0: SNPActive. */
export const SEV_FEATURES_SNP_ACTIVE = 1n;

/** The x64 native VP context (igvm_defs IGVM_VHS_VP_CONTEXT native form) is 232 bytes. */
export const NATIVE_CONTEXT_SIZE = 232;
