/**
 * The launch description: one typed object for "what is launched, under which configuration",
 * shared by the command line, the library's one-call API, the CI config and the web page. Its keys
 * are the option vocabulary's camelCase keys (src/options/table.ts) and it accepts the same values:
 * the command line's strings (`"0x21"`, `"1-4,8"`, `"EPYC-Milan,EPYC-Genoa"`) or native values
 * (`0x21n`, `[1, 2]`, `["qemu", "ec2:rdx-0"]`).
 *
 * Files arrive already opened as sources: the edges (CLI, Node entry, config loader, web page)
 * decide what a path means; this module never sees a path it has to open, nor an argv.
 */
import { fail } from '../errors.js';
import { fromHex, parseUnsigned, plainBytes } from '../bytes.js';
import { resolveVcpuType, cpuSignature } from '../cpu.js';
import { resolveProfile, type VmmProfile } from '../profiles.js';
import { canonicalKeys, oneOf, optionByKey, optionFlag } from '../options/table.js';
import { didYouMean } from '../options/suggest.js';
import type { RegionData } from '../regions/replay.js';
import type { FileOpener } from '../regions/manifest.js';

/** Readable bytes with a name for messages; `relative` opens files named inside it (a manifest's sources). */
export interface Source extends RegionData {
  readonly relative?: FileOpener;
  /** The whole contents when they are in memory (stdin, library bytes). */
  readonly bytes?: Uint8Array;
}

/** Bytes in memory as a Source named `describe`; `relative` opens the files a manifest among them names. */
export function bytesSource(data0: Uint8Array, describe = 'bytes', relative?: FileOpener): Source {
  const data = plainBytes(data0);
  return {
    length: data.length, describe, bytes: data, ...(relative ? { relative } : {}),
    read: (o, into) => { into.set(data.subarray(o, o + into.length)); },
  };
}

/** All of a source's bytes (for small inputs: manifests, metadata JSON, reports). */
export function readAll(s: Source): Uint8Array {
  if (s.bytes) return s.bytes;
  const out = new Uint8Array(s.length);
  s.read(0, out);
  return out;
}

export function readText(s: Source): string {
  return new TextDecoder().decode(readAll(s));
}

export type OvmfMode = 'snp' | 'snp:ovmf-hash' | 'snp:svsm' | 'sev' | 'seves';

const MODE_ALIASES: Readonly<Record<string, OvmfMode>> = {
  'snp': 'snp', 'sev-snp': 'snp', 'snp:ovmf-hash': 'snp:ovmf-hash', 'snp:svsm': 'snp:svsm', 'sev-snp:svsm': 'snp:svsm',
  'sev': 'sev', 'seves': 'seves', 'sev-es': 'seves',
};

export function parseMode(text: string, what = '--mode'): OvmfMode {
  const key = text.toLowerCase();
  const m = Object.hasOwn(MODE_ALIASES, key) ? MODE_ALIASES[key] : undefined;
  if (!m) fail('usage', `${what}: unknown mode ${JSON.stringify(text)}; use snp, snp:ovmf-hash, snp:svsm, sev or seves`);
  return m;
}

export interface VcpuTypeChoice { readonly name: string; readonly signature: bigint; readonly aliases: readonly string[] }

/**
 * A launch as typed data, parsed once at the edge (CLI options or API call) so the builders below
 * never see raw arguments; files are Sources, read when measured.
 */
export interface LaunchDescription {
  // ---- OVMF ----
  readonly mode?: OvmfMode;
  readonly ovmf?: Source;
  readonly metadata?: Source;
  readonly snpOvmfHash?: Uint8Array;
  /** null: an empty --kernel, which means no measured direct boot (as in sev-snp-measure). */
  readonly kernel?: Source | null;
  readonly initrd?: Source | null;
  readonly append?: string;
  readonly kernelSha256?: Uint8Array;
  readonly initrdSha256?: Uint8Array;
  readonly appendSha256?: Uint8Array;
  readonly svsm?: Source;
  readonly varsSize?: number;
  readonly unknownSections?: 'error' | 'zero';
  // ---- region list ----
  readonly manifest?: Source;
  readonly apResetEip?: number;
  readonly measuredZero?: 'native' | 'normal';
  readonly firmwareMetadata?: 'none' | 'ovmf';
  // ---- IGVM ----
  readonly igvm?: Source;
  readonly semantics?: 'qemu' | 'igvm-crate' | 'igvmmeasure';
  readonly apVmsa?: 'reset' | 'bsp' | 'none';
  readonly fileOrder?: boolean;
  // ---- configuration (lists; a single-configuration command takes one of each) ----
  readonly vcpus?: readonly number[];
  readonly vcpuTypes?: readonly VcpuTypeChoice[];
  readonly profiles?: readonly VmmProfile[];
  readonly guestFeatures?: readonly bigint[];
  readonly product?: 'milan' | 'genoa' | 'turin';
  readonly vmsaGpa?: bigint;
  readonly maxSteps?: number;
}

