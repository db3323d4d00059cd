/**
 * The page's one door into the library: launch inputs held in memory become a configurable
 * launch; a configuration becomes a digest, its launch runs and (on request) its per-step log;
 * a range of vCPU counts becomes a table; a report's measurement becomes an identify search; a
 * table becomes reference values in each format the CLI writes.
 *
 * Everything here is platform-neutral library code (src/attestation, src/ovmf, src/regions,
 * src/igvm, src/engine) driven the way the CLI drives it (src/cli/launch-inputs.ts,
 * ovmf-command.ts, attest-commands.ts), minus files on disk. When the library's one-call API
 * (src/api) lands, this module is the only one of the page that changes.
 */
import { fail, isMeasureError } from '../../src/errors.js';
import { hex64, parseUnsigned } from '../../src/bytes.js';
import { Chain, foldRunInline, type MeasureOptions, type MeasureResult } from '../../src/engine.js';
import type { LaunchPlan, LaunchRun, StepOrigin } from '../../src/plan.js';
import { PAGE_TYPE_NAMES, PageType } from '../../src/snp/page-info.js';
import { resolveProfile, type VmmProfile } from '../../src/profiles.js';
import { resolveVcpuType } from '../../src/cpu.js';
import { parseFirmware, FOUR_GIB } from '../../src/ovmf/firmware.js';
import { cmdlineHash, type DirectBootHashes } from '../../src/ovmf/kernel-hashes.js';
import { buildLegacySvsmPlan, buildSnpOvmfPlan, MAX_VCPUS, type FirmwareImage, type UnknownSectionPolicy } from '../../src/ovmf/launch.js';
import { manifestRegionSpecs, parseManifest, type FileOpener } from '../../src/regions/manifest.js';
import { EMPTY_MEMORY } from '../../src/regions/memory.js';
import type { RegionData } from '../../src/regions/replay.js';
import { parseIgvm } from '../../src/igvm/parse.js';
import type { ApVmsaPolicy, IgvmSemantics } from '../../src/igvm/measure.js';
import {
  ALL_PROFILES, distinctVcpuTypes, igvmLaunch, orderByHostCpu, ovmfLaunch, regionsLaunch, sweep,
  type ConfigResult, type ConfigurableLaunch, type LaunchConfig, type SearchSpace,
} from '../../src/attestation/launch-space.js';
import {
  contrastEntries, goSevGuestPolicies, measurementSet, trusteeMessage, type DigestEncoding,
} from '../../src/attestation/reference-values.js';
import type { AttestationReport } from '../../src/attestation/report.js';
import { nobleSuite } from '../../src/hash/suite.js';
import { PAGE_SIZE, pageDigests, sha256 } from './hash.js';
import { REF_ENCODINGS, type RefFormat } from './refs.js';

// ---- inputs ----

export interface OvmfInput {
  readonly kind: 'ovmf';
  readonly ovmf: Uint8Array;
  /** Measured direct boot: kernel bytes (initrd and command line need it). */
  readonly kernel?: Uint8Array;
  readonly initrd?: Uint8Array;
  readonly append?: string;
  /** Legacy COCONUT-SVSM (mode snp:svsm): the SVSM image and the OVMF_VARS size below which it ends. */
  readonly svsm?: Uint8Array;
  readonly varsSize?: number;
  /** GCE product for the VMSA GPA: milan | genoa. */
  readonly product?: string;
  readonly unknownSections?: UnknownSectionPolicy;
}

