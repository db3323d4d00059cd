import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { measurePlan, type LogRecord } from '../src/engine.js';
import { measurePlanParallel } from '../src/node/parallel.js';
import { PageType } from '../src/snp/page-info.js';
import type { LaunchPlan } from '../src/plan.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('parallel page hashing', () => {
  const data = new Uint8Array(randomBytes(3000 * 4096));
  const plan: LaunchPlan = {
    runs: [
      { pageType: PageType.Zero, gpa: 0x800000n, pages: 3, contents: { kind: 'none' }, origin: { kind: 'test' } },
      { pageType: PageType.Normal, gpa: 0x100000000n, pages: 3000, contents: { kind: 'bytes', data }, origin: { kind: 'test', index: 1 } },
      { pageType: PageType.Normal, gpa: 0x200000000n, pages: 1500, origin: { kind: 'test', index: 2 },
        contents: { kind: 'reader', read: (first, count, into) => into.set(data.subarray(first * 4096, (first + count) * 4096)) } },
      { pageType: PageType.Vmsa, gpa: 0xfffffffff000n, pages: 1, contents: { kind: 'bytes', data: data.subarray(0, 4096) }, origin: { kind: 'vmsa' } },
    ],
  };
  it('gives the single-threaded digest and log, whatever the chunking', async () => {
    const logA: LogRecord[] = [];
    const logB: LogRecord[] = [];
    const serial = measurePlan(plan, { onStep: (r) => logA.push(r) });
    const parallel = await measurePlanParallel(plan, { threads: 2, minPages: 1000, chunkPages: 97, onStep: (r) => logB.push(r) });
    expect(Buffer.from(parallel.digest).toString('hex')).toBe(Buffer.from(serial.digest).toString('hex'));
    expect(parallel.steps).toBe(4504);
    expect(parallel.stepsByType).toEqual(serial.stepsByType);
    expect(logB).toEqual(logA);
  });
  it('chunks of 1 to 15 pages (the tail chunks never exceed a chunk)', async () => {
    const serial = hex(measurePlan(plan).digest);
    for (const chunkPages of [1, 4, 15]) {
      expect(hex((await measurePlanParallel(plan, { threads: 2, minPages: 1000, chunkPages })).digest)).toBe(serial);
    }
  });
  it('zero spans are folded only once claimed (a padded region, then another big run)', { timeout: 30000 }, async () => {
    // 10 data pages then 990 pages of padding declared as a zero span, read by a reader without a
    // file (the in-memory ring), then random bytes. Folding the padding before anyone claimed it
    // let a late claim overwrite a reused slot: a TypeError, a hang or a wrong digest.
    const a = new Uint8Array(1000 * 4096);
    a.set(randomBytes(10 * 4096));
    const padded: LaunchPlan['runs'][number] = {
      pageType: PageType.Normal, gpa: 0n, pages: 1000, origin: { kind: 'test' },
      contents: {
        kind: 'reader', read: (first, count, into) => into.set(a.subarray(first * 4096, (first + count) * 4096)),
        spans: (first, count) => (first >= 10 ? { zero: true, pages: count } : { zero: false, pages: Math.min(count, 10 - first) }),
      },
    };
    const b = { pageType: PageType.Normal, gpa: 0x10000000n, pages: 1000, origin: { kind: 'test' }, contents: { kind: 'bytes' as const, data: new Uint8Array(randomBytes(1000 * 4096)) } };
    const twoRuns: LaunchPlan = { runs: [padded, b] };
    const serial = hex(measurePlan(twoRuns).digest);
    for (let i = 0; i < 3; i++) expect(hex((await measurePlanParallel(twoRuns, { threads: 2, minPages: 100, chunkPages: 16 })).digest)).toBe(serial);
  });
  it('refuses a chunk size it cannot share', async () => {
    for (const chunkPages of [0, 4097, 1.5]) {
      await expect(measurePlanParallel(plan, { minPages: 1000, chunkPages })).rejects.toMatchObject({ code: 'bad-number' });
    }
  });
  it('stays on this thread for small plans', async () => {
    const small: LaunchPlan = { runs: [plan.runs[0]!] };
    expect((await measurePlanParallel(small)).digest).toEqual(measurePlan(small).digest);
  });
});

describe('parallel hashing of file-backed runs', () => {
  it('workers read the file themselves, give the same digest and leave no descriptor open', async () => {
    const { mkdtempSync, writeFileSync, readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'vmfw-par-'));
    const bytes = new Uint8Array(randomBytes(5000 * 4096));
    writeFileSync(join(dir, 'big.bin'), bytes);
    const { fileWindow } = await import('../src/node/file-extent.js');
    const w = fileWindow('big.bin', 'test', dir);
    const run = { pageType: PageType.Normal, gpa: 0n, pages: 5000, origin: { kind: 'test' },
      contents: { kind: 'reader' as const, file: w.file!, read: (f: number, c: number, into: Uint8Array) => w.read(f * 4096, into.subarray(0, c * 4096)) } };
    const fdsBefore = readdirSync('/proc/self/fd').length;
    const par = await measurePlanParallel({ runs: [run] }, { minPages: 100, chunkPages: 64 });
    expect(readdirSync('/proc/self/fd').length).toBe(fdsBefore);
    expect(par.digest).toEqual(measurePlan({ runs: [{ ...run, contents: { kind: 'bytes', data: bytes } }] }).digest);
  });
  it('switches files between runs (and back), with a small run between them', async () => {
    const { mkdtempSync, writeFileSync, readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { fileWindow } = await import('../src/node/file-extent.js');
    const dir = mkdtempSync(join(tmpdir(), 'vmfw-par-'));
    const files = ['a.bin', 'b.bin'].map((name, i) => {
      const bytes = new Uint8Array(randomBytes((1200 + 300 * i) * 4096));
      writeFileSync(join(dir, name), bytes);
      return { name, bytes, w: fileWindow(name, 'test', dir) };
    });
    const fileRun = (f: (typeof files)[number], gpa: bigint, offsetPages = 0) => ({
      pageType: PageType.Normal, gpa, pages: f.bytes.length / 4096 - offsetPages, origin: { kind: 'test' },
      contents: { kind: 'reader' as const, file: { ...f.w.file!, offset: offsetPages * 4096 },
        read: (first: number, c: number, into: Uint8Array) => f.w.read((first + offsetPages) * 4096, into.subarray(0, c * 4096)) },
    });
    const zeros = { pageType: PageType.Zero, gpa: 0x800000n, pages: 3, contents: { kind: 'none' as const }, origin: { kind: 'test' } };
    // An in-memory run first, long enough for the workers to come up before the file runs start.
    const warm = { pageType: PageType.Normal, gpa: 0x40000000n, pages: 6000, origin: { kind: 'test' }, contents: { kind: 'bytes' as const, data: new Uint8Array(randomBytes(6000 * 4096)) } };
    const runs = [warm, fileRun(files[0]!, 0n), zeros, fileRun(files[1]!, 0x10000000n), fileRun(files[0]!, 0x20000000n, 7)];
    const fdsBefore = readdirSync('/proc/self/fd').length;
    const par = await measurePlanParallel({ runs }, { threads: 2, minPages: 100, chunkPages: 64 });
    expect(readdirSync('/proc/self/fd').length).toBe(fdsBefore);
    const serial = measurePlan({ runs });
    expect(Buffer.from(par.digest).toString('hex')).toBe(Buffer.from(serial.digest).toString('hex'));
    expect(par.steps).toBe(6000 + 1200 + 3 + 1500 + 1193);
  });
});
