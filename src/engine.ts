/**
 * The measuring engine: folds every page of a launch plan into the SNP launch digest and,
 * on request, reports each step for the launch log. The chain is sequential; page contents
 * can be hashed anywhere (node/parallel.ts hashes large runs on worker threads) and fed in.
 */
import { fail } from './errors.js';
import { hex64, toHex } from './bytes.js';
import { defaultSuite, type HashSuite } from './hash/suite.js';
import {
  DIGEST_SIZE, LaunchDigest, PAGE_SIZE, PAGE_TYPE_NAMES, PageType, ZERO_DIGEST, hasMeasuredContents,
} from './snp/page-info.js';
import { describeOrigin, type LaunchPlan, type LaunchRun, type StepOrigin } from './plan.js';

/** One launch step as the launch log (`--log`, JSON Lines) records it: page type, GPA and digests as hex. */
export interface LogRecord {
  readonly step: number;
  readonly origin: StepOrigin;
  /** Page index within the run (firmware page 3, region page 0...). */
  readonly page: number;
  readonly pageType: string;
  readonly gpa: string;
  /** The CONTENTS field: SHA-384 of the page, or 48 zero bytes. Lowercase hex. */
  readonly contents: string;
  /** The launch digest after this step. */
  readonly digest: string;
}

/** Options of measurePlan: hash suite, per-step log and progress callbacks, and the step cap. */
export interface MeasureOptions {
  readonly hashes?: HashSuite;
  /** Called once per step, in order, when a launch log is wanted. */
  readonly onStep?: (record: LogRecord) => void;
  /** Told the steps done and the total now and then (about every 4096 steps), for a progress bar. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Most launch steps measured before the plan is refused (default MAX_LAUNCH_STEPS; the CLI's --max-steps). */
  readonly maxSteps?: number;
}

/** The launch digest (48 bytes) of a plan and how many steps, per page type, it took. */
export interface MeasureResult {
  readonly digest: Uint8Array;
  readonly steps: number;
  readonly stepsByType: Readonly<Record<string, number>>;
}

/**
 * Default cap on launch steps: 2^26 pages = 256 GiB measured, far more than a real launch
 * (firmware, kernel-hashes page, a few ZERO ranges: thousands of steps). The chain is sequential,
 * one SHA-384 per step whatever the page type: 2^26 steps take about 1.5 minutes here (docs/robustness.md
 * has the measured cost per 2^20 steps). A region list can ask for a petabyte of ZERO pages in one
 * line; refusing is better than hashing for days. Raise it per call with MeasureOptions.maxSteps.
 */
export const MAX_LAUNCH_STEPS = 2 ** 26;

function describeSteps(n: number): string {
  const log2 = Math.log2(n);
  const bytes = n * 4096;
  const size = bytes >= 2 ** 40 ? `${bytes / 2 ** 40} TiB` : bytes >= 2 ** 30 ? `${bytes / 2 ** 30} GiB` : `${bytes / 2 ** 20} MiB`;
  return `${Number.isInteger(log2) ? `2^${log2}` : n} steps, ${size} of pages`;
}

/** Pages read per chunk from a streamed source: 1 MiB keeps memory flat. */
export const READ_CHUNK_PAGES = 256;

const zeroPageDigests = new WeakMap<HashSuite, Uint8Array>();
export function zeroPageDigest(h: HashSuite): Uint8Array {
  let d = zeroPageDigests.get(h);
  if (!d) { d = h.sha384(new Uint8Array(PAGE_SIZE)); zeroPageDigests.set(h, d); }
  return d;
}

export function checkRun(run: LaunchRun, index: number): void {
  const where = `plan run ${index} (${run.origin.kind})`;
  if (!Number.isSafeInteger(run.pages) || run.pages < 0) fail('plan', `${where}: bad page count ${run.pages}`);
  if (run.gpa < 0n || ((run.gpa & 0xfffn) !== 0n && !run.unalignedGpa)) fail('plan', `${where}: GPA ${hex64(run.gpa)} is not page aligned`);
  if (run.gpa + BigInt(run.pages) * 4096n > 1n << 64n) fail('plan', `${where}: pages run past the 64-bit GPA space`);
  const measured = hasMeasuredContents(run.pageType);
  const k = run.contents.kind;
  if (!measured && k !== 'none') fail('plan', `${where}: ${PAGE_TYPE_NAMES[run.pageType]} pages carry no contents`);
  if (measured && k === 'none') fail('plan', `${where}: ${PAGE_TYPE_NAMES[run.pageType]} pages need contents`);
  if (run.contents.kind === 'bytes' && run.contents.data.length !== run.pages * PAGE_SIZE) {
    fail('plan', `${where}: ${run.contents.data.length} content bytes for ${run.pages} pages`);
  }
  if (run.pageType === PageType.Vmsa && k === 'zero-pages') fail('plan', `${where}: a VMSA cannot be a zero page`);
}

