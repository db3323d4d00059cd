/**
 * The one-call API: a launch described with the command line's option names (camelCase) and
 * values, measured in one call. Platform-neutral: inputs are bytes; the Node entry
 * (`vmfw-measure/node`) wraps these functions so file options may also be paths.
 */
import { fail } from '../errors.js';
import { bytesEqual, fromHex, parseUnsigned, toBase64, toHex, plainBytes } from '../bytes.js';
import { defaultSuite, type HashSuite } from '../hash/suite.js';
import { measurePlan, type LogRecord, type MeasureOptions } from '../engine.js';
import { LAUNCH_KEYS, describeLaunch, launchKind, bytesSource, parseCounts, type OpenInput, type Source, type LaunchDescription } from '../launch/description.js';
import { ovmfModePlan, referenceSpace, searchSpace, singleConfig } from '../launch/build.js';
import { openLaunch } from '../launch/open.js';
import { sweep, orderByHostCpu, type ConfigResult } from '../attestation/launch-space.js';
import { parseReport, type AttestationReport } from '../attestation/report.js';
import { REFERENCE_FORMATS, checkReferenceRequest, referenceValuesText, type ReferenceFormat, type ReferenceOutput } from '../attestation/reference-formats.js';
import { launchProvenance } from '../launch/provenance.js';
import { decodeDigest } from '../attestation/digest-encoding.js';
import { resolveMatrixAliases } from '../launch/matrix.js';
import { matchReferences, readReferenceValues, referenceResultJson, refusedReferences, type ReferenceResultJson, type ReferenceSet } from '../attestation/reference-reader.js';
import { isLockDocument, lockReferenceSet, readLock } from '../ci/lock.js';
import { parseJsonExact } from '../json-exact.js';
import { didYouMean } from '../options/suggest.js';
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
  /** Alias of vmmType (the command line's `--profile`). */
  readonly profile?: string | readonly string[];
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
  /** Keep the launch log: one record per launch update, the fields of a `--log` line (the file adds its `format` to each). */
  readonly log?: boolean;
  readonly hashes?: HashSuite;
}

/**
 * What every first-layer call resolves to: the launch digest as hex and bytes, how many launch
 * steps (one PAGE_INFO update each) produced it, per page type, and any warnings the CLI prints.
 */
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
  /** `key` is the launch option the value came from (`manifest`, `metadata`, ...): it sets the input's size limit. */
  readonly open: (value: unknown, what: string, files?: Readonly<Record<string, Uint8Array>>, key?: string) => Source;
}

const spell = (k: string): string => k;

/** What a value is, for a message: "nothing", "null", "a list", "bytes", "a string"... */
function kindOf(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (ArrayBuffer.isView(v)) return 'bytes';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * An options argument as given: a plain object (absent means `{}` where the call makes it
 * optional). Anything else is a usage error naming the call, never a TypeError from destructuring.
 */
export function optionsArgument<T extends object>(value: T | undefined, what: string, optional = false): T {
  if (value === undefined && optional) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
    return fail('usage', `${what}: expected an options object, got ${kindOf(value)}`);
  }
  return value;
}

