// Cost of launch steps on this machine, for the step cap (docs/robustness.md, "Step cap").
// Usage: npm run build && node bench/step-cost.mjs [log2 steps, default 22]
// Measures the sequential chain alone (ZERO pages: one SHA-384 of a 112-byte PAGE_INFO per step),
// NORMAL zero-filled pages (a constant page digest, so also the chain alone) and NORMAL pages with
// data (a SHA-384 of 4 KiB plus the chain, on this thread), and prints seconds per 2^20 steps.
import { measurePlan, MAX_LAUNCH_STEPS } from '../dist/engine.js';
import { PageType } from '../dist/snp/page-info.js';
import { cpus } from 'node:os';

const log2 = Number(process.argv[2] ?? 22);
const steps = 2 ** log2;
const data = new Uint8Array(256 * 4096).fill(0xa5);
const kinds = {
  'ZERO pages (chain only)': { pageType: PageType.Zero, contents: { kind: 'none' } },
  'NORMAL zero-filled pages (chain only)': { pageType: PageType.Normal, contents: { kind: 'zero-pages' } },
  'NORMAL pages with data (hash + chain)': { pageType: PageType.Normal, contents: { kind: 'reader', read: (_f, c, into) => into.set(data.subarray(0, c * 4096)) } },
};
console.log(`${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; ${steps} steps per case`);
for (const [name, k] of Object.entries(kinds)) {
  const plan = { runs: [{ ...k, gpa: 0n, pages: steps, origin: { kind: 'bench' } }] };
  measurePlan({ runs: [{ ...plan.runs[0], pages: 4096 }] }); // warm up
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  measurePlan(plan, { maxSteps: steps });
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  const cu = process.cpuUsage(c);
  const cpu = (cu.user + cu.system) / 1e6;
  const per = (x) => x / (steps / 2 ** 20);
  // CPU time is what the work costs; wall time also counts waiting for a core on a busy machine.
  console.log(`${name}: ${per(cpu).toFixed(2)} s CPU (${per(wall).toFixed(2)} s wall) per 2^20 steps; the default cap (2^${Math.log2(MAX_LAUNCH_STEPS)}) takes ${(per(cpu) * MAX_LAUNCH_STEPS / 2 ** 20).toFixed(0)} s CPU`);
}
