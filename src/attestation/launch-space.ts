/**
 * Launches as functions of their configuration (vCPU count, VMM profile and era, vCPU signature,
 * guest features), and searches over many configurations that reuse shared work: the digest up to
 * the VMSAs is computed once per distinct prefix, and each further vCPU count costs one VMSA step
 * (docs/spec/launch-digest.md#extending-by-vcpu-count).
 */
import { MeasureError, fail, isMeasureError } from '../errors.js';
import { hex64, toHex } from '../bytes.js';
import { defaultSuite, type HashSuite } from '../hash/suite.js';
import { measurePlan } from '../engine.js';
import { LaunchDigest, PageType } from '../snp/page-info.js';
import type { LaunchPlan, LaunchRun } from '../plan.js';
import { PROFILES, resolveVmsaGpa, type VmmProfile } from '../profiles.js';
import { VCPU_TYPES, cpuSignature } from '../cpu.js';
import { buildLegacySvsmPlan, buildSnpOvmfPlan, type FirmwareImage, type UnknownSectionPolicy } from '../ovmf/launch.js';
import type { FirmwareLayout } from '../ovmf/firmware.js';
import type { DirectBootHashes } from '../ovmf/kernel-hashes.js';

/**
 * The configuration a launch's digest depends on beyond its input files: vCPU count, VMM
 * profile (and era), vCPU signature and guest features (SEV_FEATURES).
 */
export interface LaunchConfig {
  readonly vcpus: number;
  readonly profile: VmmProfile;
  /** Undefined only where no step depends on it (an IGVM whose vCPUs all have VP contexts). */
  readonly vcpuSignature?: bigint;
  readonly vcpuType?: string;
  readonly guestFeatures: bigint;
}

/**
 * A launch as a function of its configuration: builds a plan per configuration, and tells a
 * sweep which configurations share everything before the VMSAs, so that prefix is measured once.
 */
export interface ConfigurableLaunch {
  readonly kind: 'ovmf' | 'regions' | 'igvm';
  plan(c: LaunchConfig): LaunchPlan;
  /** Equal keys mean the plans agree on everything before the VMSAs. */
  prefixKey(c: LaunchConfig): string;
  /** Profiles this launch can run under. */
  readonly profiles: readonly VmmProfile[];
  /** Whether guest features reach the digest (an IGVM file brings its own). */
  readonly usesGuestFeatures: boolean;
  /** Configuration the input itself names (a manifest's launch settings). */
  readonly defaults?: Partial<LaunchConfig>;
  /** The firmware's AP reset EIP, when the launch has one (OVMF launches). */
  readonly apResetEip?: number;
}

export const ALL_PROFILES: readonly VmmProfile[] = Object.values(PROFILES).flatMap((f) => Object.values(f.eras));

/** What an OVMF launch is made of, apart from its configuration: firmware (or its layout and seed), direct-boot hashes, and the options real VMMs differ on. */
export interface OvmfLaunchInputs {
  readonly firmware: FirmwareImage | null;
  readonly layout: FirmwareLayout;
  readonly seed?: Uint8Array;
  readonly directBoot?: DirectBootHashes;
  readonly unknownSections?: UnknownSectionPolicy;
  readonly product?: string;
  /** An explicit VMSA GPA, overriding the profile's (and the product's). */
  readonly vmsaGpa?: bigint;
}

/**
 * A classic SNP OVMF launch (firmware or its metadata, optional direct-boot hashes) as a
 * ConfigurableLaunch; it runs under every VMM profile.
 */
export function ovmfLaunch(i: OvmfLaunchInputs): ConfigurableLaunch {
  return {
    kind: 'ovmf', profiles: ALL_PROFILES, usesGuestFeatures: true,
    ...(i.layout.resetEip !== undefined ? { apResetEip: i.layout.resetEip } : {}),
    plan: (c) => buildSnpOvmfPlan({
      firmware: i.firmware, layout: i.layout, ...(i.seed ? { seed: i.seed } : {}), vcpus: c.vcpus, profile: c.profile,
      vcpuSignature: c.vcpuSignature ?? 0n, guestFeatures: c.guestFeatures, ...(i.directBoot ? { directBoot: i.directBoot } : {}),
      unknownSections: i.unknownSections ?? 'error', vmsaGpa: i.vmsaGpa ?? resolveVmsaGpa(c.profile, i.product, true),
    }).plan,
    prefixKey: (c) => `${c.profile.secMemPageType}:${c.profile.deferCpuidSections}`,
  };
}

