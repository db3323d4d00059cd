/**
 * The page's measuring thread: reads the dropped files, hashes their pages (WebCrypto batches),
 * folds the chain, sweeps vCPU counts and identify spaces, so the page stays responsive.
 * Requests carry a generation per lane; a newer one stops an older one at its next batch.
 */
import {
  Cancelled, configure, describeError, identify, measure, openLaunch, referenceValues, tableCounts, vcpuTable,
  type Configured, type LaunchInput, type Measurement, type NamedBytes, type OpenedLaunch, type Settings,
} from './measure.js';
import type { WireInput, WorkerReply, WorkerRequest } from './protocol.js';

interface Scope {
  onmessage: ((e: { data: WorkerRequest }) => void) | null;
  postMessage(m: WorkerReply, transfer?: ArrayBuffer[]): void;
}
const scope = globalThis as unknown as Scope;

const latest: Record<string, number> = {};
const stale = (lane: string, gen: number): boolean => latest[lane] !== gen;

// Files arrive as File objects (cheap to send); their bytes are read here once and kept.
const bytesCache = new Map<string, Promise<Uint8Array>>();
const fileKey = (f: File): string => `${f.name}\u0000${f.size}\u0000${f.lastModified}`;
function bytesOf(f: File): Promise<Uint8Array> {
  const key = fileKey(f);
  let p = bytesCache.get(key);
  if (!p) {
    p = f.arrayBuffer().then((b) => new Uint8Array(b));
    bytesCache.set(key, p);
    p.catch(() => bytesCache.delete(key));
  }
  return p;
}

function inputKey(w: WireInput): string {
  return JSON.stringify(w, (_k, v: unknown) => (v instanceof File ? fileKey(v) : typeof v === 'bigint' ? v.toString() : v));
}

async function toInput(w: WireInput): Promise<LaunchInput> {
  const files: Record<string, NamedBytes> = {};
  for (const [k, f] of Object.entries(w.files)) if (f) files[k] = { name: f.name, bytes: await bytesOf(f) };
  const sources = new Map<string, Uint8Array>();
  for (const f of w.sources) sources.set(f.name, await bytesOf(f));
  return { kind: w.kind, files, sources, options: w.options };
}

let openedCache: { key: string; opened: Promise<OpenedLaunch> } | undefined;
function opened(w: WireInput): Promise<OpenedLaunch> {
  const key = inputKey(w);
  if (openedCache?.key !== key) {
    const p = toInput(w).then(openLaunch);
    openedCache = { key, opened: p };
    p.catch(() => { if (openedCache?.opened === p) openedCache = undefined; });
  }
  return openedCache.opened;
}

// The last measurement, whose prefix digest the table, reference values and identify reuse.
let lastMeasured: { key: string; configured: Configured; measurement: Measurement } | undefined;
const settingsKey = (s: Settings): string => JSON.stringify(s);
function measuredFor(w: WireInput, s: Settings): Measurement | undefined {
  return lastMeasured?.key === `${inputKey(w)}|${settingsKey(s)}` ? lastMeasured.measurement : undefined;
}

/** Progress at most every 50 ms (and always the last). */
function throttled(post: (done: number, total: number, label: string) => void): (done: number, total: number, label: string) => void {
  let last = 0;
  return (done, total, label) => {
    const now = Date.now();
    if (done === total || now - last > 50) { last = now; post(done, total, label); }
  };
}

async function handle(m: WorkerRequest): Promise<void> {
  if (m.type === 'cancel') return;
  const { lane, gen } = m;
  const fail = (e: unknown): void => {
    if (e instanceof Cancelled || stale(lane, gen)) return;
    scope.postMessage({ type: 'error', lane, gen, error: describeError(e) });
  };
  try {
    const progress = throttled((done, total, label) => scope.postMessage({ type: 'progress', lane, gen, done, total, label }));
    if (lane !== 'refvalues') progress(0, 1, 'reading files');
    const launch = await opened(m.input);
    if (stale(lane, gen)) return;
    const applied = m.settings.inputDefaults ? launch.defaults : {};
    const settings: Settings = { ...m.settings.values, ...applied };
    if (m.type === 'measure') {
      scope.postMessage({ type: 'opened', lane, gen, kind: launch.kind, profiles: launch.profiles, usesGuestFeatures: launch.usesGuestFeatures, notes: launch.notes, applied });
    }
    const configured = configure(launch, settings);
    if (m.type === 'measure') {
      const started = performance.now();
      const r = await measure(launch, configured, {
        log: true, cancelled: () => stale(lane, gen),
        onProgress: (done, total) => progress(done, total, 'hashing pages'),
      });
      if (stale(lane, gen)) return;
      const ms = performance.now() - started;
      lastMeasured = { key: `${inputKey(m.input)}|${settingsKey(settings)}`, configured, measurement: r };
      const transfer = r.log ? [r.log.contents.buffer as ArrayBuffer, r.log.digests.buffer as ArrayBuffer] : [];
      scope.postMessage({ type: 'measured', lane, gen, measurement: r, ms }, transfer);
      // The per-vCPU table follows; a bad range is reported without hiding the digest.
      try {
        const rows = vcpuTable(launch, configured, tableCounts(m.range), r);
        if (!stale(lane, gen)) scope.postMessage({ type: 'table', lane, gen, rows: rows.map((x) => ({ vcpus: x.vcpus, digest: x.digest })) });
      } catch (e) {
        if (!stale(lane, gen)) scope.postMessage({ type: 'table-error', lane, gen, error: describeError(e) });
      }
    } else if (m.type === 'refvalues') {
      const out = await referenceValues(launch, configured, m.range, m.options, measuredFor(m.input, settings));
      if (!stale(lane, gen)) scope.postMessage({ type: 'refvalues', lane, gen, ...out });
    } else {
      const known = measuredFor(m.input, settings);
      const r = await identify(launch, m.target, m.report, {
        onProgress: progress,
        cancelled: () => stale(lane, gen),
      }, known ? { config: lastMeasured!.configured.config, measurement: known } : undefined);
      scope.postMessage({ type: 'identified', lane, gen, result: r });
    }
  } catch (e) {
    fail(e);
  }
}

// Generations are updated as messages arrive; running jobs look at them between batches.
scope.onmessage = (e) => {
  const m = e.data;
  latest[m.lane] = Math.max(latest[m.lane] ?? 0, m.gen);
  void handle(m);
};
