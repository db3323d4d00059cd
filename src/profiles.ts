/**
 * VMM profiles: everything QEMU/KVM, EC2 and GCE do differently in an OVMF launch, as data
 * (docs/spec/vmsa.md#profiles). A profile is chosen by name and era; nothing in the
 * measuring code branches on a VMM's name.
 */
import { fail } from './errors.js';
import { PageType } from './snp/page-info.js';
import { encodeVmsa, emptyRegisters, segment, type Segment, type VmsaRegisters } from './snp/vmsa.js';

export const RESET_VECTOR_EIP = 0xfffffff0;
/** KVM's INITIAL_VMSA_GPA: every VMSA is launch-updated at this address. */
export const KVM_VMSA_GPA = 0xfffffffff000n;

interface SegmentTemplate { selector: number; attrib: number; limit: number }
type SegmentName = 'es' | 'cs' | 'ss' | 'ds' | 'fs' | 'gs' | 'gdtr' | 'ldtr' | 'idtr' | 'tr';

export interface VmsaTemplate {
  readonly segments: Readonly<Record<SegmentName, SegmentTemplate>>;
  /** EC2 quirk: CS attributes when the vCPU's EIP is the reset vector (decided by EIP, not by BSP/AP role). */
  readonly csAttribAtResetVector?: number;
  /** 'eip-high': cs.base = eip & 0xffff0000 and rip = eip & 0xffff (real-mode start); 'flat': base 0, rip = eip. */
  readonly entry: 'eip-high' | 'flat';
  readonly efer: bigint; readonly cr4: bigint; readonly cr0: bigint; readonly dr7: bigint; readonly dr6: bigint;
  readonly rflags: bigint; readonly g_pat: bigint; readonly xcr0: bigint;
  /** rdx at reset: the guest vCPU signature (QEMU) or a fixed value (0x600 on EC2 and GCE). */
  readonly rdx: 'vcpu-signature' | bigint;
  readonly mxcsr: number;
  readonly x87_fcw: number;
  /** A value the VMM forces whatever the host reports (legacy SVSM: 0x1). */
  readonly forcedSevFeatures?: bigint;
}

/**
 * What a VMM (and era of it) does differently at launch: its VMSA template, how SNP_SEC_MEM
 * sections are measured, CPUID section order and VMSA GPA. Data, so nothing branches on a name.
 */
export interface VmmProfile {
  readonly name: 'qemu' | 'ec2' | 'gce';
  readonly era: string;
  readonly summary: string;
  readonly vmsa: VmsaTemplate;
  /** How SNP_SEC_MEM sections are launched: ZERO (QEMU, EC2) or UNMEASURED (GCE). */
  readonly secMemPageType: PageType.Zero | PageType.Unmeasured;
  /** EC2 measures CPUID sections after all other metadata sections. */
  readonly deferCpuidSections: boolean;
  /** Whether --vcpu-type / --vcpu-sig matter (they only reach the VMSA through rdx). */
  readonly usesVcpuSignature: boolean;
  /** VMSA GPA per product; 'default' when the product is not given. */
  readonly vmsaGpa: Readonly<Record<string, bigint>>;
}

const realMode = (attrib = 0x93): SegmentTemplate => ({ selector: 0, attrib, limit: 0xffff });

const KVM_RESET_SEGMENTS: Readonly<Record<SegmentName, SegmentTemplate>> = {
  es: realMode(), cs: { selector: 0xf000, attrib: 0x9b, limit: 0xffff }, ss: realMode(), ds: realMode(),
  fs: realMode(), gs: realMode(), gdtr: realMode(0), ldtr: realMode(0x82), idtr: realMode(0), tr: realMode(0x8b),
};

const RESET_STATE = {
  efer: 0x1000n, // EFER.SVME, set by KVM
  cr4: 0x40n, // CR4.MCE, set by KVM
  cr0: 0x10n,
  dr7: 0x400n,
  dr6: 0xffff0ff0n,
  rflags: 0x2n,
  g_pat: 0x0007040600070406n,
  xcr0: 0x1n,
} as const;

const QEMU_INIT2: VmsaTemplate = {
  segments: KVM_RESET_SEGMENTS, entry: 'eip-high', ...RESET_STATE,
  rdx: 'vcpu-signature', mxcsr: 0x1f80, x87_fcw: 0x37f, // KVM_SEV_INIT2 hosts (Linux 6.10+)
};

