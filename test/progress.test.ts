/** The progress bar: drawn only on a terminal, only after a second, and from the engine's progress reports. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureIO } from '../src/cli/io.js';
import { progressBar } from '../src/cli/progress.js';
import { measurePlan } from '../src/engine.js';
import { PageType } from '../src/snp/page-info.js';

afterEach(() => { vi.restoreAllMocks(); });

describe('progress', () => {
  it('the engine reports steps done and the total as it goes, ending at the total', () => {
    const calls: [number, number][] = [];
    measurePlan({ runs: [{ pageType: PageType.Zero, gpa: 0n, pages: 10000, contents: { kind: 'none' }, origin: { kind: 'test' } }] }, { onProgress: (d, t) => calls.push([d, t]) });
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.at(-1)).toEqual([10000, 10000]);
    expect(calls.every(([, t]) => t === 10000)).toBe(true);
  });
  it('no bar when stderr is not a terminal (pipes, logs, CI, the test harness)', () => {
    const io = captureIO('/');
    expect(progressBar(io, 'x').onProgress).toBeUndefined();
  });
  it('on a terminal: silent for the first second, then a bar, cleared at the end', () => {
    const io = Object.assign(captureIO('/'), { terminal: true });
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const bar = progressBar(io, 'measuring');
    bar.onProgress!(10, 100);
    expect(io.stderr).toBe('');
    now += 1500;
    bar.onProgress!(50, 100);
    expect(io.stderr).toBe(`\rmeasuring [${'#'.repeat(15)}${'-'.repeat(15)}]  50% 50/100 steps`);
    bar.done();
    expect(io.stderr.endsWith('\r\x1b[2K')).toBe(true);
  });
});
