/**
 * SEV-SNP attestation reports (0x4A0 bytes; versions 2 to 5; docs/spec/report.md#attestation-report).
 * Parsing only: the report's signature is the verifier's job (VCEK chain), not this tool's.
 */
import { fail } from '../errors.js';
import { fromBase64, fromHex, readU32, readU64, writeU32, writeU64, plainBytes } from '../bytes.js';
import { decodePolicy, type DecodedPolicy } from '../snp/policy.js';

export const REPORT_SIZE = 0x4a0;
export const SIGNED_REGION_END = 0x2a0;
export const SUPPORTED_REPORT_VERSIONS: readonly number[] = [2, 3, 4, 5];

export interface TcbVersion {
  readonly raw: bigint;
  readonly fmc?: number;
  readonly bootloader: number;
  readonly tee: number;
  readonly snp: number;
  readonly microcode: number;
}

/**
 * A decoded SEV-SNP attestation report (SNP firmware ABI, ATTESTATION_REPORT): fields as numbers,
 * bigints or byte arrays at their spec widths. The signature is carried, not checked.
 */
export interface AttestationReport {
  readonly version: number;
  readonly guestSvn: number;
  readonly policy: DecodedPolicy;
  readonly familyId: Uint8Array;
  readonly imageId: Uint8Array;
  readonly vmpl: number;
  readonly signatureAlgo: number;
  readonly currentTcb: TcbVersion;
  readonly platformInfo: bigint;
  readonly authorKeyEnabled: boolean;
  readonly maskChipKey: boolean;
  readonly signingKey: number;
  readonly reportData: Uint8Array;
  readonly measurement: Uint8Array;
  readonly hostData: Uint8Array;
  readonly idKeyDigest: Uint8Array;
  readonly authorKeyDigest: Uint8Array;
  readonly reportId: Uint8Array;
  readonly reportIdMa: Uint8Array;
  readonly reportedTcb: TcbVersion;
  /** CPUID family/model/stepping of the host (report version 3 and later). */
  readonly cpuid?: { readonly family: number; readonly model: number; readonly stepping: number };
  readonly chipId: Uint8Array;
  readonly committedTcb: TcbVersion;
  readonly launchTcb: TcbVersion;
  /** Firmware version running now (CURRENT_MAJOR/MINOR/BUILD at 0x1EA/0x1E9/0x1E8). */
  readonly currentVersion: FirmwareVersion;
  /** Committed firmware version, the anti-rollback floor (COMMITTED_* at 0x1EE/0x1ED/0x1EC). */
  readonly committedVersion: FirmwareVersion;
  readonly launchMitigationVector?: bigint;
  readonly currentMitigationVector?: bigint;
  readonly signature: { readonly r: Uint8Array; readonly s: Uint8Array };
}

/** An SEV firmware version (report's current/committed build, major, minor). */
export interface FirmwareVersion { readonly major: number; readonly minor: number; readonly build: number }

/** "major.minor.build", as AMD writes SEV firmware versions (e.g. "1.55.21"). */
export function formatFirmwareVersion(v: FirmwareVersion): string {
  return `${v.major}.${v.minor}.${v.build}`;
}

/** The firmware versions of a report as the strings `report` prints, in text and in --json. */
export function reportVersionFields(r: AttestationReport): { currentVersion: string; committedVersion: string } {
  return { currentVersion: formatFirmwareVersion(r.currentVersion), committedVersion: formatFirmwareVersion(r.committedVersion) };
}

/** BUILD, MINOR, MAJOR bytes in that order from `off` (the report's layout). */
function firmwareVersionAt(b: Uint8Array, off: number): FirmwareVersion {
  return { build: b[off]!, minor: b[off + 1]!, major: b[off + 2]! };
}

/**
 * The AMD product line of the host, from a v3+ report's CPUID family and model, as go-sev-guest
 * abi.SevProductFromCpuid1Eax (af1c107) names it: family 0x19 model 0x01 Milan, 0x19/0x11 Genoa,
 * 0x1A/0x02 Turin; anything else is unknown.
 */
export function hostProductLine(cpuid: { family: number; model: number } | undefined): 'Milan' | 'Genoa' | 'Turin' | undefined {
  if (!cpuid) return undefined;
  if (cpuid.family === 0x19 && cpuid.model === 0x01) return 'Milan';
  if (cpuid.family === 0x19 && cpuid.model === 0x11) return 'Genoa';
  if (cpuid.family === 0x1a && cpuid.model === 0x02) return 'Turin';
  return undefined;
}

const TURIN_FAMILY = 0x1a;

/** TCB_VERSION: Milan/Genoa put bootloader, TEE, SNP, microcode at bytes 0, 1, 6, 7; Turin adds FMC first. */
export function decodeTcb(raw: bigint, family?: number): TcbVersion {
  const byte = (i: number): number => Number((raw >> BigInt(8 * i)) & 0xffn);
  if (family === TURIN_FAMILY) return { raw, fmc: byte(0), bootloader: byte(1), tee: byte(2), snp: byte(3), microcode: byte(7) };
  return { raw, bootloader: byte(0), tee: byte(1), snp: byte(6), microcode: byte(7) };
}

