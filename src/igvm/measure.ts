/**
 * SEV-SNP launch digests of IGVM files under three loaders' semantics (docs/spec/igvm.md#qemu-semantics,
 * docs/spec/igvm.md#igvm-crate-semantics, docs/spec/igvm.md#igvmmeasure-semantics):
 *  - qemu: what QEMU's IGVM loader and KVM launch (default);
 *  - igvm-crate: microsoft/igvm generate_snp_measurement;
 *  - igvmmeasure: COCONUT-SVSM's tool (optionally --native-zero).
 * Each produces a launch plan for the common engine.
 */
import { fail } from '../errors.js';
import { readU64 } from '../bytes.js';
import { PageType } from '../snp/page-info.js';
import type { LaunchPlan, LaunchRun, RunContents } from '../plan.js';
import { KVM_VMSA_GPA, RESET_VECTOR_EIP, buildVmsaPage, resolveProfile } from '../profiles.js';
import { VMSA_OFFSETS } from '../snp/vmsa.js';
import {
  HeaderType, IGVM_PAGE_SIZE, PAGE_2MB, PageDataFlags, PageDataType, PlatformType, SEV_FEATURES_SNP_ACTIVE, headerTypeName,
} from './defs.js';
import { fileData, type IgvmFile, type IgvmHeader, type PageData, type SupportedPlatform, type VpContext } from './parse.js';

/** Whose IGVM loader a measurement predicts: QEMU/KVM (`qemu`), microsoft/igvm (`igvm-crate`) or COCONUT's igvmmeasure. */
export type IgvmSemantics = 'qemu' | 'igvm-crate' | 'igvmmeasure';
/**
 * The IGVM measurement semantics `--semantics` takes: `qemu` (what QEMU/KVM launches),
 * `igvm-crate` and `igvmmeasure` (what those tools compute; they differ from QEMU on some files).
 */
export const IGVM_SEMANTICS: readonly IgvmSemantics[] = ['qemu', 'igvm-crate', 'igvmmeasure'];

/** How QEMU/KVM measures vCPUs that have no VP context in the file (unverified upstream: docs/spec/igvm.md#vcpus-without-a-vp-context). */
export type ApVmsaPolicy = 'reset' | 'bsp' | 'none';

/** How to measure a parsed IGVM file; fields marked qemu apply to `qemu` semantics only. */
export interface IgvmMeasureOptions {
  readonly semantics: IgvmSemantics;
  /** qemu: vCPU count (one VMSA each). Default 1. */
  readonly vcpus?: number;
  /** qemu: VMSA of vCPUs without a VP context. Default 'reset' (the QEMU/KVM x86 reset state). */
  readonly apVmsa?: ApVmsaPolicy;
  /** qemu: the -cpu model's signature, for reset-state VMSAs (their rdx). */
  readonly vcpuSignature?: bigint;
  /** qemu: issue page regions when QEMU does (true, default) or strictly in file order (false). */
  readonly deferRegions?: boolean;
  /** qemu: reset-state FPU values: 'init2' (MXCSR 0x1F80, FCW 0x37F; default) or 'pre-init2' (0). */
  readonly era?: 'init2' | 'pre-init2';
  /** qemu: the GPA KVM launches VMSAs at. */
  readonly vmsaGpa?: bigint;
  /** igvmmeasure: measure data-less pages as the native ZERO type. */
  readonly nativeZero?: boolean;
}

/** An IGVM image measured: its launch plan, the platform and policy it declares, its ID block's expected digest, warnings and VMSA pages. */
export interface IgvmMeasurement {
  readonly plan: LaunchPlan;
  readonly semantics: IgvmSemantics;
  readonly platform: SupportedPlatform;
  /** The SNP_ID_BLOCK's expected launch digest, when the file has one for SEV-SNP. */
  readonly idBlockLd?: Uint8Array;
  readonly guestPolicy?: bigint;
  readonly warnings: readonly string[];
  readonly vmsaPages: readonly Uint8Array[];
}

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;
const at = (h: IgvmHeader): string => `header ${h.index} (${headerTypeName(h.type)}) at file offset ${hex(h.offset)}`;

/** Header types QEMU's loader has no handler for: the load fails whatever their mask. */
const QEMU_UNSUPPORTED: ReadonlySet<number> = new Set([
  HeaderType.SRAT, HeaderType.MMIO_RANGES, HeaderType.COMMAND_LINE, HeaderType.SLIT, HeaderType.PPTT, HeaderType.DEVICE_TREE,
]);

