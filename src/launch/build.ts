/**
 * From a launch description to something measurable: a configurable launch (a function of vCPU
 * count, profile, vCPU signature and guest features) for any kind, one configuration or a search
 * space of them. The classic `ovmf` modes live in ovmf.ts. Defaults documented in the option
 * vocabulary are applied here.
 */
import { fail } from '../errors.js';
import { checkModelledProfiles, type VmmProfile } from '../profiles.js';
import { FOUR_GIB } from '../ovmf/firmware.js';
import type { DirectBootHashes } from '../ovmf/kernel-hashes.js';
import type { ManifestSource } from '../regions/manifest.js';
import type { RegionData } from '../regions/replay.js';
import type { IgvmFile } from '../igvm/parse.js';
import {
  ovmfLaunch, svsmLaunch, ALL_PROFILES, distinctVcpuTypes, type ConfigurableLaunch, type LaunchConfig, type SearchSpace,
} from '../attestation/launch-space.js';
import { launchKind, type LaunchDescription, optionSpelling } from './description.js';
import { checkSvsmSettings, directBoot, firmwareImage, ovmfSeedAndLayout, type BuildContext } from './ovmf.js';

export { directBoot, firmwareImage, ovmfModePlan, sourceSha256, type BuildContext, type DirectBoot, type OvmfModeResult } from './ovmf.js';

/** A launch a description names, opened: measurable for any configuration, with what it read and any warnings. */
export interface OpenedLaunch {
  readonly launch: ConfigurableLaunch;
  readonly warnings: readonly string[];
  /** What the launch read, for --json and provenance. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** The parsed IGVM file, when the launch is one. */
  readonly igvm?: IgvmFile;
  /** The kernel-hashes inputs of an OVMF launch with measured direct boot (for provenance). */
  readonly directBoot?: DirectBootHashes;
  /**
   * A region list's sources as opened (for provenance and the CI lock, so they are neither parsed
   * nor hashed again): each region's manifest source, its data, and a kernelHashes source's hashes.
   */
  readonly regionSources?: readonly RegionSourceInput[];
}

/** One region's source as a region-list launch opened it. */
export interface RegionSourceInput {
  readonly index: number;
  readonly source: ManifestSource;
  readonly data?: RegionData;
  readonly kernelHashes?: DirectBootHashes;
}

/**
 * The one launch a description names, as a function of its configuration; like openLaunch
 * (launch/open.ts), but it loads the region-list and IGVM modules only for launches of their kind,
 * so a command measuring an OVMF launch starts without them.
 */
export async function openLaunchAsync(d: LaunchDescription, ctx: BuildContext = {}): Promise<OpenedLaunch> {
  switch (launchKind(d, ctx.spell ?? optionSpelling)) {
    case 'igvm': return (await import('./igvm-launch.js')).openIgvmLaunch(d);
    case 'regions': return (await import('./regions-launch.js')).openRegionsLaunch(d, ctx);
    default: return openOvmfLaunch(d, ctx);
  }
}

/** The OVMF launch a description names (mode snp or snp:svsm): openLaunch's ovmf branch. */
export function openOvmfLaunch(d: LaunchDescription, ctx: BuildContext = {}): OpenedLaunch {
  const spell = ctx.spell ?? optionSpelling;
  const mode = d.mode ?? 'snp';
  const boot0 = directBoot(d, ctx);
  const boot = boot0.hashes ? { hashes: boot0.hashes } : undefined;
  if (mode === 'snp:svsm') {
    const svsmWarnings = checkSvsmSettings(d, spell);
    if (boot) fail('usage', `snp:svsm mode does not measure a kernel; drop ${spell('kernel')}/${spell('initrd')}/${spell('append')}`);
    if (!d.svsm) fail('usage', `snp:svsm mode requires ${spell('svsm')}`);
    if (d.varsSize === undefined) fail('usage', `snp:svsm mode requires ${spell('varsSize')} or ${spell('varsFile')}`);
    if (!d.ovmf) fail('usage', `snp:svsm mode requires ${spell('ovmf')}`);
    return {
      warnings: svsmWarnings, inputs: { firmware: d.ovmf.describe, svsm: d.svsm.describe, varsSize: d.varsSize },
      launch: svsmLaunch({
        ovmf: firmwareImage(d.ovmf, spell('ovmf')), svsm: firmwareImage(d.svsm, spell('svsm')), varsSize: d.varsSize,
        unknownSections: d.unknownSections ?? 'error',
      }),
    };
  }
  if (mode !== 'snp') fail('usage', `${spell('mode')} ${mode} has no SNP launch to measure here; use the ovmf command`);
  if (d.svsm || d.varsSize !== undefined) fail('usage', `${spell('svsm')}, ${spell('varsSize')} and ${spell('varsFile')} belong to ${spell('mode')} snp:svsm`);
  const fw = ovmfSeedAndLayout(d, spell);
  return {
    warnings: boot0.warnings, inputs: fw.inputs, ...(boot ? { directBoot: boot.hashes } : {}),
    launch: ovmfLaunch({
      firmware: fw.firmware, layout: fw.layout, ...(fw.seed ? { seed: fw.seed } : {}), ...(boot ? { directBoot: boot.hashes } : {}),
      unknownSections: d.unknownSections ?? 'error', ...(d.product ? { product: d.product } : {}), ...(d.vmsaGpa !== undefined ? { vmsaGpa: d.vmsaGpa } : {}),
    }),
  };
}

