/**
 * Contrast manifest reference values, `ReferenceValues.snp` (edgelesssys/contrast; files and
 * commits in docs/attestation.md).
 *
 * - ProductName names the AMD product of the *host* CPU: it picks the certificate chain
 *   (manifest SNPValidateOpts: kds.ParseProductLine, amdTrustedRootCerts) and, for the APEIP form,
 *   the vCPU signature Contrast builds AP VMSAs with (internal/snp CPUSigForProduct: Milan ->
 *   EPYC-Milan 0xa00f11, Genoa -> EPYC-Genoa 0xa10f10). It cannot be guessed from the guest vCPU
 *   model, so it is an input. SNPReferenceValues.Validate accepts Milan and Genoa only.
 * - GuestPolicy is an abi.SnpPolicy; Validate requires SMT true, ABIMajor 0, ABIMinor 0 or 31 and
 *   every other flag false. A missing SMT is a hard error there, so it is always written.
 * - MinimumTCB is host firmware, not launch content: left to the user (Validate reports an entry
 *   without it as an expected-missing value and PurgeEmpty drops such entries).
 * - APEIP form: TrustedMeasurement is the 1-vCPU digest; the IterativeValidator extends it to
 *   1-220 vCPUs with internal/snp ExtendSNPLaunchDigest, which appends QEMU/KVM (KVM_SEV_INIT2
 *   era: MXCSR 0x1F80, FCW 0x37F) AP VMSAs at GPA 0xFFFFFFFFF000 with rdx = the product's vCPU
 *   signature and sev_features hard-coded to 0x1. APEIP is 4 bytes, big-endian, as 8 hex digits.
 *   An entry is written in this form only when that extension reproduces the launch.
 */
import { fail } from '../errors.js';
import { fromHex, hex64, toHex } from '../bytes.js';
import { defaultSuite, type HashSuite } from '../hash/suite.js';
import { LaunchDigest, PageType } from '../snp/page-info.js';
import { KVM_VMSA_GPA, PROFILES, buildVmsaPage } from '../profiles.js';
import type { ConfigResult } from './launch-space.js';
import { checkGuestPolicy, DEFAULT_GUEST_POLICY } from './go-sev-guest.js';

export interface ContrastProduct {
  /** The ProductName string Contrast expects. */
  readonly name: 'Milan' | 'Genoa';
  /** The QEMU model whose signature Contrast uses for this product's AP VMSAs. */
  readonly vcpuType: string;
  /** CPUID Fn0000_0001_EAX of that model. */
  readonly signature: bigint;
}

/**
 * The host products Contrast accepts (`--product`), with the vCPU model and signature Contrast
 * builds AP VMSAs with for each (internal/snp CPUSigForProduct); Turin is refused there, so absent here.
 */
export const CONTRAST_PRODUCTS: Readonly<Record<'milan' | 'genoa', ContrastProduct>> = {
  milan: { name: 'Milan', vcpuType: 'EPYC-Milan', signature: 0xa00f11n },
  genoa: { name: 'Genoa', vcpuType: 'EPYC-Genoa', signature: 0xa10f10n },
};

/** Contrast's IterativeValidator tries vCPU counts 1 to this. */
export const CONTRAST_APEIP_MAX_VCPUS = 220;

/** The host product for `--format contrast` (`--product`, required). */
export function contrastProduct(product: string | undefined): ContrastProduct {
  if (product === undefined || product.trim() === '') {
    return fail('contrast-product', 'Contrast reference values need --product milan or --product genoa: ProductName names the CPU of the hosts that run the VM (it picks the AMD certificate chain), which the guest vCPU model does not tell');
  }
  const key = product.trim().toLowerCase();
  if (key === 'turin') {
    return fail('contrast-product', '--product turin: Contrast accepts ProductName Milan or Genoa only (SNPReferenceValues.Validate; it embeds only those certificate chains), so a Turin host cannot be described for it');
  }
  if (!Object.hasOwn(CONTRAST_PRODUCTS, key)) {
    return fail('contrast-product', `--product ${JSON.stringify(product)}: Contrast knows milan and genoa`);
  }
  return CONTRAST_PRODUCTS[key as 'milan' | 'genoa'];
}

