/**
 * The one-call API: a launch described with the command line's option names (camelCase) and
 * values, measured in one call. Platform-neutral: inputs are bytes; the Node entry
 * (`vmfw-measure/node`) wraps these functions so file options may also be paths.
 */
import { fail } from '../errors.js';
import { bytesEqual, fromBase64, fromHex, parseUnsigned, toBase64, toHex } from '../bytes.js';
import { defaultSuite, type HashSuite } from '../hash/suite.js';
import { measurePlan, type LogRecord, type MeasureOptions } from '../engine.js';
import { describeLaunch, bytesSource, parseCounts, type OpenInput, type Source, type LaunchDescription } from '../launch/description.js';
import { openLaunch, ovmfModePlan, referenceSpace, searchSpace, singleConfig } from '../launch/build.js';
import { sweep, orderByHostCpu, type ConfigResult } from '../attestation/launch-space.js';
import { parseReport, type AttestationReport } from '../attestation/report.js';
import { checkReferenceRequest, referenceValuesText, type ReferenceFormat, type ReferenceOutput } from '../attestation/reference-formats.js';
import { launchProvenance } from '../launch/provenance.js';
import type { FileOpener } from '../regions/manifest.js';

/** A file input: bytes (any environment), or a path under the Node entry. */
export type FileInput = Uint8Array | string;

/**
 * Launch options: the CLI's long options in camelCase with the same values (`vmmType: 'ec2'`,
 * `guestFeatures: '0x21'` or `0x21n`, `vcpus: 4` or, for sweeps, `'1-8'` / `[1, 2, 4]`).
 */
export interface LaunchOptions {
  readonly mode?: 'snp' | 'snp:ovmf-hash' | 'snp:svsm' | 'sev' | 'seves' | 'sev-snp' | 'sev-es';
  readonly ovmf?: FileInput;
  readonly metadata?: FileInput;
  readonly snpOvmfHash?: string | Uint8Array;
  readonly kernel?: FileInput;
  readonly initrd?: FileInput;
  readonly append?: string;
  readonly kernelSha256?: string | Uint8Array;
  readonly initrdSha256?: string | Uint8Array;
  readonly appendSha256?: string | Uint8Array;
  readonly svsm?: FileInput;
  readonly varsSize?: number | string;
  readonly varsFile?: FileInput;
  readonly unknownSections?: 'error' | 'zero';
  readonly manifest?: FileInput | object;
  readonly apResetEip?: number | string;
  readonly measuredZero?: 'native' | 'normal';
  readonly firmwareMetadata?: 'none' | 'ovmf';
  readonly igvm?: FileInput;
  readonly semantics?: 'qemu' | 'igvm-crate' | 'igvmmeasure';
  readonly apVmsa?: 'reset' | 'bsp' | 'none';
  readonly fileOrder?: boolean;
  readonly vcpus?: number | string | readonly (number | string)[];
  readonly vcpuType?: string | readonly string[];
  readonly vcpuSig?: number | bigint | string | readonly (number | bigint | string)[];
  readonly vcpuFamily?: number | string;
  readonly vcpuModel?: number | string;
  readonly vcpuStepping?: number | string;
  readonly vmmType?: string | readonly string[];
  readonly vmmEra?: string;
  readonly guestFeatures?: number | bigint | string | readonly (number | bigint | string)[];
  readonly product?: 'milan' | 'genoa' | 'turin';
  readonly vmsaGpa?: number | bigint | string;
  readonly maxSteps?: number;
}

/** What every call may add: files a manifest names, the hash suite, whether to keep the log. */
export interface CallOptions {
  /** Files named inside a manifest (`{"file": "OVMF.fd"}`), by name, when they are not on disk. */
  readonly files?: Readonly<Record<string, Uint8Array>>;
  /** Keep the launch log (one record per launch update, as `--log` writes). */
  readonly log?: boolean;
  readonly hashes?: HashSuite;
}

export interface Measurement {
  /** The launch digest as lowercase hex. */
  readonly digest: string;
  /** The raw digest (48 bytes; 32 for the SEV and SEV-ES modes). */
  readonly bytes: Uint8Array;
  readonly steps: number;
  readonly stepsByType: Readonly<Record<string, number>>;
  /** Present when `log: true` was asked. */
  readonly log?: readonly LogRecord[];
  readonly warnings: readonly string[];
}

