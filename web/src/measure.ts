/**
 * The page's one door into the library. A launch is described with the option vocabulary
 * (src/options/table.ts: its camelCase keys and the command line's values) and opened, configured
 * and turned into reference values by the code the command line runs (src/launch: describeLaunch,
 * openLaunch, singleConfig, searchSpace, ovmfModePlan; src/attestation/reference-formats.ts), so
 * the page and `vmfw-measure` accept the same names and values and write the same bytes.
 *
 * What this module adds is the page's way of hashing: pages in WebCrypto batches, with progress
 * and cancellation, folded through the engine's chain; whole files by WebCrypto SHA-256 ahead of
 * the library's synchronous code (hash.ts PrehashedSuite); the measured prefix reused for the
 * vCPU table, the reference values and identify's search.
 */
import { fail, isMeasureError } from '../../src/errors.js';
import { hex64 } from '../../src/bytes.js';
import { Chain, foldRunInline, type MeasureOptions, type MeasureResult } from '../../src/engine.js';
import type { LaunchPlan, LaunchRun, StepOrigin } from '../../src/plan.js';
import { PAGE_TYPE_NAMES, PageType } from '../../src/snp/page-info.js';
import type { VmmProfile } from '../../src/profiles.js';
import type { FileOpener } from '../../src/regions/manifest.js';
import type { RegionData } from '../../src/regions/replay.js';
import { bytesSource, describeLaunch, parseCounts, type LaunchDescription } from '../../src/launch/description.js';
import { ovmfModePlan, searchSpace, singleConfig, type OpenedLaunch as LibraryLaunch } from '../../src/launch/build.js';
import { openLaunch as openDescription } from '../../src/launch/open.js';
import { launchProvenance } from '../../src/launch/provenance.js';
import {
  distinctVcpuTypes, orderByHostCpu, sweep,
  type ConfigResult, type ConfigurableLaunch, type LaunchConfig, type SearchSpace,
} from '../../src/attestation/launch-space.js';
import { checkReferenceRequest, referenceValuesText, type ReferenceFormat, type ReferenceRequest } from '../../src/attestation/reference-formats.js';
import type { AttestationReport } from '../../src/attestation/report.js';
import { nobleSuite } from '../../src/hash/noble-suite.js';
import { PAGE_SIZE, PrehashedSuite, pageDigests } from './hash.js';

// ---- inputs ----

export type LaunchKind = 'ovmf' | 'regions' | 'igvm';

/** The file options each kind of launch takes (vocabulary keys). */
export const FILE_OPTIONS: Readonly<Record<LaunchKind, readonly string[]>> = {
  ovmf: ['ovmf', 'kernel', 'initrd', 'svsm'], regions: ['manifest'], igvm: ['igvm'],
};

/** The configuration options of the form (vocabulary keys); everything else describes the launch. */
export const CONFIG_OPTIONS = ['vcpus', 'vcpuType', 'vcpuSig', 'vmmType', 'vmmEra', 'guestFeatures'] as const;
export type ConfigOption = typeof CONFIG_OPTIONS[number];

export interface NamedBytes { readonly name: string; readonly bytes: Uint8Array }

export interface LaunchInput {
  readonly kind: LaunchKind;
  /** File options by key (FILE_OPTIONS), each with the name the browser gives it: the name stands where the CLI has a path. */
  readonly files: Readonly<Partial<Record<string, NamedBytes>>>;
  /** The files a manifest names, by the name the browser gives them. */
  readonly sources?: ReadonlyMap<string, Uint8Array>;
  /** Other launch options by key, valued as on the command line (`append`, `product: "genoa"`, `vmsaGpa: "0x..."`, `fileOrder: true`). */
  readonly options?: Readonly<Record<string, string | boolean>>;
}

/** The form's configuration, by key, as typed (`vcpus: "4"`, `vmmType: "ec2"`, `guestFeatures: "0x21"`); blank means not given. */
export type Settings = Readonly<Partial<Record<ConfigOption, string>>>;

