/**
 * Drift between a lock and a fresh computation of the same config: per launch, which inputs and
 * options changed, and per configuration whether its digest moved and at which checkpoint the two
 * launches part, with the changed inputs that feed that checkpoint as the likely cause.
 *
 * Only digests decide drift. Inputs that changed without moving a digest (a region source changed
 * outside the window the manifest reads) and a different tool version are notes, not drift.
 */
import type { Checkpoint } from './checkpoints.js';
import {
  configurationKey, configurationLabel, type Lock, type LockConfiguration, type LockInput, type LockLaunch,
} from './lock.js';

export interface InputChange {
  readonly key: string;
  readonly change: 'changed' | 'added' | 'removed';
  readonly old?: LockInput;
  readonly new?: LockInput;
}

export interface OptionChange { readonly key: string; readonly old?: unknown; readonly new?: unknown }

export interface Divergence {
  /** Index of the first checkpoint that differs. */
  readonly checkpoint: number;
  /** The group there, now (or in the lock when the new launch ends before it). */
  readonly group: string;
  /** The lock's group at that index, when it names another one. */
  readonly lockGroup?: string;
  /** Launch step (0-based) the group starts at, now. */
  readonly step: number;
  /** `kernel-hashes 3 SNP_KERNEL_HASHES: cmdline changed`. */
  readonly explanation: string;
}

export interface ConfigurationDrift {
  readonly label: string;
  readonly status: 'unchanged' | 'changed' | 'added' | 'removed';
  readonly configuration: Omit<LockConfiguration, 'digest' | 'checkpoints'>;
  readonly lockDigest?: string;
  readonly digest?: string;
  readonly divergence?: Divergence;
  /** For added or removed configurations: the options whose change explains it. */
  readonly because?: string;
}

export interface LaunchDrift {
  readonly name: string;
  /** added: in the config, not the lock; removed: in the lock, not the config. */
  readonly status: 'unchanged' | 'drift' | 'added' | 'removed';
  readonly kind: string;
  readonly inputs: readonly InputChange[];
  readonly options: readonly OptionChange[];
  readonly configurations: readonly ConfigurationDrift[];
}

export interface CheckReport {
  readonly ok: boolean;
  readonly launches: readonly LaunchDrift[];
  readonly notes: readonly string[];
  readonly lockVersion?: string;
}

/** Which inputs and options feed each kind of checkpoint group. */
const FEEDS: Readonly<Record<string, readonly string[]>> = {
  'seed': ['ovmf', 'metadata', 'snpOvmfHash'],
  'firmware': ['ovmf'],
  'svsm': ['svsm', 'varsSize', 'varsFile'],
  'metadata': ['ovmf', 'metadata', 'unknownSections'],
  'kernel-hashes': ['kernel', 'initrd', 'append', 'kernelSha256', 'initrdSha256', 'appendSha256', 'ovmf', 'metadata'],
  'region': ['manifest', 'apResetEip', 'measuredZero', 'firmwareMetadata'],
  'igvm': ['igvm', 'manifest', 'semantics', 'apVmsa', 'fileOrder', 'measuredZero'],
  'vmsa': ['ovmf', 'metadata', 'manifest', 'igvm', 'apResetEip', 'apVmsa', 'product', 'vmsaGpa', 'vmmType', 'vmmEra', 'vcpuType', 'vcpuSig', 'vcpuFamily', 'vcpuModel', 'vcpuStepping', 'guestFeatures', 'semantics'],
};

/** How an input or option is named in explanations: the command line is `append`, people say cmdline. */
export function inputName(key: string): string {
  if (key === 'append') return 'cmdline';
  return key.endsWith('.append') ? `${key.slice(0, -'.append'.length)} cmdline` : key;
}

/** `option vcpus changed: "1-4" -> "1-3"`. */
export function describeOptionChange(o: OptionChange): string {
  const show = (v: unknown): string => (v === undefined ? '(absent)' : JSON.stringify(v));
  return `option ${o.key} changed: ${show(o.old)} -> ${show(o.new)}`;
}

