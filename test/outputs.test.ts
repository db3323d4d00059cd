import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync, linkSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NAME_MAX, temporaryName, writeOutput, writeOutputs } from '../src/node/output.js';
import { STDIN_MARKER } from '../src/node/input.js';
import { MeasureError } from '../src/errors.js';
import { REPO, buildPrivateDist } from './helpers.js';

function error(f: () => unknown): MeasureError {
  try { f(); } catch (e) { if (e instanceof MeasureError) return e; throw e; }
  throw new Error('no error');
}

const made: string[] = [];
const fresh = (): string => { const d = mkdtempSync(join(tmpdir(), 'vmfw-out-')); made.push(d); return d; };
afterAll(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

describe('output files', () => {
  it('replace a regular file atomically and keep its permission bits', () => {
    const d = fresh();
    writeFileSync(join(d, 'log.jsonl'), 'old');
    chmodSync(join(d, 'log.jsonl'), 0o640);
    writeOutput('log.jsonl', 'new\n', '--log', { cwd: d });
    expect(readFileSync(join(d, 'log.jsonl'), 'utf8')).toBe('new\n');
    expect(statSync(join(d, 'log.jsonl')).mode & 0o777).toBe(0o640);
    expect(readdirSync(d)).toEqual(['log.jsonl']);
  });

  it('write through a symlink to its target; the link stays a link (also a dangling one)', () => {
    const d = fresh();
    writeFileSync(join(d, 'target.json'), 'old');
    symlinkSync('target.json', join(d, 'link.json'));
    writeOutput('link.json', 'new', '--out', { cwd: d });
    expect(lstatSync(join(d, 'link.json')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(d, 'target.json'), 'utf8')).toBe('new');
    symlinkSync('later.json', join(d, 'dangling.json'));
    writeOutput('dangling.json', 'created', '--out', { cwd: d });
    expect(lstatSync(join(d, 'dangling.json')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(d, 'later.json'), 'utf8')).toBe('created');
  });

  it('temporary names stay within NAME_MAX: a valid 250-character (or 255-byte) name works', () => {
    const d = fresh();
    for (const name of ['a'.repeat(250), 'b'.repeat(NAME_MAX), `${'é'.repeat(125)}x.bin`]) {
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(NAME_MAX);
      writeOutput(name, 'x', '--out', { cwd: d });
      writeOutput(name, 'y', '--out', { cwd: d });
      expect(readFileSync(join(d, name), 'utf8')).toBe('y');
      expect(Buffer.byteLength(temporaryName(join(d, name)).split('/').pop()!)).toBeLessThanOrEqual(NAME_MAX);
    }
    expect(readdirSync(d)).toHaveLength(3);
  });

  it('never replace what is not a regular file: directories and missing directories are refused', () => {
    const d = fresh();
    expect(error(() => writeOutput('.', 'x', '--out', { cwd: d })).message).toBe(`--out: cannot write .: it is a directory`);
    expect(error(() => writeOutput('no/such/file', 'x', '--out', { cwd: d })).message).toBe(`--out: cannot write no/such/file: directory ${d}/no/such does not exist`);
  });

  it('write character devices and FIFOs in place (/dev/null stays a device)', () => {
    writeOutput('/dev/null', 'discarded', '--log');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    const d = fresh();
    const fifo = join(d, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = spawn('sh', ['-c', `cat '${fifo}' > '${join(d, 'got')}'`], { stdio: 'ignore' });
    const done = new Promise((resolve) => reader.on('exit', resolve));
    writeOutput(fifo, 'through the pipe', '--log');
    return done.then(() => {
      expect(readFileSync(join(d, 'got'), 'utf8')).toBe('through the pipe');
      expect(lstatSync(fifo).isFIFO()).toBe(true);
    });
  });

  it('a full device is an output error', () => {
    const e = error(() => writeOutput('/dev/full', 'x'.repeat(10000), '--log'));
    expect(e.code).toBe('output');
    expect(e.message).toMatch(/^--log: cannot write \/dev\/full: ENOSPC/);
  });

  it('an output never names an input: same path, a symlink to it, or a hard link', () => {
    const d = fresh();
    writeFileSync(join(d, 'OVMF.fd'), 'firmware');
    symlinkSync('OVMF.fd', join(d, 'alias.fd'));
    linkSync(join(d, 'OVMF.fd'), join(d, 'hard.fd'));
    for (const out of ['OVMF.fd', './OVMF.fd', 'alias.fd', 'hard.fd', join(d, 'OVMF.fd')]) {
      const e = error(() => writeOutput(out, 'log', '--log', { cwd: d, inputs: [{ path: 'OVMF.fd', what: '--ovmf' }] }));
      expect(e.code).toBe('output');
      expect(e.message).toBe(`--log: cannot write ${out}: it is input --ovmf (OVMF.fd); an output never overwrites an input`);
    }
    expect(readFileSync(join(d, 'OVMF.fd'), 'utf8')).toBe('firmware');
    // plain-string inputs and standard input are understood too
    expect(error(() => writeOutput('OVMF.fd', 'x', '--out', { cwd: d, inputs: [STDIN_MARKER, 'hard.fd'] })).message).toMatch(/it is an input \(hard\.fd\)/);
  });

  it('several outputs: all or none of the regular files', () => {
    const d = fresh();
    writeFileSync(join(d, 's.bin'), 'old struct');
    // the second target cannot be written: nothing is, not even the first
    expect(error(() => writeOutputs([
      { path: 's.bin', data: 'new struct', what: '--struct-out' },
      { path: 'missing/r.bin', data: 'regions', what: '--regions-out' },
    ], { cwd: d })).message).toMatch(/^--regions-out: /);
    expect(readFileSync(join(d, 's.bin'), 'utf8')).toBe('old struct');
    // a failure while writing (ENOSPC) after the first temporary file: that one is removed
    expect(error(() => writeOutputs([
      { path: 's.bin', data: 'new struct', what: '--struct-out' },
      { path: '/dev/full', data: 'x'.repeat(10000), what: '--regions-out' },
    ], { cwd: d })).message).toMatch(/^--regions-out: cannot write \/dev\/full: ENOSPC/);
    expect(readFileSync(join(d, 's.bin'), 'utf8')).toBe('old struct');
    expect(readdirSync(d)).toEqual(['s.bin']);
    // two outputs onto one file are refused
    expect(error(() => writeOutputs([
      { path: 'a.bin', data: '1', what: '--struct-out' },
      { path: './a.bin', data: '2', what: '--regions-out' },
    ], { cwd: d })).message).toBe('--regions-out: cannot write ./a.bin: --struct-out writes the same file');
    symlinkSync('.', join(d, 'here'));
    expect(error(() => writeOutputs([
      { path: 'new.bin', data: '1', what: '--struct-out' },
      { path: 'here/new.bin', data: '2', what: '--regions-out' },
    ], { cwd: d })).message).toBe('--regions-out: cannot write here/new.bin: --struct-out writes the same file');
    rmSync(join(d, 'here'));
    writeOutputs([{ path: 'a.bin', data: '1', what: '--struct-out' }, { path: 'b.bin', data: new Uint8Array([2]), what: '--regions-out' }], { cwd: d });
    expect(readFileSync(join(d, 'a.bin'), 'utf8') + readFileSync(join(d, 'b.bin'), 'latin1')).toBe('1\u0002');
    expect(readdirSync(d).sort()).toEqual(['a.bin', 'b.bin', 's.bin']);
  });

  it('`-` and /dev/stdout go to the standard output sink', () => {
    const got: string[] = [];
    const stdout = { write: (t: string | Uint8Array) => { got.push(String(t)); } };
    writeOutput('-', 'one', '--out', { stdout });
    writeOutput(STDIN_MARKER, 'two', '--out', { stdout });
    writeOutput('/dev/stdout', 'three', '--out', { stdout });
    const d = fresh();
    symlinkSync('/dev/stdout', join(d, 'to-stdout'));
    writeOutput('to-stdout', 'four', '--out', { stdout, cwd: d });
    expect(got).toEqual(['one', 'two', 'three', 'four']);
    expect(lstatSync(join(d, 'to-stdout')).isSymbolicLink()).toBe(true);
  });

  it.skipIf(process.getuid?.() === 0)('a read-only file is not replaced (root may)', () => {
    const d = fresh();
    writeFileSync(join(d, 'ro'), 'keep');
    chmodSync(join(d, 'ro'), 0o444);
    expect(error(() => writeOutput('ro', 'x', '--out', { cwd: d })).message).toBe('--out: cannot write ro: the file is not writable');
  });
});

describe('standard output (StdoutSink) in a child process', () => {
  let dist: string;
  beforeAll(() => { dist = buildPrivateDist(); });
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  // Writes 1 MiB in lines, then reports the sink's status on stderr and exits 7 (the status the
  // command reached, e.g. a verify verdict) unless the sink says the output is lost (exit 2).
  const script = (): string => `
    const { StdoutSink } = await import('${dist}/node/output.js');
    const sink = new StdoutSink();
    for (let i = 0; i < 16384; i++) sink.write('x'.repeat(63) + '\\n');
    const status = sink.flush();
    process.stderr.write(status + (sink.error ? ' ' + sink.error.code + ': ' + sink.error.message : '') + ' ' + sink.bytesWritten + '\\n');
    process.exitCode = status === 'failed' || status === 'closed' ? 2 : 7;`;
  const run = (redirect: string): { stderr: string; status: string } => {
    const r = spawnSync('bash', ['-c', `'${process.execPath}' --input-type=module -e "$S" ${redirect}; echo "rc=\${PIPESTATUS[0]}" >&2`], { encoding: 'utf8', env: { ...process.env, S: script() }, cwd: REPO });
    const lines = r.stderr.trim().split('\n');
    return { stderr: lines.slice(0, -1).join('\n'), status: lines[lines.length - 1]! };
  };

  it('| head -c1: the reader leaves (EPIPE): stop quietly, keep the exit status', () => {
    const r = run('| head -c1 >/dev/null');
    expect(r.stderr).toMatch(/^broken-pipe \d+$/);
    expect(r.status).toBe('rc=7');
  });

  it('>/dev/full (ENOSPC): an output error, exit 2', () => {
    const r = run('>/dev/full');
    expect(r.stderr).toBe('failed output: standard output: ENOSPC: no space left on device, write 0');
    expect(r.status).toBe('rc=2');
  });

  it('>&- (closed standard output): an output error, exit 2', () => {
    const r = run('>&-');
    expect(r.stderr).toBe("closed output: standard output is closed; the command's output was not written 0");
    expect(r.status).toBe('rc=2');
  });

  it('>/dev/null and a reading pipe are fine', () => {
    expect(run('>/dev/null')).toEqual({ stderr: `ok ${1 << 20}`, status: 'rc=7' });
    expect(run('| cat >/dev/null')).toEqual({ stderr: `ok ${1 << 20}`, status: 'rc=7' });
  });
});