/** VMSA bytes QEMU forwards into vCPU state (check_vmsa_supported); everything else must be zero. */
const FORWARDED: readonly [number, number][] = [
  [0x000, 0x0a0], // segment registers, descriptor tables, tr
  [0x0d0, 0x0d8], // efer
  [0x148, 0x180], // cr4, cr3, cr0, dr7, dr6, rflags, rip
  [0x1d8, 0x1e0], // rsp
  [0x1f8, 0x200], // rax
  [0x268, 0x270], // g_pat
  [0x308, 0x320], // rcx, rdx, rbx
  [0x328, 0x380], // rbp, rsi, rdi, r8-r15
  [0x3b0, 0x3b8], // sev_features (checked separately)
  [0x3e8, 0x3f0], // xcr0
  [0x408, 0x40c], // mxcsr
  [0x410, 0x412], // x87_fcw
];
/** KVM rebuilds the VMSA from vCPU state: nothing past the save area's synchronised part survives. */
const SYNCED_END = 0x670;

export function snpPlatform(f: IgvmFile): SupportedPlatform {
  const p = f.platforms.find((x) => x.platformType === PlatformType.SEV_SNP);
  if (!p) fail('igvm-no-snp-platform', 'the IGVM file declares no SEV-SNP platform (SUPPORTED_PLATFORM type 2)');
  return p;
}

function isVmsaContext(f: IgvmFile, h: VpContext): boolean {
  const p = f.platforms.find((x) => x.mask === h.mask);
  return p !== undefined && (p.platformType === PlatformType.SEV_SNP || p.platformType === PlatformType.SEV_ES);
}

const origin = (h: IgvmHeader, detail?: string) => ({ kind: 'igvm', index: h.index, detail: detail ?? headerTypeName(h.type) });

function pageTypeOf(h: PageData, unmeasuredWins: boolean): PageType {
  if (h.dataType === PageDataType.SECRETS) return PageType.Secrets;
  if (h.dataType === PageDataType.CPUID_DATA || h.dataType === PageDataType.CPUID_XF) return PageType.Cpuid;
  return unmeasuredWins && (h.flags & PageDataFlags.UNMEASURED) !== 0 ? PageType.Unmeasured : PageType.Normal;
}

/** Runs for `pages` 4 KiB pages of one PAGE_DATA: file data (if any) at the start, zeros after. */
function pageDataRuns(f: IgvmFile, h: PageData, pages: number, zeroType: PageType.Normal | PageType.Zero): LaunchRun[] {
  const type = pageTypeOf(h, true);
  const o = origin(h, `PAGE_DATA ${h.dataType === 0 ? 'NORMAL' : ['', 'SECRETS', 'CPUID_DATA', 'CPUID_XF'][h.dataType]}`);
  if (type !== PageType.Normal) return [{ pageType: type, gpa: h.gpa, pages, contents: { kind: 'none' }, origin: o }];
  const zeros = (gpa: bigint, n: number): LaunchRun => (zeroType === PageType.Zero
    ? { pageType: PageType.Zero, gpa, pages: n, contents: { kind: 'none' }, origin: o }
    : { pageType: PageType.Normal, gpa, pages: n, contents: { kind: 'zero-pages' }, origin: o });
  if (h.fileOffset === 0) return [zeros(h.gpa, pages)];
  // Read when measured, so a large file's pages are never all in memory at once.
  const read = (_first: number, _count: number, into: Uint8Array): void => { into.set(fileData(f, h.fileOffset)); };
  const runs: LaunchRun[] = [{ pageType: PageType.Normal, gpa: h.gpa, pages: 1, contents: { kind: 'reader', read, describe: `IGVM data at ${hex(h.fileOffset)}` }, origin: o }];
  if (pages > 1) runs.push({ pageType: PageType.Normal, gpa: h.gpa + 4096n, pages: pages - 1, contents: { kind: 'zero-pages' }, origin: o });
  return runs;
}

function areaSizes(f: IgvmFile): Map<number, bigint> {
  const m = new Map<number, bigint>();
  for (const h of f.headers) if (h.kind === 'parameter-area') m.set(h.areaIndex, h.numberOfBytes);
  return m;
}

const GPA_SPACE_END = 1n << 64n;

/** The UNMEASURED pages of a PARAMETER_INSERT: `bytes` (its area's size, or one page) from its gpa. */
function insertRun(h: IgvmHeader & { kind: 'parameter-insert' }, bytes: bigint): LaunchRun {
  if (h.gpa + bytes > GPA_SPACE_END) {
    fail('igvm-gpa-range', `${at(h)}: gpa ${hex(h.gpa)} + parameter area ${h.areaIndex}'s number_of_bytes ${hex(bytes)} runs past the 64-bit GPA space`, { offset: h.offset + 8, field: 'gpa' });
  }
  return { pageType: PageType.Unmeasured, gpa: h.gpa, pages: Number(bytes / 4096n), contents: { kind: 'none' }, origin: origin(h) };
}