/** How an environment turns file values into sources (bytes here; paths too under Node). */
export interface Environment {
  readonly open: (value: unknown, what: string, files?: Readonly<Record<string, Uint8Array>>) => Source;
}

const spell = (k: string): string => k;

/** Opens files a manifest names from the `files` map. */
export function filesOpener(files: Readonly<Record<string, Uint8Array>> | undefined): FileOpener {
  return (path, what, offset, length) => {
    const data = files && Object.hasOwn(files, path) ? files[path]! : fail('file-missing', `${what}: ${path} is not among the files given`);
    if (offset > data.length || (length !== undefined && offset + length > data.length)) fail('manifest', `${what}: ${path} has ${data.length} bytes; the window runs past its end`);
    return bytesSource(data.subarray(offset, length === undefined ? undefined : offset + length), path);
  };
}

export const bytesEnvironment: Environment = {
  open(value, what, files) {
    if (value instanceof Uint8Array) return bytesSource(value, what, filesOpener(files));
    if (typeof value === 'string' && files && Object.hasOwn(files, value)) return bytesSource(files[value]!, value, filesOpener(files));
    return fail('usage', `${what}: expected bytes (a Uint8Array)${typeof value === 'string' ? `, or a name in files; "${value}" is neither (use vmfw-measure/node for paths)` : ''}`);
  },
};

function describe(options: LaunchOptions, env: Environment, call: CallOptions, extra: Record<string, unknown> = {}): LaunchDescription {
  const values: Record<string, unknown> = { ...extra };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) values[k] = v;
  if (values['manifest'] !== undefined && !(values['manifest'] instanceof Uint8Array) && typeof values['manifest'] === 'object') {
    values['manifest'] = new TextEncoder().encode(JSON.stringify(values['manifest'], (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)));
  }
  const open: OpenInput = (value, _key, what) => env.open(value, what, call.files);
  return describeLaunch(values, { spell, open });
}

function run(plan: Parameters<typeof measurePlan>[0], d: LaunchDescription, call: CallOptions, warnings: readonly string[]): Measurement {
  const log: LogRecord[] = [];
  const opts: MeasureOptions = {
    ...(call.hashes ? { hashes: call.hashes } : {}),
    ...(call.log ? { onStep: (r: LogRecord) => { log.push(r); } } : {}),
    ...(d.maxSteps !== undefined ? { maxSteps: d.maxSteps } : {}),
  };
  const r = measurePlan(plan, opts);
  return { digest: toHex(r.digest), bytes: r.digest, steps: r.steps, stepsByType: r.stepsByType, ...(call.log ? { log } : {}), warnings };
}

/** A classic OVMF launch (`vmfw-measure ovmf`); `mode` defaults to `snp`. */
export function measureOvmfWith(env: Environment, options: LaunchOptions & CallOptions): Measurement {
  const { files, log, hashes, ...launch } = options;
  const call: CallOptions = { ...(files ? { files } : {}), ...(log ? { log } : {}), ...(hashes ? { hashes } : {}) };
  const d = describe(launch, env, call, { mode: 'snp' });
  const r = ovmfModePlan(d, { spell, ...(hashes ? { hashes } : {}) });
  if (!r.built) return { digest: toHex(r.digest), bytes: r.digest, steps: 0, stepsByType: {}, warnings: r.warnings };
  return run(r.built.plan, d, call, r.warnings);
}

function measureOne(env: Environment, launch: LaunchOptions, call: CallOptions, extra: Record<string, unknown>): Measurement {
  const d = describe(launch, env, call, extra);
  const opened = openLaunch(d, { spell, ...(call.hashes ? { hashes: call.hashes } : {}) });
  const config = singleConfig(d, opened.launch, spell);
  return run(opened.launch.plan(config), d, call, opened.warnings);
}

/** A vmfwupdate region list (`vmfw-measure regions`): the manifest as bytes, text or a parsed object. */
export function measureRegionsWith(env: Environment, manifest: FileInput | object, options: LaunchOptions & CallOptions = {}): Measurement {
  const { files, log, hashes, ...launch } = options;
  const m = typeof manifest === 'string' && !(files && Object.hasOwn(files, manifest)) && manifest.trimStart().startsWith('{') ? new TextEncoder().encode(manifest) : manifest;
  return measureOne(env, { ...launch, manifest: m }, { ...(files ? { files } : {}), ...(log ? { log } : {}), ...(hashes ? { hashes } : {}) }, {});
}