export interface OpenedLaunch {
  readonly kind: 'ovmf' | 'svsm' | 'regions' | 'igvm';
  /** The launch options as the library reads them (no configuration yet). */
  readonly description: LaunchDescription;
  readonly opened: LibraryLaunch;
  readonly launch: ConfigurableLaunch;
  /** Profiles (name:era) this launch runs under. */
  readonly profiles: readonly string[];
  readonly usesGuestFeatures: boolean;
  /** Settings the input names itself (a manifest's launch block), as the form spells them. */
  readonly defaults: Settings;
  readonly notes: readonly string[];
  /** @noble/hashes, with the SHA-256 of whole files computed ahead by WebCrypto. */
  readonly hashes: PrehashedSuite;
}

/** A manifest's file sources, looked up by path, then by the path's last component (the browser gives names only). */
function sourceOpener(files: ReadonlyMap<string, Uint8Array>): FileOpener {
  return (path, what, offset, length): RegionData => {
    const base = path.split(/[\\/]/).pop() ?? path;
    const data = files.get(path) ?? files.get(base);
    if (!data) fail('file-missing', `${what}: ${path} was not given; add it with the manifest's files`);
    if (offset > data.length) fail('manifest', `${what}: offset 0x${offset.toString(16)} is past the end of ${path} (${data.length} bytes)`);
    const len = length ?? data.length - offset;
    if (offset + len > data.length) fail('manifest', `${what}: ${path} has ${data.length} bytes; offset 0x${offset.toString(16)} + length 0x${len.toString(16)} runs past its end`);
    const view = data.subarray(offset, offset + len);
    return { length: len, describe: `${path}${offset ? `@0x${offset.toString(16)}` : ''}`, read: (o, into) => into.set(view.subarray(o, o + into.length)) };
  };
}

const profileKey = (p: VmmProfile): string => `${p.name}:${p.era}`;

/** A configuration as the form spells it (a manifest's launch block, an identify match). */
function settingsOf(c: Partial<LaunchConfig>): Settings {
  return {
    ...(c.vcpus !== undefined ? { vcpus: String(c.vcpus) } : {}),
    ...(c.profile ? { vmmType: c.profile.name, vmmEra: c.profile.era } : {}),
    // A type clears a signature the form may hold (a signature wins over a type, as on the command line).
    ...(c.vcpuType !== undefined ? { vcpuType: c.vcpuType, vcpuSig: '' } : c.vcpuSignature !== undefined ? { vcpuSig: hex64(c.vcpuSignature) } : {}),
    ...(c.guestFeatures !== undefined ? { guestFeatures: hex64(c.guestFeatures) } : {}),
  };
}

/** Opens the launch the input describes, as `vmfw-measure` opens its options. */
export async function openLaunch(input: LaunchInput): Promise<OpenedLaunch> {
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input.options ?? {})) {
    if ((CONFIG_OPTIONS as readonly string[]).includes(k)) fail('usage', `--${k}: configuration is given per measurement, not with the launch`);
    if (v !== '') values[k] = v;
  }
  const files = input.files;
  for (const k of FILE_OPTIONS[input.kind]) if (files[k]) values[k] = files[k].name;
  // The page implies the OVMF mode: an SVSM image makes it snp:svsm.
  if (input.kind === 'ovmf') values['mode'] ??= files['svsm'] ? 'snp:svsm' : 'snp';
  const hashes = new PrehashedSuite();
  // Measured direct boot hashes the kernel and initrd whole: WebCrypto does it here, fast.
  await hashes.prepare([files['kernel']?.bytes, files['initrd']?.bytes]);
  const description = describeLaunch(values, {
    open: (_value, key) => {
      const f = files[key] ?? fail('usage', `--${key}: no file chosen`);
      return bytesSource(f.bytes, f.name, key === 'manifest' ? sourceOpener(input.sources ?? new Map()) : undefined);
    },
  });
  const opened = openDescription(description, { hashes });
  const launch = opened.launch;
  const kind = input.kind === 'ovmf' && description.mode === 'snp:svsm' ? 'svsm' : input.kind;
  const notes = [
    ...(kind === 'svsm' ? ['snp:svsm mode: QEMU only; sev_features is forced to 0x1'] : []),
    ...(kind === 'igvm' ? ['guest features come from the IGVM file'] : []),
    ...opened.warnings.map((w) => `warning: ${w}`),
  ];
  return {
    kind, description, opened, launch, profiles: launch.profiles.map(profileKey), usesGuestFeatures: launch.usesGuestFeatures,
    defaults: settingsOf(launch.defaults ?? {}), notes, hashes,
  };
}