/** Turns an option's raw file value (a path, bytes, a dropped file) into a source; supplied by the edge. */
export type OpenInput = (value: unknown, key: string, what: string) => Source;

const MAX_VCPUS = 65536;

function str(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return fail('usage', `${what}: expected a string, got ${v === null ? 'null' : typeof v}`);
}

/** A list value: an array, or the command line's comma-separated string. */
function listOf(v: unknown, what: string): unknown[] {
  if (Array.isArray(v)) return v.flatMap((x) => (typeof x === 'string' ? x.split(',') : [x])).map((x) => (typeof x === 'string' ? x.trim() : x));
  if (typeof v === 'string') return v.split(',').map((s) => s.trim());
  if (typeof v === 'number' || typeof v === 'bigint') return [v];
  return fail('usage', `${what}: expected a list or a string, got ${v === null ? 'null' : typeof v}`);
}

/** vCPU counts: 4, "1-8,16", [1, 2, "4-6"]. */
export function parseCounts(v: unknown, what = '--vcpus', max = MAX_VCPUS): number[] {
  const out: number[] = [];
  for (const part of listOf(v, what)) {
    if (part === '') fail('usage', `${what}: empty entry`);
    const m = typeof part === 'string' ? /^(\w+)\s*-\s*(\w+)$/.exec(part) : null;
    const lo = Number(count(m ? m[1]! : part, what, BigInt(max)));
    const hi = m ? Number(count(m[2]!, what, BigInt(max))) : lo;
    if (hi < lo) fail('usage', `${what}: range ${String(part)} runs backwards`);
    if (out.length + (hi - lo + 1) > max) fail('usage', `${what}: more than ${max} counts`);
    for (let n = lo; n <= hi; n++) out.push(n);
  }
  if (out.length === 0) fail('usage', `${what}: no counts given`);
  return out;
}

function choice<T extends string>(v: unknown, key: string, what: string): T {
  return oneOf(str(v, what), what, optionByKey(key)!.choices!) as T;
}

function hexBytes(v: unknown, what: string, length: number, code: 'bad-hex' | 'seed' = 'bad-hex'): Uint8Array {
  if (v instanceof Uint8Array) {
    if (v.length !== length) fail(code, `${what}: expected ${length} bytes, got ${v.length}`);
    return v;
  }
  return fromHex(str(v, what), what, length, code);
}

function u64(v: unknown, what: string, max?: bigint): bigint {
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'bigint') fail('bad-number', `${what}: expected a number, got ${v === null ? 'null' : typeof v}`);
  return parseUnsigned(v, what, max);
}

/**
 * A count the reference parses with Python's int(x) (base 10): leading zeros are decimal there
 * (`--vcpus 04` is 4), so they are here too; 0x hex is accepted besides.
 */
function count(v: unknown, what: string, max?: bigint): bigint {
  if (typeof v === 'string' && /^\s*0+[0-9](_?[0-9])*\s*$/.test(v)) return u64(v.trim().replace(/^0+(?=[0-9])/, ''), what, max);
  return u64(v, what, max);
}

function bool(v: unknown, what: string): boolean {
  if (typeof v === 'boolean') return v;
  return fail('usage', `${what}: expected true or false`);
}

