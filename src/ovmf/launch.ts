/**
 * Classic OVMF launches as launch plans (docs/spec/ovmf.md#snp-launch-order): the firmware pages,
 * then the SEV metadata sections in table order as the profile maps them, then one VMSA per vCPU.
 * Also the older SEV and SEV-ES digests, which are plain SHA-256 streams rather than plans.
 */
import { fail } from '../errors.js';
import { defaultSuite, type HashSuite } from '../hash/suite.js';
import { PAGE_SIZE, PageType } from '../snp/page-info.js';
import type { FileIdentity, LaunchPlan, LaunchRun, RunContents } from '../plan.js';
import {
  LEGACY_SVSM_VMSA, RESET_VECTOR_EIP, buildVmsaPage, resolveProfile, resolveVmsaGpa, type VmmProfile, type VmsaTemplate,
} from '../profiles.js';
import {
  FOUR_GIB, SectionType, firmwareGpa, sectionTypeName, svsmEntryOffset,
  type FirmwareInfo, type FirmwareLayout, type MetadataSection,
} from './firmware.js';
import { buildHashTable, buildHashesPage, type DirectBootHashes } from './kernel-hashes.js';

export const MAX_VCPUS = 65536;

/** How to treat metadata section types this tool does not know. QEMU's default branch launches them as ZERO. */
export type UnknownSectionPolicy = 'error' | 'zero';

/**
 * A firmware file (what QEMU loads as pflash) and its parsed tables: held in memory (`bytes`), or
 * read from a file on demand (`file`), so a large image never has to fit in memory.
 */
export interface FirmwareImage {
  readonly info: FirmwareInfo;
  readonly bytes?: Uint8Array;
  readonly file?: { readonly size: number; readonly path: string; readonly identity?: FileIdentity; read(offset: number, into: Uint8Array): void };
}

export function imageSize(i: FirmwareImage): number {
  if (i.bytes) return i.bytes.length;
  if (i.file) return i.file.size;
  return fail('plan', 'a firmware image needs its bytes or a file');
}

/** The image's pages as launch-plan contents (a file-backed image streams, and workers can read it). */
export function imageContents(i: FirmwareImage): RunContents {
  if (i.bytes) return { kind: 'bytes', data: i.bytes };
  const f = i.file!;
  return { kind: 'reader', describe: f.path, file: { path: f.path, offset: 0, ...(f.identity ? { identity: f.identity } : {}) }, read: (first, count, into) => f.read(first * PAGE_SIZE, into.subarray(0, count * PAGE_SIZE)) };
}

const STREAM_CHUNK = 1 << 20;

/** Feeds the whole image to `take` in chunks of at most 1 MiB. */
export function forEachChunk(i: FirmwareImage, take: (chunk: Uint8Array) => void): void {
  if (i.bytes) { take(i.bytes); return; }
  const f = i.file!;
  const buf = new Uint8Array(Math.min(STREAM_CHUNK, Math.max(1, f.size)));
  for (let o = 0; o < f.size; o += buf.length) {
    const view = buf.subarray(0, Math.min(buf.length, f.size - o));
    f.read(o, view);
    take(view);
  }
}

export function imageSha256(i: FirmwareImage, hashes: HashSuite = defaultSuite): Uint8Array {
  const h = hashes.createSha256();
  forEachChunk(i, (c) => h.update(c));
  return h.digest();
}

/** Everything a classic SNP OVMF launch's digest depends on, for buildSnpOvmfPlan. */
export interface SnpOvmfLaunch {
  /** The firmware bytes, or null with a seed (metadata-only input or --snp-ovmf-hash). */
  readonly firmware: FirmwareImage | null;
  /** What the launch needs from the firmware tables. */
  readonly layout: FirmwareLayout;
  /** Digest after the firmware pages (the "OVMF hash"), replacing the firmware pages. */
  readonly seed?: Uint8Array;
  readonly vcpus: number;
  readonly profile: VmmProfile;
  readonly vcpuSignature: bigint;
  readonly guestFeatures: bigint;
  readonly directBoot?: DirectBootHashes;
  readonly unknownSections?: UnknownSectionPolicy;
  /** VMSA GPA; defaults to the profile's (the KVM constant 0xFFFFFFFFF000). */
  readonly vmsaGpa?: bigint;
}

/** A launch plan with the VMSA pages it measures (for dumping) and warnings for the user. */
export interface BuiltPlan {
  readonly plan: LaunchPlan;
  /** The distinct VMSA pages, in vCPU order (for --dump-vmsa). */
  readonly vmsaPages: readonly Uint8Array[];
  readonly warnings: readonly string[];
}

