/**
 * Measuring a CI config: each launch is described like the command line's (describeLaunch, the
 * same keys and values), opened (openLaunch), its inputs hashed, and every configuration of its
 * matrix measured with checkpoints.
 *
 * Configurations come in sweep order (src/attestation/launch-space.ts): profile, vCPU type, guest
 * features, then vCPU counts ascending. As in the sweep, the steps before the VMSAs are measured
 * once per distinct prefix and each further vCPU count costs one VMSA step; a launch whose VMSAs do
 * not extend that way is measured count by count.
 *
 * File access is the caller's: `open` turns a path written in the config into a source (the Node
 * edge resolves it against the config's folder).
 */
import { MeasureError, fail, isMeasureError } from '../errors.js';
import { fromHex, hex64, toHex } from '../bytes.js';
import { defaultSuite, sha256WhileRead, type HashSuite } from '../hash/suite.js';
import { cmdlineHash } from '../ovmf/kernel-hashes.js';
import { PageType } from '../snp/page-info.js';
import { optionByKey } from '../options/table.js';
import { describeLaunch, type LaunchDescription, type Source, type VcpuTypeChoice } from '../launch/description.js';
import { checkProfiles, sourceSha256 } from '../launch/build.js';
import { openLaunch } from '../launch/open.js';
import type { ConfigurableLaunch, LaunchConfig } from '../attestation/launch-space.js';
import type { VmmProfile } from '../profiles.js';
import { checkStepCap, finalDigest, measureGroups, planCheckpoints, type Checkpoint } from './checkpoints.js';
import { FILE_KEYS, type CiConfig, type CiLaunch } from './config.js';
import { newLock, type Lock, type LockConfiguration, type LockInput, type LockLaunch } from './lock.js';

export interface ComputeEnv {
  /** Opens a file the config names (`path` as written there); `what` names it in messages. */
  /** `key` is the launch option the path came from (`manifest`, `metadata`, ...): it sets the input's size limit. */
  readonly open: (path: string, what: string, key?: string) => Source;
  readonly hashes?: HashSuite;
  /** Warnings (an empty kernel that disables direct boot...), prefixed with the launch. */
  readonly warn?: (message: string) => void;
}

/** The configurations a launch's matrix names, with the launch's own defaults (a manifest's launch settings). */
interface Matrix {
  readonly vcpus: readonly number[];
  readonly profiles: readonly VmmProfile[];
  readonly vcpuTypes: readonly (VcpuTypeChoice | null)[];
  readonly guestFeatures: readonly bigint[];
}

function matrixOf(d: LaunchDescription, launch: ConfigurableLaunch, spell: (k: string) => string): Matrix {
  const defaults = launch.defaults ?? {};
  const vcpus = d.vcpus ?? (defaults.vcpus !== undefined ? [defaults.vcpus] : launch.kind === 'igvm' ? [1] : undefined);
  if (!vcpus) fail('usage', `${spell('vcpus')} is missing (a count, a list or ranges such as "1-4,8")`);
  const profiles = d.profiles ?? [defaults.profile ?? launch.profiles[0]!];
  checkProfiles(profiles, launch, spell);
  const defaultType = defaults.vcpuSignature !== undefined
    ? { name: defaults.vcpuType ?? `sig ${hex64(defaults.vcpuSignature)}`, signature: defaults.vcpuSignature, aliases: [] }
    : undefined;
  const vcpuTypes = d.vcpuTypes ?? (defaultType ? [defaultType] : [null]);
  if (vcpuTypes[0] === null && launch.kind !== 'igvm') {
    const needs = profiles.find((p) => p.usesVcpuSignature);
    if (needs) fail('usage', `${spell('vcpuType')} (or ${spell('vcpuSig')}) is missing: profile ${needs.name} measures the vCPU model`);
  }
  // A value listed twice is one configuration, not two with the same identity.
  const distinct = <T>(list: readonly T[], key: (v: T) => string): T[] => [...new Map(list.map((v) => [key(v), v])).values()];
  return {
    vcpus: [...new Set(vcpus)].sort((a, b) => a - b),
    profiles: distinct(profiles, (p) => `${p.name}:${p.era}`),
    vcpuTypes: distinct(vcpuTypes, (t) => (t ? `${t.name}:${t.signature}` : '')),
    guestFeatures: distinct(d.guestFeatures ?? [defaults.guestFeatures ?? 0x1n], (f) => f.toString()),
  };
}