/** vCPU models from --vcpu-family/-model/-stepping, else --vcpu-sig, else --vcpu-type (sev-snp-measure's precedence). */
function vcpuChoices(values: Readonly<Record<string, unknown>>, spell: (k: string) => string): VcpuTypeChoice[] | undefined {
  const fam = values['vcpuFamily'];
  if (fam !== undefined) {
    if (values['vcpuModel'] === undefined || values['vcpuStepping'] === undefined) fail('usage', `${spell('vcpuFamily')} needs ${spell('vcpuModel')} and ${spell('vcpuStepping')}`);
    const fms = {
      family: Number(count(fam, spell('vcpuFamily'), 0xffffn)),
      model: Number(count(values['vcpuModel'], spell('vcpuModel'), 0xffffn)),
      stepping: Number(count(values['vcpuStepping'], spell('vcpuStepping'), 0xffffn)),
    };
    return [{ name: `family ${fms.family} model ${fms.model} stepping ${fms.stepping}`, signature: BigInt(cpuSignature(fms)), aliases: [] }];
  }
  if (values['vcpuModel'] !== undefined || values['vcpuStepping'] !== undefined) fail('usage', `${spell('vcpuModel')} and ${spell('vcpuStepping')} go with ${spell('vcpuFamily')}`);
  if (values['vcpuSig'] !== undefined) {
    return listOf(values['vcpuSig'], spell('vcpuSig')).map((s) => {
      const sig = u64(s, spell('vcpuSig'), 0xffffffffn);
      return { name: `sig 0x${sig.toString(16)}`, signature: sig, aliases: [] };
    });
  }
  if (values['vcpuType'] !== undefined) {
    return listOf(values['vcpuType'], spell('vcpuType')).map((t) => {
      const r = resolveVcpuType(str(t, spell('vcpuType')));
      return { name: r.name, signature: BigInt(r.signature), aliases: [] };
    });
  }
  return undefined;
}

/** Profiles: "qemu", "ec2:rdx-0", lists of those; --vmm-era applies to a single profile. */
function profileChoices(values: Readonly<Record<string, unknown>>, spell: (k: string) => string): VmmProfile[] | undefined {
  const types = values['vmmType'];
  const era = values['vmmEra'] === undefined ? undefined : str(values['vmmEra'], spell('vmmEra'));
  if (types === undefined) return era === undefined ? undefined : [resolveProfile('qemu', era)];
  const names = listOf(types, spell('vmmType')).map((n) => str(n, spell('vmmType')));
  if (era !== undefined && names.length !== 1) fail('usage', `${spell('vmmEra')} goes with a single ${spell('vmmType')}; write profile:era in lists`);
  return names.map((n) => {
    const [name, e, extra] = n.split(':');
    if (extra !== undefined || name === '') fail('profile', `${spell('vmmType')}: ${JSON.stringify(n)} is not PROFILE or PROFILE:ERA`);
    return resolveProfile(name!, e ?? era);
  });
}

/**
 * Every key the launch description knows, with the option spelling used in messages. Keys outside
 * this set are refused by `describeLaunch` (a config file with `vcpu_type` gets a did-you-mean
 * from its caller, never silence).
 */
export const LAUNCH_KEYS: readonly string[] = [
  'mode', 'ovmf', 'metadata', 'snpOvmfHash', 'kernel', 'initrd', 'append', 'kernelSha256', 'initrdSha256', 'appendSha256',
  'svsm', 'varsSize', 'varsFile', 'unknownSections', 'manifest', 'apResetEip', 'measuredZero', 'firmwareMetadata',
  'igvm', 'semantics', 'apVmsa', 'fileOrder', 'vcpus', 'vcpuType', 'vcpuSig', 'vcpuFamily', 'vcpuModel', 'vcpuStepping',
  'vmmType', 'vmmEra', 'guestFeatures', 'product', 'vmsaGpa', 'maxSteps',
];

const FILE_KEYS = new Set(['ovmf', 'metadata', 'kernel', 'initrd', 'svsm', 'varsFile', 'manifest', 'igvm']);

/** describeLaunch's options: how to open file values, and how to spell keys in messages. */
export interface DescribeOptions {
  /** How to name a key in messages: `--vmm-type` on the command line, `launches.web.vmmType` in a config. */
  readonly spell?: (key: string) => string;
  readonly open: OpenInput;
}

const kebab = optionFlag;

/**
 * Validates raw option values (strings or native values, by camelCase key) into a launch
 * description, opening file inputs through `open`. Absent keys stay absent: defaults are applied
 * where the launch is built, so a manifest's own launch settings can fill them.
 */