/** Accepts the raw 1184 bytes, or the same as hex or base64 text (whitespace ignored). */
export function decodeReportBytes(input: Uint8Array, what = 'report'): Uint8Array {
  if (input.length === REPORT_SIZE) return input;
  const text = new TextDecoder().decode(input).replace(/\s+/g, '');
  if (/^(0x)?[0-9a-fA-F]+$/.test(text)) {
    const b = fromHex(text, what);
    if (b.length !== REPORT_SIZE) fail('report', `${what}: hex decodes to ${b.length} bytes; a report is ${REPORT_SIZE} (0x4a0)`);
    return b;
  }
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text) && text.length > 0) {
    const b = fromBase64(text, what);
    if (b.length !== REPORT_SIZE) fail('report', `${what}: base64 decodes to ${b.length} bytes; a report is ${REPORT_SIZE} (0x4a0)`);
    return b;
  }
  return fail('report', `${what}: ${input.length} bytes is neither a ${REPORT_SIZE}-byte binary report nor hex or base64 text`);
}

/**
 * Decodes an attestation report given as its 1184 (0x4a0) raw bytes, or as hex or base64 text of
 * them. Refuses (`report`) other lengths and report versions other than 2 to 5.
 */
export function parseReport(input: Uint8Array, what = 'report'): AttestationReport {
  const b = plainBytes(decodeReportBytes(plainBytes(input), what));
  const version = readU32(b, 0);
  if (!SUPPORTED_REPORT_VERSIONS.includes(version)) fail('report', `${what}: report version ${version} at offset 0x0 is not supported (2, 3, 4 or 5)`);
  const flags = readU32(b, 0x48);
  const cpuid = version >= 3 ? { family: b[0x188]!, model: b[0x189]!, stepping: b[0x18a]! } : undefined;
  const fam = cpuid?.family;
  return {
    version, guestSvn: readU32(b, 4), policy: decodePolicy(readU64(b, 8)),
    familyId: b.slice(0x10, 0x20), imageId: b.slice(0x20, 0x30), vmpl: readU32(b, 0x30), signatureAlgo: readU32(b, 0x34),
    currentTcb: decodeTcb(readU64(b, 0x38), fam), platformInfo: readU64(b, 0x40),
    authorKeyEnabled: (flags & 1) !== 0, maskChipKey: (flags & 2) !== 0, signingKey: (flags >> 2) & 7,
    reportData: b.slice(0x50, 0x90), measurement: b.slice(0x90, 0xc0), hostData: b.slice(0xc0, 0xe0),
    idKeyDigest: b.slice(0xe0, 0x110), authorKeyDigest: b.slice(0x110, 0x140), reportId: b.slice(0x140, 0x160),
    reportIdMa: b.slice(0x160, 0x180), reportedTcb: decodeTcb(readU64(b, 0x180), fam),
    ...(cpuid ? { cpuid } : {}),
    chipId: b.slice(0x1a0, 0x1e0), committedTcb: decodeTcb(readU64(b, 0x1e0), fam), launchTcb: decodeTcb(readU64(b, 0x1f0), fam),
    currentVersion: firmwareVersionAt(b, 0x1e8), committedVersion: firmwareVersionAt(b, 0x1ec),
    ...(version >= 5 ? { launchMitigationVector: readU64(b, 0x1f8), currentMitigationVector: readU64(b, 0x200) } : {}),
    signature: { r: b.slice(0x2a0, 0x2e8), s: b.slice(0x2e8, 0x330) },
  };
}

/** The fields buildReport writes (the measurement is required; the rest default to a plain report). */
export interface ReportFields {
  version?: number; guestSvn?: number; policy?: bigint; vmpl?: number; measurement: Uint8Array;
  hostData?: Uint8Array; reportData?: Uint8Array; idKeyDigest?: Uint8Array; authorKeyDigest?: Uint8Array;
  familyId?: Uint8Array; imageId?: Uint8Array; cpuid?: { family: number; model: number; stepping: number };
  reportedTcb?: bigint; chipId?: Uint8Array;
  currentVersion?: FirmwareVersion; committedVersion?: FirmwareVersion;
}

/** An unsigned report with the given fields, for tests and for checking verifier pipelines. */
export function buildReport(f: ReportFields): Uint8Array {
  const b = new Uint8Array(REPORT_SIZE);
  const version = f.version ?? 3;
  writeU32(b, 0, version);
  writeU32(b, 4, f.guestSvn ?? 0);
  writeU64(b, 8, f.policy ?? 0x30000n);
  if (f.familyId) b.set(f.familyId, 0x10);
  if (f.imageId) b.set(f.imageId, 0x20);
  writeU32(b, 0x30, f.vmpl ?? 0);
  writeU32(b, 0x34, 1);
  if (f.reportData) b.set(f.reportData, 0x50);
  b.set(f.measurement, 0x90);
  if (f.hostData) b.set(f.hostData, 0xc0);
  if (f.idKeyDigest) b.set(f.idKeyDigest, 0xe0);
  if (f.authorKeyDigest) { b.set(f.authorKeyDigest, 0x110); writeU32(b, 0x48, 1); }
  writeU64(b, 0x180, f.reportedTcb ?? 0n);
  if (version >= 3 && f.cpuid) { b[0x188] = f.cpuid.family; b[0x189] = f.cpuid.model; b[0x18a] = f.cpuid.stepping; }
  if (f.chipId) b.set(f.chipId, 0x1a0);
  for (const [v, off] of [[f.currentVersion, 0x1e8], [f.committedVersion, 0x1ec]] as const) {
    if (v) { b[off] = v.build; b[off + 1] = v.minor; b[off + 2] = v.major; }
  }
  return b;
}