export interface SvsmLaunchInputs {
  readonly ovmf: FirmwareImage;
  readonly svsm: FirmwareImage;
  readonly varsSize: number;
  readonly unknownSections?: UnknownSectionPolicy;
}

/** Pre-IGVM COCONUT-SVSM (mode snp:svsm): QEMU only, sev_features forced to 0x1. */
export function svsmLaunch(i: SvsmLaunchInputs): ConfigurableLaunch {
  return {
    kind: 'ovmf', profiles: [PROFILES.qemu.eras[PROFILES.qemu.defaultEra]!], usesGuestFeatures: false,
    plan: (c) => buildLegacySvsmPlan({ ovmf: i.ovmf, svsm: i.svsm, varsSize: i.varsSize, vcpus: c.vcpus, vcpuSignature: c.vcpuSignature ?? 0n, unknownSections: i.unknownSections ?? 'error' }).plan,
    prefixKey: () => 'svsm',
  };
}

export interface VcpuTypeChoice { readonly name: string; readonly signature: bigint; readonly aliases: readonly string[] }

/** One entry per distinct signature among the known QEMU models (aliases listed). */
export function distinctVcpuTypes(): VcpuTypeChoice[] {
  const bySig = new Map<bigint, { name: string; aliases: string[] }>();
  for (const [name, fms] of Object.entries(VCPU_TYPES)) {
    const sig = BigInt(cpuSignature(fms));
    const e = bySig.get(sig);
    if (e) e.aliases.push(name); else bySig.set(sig, { name, aliases: [] });
  }
  return [...bySig].map(([signature, e]) => ({ name: e.name, signature, aliases: e.aliases }));
}

/** The configurations a sweep enumerates: every combination of these vCPU counts, vCPU models, guest features and profiles. */
export interface SearchSpace {
  readonly vcpus: readonly number[];
  readonly vcpuTypes: readonly VcpuTypeChoice[];
  readonly guestFeatures: readonly bigint[];
  readonly profiles: readonly VmmProfile[];
}

/** One configuration of a sweep with its raw 48-byte digest; null where the launch ignores that setting. */
export interface ConfigResult {
  readonly vcpus: number;
  readonly profile: string;
  readonly era: string;
  readonly vcpuType: string | null;
  readonly vcpuSignature: bigint | null;
  readonly guestFeatures: bigint | null;
  readonly digest: Uint8Array;
}

/** A sweep's outcome: a digest per configuration that can launch, and why the others cannot. */
export interface SweepReport {
  readonly results: ConfigResult[];
  /** Configurations that cannot launch (e.g. more than one vCPU without an AP reset EIP), with why. */
  readonly skipped: { readonly config: string; readonly reason: string; readonly error: MeasureError }[];
  readonly evaluated: number;
}