/** Opens files a manifest names from the `files` map. */
export function filesOpener(files: Readonly<Record<string, Uint8Array>> | undefined): FileOpener {
  return (path, what, offset, length) => {
    const data = files && Object.hasOwn(files, path) ? files[path]! : fail('file-missing', `${what}: ${path} is not among the files given`);
    if (!(data instanceof Uint8Array)) fail('usage', `files[${JSON.stringify(path)}]: expected bytes (a Uint8Array), got ${kindOf(data)}`);
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

/** The call options every function takes, checked: a wrong `files` or `hashes` is a usage error, not a TypeError deep inside. */
function checkCallOptions(call: CallOptions): void {
  if (call.files !== undefined) {
    const files = optionsArgument(call.files, 'files');
    for (const [name, data] of Object.entries(files)) {
      if (!(data instanceof Uint8Array)) fail('usage', `files[${JSON.stringify(name)}]: expected bytes (a Uint8Array), got ${kindOf(data)}`);
    }
  }
  const h = call.hashes as Partial<Record<string, unknown>> | undefined;
  if (h !== undefined && (typeof h !== 'object' || h === null || !['sha384', 'sha256', 'createSha256', 'createSha384'].every((f) => typeof h[f] === 'function'))) {
    fail('usage', `hashes: expected a hash suite (nodeSuite, nobleSuite, or an object with sha384, sha256, createSha256 and createSha384), got ${kindOf(h)}`);
  }
}

function describe(options: LaunchOptions, env: Environment, call: CallOptions, extra: Record<string, unknown> = {}): LaunchDescription {
  checkCallOptions(call);
  const values: Record<string, unknown> = { ...extra };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) values[k] = v;
  if (values['manifest'] !== undefined && !(values['manifest'] instanceof Uint8Array) && typeof values['manifest'] === 'object') {
    values['manifest'] = new TextEncoder().encode(JSON.stringify(values['manifest'], (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)));
  }
  const open: OpenInput = (value, key, what) => env.open(value, what, call.files, key);
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
  return { digest: toHex(r.digest), bytes: plainBytes(r.digest), steps: r.steps, stepsByType: r.stepsByType, ...(call.log ? { log } : {}), warnings };
}

/** A classic OVMF launch (`vmfw-measure ovmf`); `mode` defaults to `snp`. */
export function measureOvmfWith(env: Environment, options: LaunchOptions & CallOptions): Measurement {
  const { files, log, hashes, ...launch } = optionsArgument(options, 'measureOvmf(options)');
  const call: CallOptions = { ...(files ? { files } : {}), ...(log ? { log } : {}), ...(hashes ? { hashes } : {}) };
  if (['manifest', 'igvm'].some((k) => (launch as Record<string, unknown>)[k] !== undefined)) fail('usage', 'measureOvmf: give ovmf (or metadata); measure a manifest with measureRegions and an IGVM file with measureIgvm');
  const d = describe(launch, env, call, { mode: 'snp' });
  launchKind(d, spell);
  const r = ovmfModePlan(d, { spell, ...(hashes ? { hashes } : {}) });
  if (!r.built) return { digest: toHex(r.digest), bytes: plainBytes(r.digest), steps: 0, stepsByType: {}, warnings: r.warnings };
  return run(r.built.plan, d, call, r.warnings);
}

function measureOne(env: Environment, launch: LaunchOptions, call: CallOptions, extra: Record<string, unknown>): Measurement {
  const d = describe(launch, env, call, extra);
  const opened = openLaunch(d, { spell, ...(call.hashes ? { hashes: call.hashes } : {}) });
  const config = singleConfig(d, opened.launch, spell);
  return run(opened.launch.plan(config), d, call, opened.warnings);
}

/** A vmfwupdate region list (`vmfw-measure regions`): the manifest as bytes, text or a parsed object. */
export function measureRegionsWith(env: Environment, manifest: FileInput | object, options?: LaunchOptions & CallOptions): Measurement {
  if (manifest === undefined || manifest === null) fail('usage', `measureRegions(manifest): the manifest is ${kindOf(manifest)}; give its bytes, its JSON text or the parsed object`);
  const { files, log, hashes, ...launch } = optionsArgument(options, 'measureRegions(manifest, options)', true);
  const m = typeof manifest === 'string' && !(files && Object.hasOwn(files, manifest)) && manifest.trimStart().startsWith('{') ? new TextEncoder().encode(manifest) : manifest;
  return measureOne(env, { ...launch, manifest: m }, { ...(files ? { files } : {}), ...(log ? { log } : {}), ...(hashes ? { hashes } : {}) }, {});
}

/** An IGVM image (`vmfw-measure igvm`); `vcpus` defaults to 1. */
export function measureIgvmWith(env: Environment, image: FileInput, options?: LaunchOptions & CallOptions): Measurement {
  if (image === undefined || image === null) fail('usage', `measureIgvm(image): the image is ${kindOf(image)}; give its bytes`);
  const { files, log, hashes, ...launch } = optionsArgument(options, 'measureIgvm(image, options)', true);
  return measureOne(env, { ...launch, igvm: image }, { ...(files ? { files } : {}), ...(log ? { log } : {}), ...(hashes ? { hashes } : {}) }, { vcpus: 1 });
}

/**
 * The names earlier `--matrix` files gave the lists, accepted as aliases wherever a matrix is
 * (`referenceValues`' launch and matrix, `identify`'s launch); an object giving a key and its
 * alias is refused.
 */
export interface MatrixAliases {
  /** Alias of `vcpuType`. */
  readonly vcpuTypes?: LaunchOptions['vcpuType'];
  /** Alias of `vcpuSig`. */
  readonly vcpuSignatures?: LaunchOptions['vcpuSig'];
  /** Alias of `vmmType`. */
  readonly profiles?: LaunchOptions['vmmType'];
}

/** The lists of a configuration matrix (`reference-values --matrix`), by option key or alias. */
export type MatrixOptions = Pick<LaunchOptions, 'vcpus' | 'vcpuType' | 'vcpuSig' | 'vmmType' | 'vmmEra' | 'guestFeatures'> & MatrixAliases;

/** A launch whose configuration options may be lists (a sweep), plus the call options. */
export type SweepOptions = LaunchOptions & CallOptions & MatrixAliases;

/**
 * One configuration of a sweep and its digest, named as the launch options are (`vmmType`,
 * `vmmEra`, `vcpuSig`), so a match can be passed back as options; `identify --json` writes the
 * same values as `profile`, `era` and `vcpuSignature` (its format, identify-result@1). Signature
 * and guest features as 0x-hex strings, null where the launch does not use them.
 */
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

/** The format options of referenceValues (ReferenceOptions). */
const REFERENCE_OPTION_KEYS: readonly string[] = ['encoding', 'policy', 'expires', 'apeip'];

/**
 * Reference values over a matrix (`vmfw-measure reference-values`): `matrix` holds the lists
 * (`{ vcpus: '1-16', vcpuType: ['EPYC-Milan'] }`), merged over `launch`. Returns the text the CLI
 * prints (byte for byte) and its stderr notes.
 */
export function referenceValuesWith(env: Environment, launch: SweepOptions, matrix?: MatrixOptions, format: ReferenceFormat = 'json', options?: ReferenceOptions): ReferenceOutput {
  const { files, log: _log, hashes, ...rest } = optionsArgument(launch, 'referenceValues(launch)');
  if (typeof format !== 'string') fail('usage', `referenceValues(launch, matrix, format): expected a format name (${REFERENCE_FORMATS.join(', ')}), got ${kindOf(format)}`);
  const lists = resolveMatrixAliases(optionsArgument<MatrixOptions>(matrix, 'referenceValues(launch, matrix)', true) as Readonly<Record<string, unknown>>, 'referenceValues(launch, matrix)');
  options = optionsArgument(options, 'referenceValues(launch, matrix, format, options)', true);
  for (const k of Object.keys(options)) {
    if (REFERENCE_OPTION_KEYS.includes(k)) continue;
    const guess = didYouMean(k, REFERENCE_OPTION_KEYS);
    const hint = LAUNCH_KEYS.includes(k) ? `; ${k} describes the launch: give it in the launch argument` : guess ? `; did you mean ${guess}?` : '';
    fail('usage', `referenceValues(launch, matrix, format, options): ${k} is not a format option${hint} (known: ${REFERENCE_OPTION_KEYS.join(', ')})`);
  }
  const call: CallOptions = { ...(files ? { files } : {}), ...(hashes ? { hashes } : {}) };
  const d0 = describe({ ...resolveMatrixAliases(rest, 'referenceValues(launch)'), ...lists } as LaunchOptions, env, call);
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
  const out = referenceValuesText(sw.results, request, { kind: l.kind, ...(l.apResetEip !== undefined ? { apResetEip: l.apResetEip } : {}) },
    request.format === 'json' ? launchProvenance(d, opened, hashes ?? defaultSuite) : undefined);
  // The launch's warnings come first, as the command prints them before the format's notes.
  return opened.warnings.length ? { ...out, notes: [...opened.warnings.map((w) => `warning: ${w}`), ...out.notes] } : out;
}

/** A digest in hex (optionally 0x) or base64. */
export function parseDigest(s: string, what = 'digest'): Uint8Array {
  return decodeDigest(s, what);
}

/**
 * What `verifyReport` checks a report against, named as `verify`'s options: give one of
 * `expected`, `referenceValues` or `launch` for the measurement, plus any field checks.
 */
export interface VerifyExpectations {
  /** Accepted measurements, hex or base64: one, a comma-separated string or a list (any may match), as `--expected`. */
  readonly expected?: string | readonly string[];
  /** @deprecated The earlier name of `expected`. */
  readonly measurement?: string | readonly string[];
  /**
   * Or: the text or bytes of a reference-value file in any format `verify --reference-values`
   * reads (every `reference-values --format`, a go-sev-guest config or `# ---` stream, a lock
   * file); the result says which entry matched.
   */
  readonly referenceValues?: string | Uint8Array;
  /** Or: the launch whose digest the report must carry (one configuration). */
  readonly launch?: LaunchOptions & CallOptions;
  /** Also require this HOST_DATA (32 bytes, hex). */
  readonly hostData?: string;
  /** Also require exactly this guest policy. */
  readonly policy?: string | number | bigint;
  /** Also require the policy's DEBUG bit clear. */
  readonly forbidDebug?: boolean;
  /** Also require this ID key digest (48 bytes, hex). */
  readonly idKeyDigest?: string;
  /** Also require this author key digest (48 bytes, hex). */
  readonly authorKeyDigest?: string;
  /** Also require this REPORT_DATA (64 bytes, hex). */
  readonly reportData?: string;
}

const VERIFY_KEYS: readonly string[] = ['expected', 'measurement', 'referenceValues', 'launch', 'hostData', 'policy', 'forbidDebug', 'idKeyDigest', 'authorKeyDigest', 'reportData'];

/** One check `verifyReport` made, with both sides as text, as `verify` prints them. */
export interface VerifyCheck { readonly check: string; readonly ok: boolean; readonly expected: string; readonly actual: string }

export type { ReferenceResultJson };

/**
 * The outcome of `verifyReport`: `ok` only when every check passed. The decoded report is
 * included so a caller can read fields it did not ask to check.
 */
export interface VerifyResult {
  readonly ok: boolean;
  readonly checks: readonly VerifyCheck[];
  readonly report: AttestationReport;
  /**
   * With `referenceValues`: the file's format and the entries that accept the measurement (on a
   * mismatch, `matched` is empty and `candidates` lists every entry), as `verify --json` writes them.
   */
  readonly referenceValues?: ReferenceResultJson;
  /**
   * What the reference-value reader skipped or a verifier would do differently (the CLI's `note:`
   * lines), and the measured launch's warnings (`warning: ...`, as the CLI prints them).
   */
  readonly notes: readonly string[];
}

/** The accepted digests of `expected`: a comma-separated string or a list, each hex or base64. */
function expectedDigests(v: unknown, what: string): Uint8Array[] {
  const list = typeof v === 'string' ? v.split(',') : Array.isArray(v) ? (v as unknown[]) : fail('usage', `${what}: expected a digest string or a list of them, got ${kindOf(v)}`);
  if (list.length === 0) fail('usage', `${what}: the list is empty: no measurement to accept`);
  return list.map((m, i) => (typeof m === 'string' ? parseDigest(m, `${what}[${i}]`) : fail('usage', `${what}[${i}]: expected a digest string, got ${kindOf(m)}`)));
}

/**
 * A reference-value file given as text or bytes, in any format `verify --reference-values` reads
 * (every `reference-values --format`, go-sev-guest configs, a lock file); `what` names it in messages.
 */
export function readReferenceInput(input: unknown, what: string): ReferenceSet {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) fail('usage', `${what}: expected the text or bytes of a reference-value file, got ${kindOf(input)}`);
  const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
  const t = text.trim();
  // Every format holds one of these characters; a bare word is a path given where the contents belong.
  if (t !== '' && !/[\n{}[\]:]/.test(t)) fail('usage', `${what}: ${JSON.stringify(t.slice(0, 60))} is not reference values: pass the file's text or bytes, not its path (digests go in expected)`);
  if (t.startsWith('{')) {
    const doc = parseJsonExact(t, what, 'reference-values');
    if (isLockDocument(doc)) return lockReferenceSet(readLock(doc, what));
  }
  return readReferenceValues(text, what);
}

