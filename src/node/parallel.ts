/**
 * Measuring with page hashing spread over worker threads. The chain is sequential, so the main
 * thread folds chunk digests in order; workers hash chunks of large runs, and the main thread
 * hashes the next chunk itself whenever the one it needs is not ready yet (also while the
 * workers start), or the needed chunk itself when its worker is late. It never waits for a
 * worker, so it is never slower than one thread by more than the workers' overhead, whatever
 * the cores and the load. Small plans never start a thread.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { defaultSuite, type HashSuite } from '../hash/suite.js';
import { MeasureError } from '../errors.js';
import { DIGEST_SIZE, PAGE_SIZE } from '../snp/page-info.js';
import type { LaunchPlan, LaunchRun } from '../plan.js';
import {
  Chain, chunkPages, foldRunInline, hashPages, measurePlan, spanAt, zeroPageDigest, type MeasureOptions, type MeasureResult,
} from '../engine.js';

/** measurePlan's options plus how to spread page hashing over worker threads (runs below a size stay on this thread: a worker costs 30-60 ms to start). */
export interface ParallelOptions extends MeasureOptions {
  /** Worker threads (default: one less than the available cores, at least 1, at most 4). */
  readonly threads?: number;
  /** Smallest run that is worth shipping to workers (default MIN_PARALLEL_PAGES). */
  readonly minPages?: number;
  /** Pages per chunk sent to a worker (default 256 = 1 MiB). */
  readonly chunkPages?: number;
}

/**
 * A worker takes 25-85 ms to start on the project machines (more under load), and hashes about
 * 160 pages per ms. Below 64 MiB the main thread alone finishes about as soon.
 */
export const MIN_PARALLEL_PAGES = 16384;

// CommonJS source run with eval so the same worker serves the built CLI and the TypeScript tests.
// Each request brings back its buffers (transferred both ways), so nothing is allocated per chunk.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
// One Int32 per request slot, shared with the main thread: 0 queued, 1 taken here, 2 taken there.
const claims = new Int32Array(workerData.claims);
const crypto = require('node:crypto');
const fs = require('node:fs');
// A 'binary' (latin1) string result skips a Buffer allocation per page (see hash/suite.ts).
const into = typeof crypto.hash === 'function'
  ? (b, out, at) => { const s = crypto.hash('sha384', b, 'binary'); for (let i = 0; i < 48; i++) out[at + i] = s.charCodeAt(i); }
  : (b, out, at) => { out.set(crypto.createHash('sha384').update(b).digest(), at); };