/** An IGVM image (`vmfw-measure igvm`); `vcpus` defaults to 1. */
export function measureIgvmWith(env: Environment, image: FileInput, options: LaunchOptions & CallOptions = {}): Measurement {
  const { files, log, hashes, ...launch } = options;
  return measureOne(env, { ...launch, igvm: image }, { ...(files ? { files } : {}), ...(log ? { log } : {}), ...(hashes ? { hashes } : {}) }, { vcpus: 1 });
}

/** Launch options plus the kind of launch when it is not implied by the inputs. */
export type SweepOptions = LaunchOptions & CallOptions;

export interface ConfigurationDigest {
  readonly vcpus: number;
  readonly vmmType: string;
  readonly vmmEra: string;
  readonly vcpuType: string | null;
  readonly vcpuSig: string | null;
  readonly guestFeatures: string | null;
  readonly digest: string;
}

function configJson(r: ConfigResult): ConfigurationDigest {
  return {
    vcpus: r.vcpus, vmmType: r.profile, vmmEra: r.era, vcpuType: r.vcpuType,
    vcpuSig: r.vcpuSignature === null ? null : `0x${r.vcpuSignature.toString(16)}`,
    guestFeatures: r.guestFeatures === null ? null : `0x${r.guestFeatures.toString(16)}`, digest: toHex(r.digest),
  };
}

export type { ReferenceFormat };

/** The format's options, as `reference-values` takes them. */
export interface ReferenceOptions {
  readonly encoding?: string;
  /** The launch guest policy (go-sev-guest, contrast): default 0x30000. */
  readonly policy?: number | bigint | string;
  /** trustee-operator: RFC 3339 (required there). */
  readonly expires?: string;
  /** contrast: the 1-vCPU digest plus the AP reset EIP. */
  readonly apeip?: boolean;
}

/**
 * Reference values over a matrix (`vmfw-measure reference-values`): `matrix` holds the lists
 * (`{ vcpus: '1-16', vcpuType: ['EPYC-Milan'] }`), merged over `launch`. Returns the text the CLI
 * prints (byte for byte) and its stderr notes.
 */
export function referenceValuesWith(env: Environment, launch: SweepOptions, matrix: Pick<LaunchOptions, 'vcpus' | 'vcpuType' | 'vcpuSig' | 'vmmType' | 'vmmEra' | 'guestFeatures'> = {}, format: ReferenceFormat = 'json', options: ReferenceOptions = {}): ReferenceOutput {
  const { files, log: _log, hashes, ...rest } = launch;
  const call: CallOptions = { ...(files ? { files } : {}), ...(hashes ? { hashes } : {}) };
  const d0 = describe({ ...rest, ...matrix }, env, call);
  const request = checkReferenceRequest({
    format, ...(options.encoding !== undefined ? { encoding: options.encoding } : {}),
    ...(options.policy !== undefined ? { policy: parseUnsigned(options.policy, 'policy') } : {}),
    ...(options.expires !== undefined ? { expires: options.expires } : {}), apeip: options.apeip ?? false,
    ...(d0.product !== undefined ? { product: d0.product } : {}),
  });
  const d: LaunchDescription = request.apeip ? { ...d0, vcpus: [1] } : d0;
  const opened = openLaunch(d, { spell, ...(hashes ? { hashes } : {}) });
  const sw = sweep(opened.launch, referenceSpace(d, opened.launch, spell), hashes ?? defaultSuite);
  if (sw.results.length === 0) throw sw.skipped[0]?.error ?? new Error('no configuration of the matrix can launch');
  const l = opened.launch;
  return referenceValuesText(sw.results, request, { kind: l.kind, ...(l.apResetEip !== undefined ? { apResetEip: l.apResetEip } : {}) },
    request.format === 'json' ? launchProvenance(d, opened, hashes ?? defaultSuite) : undefined);
}

/** A digest in hex (optionally 0x) or base64. */
export function parseDigest(s: string, what = 'digest'): Uint8Array {
  const t = s.trim();
  if (/^(0x)?[0-9a-fA-F]{96}$/.test(t)) return fromHex(t, what, 48);
  const b = fromBase64(t, what);
  if (b.length !== 48) fail('bad-hex', `${what}: not a 48-byte digest in hex or base64`);
  return b;
}