export function checkVcpus(vcpus: number, min = 0): void {
  if (!Number.isSafeInteger(vcpus) || vcpus < min || vcpus > MAX_VCPUS) fail('vcpus', `vCPU count ${vcpus} is out of range (${min} to ${MAX_VCPUS})`);
}

function pagesOf(section: MetadataSection, what: string): number {
  if (section.gpa % PAGE_SIZE !== 0 || section.size % PAGE_SIZE !== 0) {
    fail('section-range', `${what}: metadata section ${section.index} (${sectionTypeName(section.type)}) at GPA 0x${section.gpa.toString(16)} size 0x${section.size.toString(16)} is not page aligned`);
  }
  return section.size / PAGE_SIZE;
}

function sectionRun(section: MetadataSection, pageType: PageType, pages: number, contents: RunContents = { kind: 'none' }, kind = 'metadata'): LaunchRun {
  return {
    pageType, gpa: BigInt(section.gpa), pages, contents,
    origin: { kind, index: section.index, detail: sectionTypeName(section.type) },
  };
}

/**
 * The runs for the SEV metadata sections, in the order the profile issues them.
 * `hashesPage` is the kernel-hashes page when measured direct boot is on.
 */
export function metadataRuns(
  sections: readonly MetadataSection[], profile: VmmProfile, hashesPage: Uint8Array | undefined,
  unknownSections: UnknownSectionPolicy, what = 'firmware',
): LaunchRun[] {
  const runs: LaunchRun[] = [];
  const deferred: LaunchRun[] = [];
  for (const s of sections) {
    switch (s.type) {
      case SectionType.SnpSecMem:
        runs.push(sectionRun(s, profile.secMemPageType, pagesOf(s, what)));
        break;
      case SectionType.SnpSecrets:
        // One page whatever the section size, as sev-snp-measure and QEMU do.
        pagesOf(s, what);
        runs.push(sectionRun(s, PageType.Secrets, 1));
        break;
      case SectionType.Cpuid:
        pagesOf(s, what);
        (profile.deferCpuidSections ? deferred : runs).push(sectionRun(s, PageType.Cpuid, 1));
        break;
      case SectionType.SvsmCaa:
        runs.push(sectionRun(s, PageType.Zero, pagesOf(s, what)));
        break;
      case SectionType.SnpKernelHashes:
        if (hashesPage) {
          if (s.size !== PAGE_SIZE) {
            fail('kernel-hashes-layout', `${what}: SNP_KERNEL_HASHES section ${s.index} is 0x${s.size.toString(16)} bytes; measured direct boot needs exactly one page`);
          }
          pagesOf(s, what);
          runs.push(sectionRun(s, PageType.Normal, 1, { kind: 'bytes', data: hashesPage }, 'kernel-hashes'));
        } else {
          runs.push(sectionRun(s, PageType.Zero, pagesOf(s, what)));
        }
        break;
      default:
        if (unknownSections === 'zero') {
          runs.push(sectionRun(s, PageType.Zero, pagesOf(s, what)));
        } else {
          fail('unknown-section', `${what}: metadata section ${s.index} has unknown type 0x${s.type.toString(16)} (GPA 0x${s.gpa.toString(16)}, size 0x${s.size.toString(16)}); --unknown-sections zero measures it as ZERO pages like QEMU`);
        }
    }
  }
  return runs.concat(deferred);
}

/** The kernel-hashes page for measured direct boot, placed where the firmware expects the table. */
export function kernelHashesPage(layout: FirmwareLayout, hashes: DirectBootHashes, what = 'firmware', fromMetadata = false): Uint8Array {
  if (!layout.sections?.some((s) => s.type === SectionType.SnpKernelHashes)) {
    fail('no-kernel-hashes-section', `${what}: a kernel was given but the SEV metadata has no SNP_KERNEL_HASHES section (OvmfPkgX64 builds have none; use an AmdSevX64 build)`);
  }
  if (!layout.hashTable) {
    fail('kernel-hashes-unsupported', fromMetadata
      ? `${what}: a kernel was given but the metadata has no "SevHashTableGPA", so the hashes table's place in its page is unknown; add it (the firmware footer table's SEV_HASH_TABLE_RV address, docs/ovmf.md)`
      : `${what}: a kernel was given but the footer table has no SEV_HASH_TABLE_RV entry, so the table's place in its page is unknown`);
  }
  return buildHashesPage(buildHashTable(hashes), layout.hashTable.gpa & 0xfff);
}

export interface VmsaSet {
  readonly template: VmsaTemplate;
  readonly bspEip: number;
  /** undefined: no AP EIP is known (an error if there are APs). */
  readonly apEip: number | undefined;
  readonly vcpuSignature: bigint;
  readonly sevFeatures: bigint;
}