const ZERO_DIGEST = new Uint8Array(48);
into(new Uint8Array(${PAGE_SIZE}), ZERO_DIGEST, 0);
function isZero(p) {
  if (p[0] !== 0 || p[p.length - 1] !== 0) return false;
  const w = new Uint32Array(p.buffer, p.byteOffset, p.length >>> 2);
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false;
  return true;
}
const fds = new Map();
let scratch = new Uint8Array(0);
parentPort.on('message', (m) => {
  if (m.close) {
    for (const fd of fds.values()) fs.closeSync(fd);
    fds.clear();
    parentPort.postMessage({ id: m.id, closed: true });
    return;
  }
  if (Atomics.compareExchange(claims, m.slot, 0, 1) !== 0) {
    // The main thread hashed this chunk itself meanwhile: hand the buffers back untouched.
    parentPort.postMessage({ id: m.id, out: m.out, buf: m.buf, skipped: true }, m.buf ? [m.out, m.buf] : [m.out]);
    return;
  }
  const out = new Uint8Array(m.out);
  try {
    let u;
    if (m.path !== undefined) {
      let fd = fds.get(m.path);
      if (fd === undefined) { fd = fs.openSync(m.path, 'r'); fds.set(m.path, fd); }
      const need = m.pages * ${PAGE_SIZE};
      if (scratch.length < need) scratch = new Uint8Array(need);
      u = scratch.subarray(0, need);
      for (let done = 0; done < need;) {
        const n = fs.readSync(fd, u, done, need - done, m.position + done);
        if (n === 0) throw new Error(m.path + ' ended early at byte ' + (m.position + done) + ' (was it truncated or replaced while being read?)');
        done += n;
      }
    } else {
      u = new Uint8Array(m.buf);
    }
    for (let p = 0; p < m.pages; p++) {
      const page = u.subarray(p * ${PAGE_SIZE}, (p + 1) * ${PAGE_SIZE});
      if (isZero(page)) out.set(ZERO_DIGEST, p * ${DIGEST_SIZE});
      else into(page, out, p * ${DIGEST_SIZE});
    }
    parentPort.postMessage({ id: m.id, out: m.out, buf: m.buf }, m.buf ? [m.out, m.buf] : [m.out]);
  } catch (e) {
    parentPort.postMessage({ id: m.id, out: m.out, buf: m.buf, error: String(e && e.message || e) }, m.buf ? [m.out, m.buf] : [m.out]);
  }
});
`;

interface Reply { id: number; out?: ArrayBuffer; buf?: ArrayBuffer; error?: string; closed?: boolean; skipped?: boolean }

/** Request slots shared with the workers (a ring: far more than the requests ever outstanding). */
const CLAIM_SLOTS = 1024;
const QUEUED = 0;
const TAKEN_HERE = 2;

class HashPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private next = 0;
  private rr = 0;
  /** Requests sent and not answered. */
  outstanding = 0;
  /** Until a worker is up, the main thread hashes every chunk itself. */
  online = false;
  /** Who hashes each request: a worker claims a request when it starts it, the main thread when it takes one back. */
  private readonly claims = new Int32Array(new SharedArrayBuffer(4 * CLAIM_SLOTS));
  constructor(size: number) {
    this.workers = Array.from({ length: size }, () => {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { claims: this.claims.buffer } });
      w.once('online', () => { this.online = true; });
      w.on('message', (r: Reply) => {
        const p = this.pending.get(r.id);
        this.pending.delete(r.id);
        if (!r.closed) this.outstanding--;
        p?.resolve(r);
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(new MeasureError('file-read', `page hashing worker failed: ${e.message}`));
        this.pending.clear();
      });
      return w;
    });
  }
  get size(): number { return this.workers.length; }
  /**
   * Hashes `pages` pages, of `buf` or of a file at `position`, on the next worker; digests go into
   * `out`. Returns the request's slot (for takeBack) and its reply.
   */
  hash(job: { pages: number; out: ArrayBuffer; buf?: ArrayBuffer; path?: string; position?: number }): { slot: number; reply: Promise<Reply> } {
    this.outstanding++;
    const id = this.next;
    const slot = id % CLAIM_SLOTS;
    Atomics.store(this.claims, slot, QUEUED);
    return { slot, reply: this.post({ ...job, slot }, job.buf ? [job.out, job.buf] : [job.out]) };
  }
  /** Takes a request back from the workers if none has started it: true means the caller hashes it. */
  takeBack(slot: number): boolean {
    return Atomics.compareExchange(this.claims, slot, QUEUED, TAKEN_HERE) === QUEUED;
  }
  private post(message: Record<string, unknown>, transfer: ArrayBuffer[]): Promise<Reply> {
    const id = this.next++;
    const w = this.workers[this.rr++ % this.workers.length]!;
    const p = new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, ...message }, transfer);
    });
    // Chunks are posted ahead of the one awaited; when a read fails (a file shrank or vanished),
    // the measurement stops at the first awaited failure and later ones must not surface as
    // unhandled rejections (which end the process with a stack trace).
    p.catch(() => {});
    return p;
  }
  /** Closes the files the workers opened (descriptors belong to the process), then stops them. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve) => {
      const id = this.next++;
      this.pending.set(id, { resolve: () => resolve(), reject: () => resolve() });
      w.once('exit', () => resolve()); // a worker that died answers nothing
      w.postMessage({ id, close: true });
    })));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Lets worker replies and 'online' events in between chunks hashed on this thread. */
const turn = (): Promise<void> => new Promise((resolve) => { setImmediate(resolve); });

/** A chunk of a run on its way to the chain: its digests once hashed (one shared digest for a zero span). */
interface Slot {
  readonly first: number;
  readonly pages: number;
  digests?: Uint8Array;
  same?: boolean;
  error?: Error;
  /** Buffers to recycle once the digests are folded. */
  out?: ArrayBuffer;
  /** Hashed here although it was sent to a worker (taken back, or its worker was late); the worker's answer is dropped. */
  stolen?: boolean;
  /** The worker request's claim slot and answer, when the chunk was sent to a worker. */
  request?: number;
  reply?: Promise<Reply>;
}

async function foldRunParallel(chain: Chain, run: LaunchRun, pool: HashPool, chunk: number, hashes: HashSuite): Promise<void> {
  const c = run.contents;
  const file = c.kind === 'reader' ? c.file : undefined;
  const outs: ArrayBuffer[] = [];
  const bufs: ArrayBuffer[] = [];
  const takeOut = (): ArrayBuffer => outs.pop() ?? new ArrayBuffer(chunk * DIGEST_SIZE);
  const readBuf = c.kind === 'reader' ? new Uint8Array(chunk * PAGE_SIZE) : undefined;
  // Enough queued that a worker never waits while this thread hashes a chunk of its own.
  const depth = pool.size * 6;
  const maxAhead = 64; // chunks hashed but not yet folded, at most (48 bytes per page each)
  const slots: Slot[] = [];
  /** Chunks sent to workers, oldest first (answered ones are dropped from the front). */
  const sent: Slot[] = [];
  let cursor = 0;
  /** How long this thread took for its last chunk: how long a late worker is waited for. */
  let chunkMs = 2;

  /** The next chunk from the cursor: a zero span is ready at once. */
  const take = (): Slot => {
    const span = spanAt(run, cursor, Math.min(chunk, run.pages - cursor));
    const s: Slot = { first: cursor, pages: span.pages };
    if (span.zero) { s.digests = zeroPageDigest(hashes); s.same = true; }
    cursor += span.pages;
    slots.push(s);
    return s;
  };
  const toWorker = (s: Slot): void => {
    let buf: ArrayBuffer | undefined;
    if (!file) {
      buf = bufs.pop() ?? new ArrayBuffer(chunk * PAGE_SIZE);
      const view = new Uint8Array(buf, 0, s.pages * PAGE_SIZE);
      view.set(chunkPages(run, s.first, s.pages, readBuf));
    }
    const job = file
      ? { pages: s.pages, out: takeOut(), path: file.path, position: file.offset + s.first * PAGE_SIZE }
      : { pages: s.pages, out: takeOut(), buf: buf! };
    const request = pool.hash(job);
    s.request = request.slot;
    s.reply = request.reply;
    sent.push(s);
    void request.reply.then((r) => {
      if (r.buf) bufs.push(r.buf);
      if (s.stolen || r.skipped) { if (r.out) outs.push(r.out); return; }
      if (r.error !== undefined) { s.error = new MeasureError('file-read', `page hashing worker: ${r.error}`); return; }
      s.out = r.out!;
      s.digests = new Uint8Array(r.out!, 0, s.pages * DIGEST_SIZE);
    }, (e: Error) => { if (!s.stolen) s.error = e; });
  };
  const here = (s: Slot): void => {
    const started = performance.now();
    const out = takeOut();
    s.out = out;
    s.digests = hashPages(hashes, chunkPages(run, s.first, s.pages, readBuf), s.pages, new Uint8Array(out));
    chunkMs = performance.now() - started;
  };
  const settled = (s: Slot): boolean => s.digests !== undefined || s.error !== undefined;
  /** Takes back the newest chunk no worker has started, and hashes it here: false if every one has started. */
  const takeBack = (): boolean => {
    while (sent.length && (settled(sent[0]!) || sent[0]!.stolen)) sent.shift();
    for (let i = sent.length - 1; i >= 0; i--) {
      const s = sent[i]!;
      if (settled(s) || s.stolen || !pool.takeBack(s.request!)) continue;
      s.stolen = true;
      here(s);
      return true;
    }
    return false;
  };

  while (cursor < run.pages || slots.length > 0) {
    // Fold what is ready, in order.
    let head = slots[0];
    while (head && (head.digests || head.error)) {
      if (head.error) throw head.error;
      chain.foldMany(run, head.first, head.pages, head.digests!, head.same ?? false);
      if (head.out) outs.push(head.out);
      slots.shift();
      head = slots[0];
    }
    if (cursor >= run.pages && !head) break;
    // Keep the workers fed.
    while (pool.online && pool.outstanding < depth && cursor < run.pages && slots.length < maxAhead) {
      const s = take();
      if (!s.digests) toWorker(s);
    }
    if (slots[0]?.digests) continue;
    if (cursor < run.pages && slots.length < maxAhead) {
      // The next chunk is not ready: hash one here rather than wait.
      const s = take();
      if (!s.digests) here(s);
      if (pool.outstanding > 0 || !pool.online) await turn();
      continue;
    }
    // Nothing new to hash: share the chunks still queued at the workers, taking them back from
    // the newest (the workers go from the oldest), so the two ends meet without hashing a chunk
    // twice. When every one has started, wait for the head; if its worker is late (another process
    // holds its core, say), hash the head here rather than wait longer than this thread would take.
    if (takeBack()) { await turn(); continue; }
    const late = slots[0]!;
    await settledWithin(late.reply, 2 * chunkMs + 1);
    if (!settled(late)) { late.stolen = true; here(late); }
  }
}

/** Resolves when `p` settles or after `ms`, whichever comes first (the timer is cleared either way). */
function settledWithin(p: Promise<unknown> | undefined, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = (): void => { clearTimeout(timer); resolve(); };
    if (p) p.then(done, done); else done();
  });
}

/**
 * measurePlan with large page runs hashed on worker threads (at most 4); the chain itself stays
 * sequential. Same result as measurePlan; falls back to it when no run is big enough to pay for
 * starting workers, or for a non-node hash suite.
 */
export async function measurePlanParallel(plan: LaunchPlan, options: ParallelOptions = {}): Promise<MeasureResult> {
  const minPages = options.minPages ?? MIN_PARALLEL_PAGES;
  const big = (r: LaunchRun): boolean => (r.contents.kind === 'reader' || r.contents.kind === 'bytes') && r.pages >= minPages;
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism() - 1, 4));
  if (!plan.runs.some(big) || (options.hashes && options.hashes.name !== 'node')) return measurePlan(plan, options);
  const hashes = options.hashes ?? defaultSuite;
  const chain = new Chain(plan, options);
  const cache = new WeakMap<Uint8Array, Uint8Array>();
  const pool = new HashPool(threads);
  const chunk = options.chunkPages ?? 256;
  try {
    for (const run of plan.runs) {
      if (big(run)) await foldRunParallel(chain, run, pool, chunk, hashes);
      else foldRunInline(chain, run, hashes, cache);
    }
  } finally {
    await pool.close();
  }
  return chain.result();
}