/** One configuration of an opened launch: the description the command line would build, and the library's configuration. */
export interface Configured {
  readonly description: LaunchDescription;
  readonly config: LaunchConfig;
}

/** The configuration the form's settings name, read as the command line reads its options. */
export function configure(opened: OpenedLaunch, s: Settings): Configured {
  const values: Record<string, string> = {};
  for (const k of CONFIG_OPTIONS) {
    const v = s[k]?.trim();
    if (v) values[k] = v;
  }
  const description: LaunchDescription = { ...opened.description, ...describeLaunch(values, { open: (_v, key) => fail('usage', `--${key} is not a configuration option`) }) };
  const config = singleConfig(description, opened.launch);
  if (!opened.profiles.includes(profileKey(config.profile))) {
    fail('profile', `this ${opened.kind} launch does not run under ${profileKey(config.profile)}; it runs under ${opened.profiles.join(', ')}`);
  }
  return { description, config };
}

/** The form's spelling of a configuration found by a search. */
export function settingsOfResult(r: ConfigResult): Settings {
  return {
    vcpus: String(r.vcpus), vmmType: r.profile, vmmEra: r.era,
    ...(r.vcpuType !== null && !r.vcpuType.startsWith('sig ') ? { vcpuType: r.vcpuType, vcpuSig: '' } : r.vcpuSignature !== null ? { vcpuSig: hex64(r.vcpuSignature) } : {}),
    ...(r.guestFeatures !== null ? { guestFeatures: hex64(r.guestFeatures) } : {}),
  };
}

// ---- one measurement ----

/** A run of the launch as the page draws and lists it. */
export interface RunInfo {
  readonly origin: StepOrigin;
  readonly pageType: string;
  readonly gpa: bigint;
  readonly pages: number;
  readonly firstStep: number;
}

export interface Measurement {
  readonly digest: Uint8Array;
  readonly steps: number;
  readonly stepsByType: Readonly<Record<string, number>>;
  readonly runs: readonly RunInfo[];
  readonly seed?: Uint8Array;
  /** The digest before the first VMSA step (the whole digest when there is none): see seeded(). */
  readonly prefix: Uint8Array;
  /** Per step, back to back: the CONTENTS field and the digest after the step (48 bytes each). */
  readonly log?: { readonly contents: Uint8Array; readonly digests: Uint8Array };
  /** Why there is no log, when one was asked for. */
  readonly logNote?: string;
  /** What the command line prints on stderr for this measurement ("warning: ..."). */
  readonly warnings: readonly string[];
}

/** Launches with more steps than this are measured without a per-step log (96 bytes a step). */
export const MAX_LOGGED_STEPS = 1 << 20;
/** Runs at least this long have their pages hashed in WebCrypto batches. */
const BATCH_MIN_PAGES = 64;
const BATCH_PAGES = 256;
/** Batches between two turns of the event loop, so a newer request is seen (about 50 ms of work). */
const BATCHES_PER_TURN = 8;

