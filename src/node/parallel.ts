/**
 * Measuring with page hashing spread over worker threads: the main thread reads the next chunks
 * and folds digests into the chain in order while workers hash pages. Only runs of at least
 * `minPages` go to workers; small plans never start a thread.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { defaultSuite } from '../hash/suite.js';
import { PAGE_SIZE } from '../snp/page-info.js';
import type { LaunchPlan, LaunchRun } from '../plan.js';
import { Chain, foldRunInline, measurePlan, type MeasureOptions, type MeasureResult } from '../engine.js';

export interface ParallelOptions extends MeasureOptions {
  /** Worker threads (default: the available cores, at most 4). */
  readonly threads?: number;
  /** Smallest run that is worth shipping to workers (default 4096 pages = 16 MiB). */
  readonly minPages?: number;
  /** Pages per chunk sent to a worker (default 512 = 2 MiB). */
  readonly chunkPages?: number;
}

// CommonJS source run with eval so the same worker serves the built CLI and the TypeScript tests.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const one = typeof crypto.hash === 'function'
  ? (b) => crypto.hash('sha384', b, 'buffer')
  : (b) => crypto.createHash('sha384').update(b).digest();
parentPort.on('message', ({ id, buf, pages }) => {
  const u = new Uint8Array(buf);
  const out = new Uint8Array(pages * 48);
  for (let p = 0; p < pages; p++) out.set(one(u.subarray(p * ${PAGE_SIZE}, (p + 1) * ${PAGE_SIZE})), p * 48);
  parentPort.postMessage({ id, out }, [out.buffer]);
});
`;

class HashPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (d: Uint8Array) => void; reject: (e: Error) => void }>();
  private next = 0;
  private rr = 0;
  constructor(size: number) {
    this.workers = Array.from({ length: size }, () => {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.on('message', ({ id, out }: { id: number; out: Uint8Array }) => {
        const p = this.pending.get(id);
        this.pending.delete(id);
        p?.resolve(out);
      });
      w.on('error', (e) => { for (const p of this.pending.values()) p.reject(e); this.pending.clear(); });
      return w;
    });
  }
  /** Hashes `pages` pages of `buf` (transferred, not copied) on the next worker. */
  hash(buf: ArrayBuffer, pages: number): Promise<Uint8Array> {
    const id = this.next++;
    const w = this.workers[this.rr++ % this.workers.length]!;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, buf, pages }, [buf]);
    });
  }
  async close(): Promise<void> { await Promise.all(this.workers.map((w) => w.terminate())); }
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
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), 4));
  if (!plan.runs.some(big) || (options.hashes && options.hashes.name !== 'node')) return measurePlan(plan, options);
  const hashes = options.hashes ?? defaultSuite;
  const chain = new Chain(plan, options);
  const cache = new WeakMap<Uint8Array, Uint8Array>();
  const pool = new HashPool(threads);
  const chunkPages = options.chunkPages ?? 512;
  const inFlight = threads * 3; // enough to keep every worker busy while the chain catches up
  try {
    for (const run of plan.runs) {
      if (!big(run)) { foldRunInline(chain, run, hashes, cache); continue; }
      const chunks = Math.ceil(run.pages / chunkPages);
      const queue: Promise<Uint8Array>[] = [];
      let sent = 0;
      const send = (): void => {
        const first = sent * chunkPages;
        const count = Math.min(chunkPages, run.pages - first);
        queue.push(pool.hash(readChunk(run, first, count), count));
        sent++;
      };
      for (let k = 0; k < chunks; k++) {
        while (sent < chunks && sent - k < inFlight) send();
        const digests = await queue[k]!;
        delete queue[k];
        const base = k * chunkPages;
        for (let p = 0; p * 48 < digests.length; p++) chain.fold(run, base + p, digests.subarray(p * 48, (p + 1) * 48));
      }
    }
  } finally {
    await pool.close();
  }
  return chain.result();
}