interface Measured { readonly config: LaunchConfig; readonly checkpoints: readonly Checkpoint[] }

/** Every configuration of the matrix, measured with checkpoints, in sweep order. */
function measureMatrix(launch: ConfigurableLaunch, m: Matrix, cap: number, hashes: HashSuite, label: (c: LaunchConfig) => string): Measured[] {
  const out: Measured[] = [];
  const prefixes = new Map<string, Checkpoint[]>();
  const maxN = m.vcpus[m.vcpus.length - 1]!;
  for (const profile of m.profiles) {
    const types = profile.usesVcpuSignature || launch.kind === 'igvm' ? m.vcpuTypes : [null];
    const features: (bigint | null)[] = launch.usesGuestFeatures ? [...m.guestFeatures] : [null];
    for (const type of types) {
      for (const gf of features) {
        const base = { profile, guestFeatures: gf ?? 0x1n, ...(type ? { vcpuSignature: type.signature, vcpuType: type.name } : {}) };
        const full = launch.plan({ ...base, vcpus: maxN });
        const firstVmsa = full.runs.findIndex((r) => r.pageType === PageType.Vmsa);
        const vmsas = firstVmsa < 0 ? [] : full.runs.slice(firstVmsa);
        const extends_ = vmsas.length === maxN && vmsas.every((r) => r.pageType === PageType.Vmsa && r.pages === 1);
        if (!extends_) {
          for (const n of m.vcpus) {
            const config = { ...base, vcpus: n };
            const plan = n === maxN ? full : launch.plan(config);
            checkStepCap(plan, cap, label(config));
            out.push({ config, checkpoints: planCheckpoints(plan, { hashes }) });
          }
          continue;
        }
        const prefixRuns = full.runs.slice(0, firstVmsa);
        const key = `${launch.prefixKey({ ...base, vcpus: maxN })}\u0000${full.seed ? toHex(full.seed) : ''}`;
        let prefix = prefixes.get(key);
        if (!prefix) {
          checkStepCap({ runs: prefixRuns }, cap, label({ ...base, vcpus: 0 }));
          prefix = planCheckpoints({ ...(full.seed ? { seed: full.seed } : {}), runs: prefixRuns }, { hashes });
          prefixes.set(key, prefix);
        }
        const prefixSteps = prefix.reduce((s, c) => s + c.steps, 0);
        const start = prefix.length ? prefix[prefix.length - 1]!.digest : undefined;
        const vmsaPoints = measureGroups(vmsas, start === undefined ? undefined : fromHex(start, 'checkpoint', 48), { hashes });
        for (const n of m.vcpus) {
          const config = { ...base, vcpus: n };
          if (prefixSteps + n > cap) fail('too-many-steps', `${label(config)}: the launch has ${prefixSteps + n} steps (more than ${cap}; maxSteps raises the cap)`);
          out.push({ config, checkpoints: [...prefix, ...vmsaPoints.slice(0, n)] });
        }
      }
    }
  }
  return out;
}

function fileInput(path: string, s: Source, hashes: HashSuite): LockInput {
  return { path, sha256: toHex(sourceSha256(s, hashes)), size: s.length };
}