const EC2_SEGMENTS = { ...KVM_RESET_SEGMENTS, ss: realMode(0x92), tr: realMode(0x83) };

const EC2_TEMPLATE: VmsaTemplate = {
  segments: EC2_SEGMENTS, csAttribAtResetVector: 0x9a, entry: 'eip-high', ...RESET_STATE,
  rdx: 0x600n, mxcsr: 0, x87_fcw: 0,
};

const GCE_TEMPLATE: VmsaTemplate = {
  segments: KVM_RESET_SEGMENTS, entry: 'eip-high', ...RESET_STATE, g_pat: 0x0000000000070106n,
  rdx: 0x600n, mxcsr: 0, x87_fcw: 0,
};

/**
 * Legacy (pre-IGVM) COCONUT-SVSM VMSA: flat protected-mode segments, full EIP in rip.
 * x87_fcw is 0 although mxcsr is 0x1F80: the reference drops the FCW value (it passes a
 * misspelt field name), and the vectors measured on hardware agree with that.
 */
export const LEGACY_SVSM_VMSA: VmsaTemplate = {
  segments: {
    es: { selector: 0x10, attrib: 0xc93, limit: 0xffffffff }, cs: { selector: 0x08, attrib: 0xc9b, limit: 0xffffffff },
    ss: { selector: 0x10, attrib: 0xc93, limit: 0xffffffff }, ds: { selector: 0x10, attrib: 0xc93, limit: 0xffffffff },
    fs: { selector: 0x10, attrib: 0xc93, limit: 0xffffffff }, gs: realMode(), gdtr: realMode(0), ldtr: realMode(0x82),
    idtr: realMode(0), tr: realMode(0x8b),
  },
  entry: 'flat', ...RESET_STATE, cr0: 0x11n,
  rdx: 'vcpu-signature', mxcsr: 0x1f80, x87_fcw: 0, forcedSevFeatures: 0x1n,
};

const KVM_GPA = { default: KVM_VMSA_GPA } as const;

interface ProfileFamily { readonly defaultEra: string; readonly eras: Readonly<Record<string, VmmProfile>> }

/** The known VMMs (qemu, ec2, gce), each with its eras and default era. */
export const PROFILES: Readonly<Record<'qemu' | 'ec2' | 'gce', ProfileFamily>> = {
  qemu: {
    defaultEra: 'init2',
    eras: {
      'init2': {
        name: 'qemu', era: 'init2', summary: 'QEMU/KVM with KVM_SEV_INIT2 (Linux 6.10+): MXCSR 0x1F80, FCW 0x37F',
        vmsa: QEMU_INIT2, secMemPageType: PageType.Zero, deferCpuidSections: false, usesVcpuSignature: true, vmsaGpa: KVM_GPA,
      },
      'pre-init2': {
        name: 'qemu', era: 'pre-init2', summary: 'QEMU/KVM before KVM_SEV_INIT2: MXCSR and FCW 0',
        vmsa: { ...QEMU_INIT2, mxcsr: 0, x87_fcw: 0 }, secMemPageType: PageType.Zero, deferCpuidSections: false,
        usesVcpuSignature: true, vmsaGpa: KVM_GPA,
      },
    },
  },
  ec2: {
    defaultEra: 'rdx-0x600',
    eras: {
      'rdx-0x600': {
        name: 'ec2', era: 'rdx-0x600', summary: 'AWS EC2 as sev-snp-measure >= 0.0.13 models it (rdx 0x600)',
        vmsa: EC2_TEMPLATE, secMemPageType: PageType.Zero, deferCpuidSections: true, usesVcpuSignature: false, vmsaGpa: KVM_GPA,
      },
      'rdx-0': {
        name: 'ec2', era: 'rdx-0', summary: 'AWS EC2 as older tools model it (rdx 0: virtee/sev, sev-snp-measure-go)',
        vmsa: { ...EC2_TEMPLATE, rdx: 0n }, secMemPageType: PageType.Zero, deferCpuidSections: true,
        usesVcpuSignature: false, vmsaGpa: KVM_GPA,
      },
    },
  },
  gce: {
    defaultEra: 'default',
    eras: {
      'default': {
        name: 'gce', era: 'default', summary: 'Google Compute Engine: SEC_MEM unmeasured, G_PAT 0x70106, rdx 0x600',
        vmsa: GCE_TEMPLATE, secMemPageType: PageType.Unmeasured, deferCpuidSections: false, usesVcpuSignature: false,
        // The VMSA GPA is limited to the product's guest physical address width.
        vmsaGpa: { default: 0xfffffffff000n, milan: 0xfffffffff000n, genoa: 0xffffffffff000n },
      },
    },
  },
};

