// Micro-measurements behind the design choices in docs/performance.md, in CPU time (user + system
// of this process), median and minimum of repeated runs, so that they hold on a busy machine.
// Usage: npm run build && node bench/micro.mjs [chain] [buffers] [zero-span] [worker]
// `chain` also measures hash-wasm when it is installed (npm i --no-save hash-wasm).
import { hash, createHash, randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { measurePlan } from '../dist/engine.js';
import { replayRegions } from '../dist/regions/replay.js';
import { EMPTY_MEMORY } from '../dist/regions/memory.js';
import { resolveProfile } from '../dist/profiles.js';
import { REGION_FLAGS } from '../dist/regions/format.js';
import { LaunchDigest, PageType } from '../dist/snp/page-info.js';

const pick = process.argv.slice(2);
const want = (name) => pick.length === 0 || pick.includes(name);
const cpu = (f) => { const s = process.cpuUsage(); f(); const d = process.cpuUsage(s); return (d.user + d.system) / 1000; };
const stats = (xs) => { const s = [...xs].sort((a, b) => a - b); return { min: s[0], median: s[s.length >> 1] }; };
/** Runs each variant `reps` times, interleaved; prints CPU time per `unit` (`per` units per run). */
function compare(title, variants, { reps = 11, per = 1, unit = 'run', scale = 1000 } = {}) {
  const ms = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < reps; r++) for (const [k, f] of Object.entries(variants)) ms[k].push(cpu(f));
  console.log(`${title}`);
  const label = scale === 1000 ? 'us' : 'ms';
  for (const [k, xs] of Object.entries(ms)) {
    const { min, median } = stats(xs.map((x) => (x * scale) / per));
    console.log(`  ${k.padEnd(50)} ${median.toFixed(3).padStart(9)} ${label}/${unit} median, ${min.toFixed(3)} min`);
  }
}

if (want('chain')) {
  // One launch-digest step: SHA-384 of a 112-byte PAGE_INFO record whose first 48 bytes are the last digest.
  const N = 65536;
  const rec = new Uint8Array(randomBytes(112));
  const base = createHash('sha384');
  const latin1Write = Buffer.prototype.latin1Write;
  const variants = {
    "crypto.hash, latin1 string, latin1Write (engine)": () => { for (let i = 0; i < N; i++) latin1Write.call(rec, hash('sha384', rec, 'latin1'), 0, 48); },
    "crypto.hash, latin1 string, 48-step loop": () => { for (let i = 0; i < N; i++) { const s = hash('sha384', rec, 'latin1'); for (let j = 0; j < 48; j++) rec[j] = s.charCodeAt(j); } },
    'crypto.hash, Buffer result': () => { for (let i = 0; i < N; i++) rec.set(hash('sha384', rec, 'buffer'), 0); },
    'createHash().update().digest()': () => { for (let i = 0; i < N; i++) rec.set(createHash('sha384').update(rec).digest(), 0); },
    'a kept hash object: copy().update()': () => { for (let i = 0; i < N; i++) rec.set(base.copy().update(rec).digest(), 0); },
  };
  try {
    const { createSHA384 } = await import('hash-wasm');
    const w = await createSHA384();
    variants['hash-wasm (WASM) init/update/digest'] = () => { for (let i = 0; i < N; i++) { w.init(); w.update(rec); rec.set(w.digest('binary'), 0); } };
  } catch {
    console.log('(hash-wasm not installed: npm i --no-save hash-wasm to compare it)');
  }
  compare('chain step, 112 bytes', variants, { per: N, unit: 'step', reps: 15 });
  const page = new Uint8Array(randomBytes(4096));
  const out = new Uint8Array(48);
  compare('page hash, 4096 bytes', {
    "crypto.hash, latin1 string, latin1Write (engine)": () => { for (let i = 0; i < 8192; i++) latin1Write.call(out, hash('sha384', page, 'latin1'), 0, 48); },
    "crypto.hash, latin1 string, 48-step loop": () => { for (let i = 0; i < 8192; i++) { const s = hash('sha384', page, 'latin1'); for (let j = 0; j < 48; j++) out[j] = s.charCodeAt(j); } },
    'crypto.hash, Buffer result': () => { for (let i = 0; i < 8192; i++) out.set(hash('sha384', page, 'buffer'), 0); },
  }, { per: 8192, unit: 'page' });
}

if (want('buffers')) {
  // What regionContents.read did per 1 MiB chunk (a fresh buffer) against one buffer reused.
  const chunk = 1 << 20;
  const reused = new Uint8Array(chunk);
  const src = new Uint8Array(randomBytes(chunk));
  compare('1 MiB chunk copied into the read buffer', {
    'fresh buffer per chunk, then copied': () => { for (let i = 0; i < 64; i++) { const b = new Uint8Array(chunk); b.set(src); reused.set(b); } },
    'read straight into the reused buffer': () => { for (let i = 0; i < 64; i++) reused.set(src); },
  }, { per: 64 * 256, unit: 'page' });
}

if (want('zero-span')) {
  // A 1 GiB COPY+MEASURE region whose source is 4 KiB, padded with zeros: spans vs every page read and hashed.
  const launch = { vcpus: 1, profile: resolveProfile('qemu'), vcpuSignature: 0x800f12n, guestFeatures: 1n, apResetEip: null, measuredZero: 'native', firmwareMetadata: 'none' };
  const data = new Uint8Array(randomBytes(4096));
  const spec = { dst: 0x100000000n, src: 0n, size: 1n << 30n, flags: REGION_FLAGS.COPY | REGION_FLAGS.MEASURE, padZero: true,
    data: { length: data.length, describe: 'inline', read: (o, into) => into.set(data.subarray(o, o + into.length)) } };
  const run = replayRegions({ regions: [spec], memory: EMPTY_MEMORY, launch }).plan.runs[0];
  const { spans, ...withoutSpans } = run.contents;
  if (!spans) throw new Error('the padded region has no zero spans');
  // What the engine did before: read every page, hash it, fold the chunk's digests.
  const before = () => {
    const ld = new LaunchDigest();
    const buf = new Uint8Array(1 << 20);
    const digests = new Uint8Array(256 * 48);
    for (let first = 0; first < run.pages; first += 256) {
      run.contents.read(first, 256, buf);
      for (let p = 0; p < 256; p++) digests.set(hash('sha384', buf.subarray(p * 4096, (p + 1) * 4096), 'buffer'), p * 48);
      ld.updateRun(PageType.Normal, run.gpa + BigInt(first) * 4096n, 256, digests);
    }
  };
  compare('1 GiB region, 4 KiB of data then zero padding', {
    'zero spans folded as constants': () => measurePlan({ runs: [run] }),
    'every page read, zero pages recognised': () => measurePlan({ runs: [{ ...run, contents: withoutSpans }] }),
    'every page read and hashed (before)': before,
  }, { reps: 3, per: 1, unit: 'region', scale: 1 });
}

if (want('worker')) {
  // Start-up of one page-hashing worker: wall time to its first message.
  const times = [];
  for (let i = 0; i < 9; i++) {
    const t = performance.now();
    await new Promise((resolve) => { const w = new Worker("require('node:worker_threads').parentPort.postMessage(1)", { eval: true }); w.once('message', () => { w.terminate().then(resolve); }); });
    times.push(performance.now() - t);
  }
  const { min, median } = stats(times);
  console.log(`worker start (wall, to first message)\n  ${'new Worker(eval)'.padEnd(40)} ${median.toFixed(1).padStart(9)} ms median, ${min.toFixed(1)} min`);
}
