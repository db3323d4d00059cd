import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { captureIO, runCli } from '../src/cli/main.js';
import { buildSyntheticImage } from '../src/conformance/recipes.js';
import { buildReport } from '../src/attestation/report.js';
import { toHex } from '../src/bytes.js';
import { REPO, buildPrivateCli, cliIn, loadVectors } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vmfw-errors-'));
const synth = loadVectors<{ images: Record<string, Parameters<typeof buildSyntheticImage>[0]> }>('synthetic-vectors.json');
writeFileSync(join(dir, 'fw.fd'), buildSyntheticImage(synth.images['amdsev-4k']!));
writeFileSync(join(dir, 'short.bin'), new Uint8Array(10));
writeFileSync(join(dir, 'hundred.bin'), new Uint8Array(100).fill(7));
writeFileSync(join(dir, 'm.json'), JSON.stringify({ launch: { vcpus: 1, vcpuType: 'EPYC-v4' }, regions: [] }));
writeFileSync(join(dir, 'report.bin'), buildReport({ measurement: new Uint8Array(48) }));
writeFileSync(join(dir, 'log.jsonl'), '{"pageType":"NORMAL","gpa":"0x0","contents":"00","digest":"00"}\n');
writeFileSync(join(dir, 'bad.pem'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
const igvm = join(REPO, 'vectors', 'igvm', 'snp-minimal.igvm');

type Case = [string, string[], string];
const M48 = '00'.repeat(48);
const byCommand: Record<string, Case[]> = {
  'ovmf': [
    ['missing file', ['ovmf', '--mode=snp', '--vcpus=1', '--vcpu-type=EPYC-v4', '--ovmf=nope.fd'], 'file-missing'],
    ['truncated file', ['ovmf', '--mode=snp', '--vcpus=1', '--vcpu-type=EPYC-v4', '--ovmf=hundred.bin'], 'firmware-size'],
    ['bad number', ['ovmf', '--mode=snp', '--vcpus=1x', '--vcpu-type=EPYC-v4', '--ovmf=fw.fd'], 'bad-number'],
    ['unknown option', ['ovmf', '--mode=snp', '--vcpus=1', '--ovmf=fw.fd', '--vcpu-typo=EPYC'], 'usage'],
  ],
  'regions': [
    ['missing file', ['regions', 'nope.json'], 'file-missing'],
    ['truncated struct', ['regions', '--struct=short.bin', '--vcpus=1', '--vcpu-type=EPYC-v4'], 'struct-size'],
    ['bad number', ['regions', 'm.json', '--vcpus=abc'], 'bad-number'],
    ['unknown option', ['regions', 'm.json', '--vcpu=2'], 'usage'],
  ],
  'regions encode/decode': [
    ['missing file', ['regions', 'encode', 'nope.json', '--struct-out=s.bin'], 'file-missing'],
    ['truncated struct', ['regions', 'decode', '--struct=short.bin'], 'struct-size'],
    ['bad number', ['regions', 'encode', 'm.json', '--struct-out=s.bin', '--regions-addr=0xZZ'], 'bad-number'],
    ['unknown option', ['regions', 'decode', '--struct=short.bin', '--bogus'], 'usage'],
  ],
  'igvm': [
    ['missing file', ['igvm', 'nope.igvm'], 'file-missing'],
    ['truncated file', ['igvm', 'short.bin'], 'igvm-short-file'],
    ['bad number', ['igvm', igvm, '--vcpus=-1'], 'bad-number'],
    ['unknown option', ['igvm', igvm, '--semantic=qemu'], 'usage'],
  ],
  'igvm inspect': [
    ['missing file', ['igvm', 'inspect', 'nope.igvm'], 'file-missing'],
    ['truncated file', ['igvm', 'inspect', 'hundred.bin'], 'igvm-bad-magic'],
    ['unknown option', ['igvm', 'inspect', igvm, '--yaml'], 'usage'],
  ],
  'launch-update': [
    ['missing file', ['launch-update', '--struct=nope.bin'], 'file-missing'],
    ['truncated struct', ['launch-update', '--struct=short.bin'], 'launch-update'],
    ['bad number', ['launch-update', '--struct-at=0x1g', '--memory=fw.fd'], 'bad-number'],
    ['unknown option', ['launch-update', '--struct=short.bin', '--reset=3'], 'usage'],
  ],
  'report': [
    ['missing file', ['report', 'nope.bin'], 'file-missing'],
    ['truncated file', ['report', 'hundred.bin'], 'report'],
    ['unknown option', ['report', 'report.bin', '--yaml'], 'usage'],
  ],
  'verify': [
    ['missing file', ['verify', '--report=nope.bin', `--expected=${M48}`], 'file-missing'],
    ['truncated file', ['verify', '--report=hundred.bin', `--expected=${M48}`], 'report'],
    ['bad number', ['verify', '--report=report.bin', '--ovmf=fw.fd', '--vcpus=four', '--vcpu-type=EPYC-v4'], 'bad-number'],
    ['bad digest', ['verify', '--report=report.bin', '--expected=abcd'], 'bad-hex'],
    ['unknown option', ['verify', '--report=report.bin', `--expect=${M48}`], 'usage'],
  ],
  'identify': [
    ['missing file', ['identify', '--report=nope.bin', '--ovmf=fw.fd'], 'file-missing'],
    ['truncated file', ['identify', '--report=hundred.bin', '--ovmf=fw.fd'], 'report'],
    ['bad number', ['identify', `--measurement=${M48}`, '--ovmf=fw.fd', '--vcpus=1-x'], 'bad-number'],
    ['unknown option', ['identify', `--measurement=${M48}`, '--ovmf=fw.fd', '--cpus=4'], 'usage'],
  ],
  'diff': [
    ['missing file', ['diff', 'nope.jsonl', 'log.jsonl'], 'file-missing'],
    ['truncated file', ['diff', 'log.jsonl', 'hundred.bin'], 'log-format'],
    ['unknown option', ['diff', 'log.jsonl', 'log.jsonl', '--brief'], 'usage'],
  ],
  'reference-values': [
    ['missing file', ['reference-values', '--ovmf=nope.fd', '--vcpus=1', '--vcpu-type=EPYC-v4'], 'file-missing'],
    ['truncated file', ['reference-values', '--ovmf=hundred.bin', '--vcpus=1', '--vcpu-type=EPYC-v4'], 'firmware-size'],
    ['bad number', ['reference-values', '--ovmf=fw.fd', '--vcpus=one', '--vcpu-type=EPYC-v4'], 'bad-number'],
    ['unknown option', ['reference-values', '--ovmf=fw.fd', '--vcpus=1', '--vcpu-type=EPYC-v4', '--formats=json'], 'usage'],
  ],
  'id-block': [
    ['missing file', ['id-block', `--measurement=${M48}`, '--id-key=nope.pem'], 'file-missing'],
    ['truncated key', ['id-block', `--measurement=${M48}`, '--id-key=bad.pem'], 'key'],
    ['bad number', ['id-block', `--measurement=${M48}`, '--id-key=bad.pem', '--guest-svn=x'], 'bad-number'],
    ['unknown option', ['id-block', `--measurement=${M48}`, '--id-key=bad.pem', '--author=x'], 'usage'],
  ],
};

describe('every command reports bad input as error[CODE] with exit status 2 and no stack trace', () => {
  for (const [command, cases] of Object.entries(byCommand)) {
    describe(command, () => {
      for (const [name, args, code] of cases) {
        it(`${name} -> error[${code}]`, async () => {
          const io = captureIO(dir);
          const rc = await runCli(args, io);
          expect(io.stderr).toMatch(new RegExp(`^error\\[${code}\\]: \\S`));
          expect(rc).toBe(2);
          expect(io.stdout).toBe('');
          expect(io.stderr).not.toMatch(/\n\s+at /);
        });
      }
    });
  }
  it('--debug adds the stack trace', async () => {
    const io = captureIO(dir);
    await runCli(['report', 'hundred.bin', '--debug'], io);
    expect(io.stderr).toMatch(/\n\s+at /);
  });
  it('an unknown command is a usage error', async () => {
    const io = captureIO(dir);
    expect(await runCli(['measure'], io)).toBe(2);
    expect(io.stderr).toMatch(/^error\[usage\]/);
  });
});

describe('the installed command line', () => {
  // A private build: rebuilding the repository's dist/ here would leave its bundle older than the tree.
  let bin = '';
  beforeAll(() => { bin = buildPrivateCli(); }, 60_000);
  it('reads "-" from standard input', () => {
    const report = toHex(buildReport({ measurement: new Uint8Array(48).fill(0x5a) }));
    const r = spawnSync(process.execPath, [bin, 'report', '-', '--json'], { input: report, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).measurement).toBe('5a'.repeat(48));
  });
  it('reads the manifest of `regions -` and the file of `igvm -` from standard input, once', () => {
    const regions = join(REPO, 'examples', 'regions');
    const byPath = spawnSync(process.execPath, [bin, 'regions', 'uki-update.json'], { cwd: regions, encoding: 'utf8' });
    const piped = spawnSync(process.execPath, [bin, 'regions', '-'], { cwd: regions, input: readFileSync(join(regions, 'uki-update.json')), encoding: 'utf8' });
    expect(byPath.status, byPath.stderr).toBe(0);
    expect(piped.stdout, piped.stderr).toBe(byPath.stdout);
    const igvm = join(REPO, 'examples', 'igvm', 'example.igvm');
    const igvmByPath = spawnSync(process.execPath, [bin, 'igvm', igvm, '--vcpus', '2', '--vcpu-type', 'EPYC-v4'], { encoding: 'utf8' });
    const igvmPiped = spawnSync(process.execPath, [bin, 'igvm', '-', '--vcpus', '2', '--vcpu-type', 'EPYC-v4'], { input: readFileSync(igvm), encoding: 'utf8' });
    expect(igvmByPath.status, igvmByPath.stderr).toBe(0);
    expect(igvmPiped.stdout, igvmPiped.stderr).toBe(igvmByPath.stdout);
  });
  it('refuses --log naming standard output by another path (it would mix the log into the digest)', () => {
    const manifest = join(REPO, 'examples', 'regions', 'uki-update.json');
    for (const name of ['/dev//stdout', '/dev/./stdout', '/dev/fd/1']) {
      const r = spawnSync(process.execPath, [bin, 'regions', manifest, '--log', name], { encoding: 'utf8' });
      expect(r.status, name).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error\[usage\]: --log .*: standard output carries the command's result/);
    }
  });
  it('exits 2 with a one-line error, no stack trace', () => {
    const r = spawnSync(process.execPath, [bin, 'igvm', join(dir, 'short.bin')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('alternatives and inputs that cannot be what they claim', () => {
  const ws = mkdtempSync(join(tmpdir(), 'vmfw-alternatives-'));
  const run = cliIn(ws);
  const launch = ['--vcpus', '1', '--vcpu-type', 'EPYC-v4'];
  beforeAll(async () => {
    const r = await run('regions', 'encode', join(REPO, 'examples', 'regions', 'uki-update.json'), '--struct-out', 's.bin', '--regions-out', 'r.bin', '--memory-out', 'm.img');
    expect(r.rc, r.err).toBe(0);
  });
  it('--struct and --struct-at together are refused (the second was ignored), and a --struct-size the file contradicts', async () => {
    const good = await run('regions', '--struct', 's.bin', '--memory', 'm.img', ...launch);
    expect(good.out).toMatch(/^[0-9a-f]{96}\n$/);
    expect(await run('regions', '--struct', 's.bin', '--struct-at', '0x5000', '--memory', 'm.img', ...launch)).toMatchObject({ rc: 2, out: '', err: expect.stringMatching(/^error\[usage\]: --struct and --struct-at are alternatives/) });
    expect(await run('launch-update', '--struct', 's.bin', '--struct-at', '0x5000', '--memory', 'm.img')).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[usage\]: --struct and --struct-at are alternatives/) });
    expect(await run('regions', '--struct', 's.bin', '--struct-size', '36', '--memory', 'm.img', ...launch)).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[struct-size\]: --struct-size 36, but --struct s\.bin has 40 bytes/) });
    expect((await run('regions', '--struct', 's.bin', '--struct-size', '40', '--memory', 'm.img', ...launch)).out).toBe(good.out);
  });
  it('regions decode without guest memory says to give it', async () => {
    expect(await run('regions', 'decode', '--struct', 's.bin')).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[usage\]: the region array \(8 entries at 0x2000\) is in guest memory: give it with --memory IMG or --extent GPA=FILE/) });
  });
  it('diff: a missing argument shows the whole usage; an empty log is a launch of no step (it differs from one with steps)', async () => {
    expect((await run('ovmf', '--mode', 'snp', ...launch, '--ovmf', join(REPO, 'examples', 'ovmf', 'OVMF-synthetic-amdsev.fd'), '--log', 'a.jsonl')).rc).toBe(0);
    writeFileSync(join(ws, 'empty.jsonl'), '');
    expect(await run('diff', 'a.jsonl', 'empty.jsonl')).toMatchObject({ rc: 1 });
    expect(await run('diff', 'empty.jsonl', 'empty.jsonl')).toMatchObject({ rc: 0 });
    expect(await run('diff', 'a.jsonl')).toMatchObject({ rc: 2, err: expect.stringMatching(/missing LOG_B \(usage: vmfw-measure diff LOG_A LOG_B \[--json\]/) });
    expect((await run('diff', 'a.jsonl', 'a.jsonl')).rc).toBe(0);
  });
});