export function describeLaunch(values0: Readonly<Record<string, unknown>>, o: DescribeOptions): LaunchDescription {
  const spell = o.spell ?? kebab;
  const values = canonicalKeys(values0, (alias, key) => fail('usage', `${spell(alias)} and ${spell(key)} name the same option; give one`));
  const has = (k: string): boolean => Object.hasOwn(values, k) && values[k] !== undefined;
  for (const k of Object.keys(values)) {
    if (!LAUNCH_KEYS.includes(k)) {
      // Callers spell keys in camelCase; a CLI spelling (vcpu-type) or a typo gets the key it meant.
      const camel = k.replace(/[-_]([a-z])/g, (_m, c: string) => c.toUpperCase());
      const near = didYouMean(k.toLowerCase(), LAUNCH_KEYS.map((key) => key.toLowerCase()));
      const guess = LAUNCH_KEYS.includes(camel) ? camel : LAUNCH_KEYS.find((key) => key.toLowerCase() === near);
      fail('usage', `${spell(k)} is not a launch option${guess ? `; did you mean ${spell(guess)}?` : ''}`);
    }
    if (values[k] === null) fail('usage', `${spell(k)}: null is not a value`);
  }
  const d: Record<string, unknown> = {};
  if (has('mode')) d['mode'] = parseMode(str(values['mode'], spell('mode')), spell('mode'));
  for (const k of FILE_KEYS) {
    if (!has(k)) continue;
    // An empty --kernel / --initrd means "none", as in sev-snp-measure.
    if ((k === 'kernel' || k === 'initrd') && values[k] === '') { d[k] = null; continue; }
    if (k === 'varsFile') continue;
    d[k] = o.open(values[k], k, spell(k));
  }
  if (has('snpOvmfHash')) d['snpOvmfHash'] = hexBytes(values['snpOvmfHash'], spell('snpOvmfHash'), 48, 'seed');
  if (has('append')) {
    const text = str(values['append'], spell('append'));
    // Node has already replaced bytes that are not UTF-8; measuring U+FFFD would be a different command line.
    if (text.includes('\uFFFD')) fail('usage', `${spell('append')}: the command line contains U+FFFD (bytes that are not valid UTF-8 arrive that way), so its bytes are unknown; pass ${spell('appendSha256')} with the SHA-256 of the exact bytes plus NUL`);
    d['append'] = text;
  }
  for (const k of ['kernelSha256', 'initrdSha256', 'appendSha256'] as const) if (has(k)) d[k] = hexBytes(values[k], spell(k), 32);
  if (has('varsSize') && has('varsFile')) fail('usage', `${spell('varsSize')} and ${spell('varsFile')} are alternatives`);
  if (has('varsSize')) d['varsSize'] = Number(count(values['varsSize'], spell('varsSize'), 0x1_0000_0000n));
  if (has('varsFile')) d['varsSize'] = o.open(values['varsFile'], 'varsFile', spell('varsFile')).length;
  if (has('unknownSections')) d['unknownSections'] = choice(values['unknownSections'], 'unknownSections', spell('unknownSections'));
  if (has('apResetEip')) d['apResetEip'] = Number(u64(values['apResetEip'], spell('apResetEip'), 0xffffffffn));
  if (has('measuredZero')) d['measuredZero'] = choice(values['measuredZero'], 'measuredZero', spell('measuredZero'));
  if (has('firmwareMetadata')) d['firmwareMetadata'] = choice(values['firmwareMetadata'], 'firmwareMetadata', spell('firmwareMetadata'));
  if (has('semantics')) d['semantics'] = choice(values['semantics'], 'semantics', spell('semantics'));
  if (has('apVmsa')) d['apVmsa'] = choice(values['apVmsa'], 'apVmsa', spell('apVmsa'));
  if (has('fileOrder')) d['fileOrder'] = bool(values['fileOrder'], spell('fileOrder'));
  if (has('vcpus')) d['vcpus'] = parseCounts(values['vcpus'], spell('vcpus'));
  const types = vcpuChoices(values, spell);
  if (types) d['vcpuTypes'] = types;
  const profiles = profileChoices(values, spell);
  if (profiles) d['profiles'] = profiles;
  if (has('guestFeatures')) d['guestFeatures'] = listOf(values['guestFeatures'], spell('guestFeatures')).map((f) => u64(f, spell('guestFeatures')));
  if (has('product')) d['product'] = choice(values['product'], 'product', spell('product'));
  if (has('vmsaGpa')) {
    const gpa = u64(values['vmsaGpa'], spell('vmsaGpa'));
    if (gpa % 4096n !== 0n) fail('bad-number', `${spell('vmsaGpa')} 0x${gpa.toString(16)} is not page aligned`);
    d['vmsaGpa'] = gpa;
  }
  if (has('maxSteps')) d['maxSteps'] = Number(u64(values['maxSteps'], spell('maxSteps'), 1n << 40n));
  return d as LaunchDescription;
}