/** One VMSA page per vCPU, boot vCPU first; APs share one page object (hashed once). */
export function vmsaPagesFor(vcpus: number, set: VmsaSet, what = 'firmware'): Uint8Array[] {
  const pages: Uint8Array[] = [];
  if (vcpus === 0) return pages;
  pages.push(buildVmsaPage(set.template, { eip: set.bspEip, vcpuSignature: set.vcpuSignature, sevFeatures: set.sevFeatures }));
  if (vcpus > 1) {
    if (!set.apEip) fail('no-ap-eip', `${what}: ${vcpus} vCPUs need an AP reset EIP, but the SEV-ES reset block gives ${set.apEip === undefined ? 'none' : '0'}`);
    const ap = set.apEip === set.bspEip
      ? pages[0]!
      : buildVmsaPage(set.template, { eip: set.apEip, vcpuSignature: set.vcpuSignature, sevFeatures: set.sevFeatures });
    for (let i = 1; i < vcpus; i++) pages.push(ap);
  }
  return pages;
}

export function vmsaRuns(pages: readonly Uint8Array[], vmsaGpa: bigint): LaunchRun[] {
  return pages.map((data, vcpu) => ({
    pageType: PageType.Vmsa, gpa: vmsaGpa, pages: 1, contents: { kind: 'bytes', data } as const,
    origin: { kind: 'vmsa', index: vcpu, detail: vcpu === 0 ? 'BSP' : 'AP' },
  }));
}

function requireResetEip(layout: FirmwareLayout, what: string): number {
  if (layout.resetEip === undefined) {
    fail('no-reset-block', `${what}: no SEV_ES_RESET_BLOCK entry in the OVMF footer table; is this the combined OVMF.fd (not OVMF_VARS.fd or a split CODE file)?`);
  }
  return layout.resetEip;
}

export function firmwareRun(image: FirmwareImage, what = 'firmware', endAt = FOUR_GIB, kind = 'firmware'): LaunchRun {
  const size = imageSize(image);
  const gpa = firmwareGpa(size, what, endAt);
  return {
    pageType: PageType.Normal, gpa: BigInt(gpa), pages: size / PAGE_SIZE, contents: imageContents(image), origin: { kind },
    ...(gpa % PAGE_SIZE !== 0 ? { unalignedGpa: true as const } : {}),
  };
}

/** The SNP launch of an OVMF image (sev-snp-measure --mode snp). */
export function buildSnpOvmfPlan(l: SnpOvmfLaunch): BuiltPlan {
  const what = 'firmware';
  checkVcpus(l.vcpus);
  const warnings: string[] = [];
  const runs: LaunchRun[] = [];
  if (l.seed === undefined) {
    if (!l.firmware) fail('seed', 'a launch without the firmware bytes needs the firmware digest (OVMF hash) as a seed');
    runs.push(firmwareRun(l.firmware, what));
  } else if (l.firmware) {
    firmwareGpa(imageSize(l.firmware), what);
  }
  if (l.layout.sections === null) {
    warnings.push('the firmware has no SEV metadata: only its pages and the VMSAs are measured; a real SNP launch of it is unlikely to give this digest');
  }
  // Without the firmware bytes the layout came from a metadata file.
  const hashesPage = l.directBoot ? kernelHashesPage(l.layout, l.directBoot, l.firmware ? what : 'metadata', !l.firmware) : undefined;
  runs.push(...metadataRuns(l.layout.sections ?? [], l.profile, hashesPage, l.unknownSections ?? 'error', what));
  const apEip = requireResetEip(l.layout, what);
  const pages = vmsaPagesFor(l.vcpus, {
    template: l.profile.vmsa, bspEip: RESET_VECTOR_EIP, apEip, vcpuSignature: l.vcpuSignature, sevFeatures: l.guestFeatures,
  }, what);
  runs.push(...vmsaRuns(pages, l.vmsaGpa ?? resolveVmsaGpa(l.profile)));
  return { plan: { ...(l.seed ? { seed: l.seed } : {}), runs }, vmsaPages: pages, warnings };
}

/** The firmware pages alone: their digest is the "OVMF hash" a seeded launch starts from. */
export function buildOvmfHashPlan(firmware: FirmwareImage): BuiltPlan {
  return { plan: { runs: [firmwareRun(firmware)] }, vmsaPages: [], warnings: [] };
}

export interface LegacySvsmLaunch {
  readonly ovmf: FirmwareImage;
  readonly svsm: FirmwareImage;
  /** Size of OVMF_VARS: the SVSM image ends that far below the OVMF image. */
  readonly varsSize: number;
  readonly vcpus: number;
  readonly vcpuSignature: bigint;
  readonly unknownSections?: UnknownSectionPolicy;
}