describe('messages that quote an input', () => {
  it('show a binary file\'s bytes as escapes, never raw (control characters, U+FFFD, bidirectional overrides)', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'vmfw-printable-'));
    writeFileSync(join(ws, 'binary.json'), Uint8Array.of(0xff, 0x1b, 0x5b, 0x32, 0x4a, 0x0d));
    writeFileSync(join(ws, 'bidi.json'), '\u202e{}');
    writeFileSync(join(ws, 'marks.json'), '\u200e\u2028\u061c{}');
    const run = cliIn(ws);
    for (const name of ['binary.json', 'bidi.json']) {
      const r = await run('regions', name);
      expect(r.rc).toBe(2);
      expect(r.err).toMatch(/^error\[manifest\]: manifest binary\.json|^error\[manifest\]: manifest bidi\.json/);
      expect(r.err.trimEnd()).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffd]/);
    }
    expect((await run('regions', 'binary.json')).err).toContain('\\ufffd');
    expect((await run('regions', 'bidi.json')).err).toContain('\\u202e');
    const marks = (await run('regions', 'marks.json')).err;
    expect(marks).toContain('\\u200e');
    expect(marks).not.toMatch(/[\u200e\u2028\u061c]/);
    // Letters of any script stay as they are: a path in a message must stay readable.
    const missing = await run('regions', 'é日本/über.json');
    expect(missing.err).toMatch(/é日本\/über\.json/);
  });
});
