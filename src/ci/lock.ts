/**
 * The lock file (`vmfw-measure.lock.json`, docs/ci.md): what every launch of a CI config measured,
 * with the SHA-256 of each input and, per configuration, the digest and its checkpoints.
 *
 * Written deterministically for code review: launch, input and option names sorted, records in
 * one fixed field order, configurations in sweep order (profile, vCPU type, guest features, count),
 * no timestamps, 2-space JSON with a trailing newline. Reading checks every field it relies on,
 * naming it (`lock.launches.web.configurations[2].digest`).
 */
import { fail } from '../errors.js';
import { fromHex, parseUnsigned } from '../bytes.js';
import { parseJsonExact } from '../json-exact.js';
import { RULES_VERSION } from '../regions/format.js';
import { FORMATS } from '../formats.js';
import { LAUNCH_NAME } from './config.js';
import { IGVM_SEMANTICS } from '../igvm/measure.js';
import { PROFILES } from '../profiles.js';
import { TOOL_NAME, VERSION } from '../version.js';
import type { ConfigResult } from '../attestation/launch-space.js';
import type { ReferenceSet } from '../attestation/reference-reader.js';
import type { Checkpoint } from './checkpoints.js';
import { LAUNCH_KINDS, type LaunchKind } from './config.js';

export const LOCK_FORMAT = FORMATS.lock;

/** A file input: its path as the config writes it, its SHA-256 and size. */
export interface FileInput { readonly path: string; readonly sha256: string; readonly size: number }
/** A text input (the kernel command line): the text and the SHA-256 of its UTF-8 bytes plus NUL, as measured. */
export interface TextInput { readonly text: string; readonly sha256: string }
export type LockInput = FileInput | TextInput;

export interface LockConfiguration {
  readonly vcpus: number;
  readonly vcpuType: string | null;
  /** 0x-hex; null where the profile does not measure it. */
  readonly vcpuSignature: string | null;
  readonly vmmType: string;
  readonly vmmEra: string;
  /** 0x-hex; null where the launch brings its own (IGVM). */
  readonly guestFeatures: string | null;
  readonly digest: string;
  readonly checkpoints: readonly Checkpoint[];
}

export interface LockLaunch {
  readonly kind: LaunchKind;
  readonly inputs: Readonly<Record<string, LockInput>>;
  /** The other options as the config writes them (matrix lists included). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly configurations: readonly LockConfiguration[];
}

export interface LockRules {
  /** Region-list rules version. */
  readonly regions: string;
  /** IGVM semantics this version models. */
  readonly igvmSemantics: readonly string[];
  /** VMM profiles and eras this version models (name:era). */
  readonly profiles: readonly string[];
}

export interface Lock {
  readonly format: string;
  readonly tool: { readonly name: string; readonly version: string };
  readonly rules: LockRules;
  readonly launches: Readonly<Record<string, LockLaunch>>;
}

export function currentRules(): LockRules {
  return {
    regions: RULES_VERSION,
    igvmSemantics: [...IGVM_SEMANTICS],
    profiles: Object.values(PROFILES).flatMap((f) => Object.values(f.eras).map((p) => `${p.name}:${p.era}`)),
  };
}

export function newLock(launches: Readonly<Record<string, LockLaunch>>): Lock {
  return { format: LOCK_FORMAT, tool: { name: TOOL_NAME, version: VERSION }, rules: currentRules(), launches };
}

/** Identity of a configuration within a launch (everything but its digest). */
export function configurationKey(c: Pick<LockConfiguration, 'vcpus' | 'vcpuType' | 'vcpuSignature' | 'vmmType' | 'vmmEra' | 'guestFeatures'>): string {
  return `${c.vmmType}:${c.vmmEra} vcpus=${c.vcpus} type=${c.vcpuType ?? '-'} sig=${c.vcpuSignature ?? '-'} features=${c.guestFeatures ?? '-'}`;
}

/** A configuration as people read it: `vcpus=2 EPYC-Milan qemu/init2 features=0x1`. */
export function configurationLabel(c: Pick<LockConfiguration, 'vcpus' | 'vcpuType' | 'vcpuSignature' | 'vmmType' | 'vmmEra' | 'guestFeatures'>): string {
  const type = c.vcpuType ?? (c.vcpuSignature !== null ? `sig ${c.vcpuSignature}` : undefined);
  return [`vcpus=${c.vcpus}`, ...(type ? [type] : []), `${c.vmmType}/${c.vmmEra}`, ...(c.guestFeatures !== null ? [`features=${c.guestFeatures}`] : [])].join(' ');
}