/** Refuses profiles the launch is not modelled for (an IGVM launch runs under QEMU only): a sweep would skip them without a word. */
export function checkProfiles(profiles: readonly VmmProfile[] | undefined, launch: ConfigurableLaunch, spell: (k: string) => string): void {
  checkModelledProfiles(profiles ?? [], launch.profiles, launch.kind === 'igvm' ? 'IGVM launches are' : 'this launch is', spell);
}

/** The single configuration verify and the measuring commands use; lists must have one entry. */
export function singleConfig(d: LaunchDescription, launch: ConfigurableLaunch, spell: (k: string) => string = optionSpelling): LaunchConfig {
  checkProfiles(d.profiles, launch, spell);
  const defaults = launch.defaults ?? {};
  const one = <T>(list: readonly T[] | undefined, key: string): T | undefined => {
    if (list && list.length !== 1) fail('usage', `one configuration is measured here: give one value for ${spell(key)}`);
    return list?.[0];
  };
  // An IGVM launch has one vCPU unless told otherwise, as the igvm command.
  const vcpus = one(d.vcpus, 'vcpus') ?? defaults.vcpus ?? (launch.kind === 'igvm' ? 1 : undefined);
  if (vcpus === undefined) fail('usage', `missing ${spell('vcpus')} N`);
  const profile = one(d.profiles, 'vmmType') ?? defaults.profile ?? launch.profiles[0]!;
  const type = one(d.vcpuTypes, 'vcpuType');
  const signature = type?.signature ?? defaults.vcpuSignature;
  if (signature === undefined && profile.usesVcpuSignature && launch.kind !== 'igvm') {
    fail('usage', `missing ${spell('vcpuType')} or ${spell('vcpuSig')} or ${spell('vcpuFamily')} for profile ${profile.name}`);
  }
  const typeName = type?.name ?? (type ? undefined : defaults.vcpuType);
  return {
    vcpus, profile, ...(signature !== undefined ? { vcpuSignature: signature } : {}), ...(typeName ? { vcpuType: typeName } : {}),
    guestFeatures: one(d.guestFeatures, 'guestFeatures') ?? defaults.guestFeatures ?? 0x1n,
  };
}

/**
 * A search space: the description's lists, or the broad defaults `identify` searches. With the
 * launch, profiles it is not modelled for are refused.
 */
export function searchSpace(
  d: LaunchDescription, defaults: { vcpus: readonly number[]; features: readonly bigint[]; addFeatures?: boolean },
  launch?: ConfigurableLaunch, spell: (k: string) => string = optionSpelling,
): SearchSpace {
  if (launch) checkProfiles(d.profiles, launch, spell);
  return {
    vcpus: d.vcpus ?? defaults.vcpus,
    vcpuTypes: d.vcpuTypes ?? distinctVcpuTypes(),
    guestFeatures: d.guestFeatures ? (defaults.addFeatures ? [...new Set([...defaults.features, ...d.guestFeatures])] : d.guestFeatures) : defaults.features,
    profiles: d.profiles ?? ALL_PROFILES,
  };
}

/**
 * The matrix `reference-values` enumerates: the description's lists, else what the launch itself
 * names (a manifest's launch settings), else one default each (qemu, 0x1). vCPU counts must be
 * given (or named by the manifest); the qemu profile needs a vCPU model.
 */
export function referenceSpace(d: LaunchDescription, launch: ConfigurableLaunch, spell: (k: string) => string = optionSpelling): SearchSpace {
  const def = launch.defaults ?? {};
  checkProfiles(d.profiles, launch, spell);
  const vcpus = d.vcpus ?? (def.vcpus !== undefined ? [def.vcpus] : launch.kind === 'igvm' ? [1] : undefined);
  if (vcpus === undefined) fail('usage', `missing ${spell('vcpus')} (a count, a list or ranges such as 1-8,16)`);
  const profiles = d.profiles ?? [def.profile ?? launch.profiles[0]!];
  const vcpuTypes = d.vcpuTypes ?? (def.vcpuSignature !== undefined
    ? [{ name: def.vcpuType ?? `sig 0x${def.vcpuSignature.toString(16)}`, signature: def.vcpuSignature, aliases: [] }]
    : undefined);
  if (vcpuTypes === undefined && profiles.some((p) => p.usesVcpuSignature) && launch.kind !== 'igvm') {
    fail('usage', `the qemu profile measures the vCPU model: give ${spell('vcpuType')} (or ${spell('vcpuSig')}), lists allowed`);
  }
  return {
    vcpus, profiles, vcpuTypes: vcpuTypes ?? distinctVcpuTypes(),
    guestFeatures: d.guestFeatures ?? [def.guestFeatures ?? 0x1n],
  };
}

export { FOUR_GIB };
export type { VmmProfile };
