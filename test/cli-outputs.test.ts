/**
 * The commands' outputs, end to end: never onto an input, all or none, through symlinks, `-` for
 * stdout, and a standard output that fails (full, closed, a reader that leaves) in the real binary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, cpSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIO, runCli } from '../src/cli/main.js';
import { buildReport } from '../src/attestation/report.js';
import { buildPrivateDist, cliIn, REPO } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vmfw-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
copyFileSync(join(REPO, 'examples', 'ovmf', 'OVMF-synthetic-amdsev.fd'), join(dir, 'fw.fd'));
const fw = readFileSync(join(dir, 'fw.fd'));
const OVMF = ['ovmf', '--mode', 'snp', '--vcpus', '2', '--vcpu-type', 'EPYC-v4', '--ovmf', 'fw.fd'];

const run = cliIn(dir);

describe('output files', () => {
  it('--log onto the --ovmf input is refused and the firmware is untouched', async () => {
    const r = await run(...OVMF, '--log', 'fw.fd');
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(/^error\[output\]: --log.*fw\.fd/);
    expect(readFileSync(join(dir, 'fw.fd')).equals(fw)).toBe(true);
    symlinkSync('fw.fd', join(dir, 'fw-link.fd'));
    expect((await run(...OVMF, '--log', 'fw-link.fd')).rc).toBe(2);
    expect(readFileSync(join(dir, 'fw.fd')).equals(fw)).toBe(true);
  });
  it('--log and --dump-vmsa are written all or none', async () => {
    const r = await run(...OVMF, '--log', 'no-such-dir/log.jsonl', '--dump-vmsa');
    expect(r.rc).toBe(2);
    expect(existsSync(join(dir, 'vmsa0.bin'))).toBe(false);
  });
  it('regions encode writes all or none of its outputs', async () => {
    cpSync(join(REPO, 'examples', 'regions'), join(dir, 'regions'), { recursive: true });
    mkdirSync(join(dir, 'ovmf'), { recursive: true });
    cpSync(join(REPO, 'examples', 'ovmf'), join(dir, 'ovmf'), { recursive: true });
    const r = await run('regions', 'encode', 'regions/uki-update.json', '--struct-out', 's.bin', '--regions-out', 'missing/r.bin');
    expect(r.rc).toBe(2);
    expect(existsSync(join(dir, 's.bin'))).toBe(false);
    const ok = await run('regions', 'encode', 'regions/uki-update.json', '--struct-out', 's.bin', '--regions-out', 'r.bin', '--memory-out', 'm.img');
    expect(ok.rc, ok.err).toBe(0);
    const again = await run('regions', '--struct', 's.bin', '--memory', 'm.img', '--vcpus', '4', '--vcpu-type', 'EPYC-v4');
    expect(again.rc, again.err).toBe(0);
    expect(again.out).toBe((await run('regions', 'regions/uki-update.json')).out);
  });
  it('a symlinked output is written through; the link stays a link', async () => {
    writeFileSync(join(dir, 'target.jsonl'), 'old');
    symlinkSync('target.jsonl', join(dir, 'link.jsonl'));
    expect((await run(...OVMF, '--log', 'link.jsonl')).rc).toBe(0);
    expect(readFileSync(join(dir, 'target.jsonl'), 'utf8')).toMatch(/^\{"format":"vmfw-measure\/launch-log@1"/);
  });
  it('a 250-character output name works (temporary names stay within NAME_MAX)', async () => {
    const name = `${'n'.repeat(244)}.jsonl`;
    expect((await run(...OVMF, '--log', name)).rc).toBe(0);
    expect(existsSync(join(dir, name))).toBe(true);
  });
});

describe('standard output of the real binary', () => {
  let dist: string;
  let bin: string;
  beforeAll(() => {
    dist = buildPrivateDist();
    bin = join(dist, 'vmfw-measure.mjs');
    writeFileSync(bin, `import { main } from './cli/main.js';\nawait main();\n`);
    writeFileSync(join(dir, 'match.bin'), buildReport({ measurement: new Uint8Array(48).fill(1) }));
  });
  afterAll(() => rmSync(dist, { recursive: true, force: true }));
  const sh = (cmd: string): { rc: string; err: string } => {
    const r = spawnSync('bash', ['-c', `${cmd}; echo "rc=\${PIPESTATUS[0]}" >&2`], { encoding: 'utf8', cwd: dir, env: { ...process.env, N: process.execPath, B: bin } });
    const lines = r.stderr.trim().split('\n');
    return { rc: lines.at(-1)!, err: lines.slice(0, -1).join('\n') };
  };
  it('>/dev/full is error[output] with exit 2, never a lost digest with exit 0', () => {
    const r = sh(`"$N" "$B" ${OVMF.join(' ')} >/dev/full`);
    expect(r.rc).toBe('rc=2');
    expect(r.err).toMatch(/^error\[output\]: standard output: ENOSPC/);
  });
  it('a closed standard output is error[output] with exit 2', () => {
    const r = sh(`"$N" "$B" ${OVMF.join(' ')} >&-`);
    expect(r.rc).toBe('rc=2');
    expect(r.err).toMatch(/^error\[output\]: standard output is closed/);
  });
  it('a reader that leaves (EPIPE) stops the output quietly and the verdict stands', () => {
    // About 300 KB of reference values, far more than a pipe holds.
    const log = sh(`"$N" "$B" reference-values ${OVMF.slice(1).join(' ').replace('--vcpus 2', '--vcpus 1-1000')} | head -c 10 >/dev/null`);
    expect(log).toEqual({ rc: 'rc=0', err: '' });
    const verdict = sh(`"$N" "$B" verify match.bin --expected ${'02'.repeat(48)} --json | head -c 1 >/dev/null`);
    expect(verdict.rc).toBe('rc=1');
  });
});

describe('outputs never replace files the inputs name', () => {
  it('a manifest\'s own sources, and a lock onto a launch input', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'vmfw-out2-'));
    cpSync(join(REPO, 'examples'), ws, { recursive: true });
    const page = readFileSync(join(ws, 'regions', 'kernel-hashes.page'));
    const io = captureIO(join(ws, 'regions'));
    expect(await runCli(['regions', 'uki-update.json', '--log', 'kernel-hashes.page'], io)).toBe(2);
    expect(io.stderr).toMatch(/^error\[output\]/);
    const io2 = captureIO(join(ws, 'regions'));
    expect(await runCli(['regions', 'encode', 'uki-update.json', '--regions-out', 'kernel-hashes.page'], io2)).toBe(2);
    const io3 = captureIO(join(ws, 'regions'));
    expect(await runCli(['regions', 'encode', 'uki-update.json', '--memory-out', '../ovmf/OVMF-synthetic-amdsev.fd'], io3)).toBe(2);
    expect(readFileSync(join(ws, 'regions', 'kernel-hashes.page')).equals(page)).toBe(true);
    copyFileSync(join(ws, 'ovmf', 'OVMF-synthetic-amdsev.fd'), join(ws, 'c.lock.json'));
    writeFileSync(join(ws, 'c.json'), JSON.stringify({ launches: { a: { kind: 'ovmf', ovmf: 'c.lock.json', vcpus: 1, vcpuType: 'EPYC-v4' } } }));
    const io4 = captureIO(ws);
    expect(await runCli(['lock', 'c.json'], io4)).toBe(2);
    expect(readFileSync(join(ws, 'c.lock.json')).equals(readFileSync(join(ws, 'ovmf', 'OVMF-synthetic-amdsev.fd')))).toBe(true);
    rmSync(ws, { recursive: true, force: true });
  });
});
