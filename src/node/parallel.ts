/**
 * Measuring with page hashing spread over worker threads: the main thread reads the next chunks
 * and folds digests into the chain in order while workers hash pages. Only runs of at least
 * `minPages` go to workers; small plans never start a thread.
 */
import '../hash/node-suite.js'; // node:crypto as the default hash suite
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { defaultSuite } from '../hash/suite.js';
import { MeasureError } from '../errors.js';
import { PAGE_SIZE } from '../snp/page-info.js';
import type { LaunchPlan, LaunchRun } from '../plan.js';
import { Chain, foldRunInline, measurePlan, type MeasureOptions, type MeasureResult } from '../engine.js';

export interface ParallelOptions extends MeasureOptions {
  /** Worker threads (default: one less than the available cores, at least 1, at most 4). */
  readonly threads?: number;
  /** Smallest run that is worth shipping to workers (default 4096 pages = 16 MiB). */
  readonly minPages?: number;
  /** Pages per chunk sent to a worker (default 256 = 1 MiB). */
  readonly chunkPages?: number;
}

// CommonJS source run with eval so the same worker serves the built CLI and the TypeScript tests.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const fs = require('node:fs');
const one = typeof crypto.hash === 'function'
  ? (b) => crypto.hash('sha384', b, 'buffer')
  : (b) => crypto.createHash('sha384').update(b).digest();