/** Digests for every configuration of the space: each prefix measured once, each vCPU count one step. */
export function sweep(launch: ConfigurableLaunch, space: SearchSpace, hashes: HashSuite = defaultSuite): SweepReport {
  const prefixCache = new Map<string, Uint8Array>();
  const pageDigests = new WeakMap<Uint8Array, Uint8Array>();
  const results: ConfigResult[] = [];
  const skipped: SweepReport['skipped'] = [];
  const counts = [...new Set(space.vcpus)].sort((a, b) => a - b);
  if (counts.length === 0) fail('usage', 'the vCPU range is empty');
  const wanted = new Set(counts);
  const maxN = counts[counts.length - 1]!;
  const profiles = space.profiles.filter((p) => launch.profiles.some((q) => q.name === p.name && q.era === p.era));
  let evaluated = 0;
  for (const profile of profiles) {
    const types: (VcpuTypeChoice | null)[] = profile.usesVcpuSignature || launch.kind === 'igvm' ? [...space.vcpuTypes] : [null];
    const features: (bigint | null)[] = launch.usesGuestFeatures ? [...space.guestFeatures] : [null];
    for (const type of types) {
      for (const gf of features) {
        const base = { profile, vcpuSignature: type?.signature ?? 0n, guestFeatures: gf ?? 0x1n, ...(type ? { vcpuType: type.name } : {}) };
        const label = `${profile.name}/${profile.era}${type ? ` ${type.name}` : ''}${gf !== null ? ` features ${hex64(gf)}` : ''}`;
        const record = (vcpus: number, digest: Uint8Array): void => {
          results.push({ vcpus, profile: profile.name, era: profile.era, vcpuType: type?.name ?? null, vcpuSignature: type?.signature ?? null, guestFeatures: gf, digest });
        };
        let plan: LaunchPlan | undefined;
        try {
          plan = launch.plan({ ...base, vcpus: maxN });
        } catch (e) {
          if (!isMeasureError(e)) throw e;
          // The largest count cannot launch (typically: no AP reset EIP); try each count alone.
          for (const n of counts) {
            try {
              record(n, measurePlan(launch.plan({ ...base, vcpus: n }), { hashes }).digest);
              evaluated++;
            } catch (e2) {
              if (!isMeasureError(e2)) throw e2;
              skipped.push({ config: `${label} vcpus ${n}`, reason: `${e2.code}: ${e2.message}`, error: e2 });
            }
          }
          continue;
        }
        const firstVmsa = plan.runs.findIndex((r) => r.pageType === PageType.Vmsa);
        const prefix: LaunchRun[] = firstVmsa < 0 ? [...plan.runs] : plan.runs.slice(0, firstVmsa);
        const vmsas = firstVmsa < 0 ? [] : plan.runs.slice(firstVmsa);
        if (vmsas.some((r) => r.pageType !== PageType.Vmsa || r.contents.kind !== 'bytes' || r.pages !== 1)) {
          fail('plan', `${label}: VMSA steps are not the last steps of the plan, so counts cannot be extended`);
        }
        const key = `${launch.prefixKey({ ...base, vcpus: maxN })}`;
        let start = prefixCache.get(key);
        if (!start) {
          start = measurePlan({ ...(plan.seed ? { seed: plan.seed } : {}), runs: prefix }, { hashes }).digest;
          prefixCache.set(key, start);
        }
        const ld = new LaunchDigest(start, hashes);
        vmsas.forEach((r, i) => {
          const data = (r.contents as { data: Uint8Array }).data;
          let d = pageDigests.get(data);
          if (!d) { d = hashes.sha384(data); pageDigests.set(data, d); }
          ld.update(PageType.Vmsa, r.gpa, d);
          if (wanted.has(i + 1)) { record(i + 1, ld.digest); evaluated++; }
        });
        if (vmsas.length < maxN) {
          const reason = `the launch has ${vmsas.length} VMSAs for ${maxN} vCPUs (--ap-vmsa none)`;
          skipped.push({ config: label, reason, error: new MeasureError('vcpus', reason) });
        }
      }
    }
  }
  return { results, skipped, evaluated };
}

/** Orders vCPU models so that the one matching the report's host CPU generation comes first. */
export function orderByHostCpu(types: readonly VcpuTypeChoice[], cpuid?: { family: number; model: number }): { types: VcpuTypeChoice[]; note?: string } {
  if (!cpuid) return { types: [...types] };
  const gen = (f: number, m: number): string | undefined => {
    if (f === 0x17) return m >= 0x30 ? 'Rome' : 'EPYC';
    if (f === 0x19) return m >= 0x10 && m < 0x20 ? 'Genoa' : m < 0x10 ? 'Milan' : undefined;
    if (f === 0x1a) return 'Turin';
    return undefined;
  };
  const host = gen(cpuid.family, cpuid.model);
  if (!host) return { types: [...types], note: `host CPU family 0x${cpuid.family.toString(16)} model 0x${cpuid.model.toString(16)} is not a known EPYC generation` };
  const first = types.filter((t) => (host === 'EPYC' ? t.name === 'EPYC' : t.name.includes(host)));
  return {
    types: [...first, ...types.filter((t) => !first.includes(t))],
    note: `the report's host CPU (family 0x${cpuid.family.toString(16)} model 0x${cpuid.model.toString(16)}: ${host}) orders the search: ${first.map((t) => t.name).join(', ') || 'none'} first; the guest vCPU model can still be any other`,
  };
}

export function resultKey(r: ConfigResult): string {
  return `${r.profile}/${r.era} vcpus=${r.vcpus} type=${r.vcpuType ?? '-'} features=${r.guestFeatures === null ? '-' : hex64(r.guestFeatures)}`;
}

export { toHex };