function feeds(group: string, key: string): boolean {
  const kind = group.split(' ')[0]!;
  if (key.startsWith('manifest.regions[')) {
    const i = /\[(\d+)\]/.exec(key)![1];
    const ownRegion = kind === 'region' && group.split(' ')[1] === i;
    // A kernelHashes source's kernel, initrd or command line: the page it fills (its region, or the
    // firmware's SNP_KERNEL_HASHES section with firmwareMetadata "ovmf").
    if (/\.(kernel|initrd|append)$/.test(key)) return ownRegion || kind === 'kernel-hashes';
    // A region's source feeds that region, an IGVM image carried in it, and (the firmware region)
    // the metadata sections and kernel-hashes layout firmwareMetadata "ovmf" reads from it.
    return ownRegion || (kind === 'igvm' && group.includes(`region ${i} IGVM`)) || kind === 'metadata' || kind === 'kernel-hashes';
  }
  return (FEEDS[kind] ?? []).includes(key);
}

const sameInput = (a: LockInput, b: LockInput): boolean => a.sha256 === b.sha256 && ('text' in a) === ('text' in b);
const canonical = (v: unknown): string => JSON.stringify(v) ?? 'undefined';
/** Own properties only: keys come from files (a launch or input may be named like an Object.prototype member). */
const own = <T>(o: Readonly<Record<string, T>>, k: string): T | undefined => (Object.hasOwn(o, k) ? o[k] : undefined);

function inputChanges(old: LockLaunch, now: LockLaunch): InputChange[] {
  const keys = [...new Set([...Object.keys(old.inputs), ...Object.keys(now.inputs)])].sort();
  const out: InputChange[] = [];
  for (const key of keys) {
    const a = own(old.inputs, key);
    const b = own(now.inputs, key);
    if (a && b) { if (!sameInput(a, b)) out.push({ key, change: 'changed', old: a, new: b }); }
    else if (b) out.push({ key, change: 'added', new: b });
    else if (a) out.push({ key, change: 'removed', old: a });
  }
  return out;
}

function optionChanges(old: LockLaunch, now: LockLaunch): OptionChange[] {
  const keys = [...new Set([...Object.keys(old.options), ...Object.keys(now.options)])].sort();
  return keys.filter((k) => canonical(own(old.options, k)) !== canonical(own(now.options, k))).map((key) => ({
    key, ...(own(old.options, key) !== undefined ? { old: own(old.options, key) } : {}), ...(own(now.options, key) !== undefined ? { new: own(now.options, key) } : {}),
  }));
}

function stepAt(points: readonly Checkpoint[], index: number): number {
  let s = 0;
  for (let i = 0; i < index && i < points.length; i++) s += points[i]!.steps;
  return s;
}

function explain(group: string, changed: readonly string[], lockVersion: string, nowVersion: string): string {
  const fed = changed.filter((k) => feeds(group, k));
  if (fed.length) return `${group}: ${fed.map(inputName).join(', ')} changed`;
  if (changed.length) return `${group}: differs (changed elsewhere: ${changed.map(inputName).join(', ')})`;
  if (lockVersion !== nowVersion) return `${group}: no input changed; the lock was written by version ${lockVersion}, whose measurement here differs from ${nowVersion}'s`;
  return `${group}: no input changed (was the lock edited?)`;
}

function divergence(a: readonly Checkpoint[], b: readonly Checkpoint[], changed: readonly string[], versions: [string, string]): Divergence {
  let i = 0;
  while (i < a.length && i < b.length && a[i]!.group === b[i]!.group && a[i]!.digest === b[i]!.digest) i++;
  const now = b[i];
  const old = a[i];
  const group = now?.group ?? old?.group ?? '(end)';
  return {
    checkpoint: i, group, ...(old && old.group !== group ? { lockGroup: old.group } : {}), step: stepAt(b, i),
    explanation: now || old ? explain(group, changed, versions[0], versions[1]) : `${group}: the launches have the same checkpoints`,
  };
}