const fds = new Map();
let scratch = new Uint8Array(0);
parentPort.on('message', (m) => {
  if (m.close) {
    for (const fd of fds.values()) fs.closeSync(fd);
    fds.clear();
    parentPort.postMessage({ id: m.id, closed: true });
    return;
  }
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
    const out = new Uint8Array(m.pages * 48);
    for (let p = 0; p < m.pages; p++) out.set(one(u.subarray(p * ${PAGE_SIZE}, (p + 1) * ${PAGE_SIZE})), p * 48);
    parentPort.postMessage({ id: m.id, out }, [out.buffer]);
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String(e && e.message || e) });
  }
});
`;

class HashPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (d: Uint8Array) => void; reject: (e: Error) => void }>();
  private next = 0;
  private rr = 0;
  /** Workers take ~20 ms to boot; until one is up, the main thread hashes every chunk itself. */
  online = false;
  constructor(size: number) {
    this.workers = Array.from({ length: size }, () => {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.once('online', () => { this.online = true; });
      w.on('message', ({ id, out, error }: { id: number; out?: Uint8Array; error?: string }) => {
        const p = this.pending.get(id);
        this.pending.delete(id);
        if (error !== undefined) p?.reject(new MeasureError('file-read', `page hashing worker: ${error}`));
        else p?.resolve(out ?? new Uint8Array(0));
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(new MeasureError('file-read', `page hashing worker failed: ${e.message}`));
        this.pending.clear();
      });
      return w;
    });
  }
  /** Hashes `pages` pages of `buf` (transferred, not copied) on the next worker. */
  hash(buf: ArrayBuffer, pages: number): Promise<Uint8Array> {
    return this.post({ buf, pages }, [buf]);
  }
  /** Has the next worker read `pages` pages of a file at `position` and hash them. */
  hashFile(path: string, position: number, pages: number): Promise<Uint8Array> {
    return this.post({ path, position, pages }, []);
  }
  private post(message: Record<string, unknown>, transfer: ArrayBuffer[]): Promise<Uint8Array> {
    const id = this.next++;
    const w = this.workers[this.rr++ % this.workers.length]!;
    const p = new Promise<Uint8Array>((resolve, reject) => {
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
      w.postMessage({ id, close: true });
    })));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Relative costs per page on these machines: SHA-384 of 4 KiB (with the read) vs one chain step. */
const PAGE_HASH_COST = 4.4;
const CHAIN_COST = 0.95;

/** The pages of a chunk the main thread hashes itself: a view of in-memory bytes, or read into `buf`. */
function hashOnMain(run: LaunchRun, first: number, count: number, buf: Uint8Array): Uint8Array {
  const c = run.contents;
  if (c.kind === 'bytes') return c.data.subarray(first * PAGE_SIZE, (first + count) * PAGE_SIZE);
  const view = buf.subarray(0, count * PAGE_SIZE);
  if (c.kind === 'reader') c.read(first, count, view);
  return view;
}

/** Reads pages [first, first + count) of a run into a fresh buffer that can be transferred. */
function readChunk(run: LaunchRun, first: number, count: number): ArrayBuffer {
  const buf = new ArrayBuffer(count * PAGE_SIZE);
  const view = new Uint8Array(buf);
  const c = run.contents;
  if (c.kind === 'reader') c.read(first, count, view);
  else if (c.kind === 'bytes') view.set(c.data.subarray(first * PAGE_SIZE, (first + count) * PAGE_SIZE));
  return buf;
}

export async function measurePlanParallel(plan: LaunchPlan, options: ParallelOptions = {}): Promise<MeasureResult> {
  const minPages = options.minPages ?? 4096;
  const big = (r: LaunchRun): boolean => (r.contents.kind === 'reader' || r.contents.kind === 'bytes') && r.pages >= minPages;
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism() - 1, 4));
  if (!plan.runs.some(big) || (options.hashes && options.hashes.name !== 'node')) return measurePlan(plan, options);
  const hashes = options.hashes ?? defaultSuite;
  const chain = new Chain(plan, options);
  const cache = new WeakMap<Uint8Array, Uint8Array>();
  const pool = new HashPool(threads);
  const chunkPages = options.chunkPages ?? 256;
  const inFlight = threads * 3; // enough to keep every worker busy while the chain catches up
  // The main thread chains (about a fifth of a page hash per page) and hashes a share of the
  // chunks itself, so that every core stays busy without more threads than cores.
  const mainShare = Math.max(0, (PAGE_HASH_COST - CHAIN_COST * threads) / (PAGE_HASH_COST * (threads + 1)));
  const onMain = (k: number): boolean => Math.floor((k + 1) * mainShare) > Math.floor(k * mainShare);
  const digestsBuf = new Uint8Array(chunkPages * 48);
  const readBuf = new Uint8Array(chunkPages * PAGE_SIZE);
  try {
    for (const run of plan.runs) {
      if (!big(run)) { foldRunInline(chain, run, hashes, cache); continue; }
      const chunks = Math.ceil(run.pages / chunkPages);
      const queue: (Promise<Uint8Array> | undefined)[] = [];
      let sent = 0;
      let outstanding = 0;
      const file = run.contents.kind === 'reader' ? run.contents.file : undefined;
      const mainChunks = new Set<number>();
      const send = (): void => {
        const first = sent * chunkPages;
        const count = Math.min(chunkPages, run.pages - first);
        if (onMain(sent) || !pool.online) {
          mainChunks.add(sent);
        } else {
          queue[sent] = file ? pool.hashFile(file.path, file.offset + first * PAGE_SIZE, count) : pool.hash(readChunk(run, first, count), count);
          outstanding++;
        }
        sent++;
      };
      for (let k = 0; k < chunks; k++) {
        // Until the workers are up, hand out one chunk at a time (to this thread) and let
        // their 'online' events through between chunks.
        if (!pool.online) await new Promise<void>((resolve) => setImmediate(resolve));
        while (sent < chunks && outstanding < inFlight && (pool.online || sent <= k)) send();
        const first = k * chunkPages;
        const count = Math.min(chunkPages, run.pages - first);
        let digests: Uint8Array;
        const pending = queue[k];
        if (!mainChunks.has(k) && pending) {
          digests = await pending;
          queue[k] = undefined;
          outstanding--;
        } else {
          const pages = hashOnMain(run, first, count, readBuf);
          for (let p = 0; p < count; p++) digestsBuf.set(hashes.sha384(pages.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)), p * 48);
          digests = digestsBuf.subarray(0, count * 48);
        }
        chain.foldMany(run, first, count, digests);
      }
    }
  } finally {
    await pool.close();
  }
  return chain.result();
}