const sortedRecord = <T>(r: Readonly<Record<string, T>>, map: (v: T) => unknown = (v) => v): Record<string, unknown> =>
  Object.fromEntries(Object.keys(r).sort().map((k) => [k, map(r[k]!)]));

/** The lock as file text: fixed field order, sorted names, trailing newline. */
export function serializeLock(lock: Lock): string {
  const input = (i: LockInput): unknown => ('path' in i ? { path: i.path, sha256: i.sha256, size: i.size } : { text: i.text, sha256: i.sha256 });
  const doc = {
    format: lock.format,
    tool: { name: lock.tool.name, version: lock.tool.version },
    rules: { regions: lock.rules.regions, igvmSemantics: lock.rules.igvmSemantics, profiles: lock.rules.profiles },
    launches: sortedRecord(lock.launches, (l) => ({
      kind: l.kind,
      inputs: sortedRecord(l.inputs, input),
      options: sortedRecord(l.options),
      configurations: l.configurations.map((c) => ({
        vcpus: c.vcpus, vcpuType: c.vcpuType, vcpuSignature: c.vcpuSignature, vmmType: c.vmmType, vmmEra: c.vmmEra,
        guestFeatures: c.guestFeatures, digest: c.digest,
        checkpoints: c.checkpoints.map((p) => ({ group: p.group, steps: p.steps, digest: p.digest })),
      })),
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

// ---- reading ----

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const DIGEST = /^[0-9a-f]{96}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** Whether a parsed JSON document says it is a lock (so readers of other formats can hand it over). */
export function isLockDocument(doc: unknown): boolean {
  return isObject(doc) && doc['format'] === LOCK_FORMAT;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') fail('lock', `${what}: expected a string`);
  return v;
}
function strOrNull(v: unknown, what: string): string | null {
  return v === null ? null : str(v, what);
}
function hexOrNull(v: unknown, what: string): string | null {
  const s = strOrNull(v, what);
  if (s !== null && !/^0x[0-9a-f]+$/.test(s)) fail('lock', `${what}: expected 0x-hex or null`);
  return s;
}
function count(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail('lock', `${what}: expected a count`);
  return v;
}
function digest(v: unknown, what: string, re = DIGEST): string {
  const s = str(v, what);
  if (!re.test(s)) fail('lock', `${what}: expected ${re === DIGEST ? 96 : 64} lowercase hex digits`);
  return s;
}
function record(v: unknown, what: string): Record<string, unknown> {
  if (!isObject(v)) fail('lock', `${what}: expected an object`);
  return v;
}
function list(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) fail('lock', `${what}: expected a list`);
  return v;
}

function readInput(v: unknown, what: string): LockInput {
  const o = record(v, what);
  if ('text' in o) return { text: str(o['text'], `${what}.text`), sha256: digest(o['sha256'], `${what}.sha256`, SHA256) };
  return { path: str(o['path'], `${what}.path`), sha256: digest(o['sha256'], `${what}.sha256`, SHA256), size: count(o['size'], `${what}.size`) };
}

function readConfiguration(v: unknown, what: string): LockConfiguration {
  const o = record(v, what);
  const vcpus = count(o['vcpus'], `${what}.vcpus`);
  const checkpoints = list(o['checkpoints'], `${what}.checkpoints`).map((p, i) => {
    const w = `${what}.checkpoints[${i}]`;
    const r = record(p, w);
    return { group: str(r['group'], `${w}.group`), steps: count(r['steps'], `${w}.steps`), digest: digest(r['digest'], `${w}.digest`) };
  });
  return {
    vcpus, vcpuType: strOrNull(o['vcpuType'], `${what}.vcpuType`), vcpuSignature: hexOrNull(o['vcpuSignature'], `${what}.vcpuSignature`),
    vmmType: str(o['vmmType'], `${what}.vmmType`), vmmEra: str(o['vmmEra'], `${what}.vmmEra`),
    guestFeatures: hexOrNull(o['guestFeatures'], `${what}.guestFeatures`), digest: digest(o['digest'], `${what}.digest`), checkpoints,
  };
}

/** Reads a parsed lock document; `what` names the file in messages. */
export function readLock(doc: unknown, what: string): Lock {
  const o = record(doc, what);
  if (o['format'] !== LOCK_FORMAT) {
    fail('lock', `${what}: not a vmfw-measure lock (format ${JSON.stringify(o['format'] ?? null)}; this version reads ${LOCK_FORMAT})`);
  }
  const tool = record(o['tool'], `${what}.tool`);
  const rules = record(o['rules'], `${what}.rules`);
  const launches = record(o['launches'], `${what}.launches`);
  const out: Record<string, LockLaunch> = {};
  for (const [name, v] of Object.entries(launches)) {
    const w = `${what}.launches.${name}`;
    if (!LAUNCH_NAME.test(name)) fail('lock', `${w}: not a launch name (letters, digits, '.', '_' and '-', starting with a letter or digit)`);
    const l = record(v, w);
    const kind = str(l['kind'], `${w}.kind`);
    if (!(LAUNCH_KINDS as readonly string[]).includes(kind)) fail('lock', `${w}.kind: ${JSON.stringify(kind)} is not one of ${LAUNCH_KINDS.join(', ')}`);
    const inputs = Object.fromEntries(Object.entries(record(l['inputs'], `${w}.inputs`)).map(([k, i]) => [k, readInput(i, `${w}.inputs.${k}`)]));
    out[name] = {
      kind: kind as LaunchKind, inputs, options: record(l['options'] ?? {}, `${w}.options`),
      configurations: list(l['configurations'], `${w}.configurations`).map((c, i) => readConfiguration(c, `${w}.configurations[${i}]`)),
    };
  }
  const strings = (v: unknown, w: string): string[] => list(v ?? [], w).map((s, i) => str(s, `${w}[${i}]`));
  return {
    format: LOCK_FORMAT,
    tool: { name: str(tool['name'], `${what}.tool.name`), version: str(tool['version'], `${what}.tool.version`) },
    rules: { regions: str(rules['regions'], `${what}.rules.regions`), igvmSemantics: strings(rules['igvmSemantics'], `${what}.rules.igvmSemantics`), profiles: strings(rules['profiles'], `${what}.rules.profiles`) },
    launches: out,
  };
}

export function parseLock(text: string, what: string): Lock {
  return readLock(parseJsonExact(text, what, 'lock'), what);
}

/** Every configuration of a lock as a measured configuration (for the reference-value writers), launches in name order. */
export function lockResults(lock: Lock): ConfigResult[] {
  return Object.keys(lock.launches).sort().flatMap((name) => lock.launches[name]!.configurations.map((c, i) => {
    const w = `lock.launches.${name}.configurations[${i}]`;
    return {
      vcpus: c.vcpus, profile: c.vmmType, era: c.vmmEra, vcpuType: c.vcpuType,
      vcpuSignature: c.vcpuSignature === null ? null : parseUnsigned(c.vcpuSignature, `${w}.vcpuSignature`),
      guestFeatures: c.guestFeatures === null ? null : parseUnsigned(c.guestFeatures, `${w}.guestFeatures`),
      digest: fromHex(c.digest, `${w}.digest`, 48),
    };
  }));
}

/** The distinct digests of a parsed lock document, for `verify --reference-values`. */
export function lockDigests(doc: unknown, what: string): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  for (const r of lockResults(readLock(doc, what))) {
    const key = r.digest.join(',');
    if (!seen.has(key)) { seen.add(key); out.push(r.digest); }
  }
  return out;
}

/**
 * A lock as reference values (`verify --reference-values LOCK`, the library's `referenceValues`):
 * every configuration it records, labelled, at its place in the lock.
 */
export function lockReferenceSet(lock: Lock): ReferenceSet {
  const entries = Object.keys(lock.launches).sort().flatMap((name) => lock.launches[name]!.configurations.map((c, i) => ({
    position: `launches.${name}.configurations[${i}]`,
    labels: {
      launch: name, vcpus: String(c.vcpus), profile: c.vmmType, era: c.vmmEra,
      ...(c.vcpuType !== null ? { vcpuType: c.vcpuType } : {}), ...(c.vcpuSignature !== null ? { vcpuSignature: c.vcpuSignature } : {}),
      ...(c.guestFeatures !== null ? { guestFeatures: c.guestFeatures } : {}),
    },
    digests: [fromHex(c.digest, `launches.${name}.configurations[${i}].digest`, 48)],
  })));
  return { format: 'vmfw-measure lock file', entries, notes: [] };
}