/** The ProductName of a Contrast entry, read back (Milan or Genoa, as Contrast spells them). */
export function contrastProductByName(name: unknown, what: string): ContrastProduct {
  const p = Object.values(CONTRAST_PRODUCTS).find((c) => c.name === name);
  if (!p) return fail('reference-values', `${what} is ${JSON.stringify(name)}; Contrast knows "Milan" and "Genoa"`);
  return p;
}

/** Contrast's GuestPolicy (abi.SnpPolicy JSON) for a launch policy, refused where Contrast's validation would. */
export function contrastGuestPolicy(policy: bigint, what = '--policy'): { ABIMinor?: number; SMT: true } {
  checkGuestPolicy(policy, what);
  const abiMinor = Number(policy & 0xffn), abiMajor = Number((policy >> 8n) & 0xffn);
  const problems: string[] = [];
  if (abiMajor !== 0) problems.push(`ABI major ${abiMajor} (must be 0)`);
  if (abiMinor !== 0 && abiMinor !== 31) problems.push(`ABI minor ${abiMinor} (0 on bare metal or 31 on AKS)`);
  if (((policy >> 16n) & 1n) === 0n) problems.push('SMT not allowed (Contrast requires SMT: true)');
  const flags: [number, string][] = [[18, 'MigrateMA'], [19, 'Debug'], [20, 'SingleSocket'], [21, 'CXLAllowed'], [22, 'MemAES256XTS'], [23, 'RAPLDis'], [24, 'CipherTextHidingDRAM'], [25, 'PageSwapDisable']];
  for (const [bit, name] of flags) if (((policy >> BigInt(bit)) & 1n) !== 0n) problems.push(`${name} (bit ${bit})`);
  if (problems.length) {
    fail('contrast-policy', `${what} ${hex64(policy)}: Contrast refuses GuestPolicy with ${problems.join(', ')}; its validation permits SMT and ABI minor 0 or 31 only`);
  }
  return { ...(abiMinor !== 0 ? { ABIMinor: abiMinor } : {}), SMT: true };
}

export interface ContrastOptions {
  /** --product (required). */
  readonly product: string | undefined;
  /** The launch guest policy (--policy, default 0x30000). */
  readonly policy?: bigint;
  /** The 1-vCPU-digest-plus-APEIP form, with the launch's AP reset EIP (undefined: not an OVMF launch). */
  readonly apeip?: { readonly apResetEip: number | undefined };
}

/** Contrast reference values: the `snp` manifest fragment, and what the user must still add to it. */
export interface ContrastOutput {
  /** The manifest fragment: `{"snp":[...]}`. */
  readonly referenceValues: { snp: Record<string, unknown>[] };
  /** Lines for stderr: what the user must still add. */
  readonly warnings: string[];
}

/** Why the APEIP form cannot describe a configuration, or undefined when it can. */
export function apeipMismatch(r: ConfigResult, product: ContrastProduct): string | undefined {
  const why: string[] = [];
  if (r.profile !== 'qemu' || r.era !== 'init2') why.push(`profile ${r.profile}/${r.era} (Contrast builds QEMU/KVM init2 AP VMSAs)`);
  if (r.vcpuSignature !== product.signature) {
    const vcpu = r.vcpuSignature === null ? 'no vCPU signature' : `vCPU ${r.vcpuType ?? 'signature'} ${hex64(r.vcpuSignature)}`;
    why.push(`${vcpu} (Contrast uses ${product.vcpuType} ${hex64(product.signature)} for ProductName ${product.name})`);
  }
  if (r.guestFeatures !== 0x1n) why.push(`guest features ${r.guestFeatures === null ? 'from the launch file' : hex64(r.guestFeatures)} (Contrast hard-codes sev_features 0x1)`);
  return why.length ? why.join('; ') : undefined;
}