function vmsaRun(data: Uint8Array, gpa: bigint, vcpu: number, detail: string): LaunchRun {
  return { pageType: PageType.Vmsa, gpa, pages: 1, contents: { kind: 'bytes', data } as RunContents, origin: { kind: 'vmsa', index: vcpu, detail } };
}

function idBlockAndPolicy(f: IgvmFile, s: number): { idBlockLd?: Uint8Array; guestPolicy?: bigint } {
  const id = f.headers.find((h) => h.kind === 'snp-id-block' && (h.mask & s) !== 0);
  const pol = f.headers.find((h) => h.kind === 'guest-policy' && (h.mask & s) !== 0);
  return {
    ...(id && id.kind === 'snp-id-block' ? { idBlockLd: id.ld } : {}),
    ...(pol && pol.kind === 'guest-policy' ? { guestPolicy: pol.policy } : {}),
  };
}

/** The VMSA KVM measures for a vCPU with a VP context: the forwarded fields, sev_features VM-wide. */
function qemuVmsaFromFile(f: IgvmFile, h: VpContext, vmFeatures: bigint, warnings: string[]): Uint8Array {
  const src = fileData(f, h.fileOffset);
  const page = new Uint8Array(IGVM_PAGE_SIZE);
  let r = 0;
  for (let i = 0; i < SYNCED_END; i++) {
    while (r < FORWARDED.length && i >= FORWARDED[r]![1]) r++;
    const forwarded = r < FORWARDED.length && i >= FORWARDED[r]![0];
    if (forwarded) page[i] = src[i]!;
    else if (src[i] !== 0) {
      fail('igvm-qemu-vmsa-fields', `${at(h)}: VMSA byte at offset ${hex(i)} is non-zero, but QEMU only forwards segments, control, debug and general registers, g_pat, xcr0, mxcsr and x87_fcw to KVM ("The VMSA contains fields that are not synchronized with KVM")`);
    }
  }
  const view = new DataView(page.buffer);
  view.setBigUint64(VMSA_OFFSETS.sev_features, vmFeatures, true);
  const efer = readU64(page, VMSA_OFFSETS.efer);
  if ((efer & 0x1000n) === 0n) warnings.push(`${at(h)}: EFER.SVME is clear; KVM forces it, so the launched VMSA may differ from this prediction`);
  if (readU64(page, 0x090 + 8) !== readU64(page, 0x070 + 8)) warnings.push(`${at(h)}: TR.base differs from LDTR.base; QEMU is reported to load TR.base from the LDTR field`);
  return page;
}

