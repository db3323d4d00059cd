/**
 * IGVM launches: an IGVM file opened into a ConfigurableLaunch. Its own module so that commands
 * measuring other kinds never load the IGVM parser (openLaunchAsync).
 */
import { PROFILES, resolveProfile, type VmmProfile } from '../profiles.js';
import { measureIgvm, type ApVmsaPolicy, type IgvmSemantics } from '../igvm/measure.js';
import { parseIgvm, type IgvmFile } from '../igvm/parse.js';
import type { ConfigurableLaunch } from '../attestation/launch-space.js';
import type { LaunchDescription, Source } from './description.js';
import type { OpenedLaunch } from './build.js';

/**
 * The profiles an IGVM launch is modelled for: QEMU's loader in either era; the other semantics
 * measure only what the file holds, under QEMU's default era.
 */
export function igvmProfiles(semantics: IgvmSemantics): VmmProfile[] {
  return semantics === 'qemu' ? Object.values(PROFILES.qemu.eras) : [resolveProfile('qemu')];
}

/**
 * An IGVM image as a ConfigurableLaunch. The file brings its own guest features; with `qemu`
 * semantics (the default) it runs under every QEMU era, otherwise under one profile.
 */
export function igvmLaunch(file: IgvmFile, o: { semantics?: IgvmSemantics; apVmsa?: ApVmsaPolicy; deferRegions?: boolean; nativeZero?: boolean }): ConfigurableLaunch {
  const semantics = o.semantics ?? 'qemu';
  return {
    kind: 'igvm', usesGuestFeatures: false,
    profiles: igvmProfiles(semantics),
    plan: (c) => measureIgvm(file, {
      semantics, vcpus: c.vcpus, ...(c.vcpuSignature !== undefined ? { vcpuSignature: c.vcpuSignature } : {}), apVmsa: o.apVmsa ?? 'reset',
      deferRegions: o.deferRegions ?? true, era: c.profile.era === 'pre-init2' ? 'pre-init2' : 'init2', nativeZero: o.nativeZero ?? false,
    }).plan,
    prefixKey: () => 'igvm',
  };
}

/** An IGVM file from an opened source: whole when it is in memory, else read as it is parsed and measured. */
export function parseIgvmSource(s: Source): IgvmFile {
  return parseIgvm(s.bytes ?? { length: s.length, read: (o, n) => { const b = new Uint8Array(n); s.read(o, b); return b; } });
}

/** The IGVM launch `d.igvm` names (openLaunch's igvm branch). */
export function openIgvmLaunch(d: LaunchDescription): OpenedLaunch {
  const file = parseIgvmSource(d.igvm!);
  return {
    igvm: file, warnings: [], inputs: { igvm: d.igvm!.describe },
    launch: igvmLaunch(file, {
      semantics: d.semantics ?? 'qemu', apVmsa: d.apVmsa ?? 'reset', deferRegions: !(d.fileOrder ?? false),
      nativeZero: (d.measuredZero ?? 'normal') === 'native',
    }),
  };
}