/**
 * Checks a report's measurement and fields (`vmfw-measure verify`), with the CLI's option names:
 * the measurement one way (`expected`, `referenceValues` or `launch`), plus any field checks.
 * The signature is not checked.
 */
export function verifyReportWith(env: Environment, report: Uint8Array, expected: VerifyExpectations): VerifyResult {
  const e = optionsArgument(expected, 'verifyReport(report, expected)');
  for (const k of Object.keys(e)) {
    if (VERIFY_KEYS.includes(k)) continue;
    const guess = didYouMean(k, VERIFY_KEYS);
    fail('usage', `verifyReport: ${k} is not an expectation${guess ? `; did you mean ${guess}?` : ''} (known: ${VERIFY_KEYS.join(', ')})`);
  }
  if (!(report instanceof Uint8Array)) fail('usage', `verifyReport(report): expected the report's bytes (binary, hex or base64 text), got ${kindOf(report)}`);
  const r = parseReport(report, 'report');
  if (e.expected !== undefined && e.measurement !== undefined) fail('usage', 'verifyReport: measurement is the earlier name of expected; give one of them');
  const digests = e.expected ?? e.measurement;
  const sources = [digests !== undefined, e.referenceValues !== undefined, e.launch !== undefined].filter(Boolean).length;
  if (sources !== 1) fail('usage', 'verifyReport: give the expected measurement one way: expected (digests), referenceValues (a reference-value file) or launch');
  const actual = toHex(r.measurement);
  let measurement: VerifyCheck;
  let refs: ReferenceResultJson | undefined;
  let notes: readonly string[] = [];
  if (e.referenceValues !== undefined) {
    const set = readReferenceInput(e.referenceValues, 'referenceValues');
    // The consumers' own rules apply: an expired Trustee entry or a go-sev-guest config whose
    // policy check rejects the report's policy accepts nothing, as on the command line.
    const ctx = { reportPolicy: r.policy.value };
    const matches = matchReferences(set, r.measurement, ctx);
    refs = referenceResultJson(set, matches, refusedReferences(set, r.measurement, ctx));
    notes = set.notes;
    const n = set.entries.length;
    measurement = { check: 'measurement', ok: matches.length > 0, expected: matches.length ? actual : `one of the ${n} entr${n === 1 ? 'y' : 'ies'} of the ${set.format}`, actual };
  } else {
    let want: Uint8Array[];
    if (digests !== undefined) {
      want = expectedDigests(digests, e.expected !== undefined ? 'expected' : 'measurement');
    } else {
      const { files, hashes, log: _log, ...launch } = optionsArgument(e.launch, 'verifyReport: launch');
      const kind = launch.igvm !== undefined ? { vcpus: 1 } : {};
      const measured = measureOne(env, launch, { ...(files ? { files } : {}), ...(hashes ? { hashes } : {}) }, kind);
      want = [measured.bytes];
      notes = measured.warnings.map((w) => `warning: ${w}`);
    }
    const match = want.find((w) => bytesEqual(w, r.measurement));
    measurement = { check: 'measurement', ok: match !== undefined, expected: match ? toHex(match) : want.map(toHex).join(' | '), actual };
  }
  const checks: VerifyCheck[] = [measurement];
  const exact = (name: string, given: string | undefined, field: Uint8Array, len: number): void => {
    if (given === undefined) return;
    const w = fromHex(given, name, len);
    checks.push({ check: name, ok: bytesEqual(w, field), expected: toHex(w), actual: toHex(field) });
  };
  exact('hostData', e.hostData, r.hostData, 32);
  exact('idKeyDigest', e.idKeyDigest, r.idKeyDigest, 48);
  exact('authorKeyDigest', e.authorKeyDigest, r.authorKeyDigest, 48);
  exact('reportData', e.reportData, r.reportData, 64);
  if (e.policy !== undefined) {
    const p = parseUnsigned(e.policy, 'policy');
    checks.push({ check: 'policy', ok: p === r.policy.value, expected: `0x${p.toString(16)}`, actual: `0x${r.policy.value.toString(16)}` });
  }
  if (e.forbidDebug) checks.push({ check: 'policy DEBUG clear', ok: !r.policy.debug, expected: 'DEBUG=0', actual: `DEBUG=${r.policy.debug ? 1 : 0}` });
  return { ok: checks.every((c) => c.ok), checks, report: r, ...(refs ? { referenceValues: refs } : {}), notes };
}