/** Pre-IGVM COCONUT-SVSM (sev-snp-measure --mode snp:svsm, QEMU only; docs/spec/ovmf.md#legacy-svsm-launch). */
export function buildLegacySvsmPlan(l: LegacySvsmLaunch): BuiltPlan {
  checkVcpus(l.vcpus);
  const ovmfGpa = firmwareGpa(imageSize(l.ovmf), 'OVMF');
  if (!Number.isSafeInteger(l.varsSize) || l.varsSize <= 0 || l.varsSize > ovmfGpa) {
    fail('svsm-layout', `vars size ${l.varsSize} does not fit below the OVMF image at 0x${ovmfGpa.toString(16)}`);
  }
  const svsmEnd = ovmfGpa - l.varsSize;
  const svsmGpa = firmwareGpa(imageSize(l.svsm), 'SVSM image', svsmEnd);
  const warnings: string[] = [];
  if (l.varsSize % PAGE_SIZE !== 0) {
    // sev-snp-measure (guest.py svsm_calc_launch_digest) places the SVSM at OVMF GPA - vars size - SVSM size
    // whatever that is, and its PAGE_INFO records carry the unaligned GPAs: this reproduces its digest.
    warnings.push(`vars size ${l.varsSize} is not a multiple of 4096: the SVSM image is measured at the unaligned GPA 0x${svsmGpa.toString(16)}, as sev-snp-measure computes it; a real SNP launch update needs page-aligned GPAs, so check the vars size`);
  }
  const entry = svsmEntryOffset(l.svsm.info);
  const eip = entry + svsmGpa;
  if (eip > 0xffffffff) fail('svsm-layout', `SVSM entry 0x${eip.toString(16)} (SVSM_INFO 0x${entry.toString(16)} + load GPA 0x${svsmGpa.toString(16)}) is above 4 GiB`);
  const qemu = resolveProfile('qemu');
  const runs: LaunchRun[] = [
    firmwareRun(l.ovmf, 'OVMF'),
    firmwareRun(l.svsm, 'SVSM image', svsmEnd, 'svsm'),
    // Only the SVSM's own metadata is measured in this mode; the OVMF's is not.
    ...metadataRuns(l.svsm.info.sections ?? [], qemu, undefined, l.unknownSections ?? 'error', 'SVSM image'),
  ];
  const pages = vmsaPagesFor(l.vcpus, {
    template: LEGACY_SVSM_VMSA, bspEip: eip, apEip: eip, vcpuSignature: l.vcpuSignature, sevFeatures: 0x1n,
  }, 'SVSM image');
  runs.push(...vmsaRuns(pages, resolveVmsaGpa(qemu)));
  return { plan: { runs }, vmsaPages: pages, warnings };
}

export interface SevLaunch {
  readonly firmware: FirmwareImage;
  readonly directBoot?: DirectBootHashes;
}

export interface SevEsLaunch extends SevLaunch {
  readonly vcpus: number;
  readonly profile: VmmProfile;
  readonly vcpuSignature: bigint;
}

function sevHashTable(l: SevLaunch): Uint8Array | undefined {
  if (!l.directBoot) return undefined;
  if (!l.firmware.info.hashTable || l.firmware.info.hashTable.gpa === 0) {
    fail('kernel-hashes-unsupported', 'firmware: a kernel was given but the firmware has no (or a zero) SEV_HASH_TABLE_RV address, so it cannot measure kernel/initrd/cmdline');
  }
  return buildHashTable(l.directBoot);
}

/** SEV launch digest: SHA-256 of the firmware, then the raw hashes table with measured direct boot. */
export function sevLaunchDigest(l: SevLaunch, hashes: HashSuite = defaultSuite): Uint8Array {
  const h = hashes.createSha256();
  forEachChunk(l.firmware, (c) => h.update(c));
  const table = sevHashTable(l);
  if (table) h.update(table);
  return h.digest();
}

/** SEV-ES launch digest: the SEV stream followed by every vCPU's VMSA page (sev_features 0). */
export function sevEsLaunchDigest(l: SevEsLaunch, hashes: HashSuite = defaultSuite): { digest: Uint8Array; vmsaPages: Uint8Array[] } {
  checkVcpus(l.vcpus);
  const h = hashes.createSha256();
  forEachChunk(l.firmware, (c) => h.update(c));
  const table = sevHashTable(l);
  if (table) h.update(table);
  const apEip = requireResetEip(l.firmware.info, 'firmware');
  const pages = vmsaPagesFor(l.vcpus, {
    template: l.profile.vmsa, bspEip: RESET_VECTOR_EIP, apEip, vcpuSignature: l.vcpuSignature, sevFeatures: 0n,
  });
  for (const p of pages) h.update(p);
  return { digest: h.digest(), vmsaPages: pages };
}