export type ProfileName = keyof typeof PROFILES;
export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

/**
 * Refuses profiles outside those a launch is modelled for (`label`: "IGVM launches are", "this
 * launch is"): measuring under another would silently measure under a modelled one, and a sweep
 * would skip it. Names the era when only the era is wrong.
 */
export function checkModelledProfiles(given: readonly VmmProfile[], modelled: readonly VmmProfile[], label: string, spell: (key: string) => string): void {
  for (const p of given) {
    if (modelled.some((q) => q.name === p.name && q.era === p.era)) continue;
    const what = modelled.some((q) => q.name === p.name) ? `${spell('vmmEra')} ${p.era}` : `${spell('vmmType')} ${p.name}:${p.era}`;
    fail('profile', `${what}: ${label} modelled for ${modelled.map((q) => `${q.name}:${q.era}`).join(', ')} only`);
  }
}

/** Resolves a profile by name (any case) and optional era. */
export function resolveProfile(name: string, era?: string): VmmProfile {
  const key = name.trim().toLowerCase() as ProfileName;
  const family = Object.hasOwn(PROFILES, key) ? PROFILES[key] : undefined;
  if (!family) fail('profile', `unknown VMM profile ${JSON.stringify(name)}; known: qemu, ec2, gce (any case)`);
  const e = era ?? family.defaultEra;
  const profile = Object.hasOwn(family.eras, e) ? family.eras[e] : undefined;
  if (!profile) fail('profile', `profile ${key} has no era ${JSON.stringify(e)}; known: ${Object.keys(family.eras).join(', ')}`);
  return profile;
}

/**
 * The VMSA GPA of a profile for a product. `productOptional`: a profile whose VMSA GPA does not
 * depend on the product (the KVM constant) ignores it, so one product can apply to a sweep over
 * profiles; otherwise naming a product such a profile does not know is an error.
 */
export function resolveVmsaGpa(profile: VmmProfile, product?: string, productOptional = false): bigint {
  const dependsOnProduct = Object.keys(profile.vmsaGpa).length > 1;
  if (product === undefined || (productOptional && !dependsOnProduct)) return profile.vmsaGpa['default']!;
  const gpa = Object.hasOwn(profile.vmsaGpa, product.toLowerCase()) ? profile.vmsaGpa[product.toLowerCase()] : undefined;
  if (gpa === undefined) {
    fail('profile', `profile ${profile.name} has no VMSA GPA for product ${JSON.stringify(product)}; known: ${Object.keys(profile.vmsaGpa).filter((k) => k !== 'default').join(', ') || 'none (the KVM constant applies)'}`);
  }
  return gpa;
}

export interface VcpuState {
  readonly eip: number;
  readonly vcpuSignature: bigint;
  readonly sevFeatures: bigint;
}

export function vmsaRegisters(t: VmsaTemplate, s: VcpuState): VmsaRegisters {
  const r = emptyRegisters();
  for (const [name, seg] of Object.entries(t.segments) as [SegmentName, SegmentTemplate][]) {
    r[name] = segment(seg.selector, seg.attrib, seg.limit) as Segment;
  }
  if (t.csAttribAtResetVector !== undefined && s.eip === RESET_VECTOR_EIP) r.cs.attrib = t.csAttribAtResetVector;
  const eip = BigInt(s.eip >>> 0);
  if (t.entry === 'eip-high') {
    r.cs.base = eip & 0xffff0000n;
    r.rip = eip & 0xffffn;
  } else {
    r.rip = eip;
  }
  r.efer = t.efer; r.cr4 = t.cr4; r.cr0 = t.cr0; r.dr7 = t.dr7; r.dr6 = t.dr6; r.rflags = t.rflags;
  r.g_pat = t.g_pat; r.xcr0 = t.xcr0;
  r.rdx = t.rdx === 'vcpu-signature' ? s.vcpuSignature : t.rdx;
  r.sev_features = t.forcedSevFeatures ?? s.sevFeatures;
  r.mxcsr = t.mxcsr;
  r.x87_fcw = t.x87_fcw;
  return r;
}

export function buildVmsaPage(t: VmsaTemplate, s: VcpuState): Uint8Array {
  return encodeVmsa(vmsaRegisters(t, s));
}
