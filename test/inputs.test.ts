import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { INPUT_LIMITS, MAX_REPORT_BYTES, hashInput, readInput, readInputText } from '../src/node/input.js';
import { fileWindow } from '../src/node/file-extent.js';
import { MeasureError } from '../src/errors.js';
import { runCli, captureIO } from '../src/cli/main.js';
import { REPO, buildPrivateDist } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vmfw-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function error(f: () => unknown): MeasureError {
  try { f(); } catch (e) { if (e instanceof MeasureError) return e; throw e; }
  throw new Error('no error');
}

function fifo(name: string): string {
  const p = join(dir, name);
  expect(spawnSync('mkfifo', [p]).status).toBe(0);
  return p;
}

describe('inputs read whole are bounded by their kind', () => {
  it('a regular file over the limit is refused from its size, before it is read', () => {
    const big = join(dir, 'huge.json');
    writeFileSync(big, '');
    truncateSync(big, 10 * 2 ** 30); // sparse: 10 GiB that reading would have to allocate
    const e = error(() => readInput(big, { what: '--reference-values', kind: 'reference-values', cwd: dir }));
    expect(e.code).toBe('input-too-large');
    expect(e.message).toBe(`--reference-values: ${big} has 10737418240 bytes, more than the 32 MiB a reference-values input may have (${INPUT_LIMITS['reference-values'].why})`);
    const report = join(dir, 'report.bin');
    writeFileSync(report, new Uint8Array(MAX_REPORT_BYTES + 1));
    expect(error(() => readInput('report.bin', { what: '--report', kind: 'report', cwd: dir })).code).toBe('input-too-large');
    writeFileSync(report, new Uint8Array(MAX_REPORT_BYTES).fill(0x41));
    expect(readInput('report.bin', { what: '--report', kind: 'report', cwd: dir })).toHaveLength(MAX_REPORT_BYTES);
  });

  it('character devices are refused (/dev/zero would never end); /dev/null reads as empty', () => {
    for (const dev of ['/dev/zero', '/dev/urandom', '/dev/full']) {
      const e = error(() => readInput(dev, { what: '--manifest', kind: 'manifest' }));
      expect(e.code).toBe('input-kind');
      expect(e.message).toBe(`--manifest: ${dev} is a character device, not a file`);
      expect(error(() => hashInput(dev, { what: '--kernel' })).code).toBe('input-kind');
    }
    expect(readInput('/dev/null', { what: '--report', kind: 'report' })).toHaveLength(0);
    expect(error(() => readInput(dir, { what: '--report', kind: 'report' })).code).toBe('file-read');
    expect(error(() => readInput(join(dir, 'nope'), { what: '--report', kind: 'report' })).code).toBe('file-missing');
  });

  it('`vmfw-measure ovmf --kernel /dev/zero` is an input error at once, not an endless hash', async () => {
    const io = captureIO(join(REPO, 'examples', 'ovmf'));
    const rc = await runCli(['ovmf', '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--ovmf', 'OVMF-synthetic-amdsev.fd', '--kernel', '/dev/zero'], io);
    expect(io.stderr).toBe('error[input-kind]: --kernel: /dev/zero is a character device, not a file\n');
    expect(rc).toBe(2);
  });

  it('an endless FIFO is read up to the limit and refused', () => {
    const p = fifo('endless');
    const writer = spawn('sh', ['-c', `yes > '${p}'`], { stdio: 'ignore' });
    try {
      const e = error(() => readInput(p, { what: '--report', kind: 'report' }));
      expect(e.code).toBe('input-too-large');
      expect(e.message).toMatch(/^--report: .*endless is longer than the 64 KiB a report input may have/);
    } finally {
      writer.kill();
    }
  });

  it('a FIFO with finite data is read whole, and kernels are hashed from it', () => {
    const p = fifo('finite');
    const data = 'x'.repeat(3 << 20);
    const writer = spawn('sh', ['-c', `head -c ${data.length} /dev/zero | tr '\\0' x > '${p}'`], { stdio: 'ignore' });
    expect(Buffer.from(hashInput(p, { what: '--kernel' })).toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    writer.kill();
  });

  it('inputs read at random offsets must be regular files: a FIFO is refused without blocking on it', () => {
    const p = fifo('no-writer');
    const e = error(() => fileWindow(p, '--ovmf', dir));
    expect(e.code).toBe('input-kind');
    expect(e.message).toBe(`--ovmf: ${p} is a FIFO; this input is read at random offsets and must be a regular file (save it to a file first)`);
    expect(error(() => fileWindow('/dev/zero', '--memory', dir)).code).toBe('input-kind');
  });

  it('a launch log line longer than 64 KiB is refused naming the line', () => {
    const log = join(dir, 'long-line.jsonl');
    writeFileSync(log, `{"step":0}\n{"x":"${'a'.repeat(70000)}"}\n`);
    const e = error(() => readInputText(log, { what: 'log A', kind: 'launch-log' }));
    expect(e.code).toBe('input-too-large');
    expect(e.message).toMatch(/^log A: line 2 of .* is longer than 64 KiB/);
    writeFileSync(log, `{"step":0}\n`.repeat(20000));
    expect(readInputText(log, { what: 'log A', kind: 'launch-log' }).split('\n')).toHaveLength(20001);
  });
});

describe('standard input', () => {
  let dist: string;
  beforeAll(() => { dist = buildPrivateDist(); });
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  const script = (kind: string): string => `import('${join('DIST', 'node', 'input.js')}').then((m) => {
    try { const b = m.readInput('-', { what: 'input', kind: '${kind}' }); process.stdout.write('read ' + b.length + '\\n'); }
    catch (e) { process.stdout.write(e.code + ': ' + e.message + '\\n'); }
  })`;

  it('endless standard input is refused at the kind\'s limit', () => {
    const r = spawnSync('bash', ['-c', `yes | '${process.execPath}' --input-type=module -e "${script('report').replace('DIST', dist)}"`], { encoding: 'utf8' });
    expect(r.stdout).toBe('input-too-large: input: standard input is longer than the 64 KiB a report input may have (a report is 0x4A0 bytes; hex or base64 text with whitespace fits many times over)\n');
  });

  it('finite standard input (a pipe or a redirected file) is read whole', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script('manifest').replace('DIST', dist)], { input: 'z'.repeat(5 << 20), encoding: 'utf8' });
    expect(r.stdout).toBe(`read ${5 << 20}\n`);
  });
});