function measureQemu(f: IgvmFile, o: IgvmMeasureOptions): IgvmMeasurement {
  const platform = snpPlatform(f);
  const s = platform.mask;
  const applies = (m: number): boolean => (m & s) !== 0;
  const unsupported = f.headers.find((h) => QEMU_UNSUPPORTED.has(h.type));
  if (unsupported) fail('igvm-qemu-unsupported-header', `${at(unsupported)}: QEMU has no handler for ${headerTypeName(unsupported.type)} and aborts the load ("Unknown header type encountered when processing file")`);
  const vcpus = o.vcpus ?? 1;
  if (!Number.isSafeInteger(vcpus) || vcpus < 1 || vcpus > 65536) fail('vcpus', `vCPU count ${vcpus} is out of range (1 to 65536)`);
  const defer = o.deferRegions ?? true;
  const vmsaGpa = o.vmsaGpa ?? KVM_VMSA_GPA;
  const sizes = areaSizes(f);
  const warnings: string[] = [];
  const runs: LaunchRun[] = [];

  // QEMU groups consecutive PAGE_DATA directives into regions and issues a region only when the
  // next applicable PAGE_DATA cannot extend it (or at the end): other directives do not flush it.
  let region: PageData[] = [];
  const flush = (): void => {
    for (const p of region) runs.push(...pageDataRuns(f, p, p.flags & PageDataFlags.IS_2MB_PAGE ? PAGE_2MB / 4096 : 1, PageType.Normal));
    region = [];
  };
  const joins = (p: PageData): boolean => {
    const last = region[region.length - 1];
    if (!last) return false;
    const step = BigInt(last.flags & PageDataFlags.IS_2MB_PAGE ? PAGE_2MB : IGVM_PAGE_SIZE);
    return p.index === last.index + 1 && p.gpa === last.gpa + step && p.flags === last.flags && p.dataType === last.dataType
      && p.mask === last.mask && (p.fileOffset === 0) === (last.fileOffset === 0);
  };
  const contexts = new Map<number, VpContext>();
  for (const h of f.headers) {
    switch (h.kind) {
      case 'page-data':
        if (!applies(h.mask)) break;
        if (!joins(h)) flush();
        region.push(h);
        break;
      case 'parameter-insert':
        if (!applies(h.mask)) break;
        if (!defer) flush();
        runs.push(insertRun(h, sizes.get(h.areaIndex)!));
        break;
      case 'vp-context':
        if (!applies(h.mask) || !isVmsaContext(f, h)) break;
        if (h.gpa !== vmsaGpa) fail('igvm-qemu-vmsa-gpa', `${at(h)}: VMSA GPA ${hex(h.gpa)}; KVM always places the VMSA at ${hex(vmsaGpa)} and QEMU refuses any other`);
        if (h.vpIndex >= vcpus) fail('igvm-qemu-vp-index', `${at(h)}: vp_index ${h.vpIndex} but the VM has ${vcpus} vCPU${vcpus === 1 ? '' : 's'} (--vcpus)`);
        contexts.set(h.vpIndex, h);
        break;
      default:
        break;
    }
  }
  flush();

  const ctx0 = contexts.get(0);
  const vmFeatures = ctx0 ? readU64(fileData(f, ctx0.fileOffset), VMSA_OFFSETS.sev_features) : SEV_FEATURES_SNP_ACTIVE;
  if ((vmFeatures & SEV_FEATURES_SNP_ACTIVE) === 0n) {
    fail('igvm-qemu-sev-features', `${at(ctx0!)}: sev_features ${hex(vmFeatures)} lacks SNPActive (bit 0), which QEMU requires for an SNP launch`);
  }
  const template = resolveProfile('qemu', o.era ?? 'init2').vmsa;
  const resetVmsa = (): Uint8Array => {
    if (o.vcpuSignature === undefined) fail('usage', 'a vCPU without a VP context gets the QEMU reset-state VMSA, whose rdx is the vCPU signature: give --vcpu-type or --vcpu-sig');
    return buildVmsaPage(template, { eip: RESET_VECTOR_EIP, vcpuSignature: o.vcpuSignature, sevFeatures: vmFeatures });
  };
  const pages: Uint8Array[] = [];
  for (let v = 0; v < vcpus; v++) {
    const ctx = contexts.get(v);
    if (ctx) {
      pages.push(qemuVmsaFromFile(f, ctx, vmFeatures, warnings));
      runs.push(vmsaRun(pages[pages.length - 1]!, vmsaGpa, v, `VP context, header ${ctx.index}`));
    } else if (v === 0 || (o.apVmsa ?? 'reset') === 'reset') {
      pages.push(resetVmsa());
      runs.push(vmsaRun(pages[pages.length - 1]!, vmsaGpa, v, 'QEMU reset state'));
    } else if (o.apVmsa === 'bsp') {
      pages.push(pages[0]!);
      runs.push(vmsaRun(pages[0]!, vmsaGpa, v, 'copy of vCPU 0'));
    }
  }
  return { plan: { runs }, semantics: 'qemu', platform, ...idBlockAndPolicy(f, s), warnings, vmsaPages: pages };
}

function measureIgvmCrate(f: IgvmFile): IgvmMeasurement {
  const platform = snpPlatform(f);
  const s = platform.mask;
  const applies = (m: number): boolean => (m & s) === s;
  const ids = idBlockAndPolicy(f, s);
  if (ids.guestPolicy === undefined) fail('igvm-missing-guest-policy', 'the igvm crate needs a GUEST_POLICY for the SEV-SNP platform (MissingGuestPolicy)');
  const sizes = areaSizes(f);
  const runs: LaunchRun[] = [];
  const pages: Uint8Array[] = [];
  for (const h of f.headers) {
    if (h.kind === 'page-data' && applies(h.mask)) {
      if (h.flags & PageDataFlags.SHARED) continue; // shared pages are host visible: not measured at all
      runs.push(...pageDataRuns(f, h, 1, PageType.Normal));
    } else if (h.kind === 'parameter-insert' && applies(h.mask)) {
      runs.push(insertRun(h, sizes.get(h.areaIndex)!));
    } else if (h.kind === 'vp-context' && applies(h.mask) && isVmsaContext(f, h)) {
      const data = fileData(f, h.fileOffset);
      pages.push(data);
      runs.push({ ...vmsaRun(data, h.gpa, h.vpIndex, `VP context, header ${h.index}`), origin: origin(h) });
    }
  }
  return { plan: { runs }, semantics: 'igvm-crate', platform, ...ids, warnings: [], vmsaPages: pages };
}

