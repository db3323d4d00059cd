/**
 * The region-list manifest: the JSON users write by hand or from a build pipeline.
 *
 *   { "rules": "vmfwupdate-snp/1",
 *     "launch": { "vcpus": 4, "profile": "qemu", "vcpuType": "EPYC-v4", "guestFeatures": "0x1",
 *                 "apResetEip": "0x80b004", "measuredZero": "native", "firmwareMetadata": "none" },
 *     "struct": { "capabilities": "0x2" },                                   (optional)
 *     "regions": [ { "dst": "0xffe00000", "size": "0x200000", "flags": ["COPY","MEASURE"],
 *                    "source": { "file": "OVMF.fd" } }, ... ] }
 *
 * Numbers are JSON numbers or strings (decimal or 0x-hex), exact to 64 bits. Flags are names,
 * one number, or a hex string. A source is a file (optional offset/length), inline hex or base64,
 * or absent; `src` keeps the guest staging address for encoding.
 */
import { fail } from '../errors.js';
import { fromBase64, fromHex, hex64, parseUnsigned, toHex } from '../bytes.js';
import { parseJsonExact } from '../json-exact.js';
import { resolveVcpuType } from '../cpu.js';
import { resolveProfile } from '../profiles.js';
import { MAX_VCPUS } from '../ovmf/launch.js';
import { cmdlineHash, type DirectBootHashes } from '../ovmf/kernel-hashes.js';
import { defaultSuite, sha256Of, type HashSuite } from '../hash/suite.js';
import { REGION_FLAGS, RULES_VERSION, flagNames, type RegionFlagName } from './format.js';
import type { FirmwareMetadataMode, MeasuredZero, RegionData, RegionSpec, ReplayLaunch } from './replay.js';

/** The measured direct-boot inputs of a kernel-hashes page, as the ovmf command takes them. */
export interface KernelHashesSource {
  readonly kernel?: string; readonly initrd?: string; readonly append?: string;
  readonly kernelSha256?: string; readonly initrdSha256?: string; readonly appendSha256?: string;
}

export type ManifestSource =
  | { readonly file: string; readonly offset?: bigint; readonly length?: bigint }
  | { readonly kernelHashes: KernelHashesSource }
  | { readonly hex: string }
  | { readonly base64: string };

export interface ManifestRegion {
  readonly dst: bigint;
  /** Absent only with a file source: then the file's length (from its offset). */
  readonly size?: bigint;
  readonly flags: bigint;
  readonly src?: bigint;
  readonly source?: ManifestSource;
  readonly pad?: 'zero';
}

/** Launch settings as written (every key optional; CLI options override them). */
export interface LaunchSettings {
  vcpus?: number;
  profile?: string;
  era?: string;
  vcpuType?: string;
  vcpuSignature?: bigint;
  guestFeatures?: bigint;
  apResetEip?: number | null;
  measuredZero?: MeasuredZero;
  firmwareMetadata?: FirmwareMetadataMode;
}

export interface StructSettings {
  capabilities?: bigint;
  firmwareSize?: bigint;
  opaqueAddr?: bigint;
  control?: number;
}