export interface VerifyExpectations {
  /** Accepted measurements (any may match), hex or base64. */
  readonly measurement?: string | readonly string[];
  /** Or: the launch whose digest the report must carry (one configuration). */
  readonly launch?: LaunchOptions & CallOptions;
  readonly hostData?: string;
  readonly policy?: string | number | bigint;
  readonly forbidDebug?: boolean;
  readonly idKeyDigest?: string;
  readonly authorKeyDigest?: string;
  readonly reportData?: string;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly checks: readonly { readonly check: string; readonly ok: boolean; readonly expected: string; readonly actual: string }[];
  readonly report: AttestationReport;
}

/** Checks a report's measurement and fields (`vmfw-measure verify`); the signature is not checked. */
export function verifyReportWith(env: Environment, report: Uint8Array, expected: VerifyExpectations): VerifyResult {
  const r = parseReport(report, 'report');
  let want: Uint8Array[];
  if (expected.measurement !== undefined && expected.launch !== undefined) fail('usage', 'give measurement or launch, not both');
  if (expected.measurement !== undefined) {
    want = (typeof expected.measurement === 'string' ? expected.measurement.split(',') : [...expected.measurement]).map((m, i) => parseDigest(m, `measurement[${i}]`));
  } else if (expected.launch !== undefined) {
    const { files, hashes, log: _log, ...launch } = expected.launch;
    const kind = launch.igvm !== undefined ? { vcpus: 1 } : {};
    want = [measureOne(env, launch, { ...(files ? { files } : {}), ...(hashes ? { hashes } : {}) }, kind).bytes];
  } else return fail('usage', 'give the expected measurement or the launch');
  const match = want.find((w) => bytesEqual(w, r.measurement));
  const checks: { check: string; ok: boolean; expected: string; actual: string }[] = [
    { check: 'measurement', ok: match !== undefined, expected: match ? toHex(match) : want.map(toHex).join(' | '), actual: toHex(r.measurement) },
  ];
  const exact = (name: string, given: string | undefined, actual: Uint8Array, len: number): void => {
    if (given === undefined) return;
    const w = fromHex(given, name, len);
    checks.push({ check: name, ok: bytesEqual(w, actual), expected: toHex(w), actual: toHex(actual) });
  };
  exact('hostData', expected.hostData, r.hostData, 32);
  exact('idKeyDigest', expected.idKeyDigest, r.idKeyDigest, 48);
  exact('authorKeyDigest', expected.authorKeyDigest, r.authorKeyDigest, 48);
  exact('reportData', expected.reportData, r.reportData, 64);
  if (expected.policy !== undefined) {
    const p = parseUnsigned(expected.policy, 'policy');
    checks.push({ check: 'policy', ok: p === r.policy.value, expected: `0x${p.toString(16)}`, actual: `0x${r.policy.value.toString(16)}` });
  }
  if (expected.forbidDebug) checks.push({ check: 'policy DEBUG clear', ok: !r.policy.debug, expected: 'DEBUG=0', actual: `DEBUG=${r.policy.debug ? 1 : 0}` });
  return { ok: checks.every((c) => c.ok), checks, report: r };
}

export interface IdentifyResult {
  readonly measurement: string;
  readonly matches: readonly ConfigurationDigest[];
  /** Configurations evaluated. */
  readonly searched: number;
}

/**
 * The configurations of a launch that give a report's measurement (`vmfw-measure identify`). The
 * lists in `launch` narrow the space; by default vCPUs 1-256, every vCPU type, guest features 0x1
 * and 0x21 (plus any given), every profile and era.
 */
export function identifyWith(env: Environment, report: Uint8Array | string, launch: SweepOptions): IdentifyResult {
  const parsed = typeof report === 'string' ? undefined : parseReport(report, 'report');
  const target = parsed ? parsed.measurement : parseDigest(report as string, 'measurement');
  const { files, hashes, log: _log, ...rest } = launch;
  const d = describe(rest, env, { ...(files ? { files } : {}), ...(hashes ? { hashes } : {}) });
  const opened = openLaunch(d, { spell, ...(hashes ? { hashes } : {}) });
  const space0 = searchSpace(d, { vcpus: parseCounts('1-256'), features: [0x1n, 0x21n], addFeatures: true });
  const space = { ...space0, vcpuTypes: orderByHostCpu(space0.vcpuTypes, parsed?.cpuid).types };
  const sw = sweep(opened.launch, space, hashes ?? defaultSuite);
  return { measurement: toHex(target), matches: sw.results.filter((r) => bytesEqual(r.digest, target)).map(configJson), searched: sw.evaluated };
}

export { toBase64 };