function measureIgvmmeasure(f: IgvmFile, o: IgvmMeasureOptions): IgvmMeasurement {
  const platform = snpPlatform(f);
  const s = platform.mask;
  const applies = (m: number): boolean => (m & s) !== 0;
  const runs: LaunchRun[] = [];
  const pages: Uint8Array[] = [];
  for (const h of f.headers) {
    if (h.kind === 'page-data' && applies(h.mask)) {
      const big = (h.flags & PageDataFlags.IS_2MB_PAGE) !== 0;
      if (big && h.fileOffset !== 0) fail('igvm-igvmmeasure-2mb-data', `${at(h)}: a 2 MiB page with file data trips igvmmeasure's data-length assertion`);
      runs.push(...pageDataRuns(f, h, big ? PAGE_2MB / 4096 : 1, o.nativeZero ? PageType.Zero : PageType.Normal));
    } else if (h.kind === 'parameter-insert' && applies(h.mask)) {
      runs.push(insertRun(h, 4096n)); // igvmmeasure inserts one page whatever the area size
    } else if (h.kind === 'vp-context' && isVmsaContext(f, h)) {
      // igvmmeasure does not test the VP context's compatibility mask.
      const data = fileData(f, h.fileOffset);
      pages.push(data);
      runs.push({ ...vmsaRun(data, h.gpa, h.vpIndex, `VP context, header ${h.index}`), origin: origin(h) });
    }
  }
  return { plan: { runs }, semantics: 'igvmmeasure', platform, ...idBlockAndPolicy(f, s), warnings: [], vmsaPages: pages };
}

/**
 * Builds the launch plan of a parsed IGVM file under the chosen semantics (measure it with
 * measurePlan). Refuses (`usage`) an unknown semantics.
 */
export function measureIgvm(f: IgvmFile, o: IgvmMeasureOptions): IgvmMeasurement {
  switch (o.semantics) {
    case 'qemu': return measureQemu(f, o);
    case 'igvm-crate': return measureIgvmCrate(f);
    case 'igvmmeasure': return measureIgvmmeasure(f, o);
    default: return fail('usage', `unknown IGVM semantics ${JSON.stringify(o.semantics)}; use qemu, igvm-crate or igvmmeasure`);
  }
}

export type KvmCheckResult = 'ok' | 'kvm_check_vmsa_count' | 'kvm_check_vmsa_gpa' | 'kvm_check_vmsa_cr0' | 'kvm_check_vmsa_order';

/** igvmmeasure --check-kvm: the consistency checks COCONUT's tool makes for QEMU/KVM launches. */
export function igvmmeasureCheckKvm(f: IgvmFile): { result: KvmCheckResult; message?: string } {
  const s = snpPlatform(f).mask;
  let vmsas = 0;
  for (const h of f.headers) {
    if (h.kind === 'page-data' && (h.mask & s) !== 0 && (h.flags & PageDataFlags.IS_2MB_PAGE) && h.fileOffset !== 0) {
      fail('igvm-igvmmeasure-2mb-data', `${at(h)}: a 2 MiB page with file data trips igvmmeasure's data-length assertion`);
    }
    if (h.kind === 'vp-context' && isVmsaContext(f, h)) {
      vmsas++;
      if (vmsas > 1) return { result: 'kvm_check_vmsa_count', message: 'More than one VMSA has been provided in the IGVM file. QEMU/KVM only supports setting of the VMSA for the first virtual CPU.' };
      if (h.gpa !== KVM_VMSA_GPA) return { result: 'kvm_check_vmsa_gpa', message: `The GPA for the VMSA (${hex(h.gpa)}) does not match the address hardcoded in KVM.` };
      const cr0 = readU64(fileData(f, h.fileOffset), VMSA_OFFSETS.cr0);
      if (cr0 !== 0x31n && cr0 !== 0x30n) return { result: 'kvm_check_vmsa_cr0', message: `CR0 in the VMSA in the IGVM file is set to ${hex(cr0)} instead of 0x31 (protected-mode) or 0x30 (real-mode).` };
    } else if (h.kind === 'parameter-insert' && (h.mask & s) !== 0 && vmsas > 0) {
      return { result: 'kvm_check_vmsa_order', message: 'The VMSA must be the final page directive in the IGVM file.' };
    }
  }
  return { result: 'ok' };
}