export type LaunchKind = 'ovmf' | 'regions' | 'igvm';

/** The configuration every kind of launch reads (`product` also names the host CPU for Contrast's reference values). */
const CONFIG_OPTIONS = ['vcpus', 'vcpuType', 'vcpuSig', 'vcpuFamily', 'vcpuModel', 'vcpuStepping', 'vmmType', 'vmmEra', 'product', 'maxSteps'];

/**
 * The launch options (LAUNCH_KEYS) each kind of launch reads: the one table. launchKind refuses
 * the others, and the CI config takes these: an option the named launch does not read would
 * change nothing, and whoever gave it would get another launch's digest without a word.
 */
export const KIND_OPTIONS: Readonly<Record<LaunchKind, readonly string[]>> = {
  ovmf: ['mode', 'ovmf', 'metadata', 'snpOvmfHash', 'kernel', 'initrd', 'append', 'kernelSha256', 'initrdSha256', 'appendSha256',
    'svsm', 'varsSize', 'varsFile', 'unknownSections', 'guestFeatures', 'vmsaGpa', ...CONFIG_OPTIONS],
  regions: ['manifest', 'apResetEip', 'measuredZero', 'firmwareMetadata', 'guestFeatures', ...CONFIG_OPTIONS],
  igvm: ['igvm', 'semantics', 'apVmsa', 'fileOrder', 'measuredZero', ...CONFIG_OPTIONS],
};

/** Why a kind of launch does not read an option, where there is more to say than that it does not. */
const WHY_NOT_READ: Readonly<Partial<Record<LaunchKind, Readonly<Record<string, string>>>>> = {
  regions: { vmsaGpa: 'region lists put the VMSAs at 0xfffffffff000 for every profile and product (rules vmfwupdate-snp/1)' },
  igvm: {
    vmsaGpa: 'the IGVM file places its own VMSAs',
    guestFeatures: 'the IGVM file brings its own guest features (the SEV_FEATURES of its VP contexts)',
    apResetEip: 'the IGVM file gives every vCPU its start state',
  },
  ovmf: { apResetEip: 'an OVMF launch takes the AP reset EIP from the firmware', measuredZero: 'it belongs to region-list and IGVM launches' },
};

const LAUNCH_LABEL: Readonly<Record<LaunchKind, string>> = { ovmf: 'an OVMF', regions: 'a region-list', igvm: 'an IGVM' };

/** Why a kind of launch does not read an option, where there is more to say than that it does not. */
export function whyNotRead(kind: LaunchKind, key: string): string | undefined {
  return WHY_NOT_READ[kind]?.[key];
}

/** The message for an option a kind of launch does not read (`name`: the option as the caller spells it). */
export function notReadMessage(kind: LaunchKind, key: string, name: string): string {
  const why = whyNotRead(kind, key);
  return `${name} does not apply to ${LAUNCH_LABEL[kind]} launch${why ? `: ${why}` : ''}`;
}

/** The option a description field comes from, where their names differ. */
const FIELD_OPTION: Readonly<Record<string, string>> = { vcpuTypes: 'vcpuType', profiles: 'vmmType' };

/**
 * Which launch a description names: exactly one of firmware (or its metadata), manifest or IGVM.
 * Refuses settings that launch does not read.
 */
export function launchKind(d: LaunchDescription, spell: (k: string) => string = kebab): LaunchKind {
  const kinds = [d.ovmf !== undefined || d.metadata !== undefined ? 'ovmf' : '', d.manifest ? 'regions' : '', d.igvm ? 'igvm' : ''].filter(Boolean);
  if (kinds.length !== 1) fail('usage', `give exactly one launch: ${spell('ovmf')} (or ${spell('metadata')}), ${spell('manifest')} or ${spell('igvm')}`);
  const kind = kinds[0] as LaunchKind;
  for (const [field, value] of Object.entries(d)) {
    const key = FIELD_OPTION[field] ?? field;
    if (value !== undefined && !KIND_OPTIONS[kind].includes(key)) fail('usage', notReadMessage(kind, key, spell(key)));
  }
  return kind;
}

export { kebab as optionSpelling };
