/**
 * vmfwupdate region-list launches: a manifest opened into a ConfigurableLaunch. Its own module so
 * that commands measuring other kinds never load the region-list code (openLaunchAsync).
 */
import { fail } from '../errors.js';
import { resolveProfile } from '../profiles.js';
import { resolveVcpuType } from '../cpu.js';
import { replayRegions, type RegionSpec } from '../regions/replay.js';
import { EMPTY_MEMORY, type GuestMemory } from '../regions/memory.js';
import { manifestRegionSpecs, parseManifest, type LaunchSettings } from '../regions/manifest.js';
import { ALL_PROFILES, type ConfigurableLaunch, type LaunchConfig } from '../attestation/launch-space.js';
import { readText, optionSpelling, type LaunchDescription } from './description.js';
import type { BuildContext, OpenedLaunch } from './build.js';

/** What a region-list launch is made of, apart from its configuration: the regions, guest memory for sources not in the manifest, and its launch settings. */
export interface RegionsLaunchInputs {
  readonly regions: readonly RegionSpec[];
  readonly memory: GuestMemory;
  readonly capabilities?: bigint;
  readonly settings: LaunchSettings;
}

/**
 * A vmfwupdate region-list launch as a ConfigurableLaunch; the manifest's launch settings become
 * its defaults. Unknown vCPU types are refused (`vcpu-type`).
 */
export function regionsLaunch(i: RegionsLaunchInputs): ConfigurableLaunch {
  const s = i.settings;
  const sig = s.vcpuSignature ?? (s.vcpuType !== undefined ? BigInt(resolveVcpuType(s.vcpuType).signature) : undefined);
  const defaults: Partial<LaunchConfig> = {
    ...(s.vcpus !== undefined ? { vcpus: s.vcpus } : {}),
    ...(s.profile !== undefined || s.era !== undefined ? { profile: resolveProfile(s.profile ?? 'qemu', s.era) } : {}),
    ...(sig !== undefined ? { vcpuSignature: sig } : {}),
    ...(s.vcpuType !== undefined ? { vcpuType: resolveVcpuType(s.vcpuType).name } : {}),
    ...(s.guestFeatures !== undefined ? { guestFeatures: s.guestFeatures } : {}),
  };
  return {
    kind: 'regions', profiles: ALL_PROFILES, usesGuestFeatures: true, defaults,
    plan: (c) => replayRegions({
      ...(i.capabilities !== undefined ? { capabilities: i.capabilities } : {}), regions: i.regions, memory: i.memory,
      launch: {
        vcpus: c.vcpus, profile: c.profile, vcpuSignature: c.vcpuSignature ?? 0n, guestFeatures: c.guestFeatures,
        apResetEip: s.apResetEip ?? null, measuredZero: s.measuredZero ?? 'native', firmwareMetadata: s.firmwareMetadata ?? 'none',
      },
    }).plan,
    prefixKey: (c) => ((s.firmwareMetadata ?? 'none') === 'ovmf' ? c.profile.name : 'regions'),
  };
}

/** The region-list launch `d.manifest` names, with the sources it opened (openLaunch's regions branch). */
export function openRegionsLaunch(d: LaunchDescription, ctx: BuildContext = {}): OpenedLaunch {
  const spell = ctx.spell ?? optionSpelling;
  const src = d.manifest!;
  if (!src.relative) fail('usage', `${spell('manifest')}: its file sources cannot be opened here`);
  const manifest = parseManifest(readText(src), `manifest ${src.describe}`);
  const settings = { ...manifest.launch };
  if (d.apResetEip !== undefined) settings.apResetEip = d.apResetEip;
  if (d.measuredZero !== undefined) settings.measuredZero = d.measuredZero;
  if (d.firmwareMetadata !== undefined) settings.firmwareMetadata = d.firmwareMetadata;
  const regions = manifestRegionSpecs(manifest, src.relative);
  const regionSources = manifest.regions.flatMap((r, index) => {
    const spec = regions[index]!;
    return r.source ? [{ index, source: r.source, ...(spec.data ? { data: spec.data } : {}), ...(spec.kernelHashes ? { kernelHashes: spec.kernelHashes } : {}) }] : [];
  });
  return {
    warnings: [], inputs: { manifest: src.describe }, regionSources,
    launch: regionsLaunch({
      regions, memory: ctx.memory ?? EMPTY_MEMORY,
      ...(manifest.struct?.capabilities !== undefined ? { capabilities: manifest.struct.capabilities } : {}),
      settings,
    }),
  };
}