/** Measures one launch of a config. */
export function computeLaunch(l: CiLaunch, env: ComputeEnv): LockLaunch {
  const spell = (k: string): string => `launches.${l.name}.${k}`;
  const hashes = env.hashes ?? defaultSuite;
  try {
    const files = new Map<string, { path: string; source: Source }>();
    const d = describeLaunch(l.values, {
      spell,
      open: (value, key, what) => {
        // Measuring reads most inputs whole and in order (firmware, manifest, kernel, initrd):
        // their lock SHA-256 comes from that read, so they are hashed after the launch, below.
        const source = sha256WhileRead(env.open(value as string, what, key), hashes);
        files.set(key, { path: value as string, source });
        return source;
      },
    });
    const opened = openLaunch(d, { spell, hashes });
    // A warning that names a key of the launch already says which launch it is.
    for (const w of opened.warnings) env.warn?.(w.startsWith(`launches.${l.name}.`) ? w : `launches.${l.name}: ${w}`);
    const options: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(l.values)) {
      if (k !== 'append' && !(FILE_KEYS.includes(k) && v !== '')) options[k] = v;
    }
    const cap = d.maxSteps ?? Number(optionByKey('maxSteps')!.default);
    const label = (c: LaunchConfig): string => `launches.${l.name} (vcpus=${c.vcpus}${c.vcpuType ? ` ${c.vcpuType}` : ''} ${c.profile.name}/${c.profile.era})`;
    const measured = measureMatrix(opened.launch, matrixOf(d, opened.launch, spell), cap, hashes, label);
    const inputs: Record<string, LockInput> = {};
    for (const [key, f] of files) inputs[key] = fileInput(f.path, f.source, hashes);
    if (d.append !== undefined) inputs['append'] = { text: d.append, sha256: toHex(cmdlineHash(d.append, hashes)) };
    // The manifest's own sources are inputs too (a new firmware changes the digest, not the
    // manifest), as the launch opened them: a kernelHashes source's files were hashed then.
    for (const r of opened.regionSources ?? []) {
      const key = `manifest.regions[${r.index}]`;
      if ('file' in r.source && r.data) inputs[key] = fileInput(r.source.file, r.data, hashes);
      else if ('kernelHashes' in r.source && r.kernelHashes) {
        const k = r.source.kernelHashes;
        const sizeOf = (path: string, what: string): number => d.manifest!.relative!(path, `${spell('manifest')} regions[${r.index}].source.kernelHashes.${what}`, 0).length;
        if (k.kernel) inputs[`${key}.kernel`] = { path: k.kernel, sha256: toHex(r.kernelHashes.kernel), size: sizeOf(k.kernel, 'kernel') };
        if (k.initrd) inputs[`${key}.initrd`] = { path: k.initrd, sha256: toHex(r.kernelHashes.initrd), size: sizeOf(k.initrd, 'initrd') };
        if (k.append !== undefined) inputs[`${key}.append`] = { text: k.append, sha256: toHex(r.kernelHashes.cmdline) };
      }
    }
    const usesSignature = (p: VmmProfile): boolean => p.usesVcpuSignature || opened.launch.kind === 'igvm';
    const configurations: LockConfiguration[] = measured.map(({ config: c, checkpoints }) => ({
      vcpus: c.vcpus,
      vcpuType: usesSignature(c.profile) ? c.vcpuType ?? null : null,
      vcpuSignature: usesSignature(c.profile) && c.vcpuSignature !== undefined ? hex64(c.vcpuSignature) : null,
      vmmType: c.profile.name, vmmEra: c.profile.era,
      guestFeatures: opened.launch.usesGuestFeatures ? hex64(c.guestFeatures) : null,
      digest: finalDigest(checkpoints), checkpoints,
    }));
    return { kind: l.kind, inputs, options, configurations };
  } catch (e) {
    if (isMeasureError(e) && !e.message.startsWith('launches.')) throw new MeasureError(e.code, `launches.${l.name}: ${e.message}`, e.details);
    throw e;
  }
}

/** Measures every launch of a config into a lock. */
export function computeLock(config: CiConfig, env: ComputeEnv): Lock {
  const launches: Record<string, LockLaunch> = {};
  for (const l of config.launches) launches[l.name] = computeLaunch(l, env);
  return newLock(launches);
}