/** The sequential half of measuring: the chain, the step counter and the log. */
export class Chain {
  private readonly ld: LaunchDigest;
  private readonly byType: Record<string, number> = {};
  private step = 0;
  private readonly total: number;
  private nextProgress = 0;
  constructor(plan: LaunchPlan, private readonly options: MeasureOptions = {}) {
    plan.runs.forEach(checkRun);
    const steps = plan.runs.reduce((n, r) => n + r.pages, 0);
    this.total = steps;
    const cap = options.maxSteps ?? MAX_LAUNCH_STEPS;
    if (!Number.isSafeInteger(cap) || cap < 0) fail('bad-number', `the step cap ${cap} is not a non-negative integer`);
    if (steps > cap) {
      const biggest = plan.runs.reduce((a, b) => (b.pages > a.pages ? b : a));
      fail('too-many-steps', `the launch has ${steps} steps, more than the cap of ${describeSteps(cap)} (raise it with --max-steps); the largest run is ${describeOrigin(biggest.origin)} with ${biggest.pages} pages at ${hex64(biggest.gpa)}`);
    }
    this.ld = new LaunchDigest(plan.seed, options.hashes ?? defaultSuite);
  }

  /** Folds page `page` of `run` with its CONTENTS field (the page's SHA-384, or 48 zero bytes). */
  fold(run: LaunchRun, page: number, contents: Uint8Array): void {
    const gpa = run.gpa + BigInt(page) * 4096n;
    const after = this.ld.update(run.pageType, gpa, contents);
    const typeName = PAGE_TYPE_NAMES[run.pageType];
    this.byType[typeName] = (this.byType[typeName] ?? 0) + 1;
    if (this.options.onStep) {
      this.options.onStep({ step: this.step, origin: run.origin, page, pageType: typeName, gpa: hex64(gpa), contents: toHex(contents), digest: toHex(after) });
    }
    this.step++;
    if (this.options.onProgress && this.step >= this.nextProgress) this.progress();
  }

  private progress(): void {
    this.nextProgress = this.step + 4096;
    this.options.onProgress!(this.step, this.total);
  }

  /**
   * Folds pages [first, first + count) of `run` whose CONTENTS fields lie back to back in
   * `contents` (or one field for all with `same`). Same result as fold() page by page, faster.
   */
  foldMany(run: LaunchRun, first: number, count: number, contents: Uint8Array, same = false): void {
    if (this.options.onStep) {
      for (let i = 0; i < count; i++) this.fold(run, first + i, same ? contents.subarray(0, 48) : contents.subarray(i * 48, (i + 1) * 48));
      return;
    }
    this.ld.updateRun(run.pageType, run.gpa + BigInt(first) * 4096n, count, contents, same);
    const typeName = PAGE_TYPE_NAMES[run.pageType];
    this.byType[typeName] = (this.byType[typeName] ?? 0) + count;
    this.step += count;
    if (this.options.onProgress && this.step >= this.nextProgress) this.progress();
  }

  result(): MeasureResult {
    return { digest: this.ld.digest, steps: this.step, stepsByType: { ...this.byType } };
  }
}

