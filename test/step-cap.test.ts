import { describe, expect, it } from 'vitest';
import { MAX_LAUNCH_STEPS, measurePlan } from '../src/engine.js';
import { measurePlanParallel } from '../src/node/parallel.js';
import { PageType } from '../src/snp/page-info.js';
import type { LaunchPlan } from '../src/plan.js';
import { MeasureError } from '../src/errors.js';

const zeros = (pages: number): LaunchPlan => ({ runs: [{ pageType: PageType.Zero, gpa: 0x100000n, pages, contents: { kind: 'none' }, origin: { kind: 'region', index: 0, detail: 'ZERO+MEASURE' } }] });

async function error(f: () => unknown): Promise<MeasureError> {
  try { await f(); } catch (e) { if (e instanceof MeasureError) return e; throw e; }
  throw new Error('no error');
}

describe('the launch step cap', () => {
  it('defaults to 2^26 steps (256 GiB of pages), refused before any hashing', async () => {
    expect(MAX_LAUNCH_STEPS).toBe(2 ** 26);
    const e = await error(() => measurePlan(zeros(2 ** 26 + 1)));
    expect(e.code).toBe('too-many-steps');
    expect(e.message).toBe('the launch has 67108865 steps, more than the cap of 2^26 steps, 256 GiB of pages (raise it with --max-steps); the largest run is region 0 (ZERO+MEASURE) with 67108865 pages at 0x100000');
  });

  it('is an option of the engine, serial and parallel', async () => {
    expect((await error(() => measurePlan(zeros(1000), { maxSteps: 999 }))).message).toMatch(/^the launch has 1000 steps, more than the cap of 999 steps, /);
    expect((await error(() => measurePlanParallel(zeros(1000), { maxSteps: 512 }))).message).toMatch(/cap of 2\^9 steps, 2 MiB of pages/);
    expect(measurePlan(zeros(1000), { maxSteps: 1000 }).steps).toBe(1000);
    expect((await measurePlanParallel(zeros(1000), { maxSteps: 1000 })).digest).toEqual(measurePlan(zeros(1000)).digest);
    expect((await error(() => measurePlan(zeros(1), { maxSteps: -1 }))).code).toBe('bad-number');
  });
});