/** A region-list manifest: rules version, launch settings, optional control struct, and the regions. */
export interface Manifest {
  readonly rules: string;
  readonly launch: LaunchSettings;
  readonly struct?: StructSettings;
  readonly regions: readonly ManifestRegion[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(v: unknown, what: string, max?: bigint): bigint {
  if (typeof v !== 'string' && typeof v !== 'number') fail('manifest', `${what}: expected a number or a 0x-hex string, got ${JSON.stringify(v)}`);
  try {
    return parseUnsigned(v, what, max);
  } catch (e) {
    return fail('manifest', (e as Error).message);
  }
}

function onlyKeys(o: Obj, allowed: readonly string[], what: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail('manifest', `${what}: unknown key ${JSON.stringify(k)} (known: ${allowed.join(', ')})`);
}

export function parseFlags(v: unknown, what: string): bigint {
  if (Array.isArray(v)) {
    let flags = 0n;
    for (const name of v) {
      if (typeof name !== 'string') fail('manifest', `${what}: flag names must be strings`);
      const key = (Object.keys(REGION_FLAGS) as RegionFlagName[]).find((k) => k === name.toUpperCase());
      if (!key) fail('manifest', `${what}: unknown flag ${JSON.stringify(name)} (known: ${Object.keys(REGION_FLAGS).join(', ')})`);
      flags |= REGION_FLAGS[key];
    }
    return flags;
  }
  return num(v, what);
}

function parseSource(v: unknown, what: string): ManifestSource {
  if (!isObj(v)) fail('manifest', `${what}: expected an object with file, hex, base64 or kernelHashes`);
  const kinds = ['file', 'hex', 'base64', 'kernelHashes'].filter((k) => Object.hasOwn(v, k));
  if (kinds.length !== 1) fail('manifest', `${what}: give exactly one of file, hex, base64, kernelHashes`);
  if (kinds[0] === 'kernelHashes') {
    onlyKeys(v, ['kernelHashes'], what);
    const k = v['kernelHashes'];
    const w = `${what}.kernelHashes`;
    if (!isObj(k)) fail('manifest', `${w}: expected {"kernel", "initrd", "append"} or their SHA-256s`);
    const keys = ['kernel', 'initrd', 'append', 'kernelSha256', 'initrdSha256', 'appendSha256'] as const;
    onlyKeys(k, keys, w);
    const out: Record<string, string> = {};
    for (const key of keys) {
      if (k[key] === undefined) continue;
      if (typeof k[key] !== 'string') fail('manifest', `${w}.${key}: expected a string`);
      out[key] = k[key] as string;
    }
    if (out['kernel'] === undefined && out['kernelSha256'] === undefined) fail('manifest', `${w}: needs kernel or kernelSha256`);
    for (const f of ['kernel', 'initrd', 'append'] as const) {
      if (out[f] !== undefined && out[`${f}Sha256`] !== undefined) fail('manifest', `${w}: ${f} and ${f}Sha256 are alternatives`);
    }
    return { kernelHashes: out as KernelHashesSource };
  }
  if ('file' in v) {
    onlyKeys(v, ['file', 'offset', 'length'], what);
    if (typeof v['file'] !== 'string' || v['file'] === '') fail('manifest', `${what}.file: expected a path`);
    return {
      file: v['file'],
      ...(v['offset'] !== undefined ? { offset: num(v['offset'], `${what}.offset`) } : {}),
      ...(v['length'] !== undefined ? { length: num(v['length'], `${what}.length`) } : {}),
    };
  }
  onlyKeys(v, [kinds[0]!], what);
  const text = v[kinds[0]!];
  if (typeof text !== 'string') fail('manifest', `${what}.${kinds[0]}: expected a string`);
  if (kinds[0] === 'hex') {
    const digits = hexDigits(text);
    if (!/^[0-9a-fA-F]*$/.test(digits)) fail('bad-hex', `${what}.hex: not a hex string (a character other than 0-9, a-f at index ${digits.search(/[^0-9a-fA-F]/)})`, { field: `${what}.hex` });
    if (digits.length % 2 !== 0) fail('bad-hex', `${what}.hex: ${digits.length} hex digits, an odd number (each byte takes two)`, { field: `${what}.hex` });
    return { hex: text };
  }
  return { base64: text };
}

/** The digits of an inline hex source, as fromHex reads them (surrounding blanks and 0x dropped). */
function hexDigits(text: string): string {
  const t = text.trim();
  return t.startsWith('0x') || t.startsWith('0X') ? t.slice(2) : t;
}

/** The option vocabulary's names for the launch keys the manifest format has always used. */
const LAUNCH_KEY_ALIASES: Readonly<Record<string, string>> = { vmmType: 'profile', vmmEra: 'era', vcpuSig: 'vcpuSignature' };

function parseLaunch(v0: unknown): LaunchSettings {
  if (v0 === undefined) return {};
  if (!isObj(v0)) fail('manifest', 'launch: expected an object');
  const v: Obj = {};
  for (const [k, x] of Object.entries(v0)) {
    const key = Object.hasOwn(LAUNCH_KEY_ALIASES, k) ? LAUNCH_KEY_ALIASES[k]! : k;
    if (Object.hasOwn(v, key)) fail('manifest', `launch: ${k} and ${key === k ? Object.keys(LAUNCH_KEY_ALIASES).find((a) => LAUNCH_KEY_ALIASES[a] === k) : key} name the same setting; give one`);
    v[key] = x;
  }
  onlyKeys(v, ['vcpus', 'profile', 'era', 'vcpuType', 'vcpuSignature', 'guestFeatures', 'apResetEip', 'measuredZero', 'firmwareMetadata'], 'launch');
  const s: LaunchSettings = {};
  if (v['vcpus'] !== undefined) s.vcpus = Number(num(v['vcpus'], 'launch.vcpus', BigInt(MAX_VCPUS)));
  for (const k of ['profile', 'era', 'vcpuType'] as const) {
    if (v[k] !== undefined) {
      if (typeof v[k] !== 'string') fail('manifest', `launch.${k}: expected a string`);
      s[k] = v[k] as string;
    }
  }
  if (v['vcpuSignature'] !== undefined) s.vcpuSignature = num(v['vcpuSignature'], 'launch.vcpuSignature');
  if (v['guestFeatures'] !== undefined) s.guestFeatures = num(v['guestFeatures'], 'launch.guestFeatures');
  if (v['apResetEip'] !== undefined) s.apResetEip = v['apResetEip'] === null ? null : Number(num(v['apResetEip'], 'launch.apResetEip', 0xffffffffn));
  if (v['measuredZero'] !== undefined) s.measuredZero = parseMeasuredZero(v['measuredZero'], 'launch.measuredZero');
  if (v['firmwareMetadata'] !== undefined) s.firmwareMetadata = parseFirmwareMetadata(v['firmwareMetadata'], 'launch.firmwareMetadata');
  return s;
}

export function parseMeasuredZero(v: unknown, what: string): MeasuredZero {
  if (v !== 'native' && v !== 'normal') fail('manifest', `${what}: expected "native" or "normal", got ${JSON.stringify(v)}`);
  return v;
}

export function parseFirmwareMetadata(v: unknown, what: string): FirmwareMetadataMode {
  if (v !== 'none' && v !== 'ovmf') fail('manifest', `${what}: expected "none" or "ovmf", got ${JSON.stringify(v)}`);
  return v;
}

function parseStruct(v: unknown): StructSettings | undefined {
  if (v === undefined) return undefined;
  if (!isObj(v)) fail('manifest', 'struct: expected an object');
  onlyKeys(v, ['capabilities', 'firmwareSize', 'opaqueAddr', 'control'], 'struct');
  const s: StructSettings = {};
  if (v['capabilities'] !== undefined) s.capabilities = num(v['capabilities'], 'struct.capabilities');
  if (v['firmwareSize'] !== undefined) s.firmwareSize = num(v['firmwareSize'], 'struct.firmwareSize');
  if (v['opaqueAddr'] !== undefined) s.opaqueAddr = num(v['opaqueAddr'], 'struct.opaqueAddr');
  if (v['control'] !== undefined) s.control = Number(num(v['control'], 'struct.control', 0xffffn));
  return s;
}

/**
 * Parses and validates a manifest's JSON text. Refuses unknown keys (`manifest`), repeated keys
 * (`json-duplicate-key`), rules other than RULES_VERSION, and more than 65535 regions
 * (`too-many-regions`).
 */
export function parseManifest(text: string, what = 'manifest'): Manifest {
  const doc = parseJsonExact(text, what);
  if (!isObj(doc)) fail('manifest', `${what}: expected a JSON object`);
  onlyKeys(doc, ['rules', 'launch', 'struct', 'regions', 'comment'], what);
  const rules = doc['rules'] ?? RULES_VERSION;
  if (rules !== RULES_VERSION) fail('manifest', `${what}: rules ${JSON.stringify(rules)} are not supported; this version implements ${RULES_VERSION}`);
  const regionsJson = doc['regions'];
  if (!Array.isArray(regionsJson)) fail('manifest', `${what}: regions must be an array`);
  if (regionsJson.length > 65535) fail('too-many-regions', `${what}: ${regionsJson.length} regions; at most 65535`);
  const regions = regionsJson.map((r: unknown, i): ManifestRegion => {
    const w = `regions[${i}]`;
    if (!isObj(r)) fail('manifest', `${w}: expected an object`, { region: i });
    onlyKeys(r, ['dst', 'size', 'flags', 'src', 'source', 'pad', 'comment'], w);
    if (r['dst'] === undefined) fail('manifest', `${w}: missing dst`, { region: i });
    if (r['flags'] === undefined) fail('manifest', `${w}: missing flags`, { region: i });
    const source = r['source'] === undefined ? undefined : parseSource(r['source'], `${w}.source`);
    let size: bigint | undefined;
    if (r['size'] !== undefined) size = num(r['size'], `${w}.size`);
    else if (source) size = sourceLengthHint(source);
    else return fail('manifest', `${w}: missing size`, { region: i });
    if (r['pad'] !== undefined && r['pad'] !== 'zero') fail('manifest', `${w}.pad: the only value is "zero"`, { region: i });
    return {
      dst: num(r['dst'], `${w}.dst`), ...(size !== undefined ? { size } : {}), flags: parseFlags(r['flags'], `${w}.flags`),
      ...(r['src'] !== undefined ? { src: num(r['src'], `${w}.src`) } : {}),
      ...(source ? { source } : {}),
      ...(r['pad'] === 'zero' ? { pad: 'zero' as const } : {}),
    };
  });
  const struct = parseStruct(doc['struct']);
  return { rules: RULES_VERSION, launch: parseLaunch(doc['launch']), ...(struct ? { struct } : {}), regions };
}

/** The size a region takes from its source when it gives none (a file's is known only when opened). */
function sourceLengthHint(s: ManifestSource): bigint | undefined {
  if ('kernelHashes' in s) return 4096n;
  if ('hex' in s) return BigInt(hexDigits(s.hex).length / 2);
  if ('base64' in s) return BigInt(fromBase64(s.base64, 'source.base64').length);
  return s.length;
}

/** Opens a file source; the Node layer supplies this so the module stays environment-free. */
export type FileOpener = (path: string, what: string, offset: number, length?: number) => RegionData;

/** The SHA-256s a kernelHashes source names: files hashed in 1 MiB chunks, or given. */
export function kernelHashesOf(k: KernelHashesSource, what: string, openFile: FileOpener, hashes: HashSuite = defaultSuite): DirectBootHashes {
  const fileHash = (path: string, w: string): Uint8Array => sha256Of(openFile(path, w, 0), hashes);
  return {
    kernel: k.kernelSha256 !== undefined ? fromHex(k.kernelSha256, `${what}.kernelSha256`, 32) : fileHash(k.kernel!, `${what}.kernel`),
    initrd: k.initrdSha256 !== undefined ? fromHex(k.initrdSha256, `${what}.initrdSha256`, 32)
      : k.initrd ? fileHash(k.initrd, `${what}.initrd`) : hashes.sha256(new Uint8Array(0)),
    cmdline: k.appendSha256 !== undefined ? fromHex(k.appendSha256, `${what}.appendSha256`, 32) : cmdlineHash(k.append, hashes),
  };
}

export function regionData(s: ManifestSource, what: string, openFile: FileOpener): RegionData {
  if ('kernelHashes' in s) return fail('manifest', `${what}: a kernelHashes source is built at replay (internal)`);
  if ('file' in s) {
    return openFile(s.file, what, Number(s.offset ?? 0n), s.length === undefined ? undefined : Number(s.length));
  }
  const bytes = 'hex' in s ? fromHex(s.hex, what) : fromBase64(s.base64, what);
  return { length: bytes.length, describe: `inline ${'hex' in s ? 'hex' : 'base64'}`, read: (o, into) => into.set(bytes.subarray(o, o + into.length)) };
}

/** Region specs for the replay: manifest sources become region data; others read guest memory at src. */
export function manifestRegionSpecs(m: Manifest, openFile: FileOpener): RegionSpec[] {
  return m.regions.map((r, i) => {
    if (r.source && 'kernelHashes' in r.source) {
      return {
        size: r.size ?? 4096n, src: r.src ?? 0n, dst: r.dst, flags: r.flags,
        kernelHashes: kernelHashesOf(r.source.kernelHashes, `regions[${i}].source.kernelHashes`, openFile),
      };
    }
    const data = r.source ? regionData(r.source, `regions[${i}].source`, openFile) : undefined;
    const size = r.size ?? (data ? BigInt(data.length) : fail('manifest', `regions[${i}]: missing size`, { region: i }));
    return {
      size, src: r.src ?? 0n, dst: r.dst, flags: r.flags,
      ...(data ? { data } : {}),
      ...(r.pad === 'zero' ? { padZero: true } : {}),
    };
  });
}

/** Resolves launch settings (manifest values overridden by `over`) into replay inputs. */
export function resolveLaunch(base: LaunchSettings, over: LaunchSettings = {}): { launch: ReplayLaunch; settings: LaunchSettings } {
  const s: LaunchSettings = { ...base };
  for (const [k, v] of Object.entries(over)) if (v !== undefined) (s as Record<string, unknown>)[k] = v;
  if (over.vcpuType !== undefined) delete s.vcpuSignature;
  if (over.vcpuSignature !== undefined) delete s.vcpuType;
  if (s.vcpus === undefined) fail('usage', 'the launch needs a vCPU count (launch.vcpus or --vcpus)');
  const profile = resolveProfile(s.profile ?? 'qemu', s.era);
  let vcpuSignature = 0n;
  if (s.vcpuSignature !== undefined) vcpuSignature = s.vcpuSignature;
  else if (s.vcpuType !== undefined) vcpuSignature = BigInt(resolveVcpuType(s.vcpuType).signature);
  else if (profile.usesVcpuSignature) fail('usage', `profile ${profile.name} needs the vCPU model: launch.vcpuType / launch.vcpuSignature or --vcpu-type / --vcpu-sig`);
  return {
    settings: s,
    launch: {
      vcpus: s.vcpus, profile, vcpuSignature, guestFeatures: s.guestFeatures ?? 0x1n, apResetEip: s.apResetEip ?? null,
      measuredZero: s.measuredZero ?? 'native', firmwareMetadata: s.firmwareMetadata ?? 'none',
    },
  };
}

/** Writes a manifest with every number as a 0x-hex string and flags as names. */
export function formatManifest(m: Manifest): string {
  const l = m.launch;
  const launch: Obj = {};
  if (l.vcpus !== undefined) launch['vcpus'] = l.vcpus;
  if (l.profile !== undefined) launch['profile'] = l.profile;
  if (l.era !== undefined) launch['era'] = l.era;
  if (l.vcpuType !== undefined) launch['vcpuType'] = l.vcpuType;
  if (l.vcpuSignature !== undefined) launch['vcpuSignature'] = hex64(l.vcpuSignature);
  if (l.guestFeatures !== undefined) launch['guestFeatures'] = hex64(l.guestFeatures);
  if (l.apResetEip !== undefined) launch['apResetEip'] = l.apResetEip === null ? null : hex64(l.apResetEip);
  if (l.measuredZero !== undefined) launch['measuredZero'] = l.measuredZero;
  if (l.firmwareMetadata !== undefined) launch['firmwareMetadata'] = l.firmwareMetadata;
  const doc: Obj = { rules: m.rules, launch };
  if (m.struct) {
    const s: Obj = {};
    if (m.struct.capabilities !== undefined) s['capabilities'] = hex64(m.struct.capabilities);
    if (m.struct.firmwareSize !== undefined) s['firmwareSize'] = hex64(m.struct.firmwareSize);
    if (m.struct.opaqueAddr !== undefined) s['opaqueAddr'] = hex64(m.struct.opaqueAddr);
    if (m.struct.control !== undefined) s['control'] = m.struct.control;
    doc['struct'] = s;
  }
  doc['regions'] = m.regions.map((r) => {
    const names = flagNames(r.flags);
    const o: Obj = { dst: hex64(r.dst) };
    if (r.size !== undefined) o['size'] = hex64(r.size);
    o['flags'] = names.some((n) => n.startsWith('bit')) ? hex64(r.flags) : names;
    if (r.src !== undefined) o['src'] = hex64(r.src);
    if (r.source) {
      o['source'] = 'file' in r.source
        ? { file: r.source.file, ...(r.source.offset !== undefined ? { offset: hex64(r.source.offset) } : {}), ...(r.source.length !== undefined ? { length: hex64(r.source.length) } : {}) }
        : r.source;
    }
    if (r.pad) o['pad'] = r.pad;
    return o;
  });
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function inlineHex(bytes: Uint8Array): ManifestSource { return { hex: toHex(bytes) }; }