/** Folds a run whose page digests need no hashing, or are cheap enough to do here. */
export function foldRunInline(chain: Chain, run: LaunchRun, hashes: HashSuite, pageDigestCache: WeakMap<Uint8Array, Uint8Array>): void {
  const c = run.contents;
  switch (c.kind) {
    case 'none':
      chain.foldMany(run, 0, run.pages, ZERO_DIGEST, true);
      return;
    case 'zero-pages':
      chain.foldMany(run, 0, run.pages, zeroPageDigest(hashes), true);
      return;
    case 'bytes':
      if (run.pages === 1) {
        // Identical VMSA pages (every AP) share one buffer: hash it once.
        let d = pageDigestCache.get(c.data);
        if (!d) { d = hashes.sha384(c.data); pageDigestCache.set(c.data, d); }
        chain.fold(run, 0, d);
        return;
      }
      break;
    case 'reader':
      break;
  }
  // Chunk by chunk, into buffers allocated once per run: fresh memory costs a page fault per 4 KiB.
  const chunk = Math.min(run.pages, READ_CHUNK_PAGES);
  const digests = new Uint8Array(chunk * DIGEST_SIZE);
  const buf = c.kind === 'reader' ? new Uint8Array(chunk * PAGE_SIZE) : undefined;
  // A reader's chunk is always read to the start of buf, so one set of page views serves every chunk.
  const views = buf && run.pages > chunk ? pageViews(buf) : undefined;
  for (let first = 0; first < run.pages;) {
    const span = spanAt(run, first, Math.min(READ_CHUNK_PAGES, run.pages - first));
    if (span.zero) {
      chain.foldMany(run, first, span.pages, zeroPageDigest(hashes), true);
    } else {
      const pages = chunkPages(run, first, span.pages, buf);
      chain.foldMany(run, first, span.pages, hashPages(hashes, pages, span.pages, digests, views));
    }
    first += span.pages;
  }
}

/** The next span of a run from page `first` (at most `count` pages): known zeros, or data. */
export function spanAt(run: LaunchRun, first: number, count: number): { zero: boolean; pages: number } {
  const c = run.contents;
  if (c.kind !== 'reader' || !c.spans) return { zero: false, pages: count };
  const s = c.spans(first, count);
  if (!Number.isSafeInteger(s.pages) || s.pages < 1 || s.pages > count) fail('plan', `${describeOrigin(run.origin)}: page spans gave ${s.pages} pages at page ${first} (1 to ${count} expected)`);
  return s;
}

/** Pages [first, first + count) of a bytes or reader run: a view of the bytes, or read into `buf`. */
export function chunkPages(run: LaunchRun, first: number, count: number, buf: Uint8Array | undefined): Uint8Array {
  const c = run.contents;
  if (c.kind === 'bytes') return c.data.subarray(first * PAGE_SIZE, (first + count) * PAGE_SIZE);
  if (c.kind !== 'reader' || !buf) return fail('plan', `${describeOrigin(run.origin)}: no page data to read`);
  const view = buf.subarray(0, count * PAGE_SIZE);
  c.read(first, count, view);
  return view;
}

/**
 * True when a page is all zeros. Data pages almost always fail at the first or last byte; a
 * zero page costs a word scan, far less than its SHA-384 (whose value is a constant).
 */
export function isZeroPage(page: Uint8Array): boolean {
  if (page[0] !== 0 || page[page.length - 1] !== 0) return false;
  if ((page.byteOffset & 3) === 0 && (page.length & 3) === 0) {
    const words = new Uint32Array(page.buffer, page.byteOffset, page.length >>> 2);
    for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
    return true;
  }
  for (let i = 0; i < page.length; i++) if (page[i] !== 0) return false;
  return true;
}

/** One view per page of `buf`, made once for a buffer that is refilled chunk after chunk (a view per page per chunk is garbage the GC pays for). */
export function pageViews(buf: Uint8Array): Uint8Array[] {
  return Array.from({ length: Math.floor(buf.length / PAGE_SIZE) }, (_, p) => buf.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
}

/**
 * Writes the CONTENTS field (SHA-384) of each of `count` pages back to back into `out`; returns
 * the filled view. `views`, when given, are pageViews of `pages` (the same bytes).
 */
export function hashPages(hashes: HashSuite, pages: Uint8Array, count: number, out: Uint8Array, views?: readonly Uint8Array[]): Uint8Array {
  for (let p = 0; p < count; p++) {
    const page = views ? views[p]! : pages.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
    if (isZeroPage(page)) out.set(zeroPageDigest(hashes), p * DIGEST_SIZE);
    else if (hashes.sha384Into) hashes.sha384Into(page, out, p * DIGEST_SIZE);
    else out.set(hashes.sha384(page), p * DIGEST_SIZE);
  }
  return out.subarray(0, count * DIGEST_SIZE);
}

/** Measures a launch plan on this thread and returns the final digest. */
export function measurePlan(plan: LaunchPlan, options: MeasureOptions = {}): MeasureResult {
  const hashes = options.hashes ?? defaultSuite;
  const chain = new Chain(plan, options);
  const cache = new WeakMap<Uint8Array, Uint8Array>();
  for (const run of plan.runs) foldRunInline(chain, run, hashes, cache);
  return chain.result();
}