export interface RegionsInput {
  readonly kind: 'regions';
  readonly manifest: string;
  /** The files the manifest's sources name, by the name the browser gives them. */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

export interface IgvmInput {
  readonly kind: 'igvm';
  readonly igvm: Uint8Array;
  readonly semantics?: IgvmSemantics;
  readonly apVmsa?: ApVmsaPolicy;
  readonly nativeZero?: boolean;
  readonly fileOrder?: boolean;
}

export type LaunchInput = OvmfInput | RegionsInput | IgvmInput;

/** The choices of the page's configuration form, as the CLI spells them. */
export interface Settings {
  readonly vcpus: number;
  readonly vcpuType: string;
  readonly profile: string;
  readonly era?: string;
  readonly guestFeatures: bigint;
}

export interface OpenedLaunch {
  readonly kind: 'ovmf' | 'svsm' | 'regions' | 'igvm';
  readonly launch: ConfigurableLaunch;
  /** Profiles (name:era) this launch runs under. */
  readonly profiles: readonly string[];
  readonly usesGuestFeatures: boolean;
  /** Settings the input names itself (a manifest's launch block). */
  readonly defaults: Partial<Settings>;
  readonly notes: readonly string[];
}

async function directBoot(i: OvmfInput): Promise<DirectBootHashes | undefined> {
  if (!i.kernel) {
    if (i.initrd) fail('usage', 'an initrd needs a kernel (measured direct boot hashes all three)');
    if (i.append) fail('usage', 'a kernel command line needs a kernel (measured direct boot hashes all three)');
    return undefined;
  }
  return {
    kernel: await sha256(i.kernel),
    initrd: await sha256(i.initrd ?? new Uint8Array(0)),
    cmdline: cmdlineHash(i.append, nobleSuite),
  };
}

/** A manifest's file sources, looked up by path, then by the path's last component. */
function fileOpener(files: ReadonlyMap<string, Uint8Array>): FileOpener {
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

export async function openLaunch(input: LaunchInput): Promise<OpenedLaunch> {
  if (input.kind === 'igvm') {
    const launch = igvmLaunch(parseIgvm(input.igvm), {
      semantics: input.semantics ?? 'qemu', apVmsa: input.apVmsa ?? 'reset',
      deferRegions: !(input.fileOrder ?? false), nativeZero: input.nativeZero ?? false,
    });
    return { kind: 'igvm', launch, profiles: launch.profiles.map(profileKey), usesGuestFeatures: false, defaults: {}, notes: ['guest features come from the IGVM file'] };
  }
  if (input.kind === 'regions') {
    const manifest = parseManifest(input.manifest, 'manifest');
    const launch = regionsLaunch({
      regions: manifestRegionSpecs(manifest, fileOpener(input.files)), memory: EMPTY_MEMORY,
      ...(manifest.struct?.capabilities !== undefined ? { capabilities: manifest.struct.capabilities } : {}),
      settings: manifest.launch,
    });
    const d = launch.defaults ?? {};
    const defaults: Partial<Settings> = {
      ...(d.vcpus !== undefined ? { vcpus: d.vcpus } : {}),
      ...(d.profile ? { profile: d.profile.name, era: d.profile.era } : {}),
      ...(d.vcpuType !== undefined ? { vcpuType: d.vcpuType } : {}),
      ...(d.guestFeatures !== undefined ? { guestFeatures: d.guestFeatures } : {}),
    };
    return { kind: 'regions', launch, profiles: launch.profiles.map(profileKey), usesGuestFeatures: true, defaults, notes: [] };
  }
  const ovmf: FirmwareImage = { bytes: input.ovmf, info: parseFirmware(input.ovmf, 'OVMF') };
  if (input.svsm) {
    if (input.kernel || input.initrd || input.append) fail('usage', 'snp:svsm mode does not measure a kernel; remove the kernel, initrd and command line');
    if (!input.varsSize) fail('usage', 'snp:svsm mode needs the OVMF_VARS size');
    const varsSize = Number(parseUnsigned(input.varsSize, 'OVMF_VARS size', BigInt(FOUR_GIB)));
    const svsm: FirmwareImage = { bytes: input.svsm, info: parseFirmware(input.svsm, 'SVSM image') };
    const qemu = resolveProfile('qemu');
    const launch: ConfigurableLaunch = {
      kind: 'ovmf', profiles: [qemu], usesGuestFeatures: false,
      plan: (c) => buildLegacySvsmPlan({ ovmf, svsm, varsSize, vcpus: c.vcpus, vcpuSignature: c.vcpuSignature ?? 0n, unknownSections: input.unknownSections ?? 'error' }).plan,
      prefixKey: () => 'svsm',
    };
    return { kind: 'svsm', launch, profiles: [profileKey(qemu)], usesGuestFeatures: false, defaults: {}, notes: ['snp:svsm mode: QEMU only; sev_features is forced to 0x1'] };
  }
  const boot = await directBoot(input);
  const launch = ovmfLaunch({
    firmware: ovmf, layout: ovmf.info, ...(boot ? { directBoot: boot } : {}), unknownSections: input.unknownSections ?? 'error',
    ...(input.product ? { product: input.product } : {}),
  });
  return { kind: 'ovmf', launch, profiles: ALL_PROFILES.map(profileKey), usesGuestFeatures: true, defaults: {}, notes: planWarnings(ovmf, boot) };
}

/** The warnings the CLI prints for this firmware (ovmfLaunch builds plans without them). */
function planWarnings(firmware: FirmwareImage, directBoot: DirectBootHashes | undefined): readonly string[] {
  try {
    return buildSnpOvmfPlan({
      firmware, layout: firmware.info, vcpus: 1, profile: resolveProfile('qemu'), vcpuSignature: 0n, guestFeatures: 0x1n,
      ...(directBoot ? { directBoot } : {}), unknownSections: 'zero',
    }).warnings.map((w) => `warning: ${w}`);
  } catch (e) {
    if (isMeasureError(e)) return []; // measuring reports it, with the configuration's own settings
    throw e;
  }
}

/** The library's configuration for the form's settings (checked as the CLI checks its options). */
export function configFor(opened: OpenedLaunch, s: Settings): LaunchConfig {
  if (!Number.isSafeInteger(s.vcpus) || s.vcpus < 1 || s.vcpus > MAX_VCPUS) fail('vcpus', `vCPUs: ${s.vcpus} is out of range (1 to ${MAX_VCPUS})`);
  const profile = resolveProfile(s.profile, s.era);
  if (!opened.profiles.includes(profileKey(profile))) fail('profile', `this ${opened.kind} launch does not run under ${profileKey(profile)}; it runs under ${opened.profiles.join(', ')}`);
  const type = resolveVcpuType(s.vcpuType);
  return { vcpus: s.vcpus, profile, vcpuSignature: BigInt(type.signature), vcpuType: type.name, guestFeatures: s.guestFeatures };
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

/** Measures one configuration, with its runs and (on request) the per-step log. */
export async function measure(opened: OpenedLaunch, config: LaunchConfig, hooks: MeasureHooks = {}): Promise<Measurement> {
  const plan: LaunchPlan = opened.launch.plan(config);
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
    digest: r.digest, steps: r.steps, stepsByType: r.stepsByType, runs, prefix,
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

/**
 * Digests of one configuration for each vCPU count (each further count is one VMSA step), from
 * the measurement of that configuration: nothing before the VMSAs is hashed again.
 */
export function vcpuTable(opened: OpenedLaunch, config: LaunchConfig, counts: readonly number[], measured?: Measurement): ConfigResult[] {
  const launch = measured ? seeded(opened.launch, new Map([[opened.launch.prefixKey(config), measured.prefix]])) : opened.launch;
  const sw = sweep(launch, singleSpace(config, counts), nobleSuite);
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

/** Parses "1-8,16" (the CLI's --vcpus list syntax). */
export function parseCounts(text: string, max = 512): number[] {
  const out: number[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\w+)\s*-\s*(\w+)$/.exec(part);
    const lo = Number(parseUnsigned(m ? m[1]! : part, 'vCPU range', BigInt(MAX_VCPUS)));
    const hi = m ? Number(parseUnsigned(m[2]!, 'vCPU range', BigInt(MAX_VCPUS))) : lo;
    if (lo < 1) fail('usage', `vCPU range: ${part} includes 0`);
    if (hi < lo) fail('usage', `vCPU range: ${part} runs backwards`);
    if (out.length + (hi - lo + 1) > max) fail('usage', `vCPU range: more than ${max} counts`);
    for (let n = lo; n <= hi; n++) out.push(n);
  }
  if (out.length === 0) fail('usage', 'vCPU range: no counts given');
  return out;
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

/** JSON with bigints as 0x-hex strings, as the CLI prints (src/cli/common.ts toJson). */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v), 2)}\n`;
}

export interface RefOptions {
  readonly format: RefFormat;
  readonly encoding?: string;
  /** go-sev-guest: also require this guest policy. */
  readonly policy?: bigint;
  /** contrast: the 1-vCPU digest plus the firmware's AP reset EIP. */
  readonly apeip?: boolean;
}

/** The text `vmfw-measure reference-values` writes for the same launch and configurations. */
export function referenceValues(opened: OpenedLaunch, results: readonly ConfigResult[], o: RefOptions): { text: string; filename: string } {
  const encodings = REF_ENCODINGS[o.format];
  const encoding = o.encoding ?? encodings[0];
  if (encodings.length && !encodings.includes(encoding!)) fail('usage', `encoding ${encoding} does not go with format ${o.format} (${encodings.join(', ')})`);
  if (results.length === 0) fail('usage', 'no configurations to write');
  switch (o.format) {
    case 'json':
      return { text: toJson(measurementSet(results, encoding as DigestEncoding, { launch: opened.launch.kind, tool: 'vmfw-measure' })), filename: 'reference-values.json' };
    case 'trustee':
      return { text: `${JSON.stringify(trusteeMessage(results, encoding as 'hex' | 'base64'))}\n`, filename: 'rvps-message.json' };
    case 'go-sev-guest':
      return { text: goSevGuestPolicies(results, o.policy), filename: 'go-sev-guest-policy.textproto' };
    case 'contrast': {
      const eip = opened.launch.apResetEip;
      if (o.apeip && !eip) fail('usage', 'the APEIP form needs a launch whose firmware names an AP reset EIP (an OVMF launch)');
      return { text: toJson({ snp: contrastEntries(results, o.apeip ? eip : undefined) }), filename: 'contrast-reference-values.json' };
    }
  }
}

// ---- errors ----

/** A failure as the page reports it: the library's code and message, or a bug. */
export function describeError(e: unknown): { code: string; message: string } {
  if (isMeasureError(e)) return { code: e.code, message: e.message };
  if (e instanceof Cancelled) return { code: 'cancelled', message: 'superseded by a newer request' };
  return { code: 'bug', message: `${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} (this is a bug in the page; please report it)` };
}
