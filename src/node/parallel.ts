/**
 * Measuring with page hashing shared with worker threads. The chain is sequential, so the main
 * thread folds chunk digests in order; chunks of large runs are hashed by whichever thread claims
 * them first, the workers or the main thread itself (which claims one whenever the chunk it must
 * fold next is not ready). Everything goes through shared memory: a claim is one atomic
 * compare-and-swap, a finished chunk one atomic store, and no message crosses per chunk. A worker
 * holds at most one chunk at a time, so the main thread waits for a worker at most that chunk's
 * time, whatever the cores and the load. Small plans never start a thread.
 */
import { SHARE_ENV, Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { defaultSuite, type HashSuite } from '../hash/suite.js';
import { MeasureError } from '../errors.js';
import { DIGEST_SIZE, PAGE_SIZE } from '../snp/page-info.js';
import type { FileIdentity, LaunchPlan, LaunchRun } from '../plan.js';
import {
  Chain, chunkPages, foldRunInline, hashPages, measurePlan, pageViews, spanAt, zeroPageDigest, type MeasureOptions, type MeasureResult,
} from '../engine.js';

/** measurePlan's options plus how to spread page hashing over worker threads (runs below a size stay on this thread: a worker costs 25-60 ms to start). */
export interface ParallelOptions extends MeasureOptions {
  /** Worker threads (default: one less than the available cores, at least 1, at most 4). */
  readonly threads?: number;
  /** Smallest run that is worth sharing with workers (default MIN_PARALLEL_PAGES). */
  readonly minPages?: number;
  /** Pages per chunk (default 256 = 1 MiB; the last few chunks of a run are a quarter of that). */
  readonly chunkPages?: number;
}

/**
 * A worker takes 25-85 ms to start on the project machines (more under load), and hashes about
 * 160 pages per ms. Below 64 MiB the main thread alone finishes about as soon.
 */
export const MIN_PARALLEL_PAGES = 16384;

/** Chunks published ahead of the fold, at most: the ring of digest slots (48 bytes per page each). */
const RING = 16;
/** Chunks of an in-memory run copied ahead for the workers, at most (a chunk of pages each). */
const MEMORY_RING = 6;
/** Bytes kept for the path of the file being read (paths longer than this are hashed on the main thread). */
const PATH_BYTES = 16384;
/** Bytes kept for the first worker error. */
const ERROR_BYTES = 1024;

// Control words, an Int32Array over shared memory.
/** Chunks [0, PUBLISHED) may be claimed (chunk numbers count up across the runs of a plan). */
const PUBLISHED = 0;
/** The next chunk to claim. */
const NEXT = 1;
/** Non-zero: the workers close their files and end. */
const STOP = 2;
/** Bytes of the path in the path area. */
const PATH_LENGTH = 3;
/** Bytes of the first worker error in the error area (0: none). */
const ERROR_LENGTH = 4;
const CONTROL_WORDS = 5;
// Per ring slot, an Int32Array: the chunk's pages, whether it is a zero span, where its bytes are
// (1: the file at the path area's path, 0: the memory ring), the path's version. A Float64Array
// beside it holds the chunk's file position in bytes.
const D_PAGES = 0;
const D_ZERO = 1;
const D_FROM_FILE = 2;
const D_PATH_VERSION = 3;
const DESC_WORDS = 4;

// CommonJS source run with eval so the same worker serves the built CLI and the TypeScript tests.
// The worker runs one synchronous loop over shared memory: claim a chunk, hash it into its ring
// slot, mark the slot done; sleep on PUBLISHED when nothing is left to claim; end on STOP.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const fs = require('node:fs');
const control = new Int32Array(workerData.control);
const done = new Int32Array(workerData.done);
const desc = new Int32Array(workerData.desc);
const positions = new Float64Array(workerData.positions);
const digests = new Uint8Array(workerData.digests);
const memory = new Uint8Array(workerData.memory);
const pathArea = new Uint8Array(workerData.path);
const errorArea = new Uint8Array(workerData.error);
// The file the path must still name: [known (0 or 1), device, inode].
const identity = new Float64Array(workerData.identity);
const chunk = workerData.chunkPages;
// A latin1 string result skips a Buffer allocation per page; one native call writes it (see hash/suite.ts).
const latin1Write = Buffer.prototype.latin1Write;
const into = (b, out, at) => {
  if (!(at >= 0 && at + 48 <= out.length)) throw new RangeError('no room for a digest at offset ' + at + ' of ' + out.length + ' bytes');
  latin1Write.call(out, crypto.hash('sha384', b, 'latin1'), at, 48);
};
const ZERO_DIGEST = new Uint8Array(48);
into(new Uint8Array(${PAGE_SIZE}), ZERO_DIGEST, 0);
function isZero(p) {
  if (p[0] !== 0 || p[p.length - 1] !== 0) return false;
  const w = new Uint32Array(p.buffer, p.byteOffset, p.length >>> 2);
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false;
  return true;
}
const fds = new Map();
let pathVersion = -1;
let path;
let fd;
const scratch = new Uint8Array(chunk * ${PAGE_SIZE});
// One view per page, made once: a view per page per chunk is garbage the GC pays for.
const views = (buf) => Array.from({ length: buf.length / ${PAGE_SIZE} }, (_, p) => buf.subarray(p * ${PAGE_SIZE}, (p + 1) * ${PAGE_SIZE}));
const scratchViews = views(scratch);
const memoryViews = Array.from({ length: memory.length / (chunk * ${PAGE_SIZE}) }, (_, i) => views(memory.subarray(i * chunk * ${PAGE_SIZE}, (i + 1) * chunk * ${PAGE_SIZE})));
function hashChunk(n) {
  const slot = n % ${RING};
  const d = slot * ${DESC_WORDS};
  if (desc[d + ${D_ZERO}]) return;
  const pages = desc[d + ${D_PAGES}];
  const size = pages * ${PAGE_SIZE};
  let pageView;
  if (desc[d + ${D_FROM_FILE}]) {
    pageView = scratchViews;
    if (desc[d + ${D_PATH_VERSION}] !== pathVersion) {
      pathVersion = desc[d + ${D_PATH_VERSION}];
      path = Buffer.from(pathArea.slice(0, Atomics.load(control, ${PATH_LENGTH}))).toString('utf8');
      let open = fds.get(path);
      if (open === undefined) { const f = fs.openSync(path, 'r'); open = { fd: f, st: fs.fstatSync(f) }; fds.set(path, open); }
      if (identity[0] && (open.st.dev !== identity[1] || open.st.ino !== identity[2])) throw new Error(path + ' was replaced while being read (another file has its name now)');
      fd = open.fd;
    }
    const position = positions[slot];
    const u = scratch.subarray(0, size);
    for (let got = 0; got < size;) {
      const r = fs.readSync(fd, u, got, size - got, position + got);
      if (r === 0) throw new Error(path + ' ended early at byte ' + (position + got) + ' (was it truncated or replaced while being read?)');
      got += r;
    }
  } else {
    pageView = memoryViews[n % ${MEMORY_RING}];
  }
  const base = slot * chunk * ${DIGEST_SIZE};
  for (let p = 0; p < pages; p++) {
    const page = pageView[p];
    if (isZero(page)) digests.set(ZERO_DIGEST, base + p * ${DIGEST_SIZE});
    else into(page, digests, base + p * ${DIGEST_SIZE});
  }
}
while (Atomics.load(control, ${STOP}) === 0) {
  const published = Atomics.load(control, ${PUBLISHED});
  const n = Atomics.load(control, ${NEXT});
  if (n >= published) { Atomics.wait(control, ${PUBLISHED}, published, 200); continue; }
  if (Atomics.compareExchange(control, ${NEXT}, n, n + 1) !== n) continue;
  let state = n + 1;
  try {
    hashChunk(n);
  } catch (e) {
    const text = Buffer.from(String(e && e.message || e)).subarray(0, ${ERROR_BYTES});
    if (Atomics.compareExchange(control, ${ERROR_LENGTH}, 0, -1) === 0) {
      errorArea.set(text);
      Atomics.store(control, ${ERROR_LENGTH}, text.length);
    }
    state = -(n + 1);
  }
  Atomics.store(done, n % ${RING}, state);
  Atomics.notify(done, n % ${RING});
}
for (const f of fds.values()) fs.closeSync(f.fd);
`;

/** The worker threads and the shared memory they work from. */
class HashPool {
  private readonly workers: Worker[];
  readonly control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS));
  readonly done = new Int32Array(new SharedArrayBuffer(4 * RING));
  readonly desc = new Int32Array(new SharedArrayBuffer(4 * DESC_WORDS * RING));
  readonly positions = new Float64Array(new SharedArrayBuffer(8 * RING));
  readonly digests: Uint8Array;
  /** Copies of an in-memory run's chunks, for the workers (empty when no such run is shared). */
  readonly memory: Uint8Array;
  private readonly pathArea = new Uint8Array(new SharedArrayBuffer(PATH_BYTES));
  private readonly errorArea = new Uint8Array(new SharedArrayBuffer(ERROR_BYTES));
  private readonly identity = new Float64Array(new SharedArrayBuffer(8 * 3));
  private pathVersion = 0;
  private path?: string;
  /** Set when a worker ended before it was asked to. */
  failure?: Error;
  /** Set once the workers were told to end: their exit is no failure then. */
  finished = false;
  private readonly running = new Set<Worker>();

  constructor(size: number, readonly chunk: number, withMemory: boolean) {
    this.digests = new Uint8Array(new SharedArrayBuffer(RING * chunk * DIGEST_SIZE));
    this.memory = new Uint8Array(new SharedArrayBuffer(withMemory ? MEMORY_RING * chunk * PAGE_SIZE : 0));
    const workerData = {
      control: this.control.buffer, done: this.done.buffer, desc: this.desc.buffer, positions: this.positions.buffer,
      digests: this.digests.buffer, memory: this.memory.buffer, path: this.pathArea.buffer, error: this.errorArea.buffer, identity: this.identity.buffer, chunkPages: chunk,
    };
    this.workers = Array.from({ length: size }, () => {
      // stdout/stderr not piped to this thread (the worker prints nothing): about 1.5 ms less to start.
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData, env: SHARE_ENV, stdout: true, stderr: true });
      w.on('error', (e) => { this.failure ??= new MeasureError('file-read', `page hashing worker failed: ${e.message}`); });
      this.running.add(w);
      w.on('exit', (code) => {
        this.running.delete(w);
        if (!this.finished) this.failure ??= new MeasureError('file-read', `page hashing worker ended early (exit code ${code})`);
      });
      return w;
    });
  }

  get size(): number { return this.workers.length; }

  /**
   * Puts the run's file path (and the file it must name) where the workers read it: false if it
   * does not fit (the run is hashed on this thread then).
   */
  usePath(path: string, identity: FileIdentity | undefined): boolean {
    const named = identity ? [1, identity.dev, identity.ino] : [0, 0, 0];
    if (path === this.path && named.every((v, i) => v === this.identity[i])) return true;
    const bytes = Buffer.from(path, 'utf8');
    if (bytes.length > PATH_BYTES) return false;
    // Every chunk published so far is folded, so no worker reads the areas now.
    this.pathArea.set(bytes);
    this.identity.set(named);
    Atomics.store(this.control, PATH_LENGTH, bytes.length);
    this.path = path;
    this.pathVersion++;
    return true;
  }
  get currentPathVersion(): number { return this.pathVersion; }

  /** Claims the next published chunk: its number, or -1 when every published chunk is claimed. */
  claim(): number {
    for (;;) {
      const published = Atomics.load(this.control, PUBLISHED);
      const n = Atomics.load(this.control, NEXT);
      if (n >= published) return -1;
      if (Atomics.compareExchange(this.control, NEXT, n, n + 1) === n) return n;
    }
  }

  publish(upTo: number): void {
    Atomics.store(this.control, PUBLISHED, upTo);
    Atomics.notify(this.control, PUBLISHED);
  }

  /** The first worker error (the workers record only the first). */
  workerError(): string {
    const length = Atomics.load(this.control, ERROR_LENGTH);
    return length > 0 ? Buffer.from(this.errorArea.slice(0, length)).toString('utf8') : 'unknown error';
  }

  /**
   * Tells the workers no chunk will come: each finishes the one it holds, closes the files it
   * opened (descriptors belong to the process) and ends, while this thread folds what is left.
   */
  finish(): void {
    this.finished = true;
    Atomics.store(this.control, STOP, 1);
    Atomics.notify(this.control, PUBLISHED);
  }

  /** Stops the workers and waits until they have ended. */
  async close(): Promise<void> {
    this.finish();
    // A worker still starting up sees STOP as soon as its loop begins.
    await Promise.all([...this.running].map((w) => new Promise<void>((resolve) => { w.once('exit', () => resolve()); })));
  }
}

/** Lets queued events (a worker's error, progress output to a pipe) through during a long run. */
const turn = (): Promise<void> => new Promise((resolve) => { setImmediate(resolve); });

/** What the main thread knows of a published chunk. */
interface Published { readonly first: number; readonly pages: number; readonly zero: boolean }

/** How many chunks were ever published and folded (chunk numbers count up across runs). */
interface Progress { published: number; folded: number }

/** Folds a run, sharing its hashing with the pool; `last` when no later run needs the workers (they end as soon as every chunk is claimed). */
async function foldRunParallel(chain: Chain, run: LaunchRun, pool: HashPool, progress: Progress, hashes: HashSuite, last: boolean): Promise<void> {
  const c = run.contents;
  const file = c.kind === 'reader' ? c.file : undefined;
  const fromFile = file !== undefined && pool.usePath(file.path, file.identity);
  if (!fromFile && pool.memory.length === 0) { foldRunInline(chain, run, hashes, new WeakMap()); return; }
  const chunk = pool.chunk;
  const window = fromFile ? RING : MEMORY_RING;
  const readBuf = c.kind === 'reader' ? new Uint8Array(chunk * PAGE_SIZE) : undefined;
  // Chunks are read to the start of readBuf, or sit at the start of a memory-ring slot.
  const readViews = readBuf && fromFile ? pageViews(readBuf) : undefined;
  const memoryViews = fromFile ? undefined : Array.from({ length: MEMORY_RING }, (_, i) => pageViews(pool.memory.subarray(i * chunk * PAGE_SIZE, (i + 1) * chunk * PAGE_SIZE)));
  const chunks: Published[] = new Array(RING);
  /** The last few chunks are smaller, so the threads finish together. */
  const tail = chunk * 2 * (pool.size + 1);
  const smallChunk = Math.min(chunk, Math.max(16, chunk >> 2));
  const zeroDigest = zeroPageDigest(hashes);
  let cursor = 0;
  let lastTurn = performance.now();

  const publishAhead = (): void => {
    const before = progress.published;
    while (cursor < run.pages && progress.published < progress.folded + window) {
      const n = progress.published;
      const slot = n % RING;
      const left = run.pages - cursor;
      const span = spanAt(run, cursor, Math.min(left <= tail ? smallChunk : chunk, left));
      const d = slot * DESC_WORDS;
      pool.desc[d + D_PAGES] = span.pages;
      pool.desc[d + D_ZERO] = span.zero ? 1 : 0;
      pool.desc[d + D_FROM_FILE] = fromFile ? 1 : 0;
      pool.desc[d + D_PATH_VERSION] = pool.currentPathVersion;
      if (fromFile) pool.positions[slot] = file.offset + cursor * PAGE_SIZE;
      else if (!span.zero) {
        const at = (n % MEMORY_RING) * chunk * PAGE_SIZE;
        const into = pool.memory.subarray(at, at + span.pages * PAGE_SIZE);
        // A reader reads into the slot itself; bytes are copied there.
        const data = chunkPages(run, cursor, span.pages, into);
        if (data.buffer !== into.buffer) into.set(data);
      }
      chunks[slot] = { first: cursor, pages: span.pages, zero: span.zero };
      // A zero span too is done only by whoever claims it: were it folded first, its slot could
      // be reused while the shared counter still points at it, and a late claim of it would
      // overwrite the slot's next chunk.
      cursor += span.pages;
      progress.published++;
    }
    if (progress.published !== before) pool.publish(progress.published);
  };
  /** Hashes a chunk this thread claimed, into its ring slot. */
  const hashHere = (n: number): void => {
    const slot = n % RING;
    const p = chunks[slot]!;
    if (!p.zero) {
      const data = fromFile ? chunkPages(run, p.first, p.pages, readBuf) : pool.memory.subarray((n % MEMORY_RING) * chunk * PAGE_SIZE);
      hashPages(hashes, data, p.pages, pool.digests.subarray(slot * chunk * DIGEST_SIZE), fromFile ? readViews : memoryViews![n % MEMORY_RING]);
    }
    Atomics.store(pool.done, slot, n + 1);
  };

  for (;;) {
    // Fold what is ready, in order.
    while (progress.folded < progress.published) {
      const n = progress.folded;
      const slot = n % RING;
      const state = Atomics.load(pool.done, slot);
      if (state === -(n + 1)) throw new MeasureError('file-read', `page hashing worker: ${pool.workerError()}`);
      if (state !== n + 1) break;
      const p = chunks[slot]!;
      if (p.zero) chain.foldMany(run, p.first, p.pages, zeroDigest, true);
      else chain.foldMany(run, p.first, p.pages, pool.digests.subarray(slot * chunk * DIGEST_SIZE, (slot * chunk + p.pages) * DIGEST_SIZE));
      progress.folded++;
    }
    publishAhead();
    if (cursor >= run.pages && progress.folded === progress.published) return;
    const now = performance.now();
    if (now - lastTurn > 50) {
      await turn();
      lastTurn = performance.now();
      if (pool.failure) throw pool.failure;
    }
    // The next chunk to fold is not ready: hash the next unclaimed one here rather than wait.
    const n = pool.claim();
    if (n >= 0) { hashHere(n); continue; }
    if (last && cursor >= run.pages && !pool.finished) pool.finish();
    // Every published chunk is claimed: wait for the next one to fold (a worker holds it).
    const slot = progress.folded % RING;
    const state = Atomics.load(pool.done, slot);
    if (state !== progress.folded + 1 && state !== -(progress.folded + 1)) {
      if (Atomics.wait(pool.done, slot, state, 50) === 'timed-out') {
        await turn();
        lastTurn = performance.now();
        if (pool.failure) throw pool.failure;
      }
    }
  }
}

/**
 * measurePlan with large page runs hashed on worker threads (at most 4) as well as this one; the
 * chain itself stays sequential. Same result as measurePlan; falls back to it when no run is big
 * enough to pay for starting workers, or for a non-node hash suite.
 */
export async function measurePlanParallel(plan: LaunchPlan, options: ParallelOptions = {}): Promise<MeasureResult> {
  const minPages = options.minPages ?? MIN_PARALLEL_PAGES;
  const big = (r: LaunchRun): boolean => (r.contents.kind === 'reader' || r.contents.kind === 'bytes') && r.pages >= minPages;
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism() - 1, 4));
  if (!plan.runs.some(big) || (options.hashes && options.hashes.name !== 'node')) return measurePlan(plan, options);
  const chunk = options.chunkPages ?? 256;
  if (!Number.isSafeInteger(chunk) || chunk < 1 || chunk > 4096) throw new MeasureError('bad-number', `chunkPages ${chunk} is not an integer from 1 to 4096`);
  const hashes = options.hashes ?? defaultSuite;
  const chain = new Chain(plan, options);
  const cache = new WeakMap<Uint8Array, Uint8Array>();
  const inMemory = plan.runs.some((r) => big(r) && !(r.contents.kind === 'reader' && r.contents.file));
  const pool = new HashPool(threads, chunk, inMemory);
  const progress: Progress = { published: 0, folded: 0 };
  try {
    let lastBig = -1;
    plan.runs.forEach((r, i) => { if (big(r)) lastBig = i; });
    for (const [i, run] of plan.runs.entries()) {
      if (big(run)) await foldRunParallel(chain, run, pool, progress, hashes, i === lastBig);
      else foldRunInline(chain, run, hashes, cache);
    }
  } finally {
    await pool.close();
  }
  return chain.result();
}