function stripDigests(c: LockConfiguration): Omit<LockConfiguration, 'digest' | 'checkpoints'> {
  return { vcpus: c.vcpus, vcpuType: c.vcpuType, vcpuSignature: c.vcpuSignature, vmmType: c.vmmType, vmmEra: c.vmmEra, guestFeatures: c.guestFeatures };
}

function compareLaunch(name: string, old: LockLaunch, now: LockLaunch, versions: [string, string]): LaunchDrift {
  const inputs = inputChanges(old, now);
  const options = optionChanges(old, now);
  const changedKeys = [...inputs.map((c) => c.key), ...options.map((c) => c.key)];
  const matrixBecause = options.length ? options.map(describeOptionChange).join('; ') : undefined;
  const before = new Map(old.configurations.map((c) => [configurationKey(c), c]));
  const seen = new Set<string>();
  const configurations: ConfigurationDrift[] = [];
  for (const c of now.configurations) {
    const key = configurationKey(c);
    seen.add(key);
    const o = before.get(key);
    const base = { label: configurationLabel(c), configuration: stripDigests(c) };
    if (!o) configurations.push({ ...base, status: 'added', digest: c.digest, ...(matrixBecause ? { because: matrixBecause } : {}) });
    else if (o.digest === c.digest) configurations.push({ ...base, status: 'unchanged', lockDigest: o.digest, digest: c.digest });
    else configurations.push({ ...base, status: 'changed', lockDigest: o.digest, digest: c.digest, divergence: divergence(o.checkpoints, c.checkpoints, changedKeys, versions) });
  }
  for (const o of old.configurations) {
    if (!seen.has(configurationKey(o))) {
      configurations.push({ label: configurationLabel(o), configuration: stripDigests(o), status: 'removed', lockDigest: o.digest, ...(matrixBecause ? { because: matrixBecause } : {}) });
    }
  }
  const drift = configurations.some((c) => c.status !== 'unchanged') || old.kind !== now.kind;
  return { name, status: drift ? 'drift' : 'unchanged', kind: now.kind, inputs, options, configurations };
}

const onlySide = (name: string, l: LockLaunch, status: 'added' | 'removed'): LaunchDrift => ({
  name, status, kind: l.kind, inputs: [], options: [],
  configurations: l.configurations.map((c) => ({
    label: configurationLabel(c), configuration: stripDigests(c), status,
    ...(status === 'added' ? { digest: c.digest } : { lockDigest: c.digest }),
  })),
});

/** Compares a lock with a fresh computation of its config. */
export function compareLocks(lock: Lock, now: Lock): CheckReport {
  const versions: [string, string] = [lock.tool.version, now.tool.version];
  const names = [...new Set([...Object.keys(lock.launches), ...Object.keys(now.launches)])].sort();
  const launches = names.map((name) => {
    // Own properties only: a launch may be named like an Object.prototype member (constructor).
    const a = own(lock.launches, name);
    const b = own(now.launches, name);
    if (a && b) return compareLaunch(name, a, b, versions);
    return b ? onlySide(name, b, 'added') : onlySide(name, a!, 'removed');
  });
  const notes: string[] = [];
  if (lock.tool.name !== now.tool.name || lock.tool.version !== now.tool.version) {
    notes.push(`the lock was written by ${lock.tool.name} ${lock.tool.version}; this is ${now.tool.name} ${now.tool.version} (a version change alone is not drift)`);
  }
  for (const k of ['regions', 'igvmSemantics', 'profiles'] as const) {
    if (canonical(lock.rules[k]) !== canonical(now.rules[k])) notes.push(`rules.${k} differ: lock ${canonical(lock.rules[k])}, now ${canonical(now.rules[k])}`);
  }
  for (const l of launches) {
    if (l.status === 'unchanged' && (l.inputs.length || l.options.length)) {
      notes.push(`launch ${l.name}: ${[...l.inputs.map((c) => inputName(c.key)), ...l.options.map((o) => o.key)].join(', ')} changed but every digest is the same (--update records the new values)`);
    }
  }
  return { ok: launches.every((l) => l.status === 'unchanged'), launches, notes, lockVersion: lock.tool.version };
}