export interface MeasureHooks {
  readonly log?: boolean;
  /** Called as pages are hashed: pages done, pages in all. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Checked between batches; true stops the measurement (a newer request superseded it). */
  readonly cancelled?: () => boolean;
}

export class Cancelled extends Error {}

const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

const hexNibble = new Uint8Array(128);
for (let i = 0; i < 16; i++) { hexNibble['0123456789abcdef'.charCodeAt(i)] = i; }

function putHex(hex: string, into: Uint8Array, at: number): void {
  for (let i = 0; i < 48; i++) into[at + i] = (hexNibble[hex.charCodeAt(2 * i)]! << 4) | hexNibble[hex.charCodeAt(2 * i + 1)]!;
}

function pagesOfRun(run: LaunchRun, first: number, count: number, buf: Uint8Array): Uint8Array {
  const c = run.contents;
  if (c.kind === 'bytes') return c.data.subarray(first * PAGE_SIZE, (first + count) * PAGE_SIZE);
  const view = buf.subarray(0, count * PAGE_SIZE);
  if (c.kind === 'reader') c.read(first, count, view);
  return view;
}

const hashesPages = (r: LaunchRun): boolean => r.contents.kind === 'bytes' || r.contents.kind === 'reader';

/**
 * Folds a plan through the engine's chain (src/engine.ts Chain), feeding it page digests that
 * WebCrypto computes in batches, as node/parallel.ts feeds it from worker threads. Returns the
 * result and the digest before the first VMSA step.
 */
async function foldPlan(plan: LaunchPlan, hooks: MeasureHooks, onStep?: MeasureOptions['onStep']): Promise<{ result: MeasureResult; prefix: Uint8Array }> {
  const chain = new Chain(plan, { hashes: nobleSuite, ...(onStep ? { onStep } : {}) });
  const total = plan.runs.reduce((n, r) => n + (hashesPages(r) ? r.pages : 0), 0);
  let hashed = 0;
  let batches = 0;
  let prefix: Uint8Array | undefined;
  const cache = new WeakMap<Uint8Array, Uint8Array>();
  const buf = new Uint8Array(BATCH_PAGES * PAGE_SIZE);
  for (const run of plan.runs) {
    if (!prefix && run.pageType === PageType.Vmsa) prefix = chain.result().digest;
    if (!hashesPages(run) || run.pages < BATCH_MIN_PAGES) {
      foldRunInline(chain, run, nobleSuite, cache);
      if (hashesPages(run)) hashed += run.pages;
      continue;
    }
    for (let first = 0; first < run.pages; first += BATCH_PAGES) {
      if (++batches % BATCHES_PER_TURN === 0) await nextTask();
      if (hooks.cancelled?.()) throw new Cancelled();
      const count = Math.min(BATCH_PAGES, run.pages - first);
      chain.foldMany(run, first, count, await pageDigests(pagesOfRun(run, first, count, buf), count));
      hashed += count;
      hooks.onProgress?.(hashed, total);
    }
  }
  hooks.onProgress?.(total, total);
  const result = chain.result();
  return { result, prefix: prefix ?? result.digest };
}

/**
 * The plan of one configuration: an OVMF launch's as `vmfw-measure ovmf` builds it (with its
 * warnings), a region list's or IGVM file's as the launch builds it for any command.
 */
function planOf(opened: OpenedLaunch, c: Configured): { plan: LaunchPlan; warnings: readonly string[] } {
  if (opened.launch.kind !== 'ovmf') return { plan: opened.launch.plan(c.config), warnings: [] };
  const r = ovmfModePlan(c.description, { hashes: opened.hashes });
  return { plan: r.built!.plan, warnings: r.warnings.map((w) => `warning: ${w}`) };
}