/**
 * The configurations whose digest equals a report's measurement (empty when none does), and how
 * many were tried, so "no match" can be told apart from "nothing searched".
 */
export interface IdentifyResult {
  readonly measurement: string;
  readonly matches: readonly ConfigurationDigest[];
  /** Configurations evaluated. */
  readonly searched: number;
  /** The launch's warnings, as the CLI prints them (without `warning: `). */
  readonly warnings: readonly string[];
}

/**
 * The configurations of a launch that give a report's measurement (`vmfw-measure identify`). The
 * lists in `launch` narrow the space; by default vCPUs 1-256, every vCPU type, guest features 0x1
 * and 0x21 (plus any given), every profile and era.
 */
export function identifyWith(env: Environment, report: Uint8Array | string, launch: SweepOptions): IdentifyResult {
  if (typeof report !== 'string' && !(report instanceof Uint8Array)) fail('usage', `identify(report): expected the report's bytes or a digest string, got ${kindOf(report)}`);
  const { files, hashes, log: _log, ...rest } = optionsArgument(launch, 'identify(report, launch)');
  const parsed = typeof report === 'string' ? undefined : parseReport(report, 'report');
  const target = parsed ? parsed.measurement : parseDigest(report as string, 'measurement');
  const d = describe(resolveMatrixAliases(rest, 'identify(report, launch)') as LaunchOptions, env, { ...(files ? { files } : {}), ...(hashes ? { hashes } : {}) });
  const opened = openLaunch(d, { spell, ...(hashes ? { hashes } : {}) });
  const space0 = searchSpace(d, { vcpus: parseCounts('1-256'), features: [0x1n, 0x21n], addFeatures: true }, opened.launch, spell);
  const space = { ...space0, vcpuTypes: orderByHostCpu(space0.vcpuTypes, parsed?.cpuid).types };
  const sw = sweep(opened.launch, space, hashes ?? defaultSuite);
  return { measurement: toHex(target), matches: sw.results.filter((r) => bytesEqual(r.digest, target)).map(configJson), searched: sw.evaluated, warnings: opened.warnings };
}

export { toBase64 };