export const CONTRAST_TCB_NOTE = 'note: add MinimumTCB {BootloaderVersion, TEEVersion, SNPVersion, MicrocodeVersion} to each entry (the host firmware you accept): Contrast reports an entry without it as missing and drops it';
export const CONTRAST_PLATFORM_NOTE = 'note: PlatformInfo is left out, so Contrast refuses reports from hosts with SMT or TSME enabled; add e.g. "PlatformInfo":{"SMTEnabled":true} if your hosts run with SMT';

/** `ReferenceValues.snp` entries for the configurations, with what the user must still add. */
export function contrastReferenceValues(results: readonly ConfigResult[], opts: ContrastOptions): ContrastOutput {
  const product = contrastProduct(opts.product);
  const guestPolicy = contrastGuestPolicy(opts.policy ?? DEFAULT_GUEST_POLICY);
  const base = { ProductName: product.name };
  let snp: Record<string, unknown>[];
  if (opts.apeip) {
    const eip = opts.apeip.apResetEip;
    if (eip === undefined || eip === 0) {
      fail('contrast-apeip', 'the APEIP form needs the AP reset EIP of an OVMF firmware (an OVMF launch whose firmware has an SEV-ES reset block)');
    }
    const ones = results.filter((r) => r.vcpus === 1);
    if (ones.length === 0) fail('contrast-apeip', 'the APEIP form is the 1-vCPU digest: include 1 in --vcpus');
    for (const r of ones) {
      const why = apeipMismatch(r, product);
      if (why) {
        fail('contrast-apeip', `Contrast would extend this 1-vCPU digest to other counts with the wrong VMSA, so no report with 2 or more vCPUs would match: ${why}. Use --vcpu-type ${product.vcpuType} --guest-features 0x1, or drop --apeip to list every count`);
      }
    }
    const apeip = (eip! >>> 0).toString(16).padStart(8, '0');
    const digests = [...new Set(ones.map((r) => toHex(r.digest)))];
    snp = digests.map((d) => ({ ...base, TrustedMeasurement: d, GuestPolicy: guestPolicy, CPUs: 1, APEIP: apeip }));
  } else {
    snp = results.map((r) => ({ ...base, TrustedMeasurement: toHex(r.digest), GuestPolicy: guestPolicy, CPUs: r.vcpus }));
  }
  return { referenceValues: { snp }, warnings: [CONTRAST_TCB_NOTE, CONTRAST_PLATFORM_NOTE] };
}

/** APEIP as Contrast reads it: 4 bytes (8 hex digits), big-endian. */
export function parseContrastApeip(text: unknown, what: string): number {
  if (typeof text !== 'string') return fail('reference-values', `${what} is ${text === null ? 'null' : typeof text}; expected 8 hex digits`);
  const b = fromHex(text, what, 4, 'reference-values');
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/**
 * Contrast's extension of a 1-vCPU digest (ExtendSNPLaunchDigest): digests for 1..maxVcpus vCPUs,
 * index i holding i + 1 vCPUs, each further vCPU one QEMU init2 AP VMSA with the product's signature
 * and sev_features 0x1.
 */
export function extendApeipDigest(seed: Uint8Array, apResetEip: number, product: ContrastProduct, maxVcpus: number, hashes: HashSuite = defaultSuite): Uint8Array[] {
  const page = buildVmsaPage(PROFILES.qemu.eras['init2']!.vmsa, { eip: apResetEip >>> 0, vcpuSignature: product.signature, sevFeatures: 0x1n });
  const contents = hashes.sha384(page);
  const ld = new LaunchDigest(seed, hashes);
  const out = [ld.digest];
  for (let n = 2; n <= maxVcpus; n++) out.push(Uint8Array.from(ld.update(PageType.Vmsa, KVM_VMSA_GPA, contents)));
  return out;
}