/** Measures one configuration, with its runs and (on request) the per-step log. */
export async function measure(opened: OpenedLaunch, configured: Configured, hooks: MeasureHooks = {}): Promise<Measurement> {
  const { plan, warnings } = planOf(opened, configured);
  const runs: RunInfo[] = [];
  let total = 0;
  for (const r of plan.runs) {
    runs.push({ origin: r.origin, pageType: PAGE_TYPE_NAMES[r.pageType], gpa: r.gpa, pages: r.pages, firstStep: total });
    total += r.pages;
  }
  const logged = hooks.log === true && total <= MAX_LOGGED_STEPS;
  const contents = logged ? new Uint8Array(total * 48) : undefined;
  const digests = logged ? new Uint8Array(total * 48) : undefined;
  const { result: r, prefix } = await foldPlan(plan, hooks, logged
    ? (s) => { putHex(s.contents, contents!, s.step * 48); putHex(s.digest, digests!, s.step * 48); }
    : undefined);
  return {
    digest: r.digest, steps: r.steps, stepsByType: r.stepsByType, runs, prefix, warnings,
    ...(plan.seed ? { seed: plan.seed } : {}),
    ...(contents && digests ? { log: { contents, digests } } : {}),
    ...(hooks.log && !logged ? { logNote: `the launch has ${total} steps; the page keeps a log of at most ${MAX_LOGGED_STEPS}` } : {}),
  };
}

// ---- many configurations ----

/**
 * The launch with every step before the VMSAs replaced by its digest as the plan's seed, for the
 * configurations whose prefix is known. The library's sweep then measures each configuration's
 * prefix in no time and extends it by one VMSA step per vCPU count, as it always does; prefixes
 * are keyed by the launch's own prefixKey, the same equality the sweep relies on.
 */
function seeded(launch: ConfigurableLaunch, prefixes: ReadonlyMap<string, Uint8Array>): ConfigurableLaunch {
  return {
    ...launch,
    plan: (c) => {
      const p = launch.plan(c);
      const seed = prefixes.get(launch.prefixKey(c));
      if (!seed) return p;
      const first = p.runs.findIndex((r) => r.pageType === PageType.Vmsa);
      return { seed, runs: first < 0 ? [] : p.runs.slice(first) };
    },
  };
}

/** The launch, with the measured configuration's prefix known when there is a measurement. */
function withPrefix(opened: OpenedLaunch, config: LaunchConfig, measured: Measurement | undefined): ConfigurableLaunch {
  return measured ? seeded(opened.launch, new Map([[opened.launch.prefixKey(config), measured.prefix]])) : opened.launch;
}

/**
 * Digests of one configuration for each vCPU count (each further count is one VMSA step), from
 * the measurement of that configuration: nothing before the VMSAs is hashed again.
 */
export function vcpuTable(opened: OpenedLaunch, { config }: Configured, counts: readonly number[], measured?: Measurement): ConfigResult[] {
  const sw = sweep(withPrefix(opened, config, measured), singleSpace(config, counts), nobleSuite);
  if (sw.results.length === 0 && sw.skipped[0]) throw sw.skipped[0].error;
  return sw.results;
}

function singleSpace(c: LaunchConfig, counts: readonly number[]): SearchSpace {
  return {
    vcpus: counts,
    vcpuTypes: [{ name: c.vcpuType ?? `sig ${hex64(c.vcpuSignature ?? 0n)}`, signature: c.vcpuSignature ?? 0n, aliases: [] }],
    guestFeatures: [c.guestFeatures], profiles: [c.profile],
  };
}

/** The per-vCPU table shows at most this many counts (each is a table row). */
export const MAX_TABLE_COUNTS = 1024;

/** The table's vCPU counts: the `--vcpus` list syntax ("1-8,16"), read by the library's parser. */
export function tableCounts(text: string): number[] {
  const counts = parseCounts(text, 'vCPU counts');
  if (counts.length > MAX_TABLE_COUNTS) fail('usage', `vCPU counts: ${counts.length} counts; the table shows at most ${MAX_TABLE_COUNTS}`);
  return counts;
}

