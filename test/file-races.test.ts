// Files read on demand (firmware, IGVM page data, region sources, extents) can shrink or vanish
// between parsing and measuring: that is error[file-read], never an unhandled rejection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileWindow } from '../src/node/file-extent.js';
import { parseIgvm } from '../src/igvm/parse.js';
import { measureIgvm } from '../src/igvm/measure.js';
import { buildIgvm } from '../src/igvm/build.js';
import { parseFirmware } from '../src/ovmf/firmware.js';
import { buildOvmfHashPlan, type FirmwareImage } from '../src/ovmf/launch.js';
import { measurePlan } from '../src/engine.js';
import { MeasureError } from '../src/errors.js';
import { REPO, buildPrivateDist } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vmfw-races-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function codeOf(f: () => unknown): Promise<string> {
  try { await f(); } catch (e) { if (e instanceof MeasureError) return `${e.code}: ${e.message}`; throw e; }
  return 'no error';
}

function firmwareFromFile(path: string): FirmwareImage {
  const w = fileWindow(path, '--ovmf', dir);
  const source = { length: w.length, read: (o: number, n: number) => { const b = new Uint8Array(n); w.read(o, b); return b; } };
  return { info: parseFirmware(source, '--ovmf'), file: { size: w.length, path: w.file!.path, read: (o, into) => w.read(o, into) } };
}

function igvmWithPages(pages: number): Uint8Array {
  return buildIgvm([
    { kind: 'platform', mask: 1, platformType: 2 },
    ...Array.from({ length: pages }, (_, i) => ({ kind: 'page-data' as const, gpa: BigInt(i) * 4096n, mask: 1, data: new Uint8Array(4096).fill(i + 1) })),
  ]);
}

describe('a source that shrinks or vanishes while being read', () => {
  it('firmware truncated between parse and measure: file-read', async () => {
    const p = join(dir, 'fw.fd');
    copyFileSync(join(REPO, 'examples', 'ovmf', 'OVMF-synthetic-amdsev.fd'), p);
    const plan = buildOvmfHashPlan(firmwareFromFile('fw.fd')).plan;
    truncateSync(p, 8192);
    expect(await codeOf(() => measurePlan(plan))).toMatch(/^file-read: --ovmf: fw\.fd ended early/);
  });

  it('IGVM file removed between parse and measure: file-read', async () => {
    const p = join(dir, 'gone.igvm');
    writeFileSync(p, igvmWithPages(4));
    const w = fileWindow('gone.igvm', 'IGVM file', dir);
    const f = parseIgvm({ length: w.length, read: (o, n) => { const b = new Uint8Array(n); w.read(o, b); return b; } });
    const { plan } = measureIgvm(f, { semantics: 'igvmmeasure' });
    unlinkSync(p);
    expect(await codeOf(() => measurePlan(plan))).toMatch(/^file-read: IGVM file: cannot read gone\.igvm: ENOENT/);
  });
});

describe('a source replaced (renamed over) while being measured', () => {
  const replaced = (name: string, pages: number) => {
    const p = join(dir, name);
    writeFileSync(p, new Uint8Array(pages * 4096).fill(1));
    const w = fileWindow(name, 'test', dir);
    // Another file of the same size takes the name: reading it would measure two files as one.
    writeFileSync(`${p}.new`, new Uint8Array(pages * 4096).fill(2));
    renameSync(`${p}.new`, p);
    return { pageType: 1, gpa: 0n, pages, origin: { kind: 'test' },
      contents: { kind: 'reader' as const, file: w.file!, read: (f: number, c: number, into: Uint8Array) => w.read(f * 4096, into.subarray(0, c * 4096)) } };
  };
  it('on this thread: file-read, naming the file', async () => {
    expect(await codeOf(() => measurePlan({ runs: [replaced('swap.bin', 8)] }))).toMatch(/^file-read: test: swap\.bin was replaced while being read/);
  });
  it('in worker threads too (they open the path themselves)', async () => {
    const { measurePlanParallel } = await import('../src/node/parallel.js');
    // The run's own reader (this thread's chunks) serves the old bytes from memory, and slowly, so
    // the workers come up and take chunks; only their check can notice the path names another file.
    const nap = new Int32Array(new SharedArrayBuffer(4));
    for (const threads of [1, 2]) {
      const run = replaced(`swap-${threads}.bin`, 2000);
      const old = new Uint8Array(2000 * 4096).fill(1);
      const read = (f: number, c: number, into: Uint8Array): void => { Atomics.wait(nap, 0, 0, 20); into.set(old.subarray(f * 4096, (f + c) * 4096)); };
      const fromMemory = { ...run, contents: { ...run.contents, read } };
      const got = await codeOf(() => measurePlanParallel({ runs: [fromMemory] }, { threads, minPages: 100, chunkPages: 32 }));
      expect(got).toMatch(/^file-read: page hashing worker: .*swap-\d\.bin was replaced while being read/);
    }
  });
});

describe('worker threads reading a truncated file', () => {
  let dist: string;
  beforeAll(() => { dist = buildPrivateDist(); });
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  // A child process under a loaded 2-core machine: retried, with its exit status in the message, so a
  // scheduling hiccup of the machine is told apart from a real failure (which fails every try).
  it('reject with file-read once; the other chunks in flight raise no unhandled rejection', { retry: 2 }, () => {
    const p = join(dir, 'big.bin');
    const pages = 2000;
    writeFileSync(p, new Uint8Array(pages * 4096).fill(7));
    // An in-memory run first brings the workers online, so the file's chunks go to them.
    const script = `
      const { fileWindow } = await import('${dist}/node/file-extent.js');
      const { measurePlanParallel } = await import('${dist}/node/parallel.js');
      const { truncateSync } = await import('node:fs');
      const w = fileWindow(${JSON.stringify(p)}, 'test', '/');
      const warm = { pageType: 1, gpa: 0n, pages: 8192, origin: { kind: 'test' }, contents: { kind: 'bytes', data: new Uint8Array(8192 * 4096) } };
      const run = { pageType: 1, gpa: 1n << 32n, pages: ${pages}, origin: { kind: 'test' },
        contents: { kind: 'reader', file: w.file, read: (f, c, into) => w.read(f * 4096, into.subarray(0, c * 4096)) } };
      truncateSync(${JSON.stringify(p)}, 0);
      try { await measurePlanParallel({ runs: [warm, run] }, { minPages: 100, chunkPages: 32, threads: 4 }); console.log('no error'); }
      catch (e) { console.log(e.code); }
      await new Promise((r) => setTimeout(r, 300));
      console.log('done');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: REPO });
    const why = `status ${r.status} signal ${r.signal} error ${r.error?.message}`;
    expect(r.stderr, why).toBe('');
    expect(r.stdout, why).toBe('file-read\ndone\n');
    expect(r.status).toBe(0);
  });
});