export interface IdentifyResult {
  readonly matches: readonly ConfigResult[];
  readonly evaluated: number;
  readonly skipped: number;
  readonly searched: string;
  readonly order?: string;
}

export interface IdentifyHooks {
  /** Progress in pages hashed, then in profiles swept. */
  readonly onProgress?: (done: number, total: number, label: string) => void;
  readonly cancelled?: () => boolean;
}

/**
 * The identify search (vmfw-measure identify): vCPUs 1-256, every distinct vCPU model (the
 * report's host generation first), guest features 0x1 and 0x21, every profile the launch runs
 * under. The distinct prefixes are hashed first (WebCrypto, with progress; the measured one is
 * reused), then each profile is swept on the seeded launch.
 */
export async function identify(
  opened: OpenedLaunch, target: Uint8Array, report: AttestationReport | undefined, hooks: IdentifyHooks = {},
  measured?: { config: LaunchConfig; measurement: Measurement },
): Promise<IdentifyResult> {
  const ordered = orderByHostCpu(distinctVcpuTypes(), report?.cpuid);
  const counts = Array.from({ length: 256 }, (_, i) => i + 1);
  const features = [0x1n, 0x21n];
  const launch = opened.launch;
  const profiles = launch.profiles;
  const prefixes = new Map<string, Uint8Array>();
  if (measured) prefixes.set(launch.prefixKey(measured.config), measured.measurement.prefix);
  // One configuration per distinct prefix; one that cannot launch is left to the sweep to report.
  const todo = new Map<string, LaunchPlan>();
  for (const profile of profiles) {
    for (const type of ordered.types) {
      for (const guestFeatures of features) {
        const c: LaunchConfig = { vcpus: 1, profile, vcpuSignature: type.signature, vcpuType: type.name, guestFeatures };
        const key = launch.prefixKey(c);
        if (prefixes.has(key) || todo.has(key)) continue;
        try { todo.set(key, launch.plan(c)); } catch (e) { if (!isMeasureError(e)) throw e; }
      }
    }
  }
  const prefixPages = (p: LaunchPlan): number => p.runs.slice(0, Math.max(0, p.runs.findIndex((r) => r.pageType === PageType.Vmsa))).reduce((n, r) => n + (hashesPages(r) ? r.pages : 0), 0);
  const totalPages = [...todo.values()].reduce((n, p) => n + prefixPages(p), 0);
  let donePages = 0;
  for (const [key, plan] of todo) {
    const first = plan.runs.findIndex((r) => r.pageType === PageType.Vmsa);
    const prefixPlan: LaunchPlan = { ...(plan.seed ? { seed: plan.seed } : {}), runs: first < 0 ? plan.runs : plan.runs.slice(0, first) };
    const base = donePages;
    const { result } = await foldPlan(prefixPlan, {
      ...(hooks.cancelled ? { cancelled: hooks.cancelled } : {}),
      onProgress: (done) => hooks.onProgress?.(base + done, totalPages, 'pages hashed for other profiles'),
    });
    donePages += prefixPages(plan);
    prefixes.set(key, result.digest);
  }
  const fast = seeded(launch, prefixes);
  const matches: ConfigResult[] = [];
  let evaluated = 0, skipped = 0;
  for (const [i, profile] of profiles.entries()) {
    // A turn of the event loop between profiles lets a newer request arrive and stop this one.
    await nextTask();
    if (hooks.cancelled?.()) throw new Cancelled();
    const sw = sweep(fast, { vcpus: counts, vcpuTypes: ordered.types, guestFeatures: features, profiles: [profile] }, nobleSuite);
    for (const r of sw.results) if (equalBytes(r.digest, target)) matches.push(r);
    evaluated += sw.evaluated;
    skipped += sw.skipped.length;
    hooks.onProgress?.(i + 1, profiles.length, `profiles searched, ${matches.length} match${matches.length === 1 ? '' : 'es'} so far`);
  }
  return {
    matches, evaluated, skipped,
    searched: `vCPUs 1..256; vCPU types ${ordered.types.map((t) => t.name).join(', ')}; guest features ${launch.usesGuestFeatures ? features.map(hex64).join(', ') : 'from the IGVM file'}; profiles ${profiles.map(profileKey).join(', ')}`,
    ...(ordered.note ? { order: ordered.note } : {}),
  };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

// ---- reference values ----

/** The format's options as the page's form gives them; the product is the launch's. */
export type RefOptions = Omit<ReferenceRequest, 'product'>;

export interface RefOutput {
  readonly text: string;
  readonly filename: string;
  /** What the command line prints on stderr beside the text. */
  readonly notes: readonly string[];
}

const REF_FILENAMES: Readonly<Record<ReferenceFormat, string>> = {
  'json': 'reference-values.json', 'trustee': 'rvps-message.json', 'trustee-sample': 'trustee-sample.json',
  'trustee-operator': 'trustee-reference-values.json', 'go-sev-guest': 'go-sev-guest.textproto', 'contrast': 'contrast-reference-values.json',
};

/**
 * The text `vmfw-measure reference-values --vcpus RANGE` writes for the same launch, configuration
 * and format options, step for step as the command does it (src/cli/reference-values-command.ts
 * runReferenceValues), with the measured prefix reused.
 */
export async function referenceValues(opened: OpenedLaunch, configured: Configured, range: string, o: RefOptions, measured?: Measurement): Promise<RefOutput> {
  const product = opened.description.product;
  const req = checkReferenceRequest({ ...o, ...(product !== undefined ? { product } : {}) });
  // Contrast's APEIP form is the 1-vCPU digest alone (the verifier extends it), as --apeip does.
  const d: LaunchDescription = { ...configured.description, vcpus: req.apeip ? [1] : parseCounts(range, '--vcpus') };
  const launch = opened.launch;
  const profiles = d.profiles ?? [launch.profiles[0]!];
  if (profiles.some((p) => p.usesVcpuSignature) && d.vcpuTypes === undefined && launch.kind !== 'igvm') {
    fail('usage', 'the qemu profile measures the vCPU model: give --vcpu-type (or --vcpu-sig), lists allowed');
  }
  const sw = sweep(withPrefix(opened, configured.config, measured), { ...searchSpace(d, { vcpus: [], features: [0x1n] }), profiles }, nobleSuite);
  const notes = [...opened.opened.warnings.map((w) => `warning: ${w}`), ...sw.skipped.map((s) => `warning: skipped ${s.config}: ${s.reason}`)];
  if (sw.results.length === 0) throw sw.skipped[0]?.error ?? new Error('no configuration of the matrix can launch');
  let provenance: Record<string, unknown> | undefined;
  if (req.format === 'json') {
    // The provenance names every input file by its SHA-256: WebCrypto hashes them first.
    await opened.hashes.prepare([opened.description.ovmf, opened.description.svsm, opened.description.manifest, opened.description.igvm].map((s) => s?.bytes));
    provenance = launchProvenance(d, opened.opened, opened.hashes);
  }
  const out = referenceValuesText(sw.results, req, launch, provenance);
  const one = out.configs?.length === 1 ? out.configs[0] : undefined;
  return {
    text: out.text, notes: [...notes, ...out.notes],
    filename: one ? one.fileName : req.format === 'go-sev-guest' ? 'go-sev-guest-configs.txt' : REF_FILENAMES[req.format],
  };
}

// ---- errors ----

/** A failure as the page reports it: the library's code and message, or a bug. */
export function describeError(e: unknown): { code: string; message: string } {
  if (isMeasureError(e)) return { code: e.code, message: e.message };
  if (e instanceof Cancelled) return { code: 'cancelled', message: 'superseded by a newer request' };
  return { code: 'bug', message: `${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} (this is a bug in the page; please report it)` };
}
