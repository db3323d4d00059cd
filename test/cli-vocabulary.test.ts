/**
 * The command-line layer: sev-snp-measure parity rules, one option vocabulary across commands,
 * help, did-you-mean, output targets. Each rule is asserted on real digests or exit codes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../src/cli/commands.js';
import { OPTIONS, optionKey } from '../src/options/table.js';
import { buildSyntheticImage } from '../src/conformance/recipes.js';
import { buildReport } from '../src/attestation/report.js';
import { fromHex, toHex } from '../src/bytes.js';
import { defaultSuite } from '../src/hash/suite.js';
import { VERSION } from '../src/version.js';
import { cliIn, loadVectors, REPO } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vmfw-vocab-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const synth = loadVectors<{ images: Record<string, Parameters<typeof buildSyntheticImage>[0]> }>('synthetic-vectors.json');
writeFileSync(join(dir, 'amdsev.fd'), buildSyntheticImage(synth.images['amdsev-4k']!));
writeFileSync(join(dir, 'kernel.bin'), new Uint8Array([1, 2, 3]));

const run = cliIn(dir);

const OVMF = ['ovmf', '--mode', 'snp', '--vcpus', '2', '--vcpu-type', 'EPYC-Milan', '--ovmf', 'amdsev.fd', '--kernel', 'kernel.bin'];
const cmdlineSha = (text: string): string => toHex(defaultSuite.sha256(new Uint8Array([...new TextEncoder().encode(text), 0])));

describe('sev-snp-measure parity', () => {
  it.each([['-'], ['"a"'], ["'a'"], ['--'], ['a,b'], ['-x']])('--append %s measures exactly those characters', async (text) => {
    const spaced = await run(...OVMF, '--append', text);
    const inline = await run(...OVMF, `--append=${text}`);
    const byHash = await run(...OVMF, `--append-sha256=${cmdlineSha(text)}`);
    expect(spaced.rc, spaced.err).toBe(0);
    expect(spaced.out).toBe(byHash.out);
    expect(inline.out).toBe(byHash.out);
  });
  it('a value that spells another option is refused, with the = form offered', async () => {
    const r = await run(...OVMF, '--append', '--initrd', 'x');
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(/--append needs a value.*--append=--initrd/);
  });
  it.each(['--no-append', '--no-kernel', '--vcpuType=EPYC-Milan', '--kern=kernel.bin'])('%s is an unknown option (exit 2)', async (opt) => {
    const r = await run(...OVMF, opt);
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(/^error\[usage\]: ovmf: unknown option/);
  });
  it('did-you-mean for options and commands', async () => {
    expect((await run(...OVMF, '--kernal', 'k')).err).toMatch(/did you mean --kernel\?/);
    expect((await run(...OVMF, '--vcpuType', 'EPYC')).err).toMatch(/did you mean --vcpu-type\?/);
    const r = await run('ovfm', '--mode', 'snp');
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(/did you mean ovmf\?/);
  });
  it('an --append that holds U+FFFD (not UTF-8 on the command line) is refused, pointing to --append-sha256', async () => {
    const r = await run(...OVMF, '--append', 'console=\uFFFD');
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(/--append-sha256/);
  });
  it('snp:ovmf-hash prints bare hex whatever --output-format and -v say', async () => {
    const plain = await run('ovmf', '--mode', 'snp:ovmf-hash', '--ovmf', 'amdsev.fd');
    expect(plain.out).toMatch(/^[0-9a-f]{96}\n$/);
    expect((await run('ovmf', '--mode', 'snp:ovmf-hash', '--ovmf', 'amdsev.fd', '--output-format', 'base64', '-v')).out).toBe(plain.out);
  });
  it('a value option given twice is refused; list options keep every value', async () => {
    const r = await run(...OVMF, '--vcpus', '3');
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(/--vcpus takes one value but is given twice/);
  });
  it.each([['--mode', '__proto__'], ['--vmm-type', 'constructor'], ['--vmm-era', 'toString'], ['--product', '__proto__'], ['--vcpu-type', 'constructor']])('%s %s is a usage error, not a crash', async (flag, value) => {
    const args = OVMF.filter((_a, i) => OVMF[i] !== flag && OVMF[i - 1] !== flag);
    const r = await run(...args, flag, value);
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(/^error\[(usage|profile|vcpu-type)\]/);
  });
});

describe('one vocabulary', () => {
  it('every option name the commands use is declared once, with a description and a camelCase key', () => {
    const names = OPTIONS.map((o) => o.name);
    expect(new Set(names).size).toBe(names.length);
    for (const o of OPTIONS) {
      expect(o.describe.length, o.name).toBeGreaterThan(8);
      expect(optionKey(o.name)).toMatch(/^[a-z][a-zA-Z0-9]*$/);
    }
  });
  it('launch commands share the launch option names, each taking those its launches read', () => {
    const every = ['vcpus', 'vcpu-type', 'vcpu-sig', 'vmm-type', 'vmm-era'];
    const takes = (path: string, n: string): boolean => COMMANDS.find((x) => x.path === path)!.options.some((o) => o.decl.name === n);
    for (const path of ['ovmf', 'regions', 'igvm', 'verify', 'identify', 'reference-values', 'launch-update']) {
      for (const n of every) expect(takes(path, n), `${path} --${n}`).toBe(true);
    }
    // Commands that may measure an OVMF launch take all of it; a region list reads guest features
    // but puts its VMSAs at one GPA; an IGVM file brings its own features and VMSA places.
    for (const n of ['guest-features', 'product', 'vmsa-gpa']) {
      for (const path of ['ovmf', 'verify', 'identify', 'reference-values']) expect(takes(path, n), `${path} --${n}`).toBe(true);
      for (const path of ['igvm', 'launch-update']) expect(takes(path, n), `${path} --${n}`).toBe(false);
      expect(takes('regions', n), `regions --${n}`).toBe(n === 'guest-features');
    }
  });
  it('an ovmf command line pasted after verify REPORT and reference-values works verbatim', async () => {
    const digest = (await run(...OVMF, '--vmm-era', 'init2', '--vmsa-gpa', '0xfffffffff000')).out.trim();
    writeFileSync(join(dir, 'report.bin'), buildReport({ measurement: fromHex(digest, 'd', 48) }));
    const pasted = OVMF.slice(1).concat(['--vmm-era', 'init2', '--vmsa-gpa', '0xfffffffff000']);
    const v = await run('verify', 'report.bin', ...pasted);
    expect(v.rc, v.err).toBe(0);
    expect(v.out).toMatch(/measurement: match/);
    const flagForm = await run('verify', '--report', 'report.bin', ...pasted);
    expect(flagForm.rc).toBe(0);
    const rv = await run('reference-values', ...pasted);
    expect(rv.rc, rv.err).toBe(0);
    expect(rv.out).toContain(digest);
  });
  it('--measured-zero and its alias --native-zero are one option', async () => {
    const ig = join(REPO, 'examples', 'igvm', 'example.igvm');
    const a = await run('igvm', ig, '--semantics', 'igvmmeasure', '--native-zero');
    const b = await run('igvm', ig, '--semantics', 'igvmmeasure', '--measured-zero', 'native');
    expect(a.rc, a.err).toBe(0);
    expect(a.out).toBe(b.out);
  });
});

describe('help and conventions', () => {
  it('every command has help with its options, defaults and an Examples section', async () => {
    for (const c of COMMANDS) {
      const r = await run(...c.path.split(' '), '--help');
      expect(r.rc).toBe(0);
      expect(r.out).toContain('Examples:');
      for (const o of c.options) expect(r.out, `${c.path} --${o.decl.name}`).toContain(`--${o.decl.name}`);
      expect((await run('help', ...c.path.split(' '))).out).toBe(r.out);
    }
    expect((await run('regions', '--help')).out).toMatch(/from-ovmf[\s\S]*encode[\s\S]*decode/);
    expect((await run('igvm', '--help')).out).toContain('igvm inspect');
    expect((await run('ovmf', '--help')).out).toMatch(/--vmm-type VMM .*default: qemu/);
  });
  it('-V and --version print the version everywhere', async () => {
    expect((await run('-V')).out).toBe(`${VERSION}\n`);
    expect((await run('ovmf', '--version')).out).toBe(`${VERSION}\n`);
    expect(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version).toBe(VERSION);
  });
  it('a flag takes no value but true or false, and says so', async () => {
    expect(await run(...OVMF, '--json=ture')).toMatchObject({ rc: 2, err: expect.stringMatching(/--json is a flag: give it alone, or =true or =false, not "ture"/) });
    expect(JSON.parse((await run(...OVMF, '--json=true')).out).digest).toMatch(/^[0-9a-f]{96}$/);
    expect((await run(...OVMF, '--json=false')).out).toMatch(/^[0-9a-f]{96}\n$/);
    // An alias for a fixed value (--native-zero = --measured-zero native) takes no false.
    expect(await run('igvm', join(REPO, 'examples', 'igvm', 'example.igvm'), '--semantics', 'igvmmeasure', '--native-zero=no')).toMatchObject({ rc: 2, err: expect.stringMatching(/--native-zero is a flag: give it alone \(or =true\), not "no"/) });
  });
  it('completion prints a shell script', async () => {
    const r = await run('completion');
    expect(r.rc).toBe(0);
    expect(r.out).toMatch(/vmfw-measure/);
    expect(r.out).toMatch(/--get-yargs-completions/);
    // A shell named on the command line wins over $SHELL; one it cannot write for is refused.
    const zsh = await run('completion', 'zsh');
    const bash = await run('completion', 'bash');
    expect(zsh.out).toMatch(/compdef _vmfw-measure_yargs_completions vmfw-measure/);
    expect(bash.out).toMatch(/complete -o bashdefault -o default -F _vmfw-measure_yargs_completions vmfw-measure/);
    expect(bash.out).not.toMatch(/compdef/);
    expect(await run('completion', 'fish')).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[usage\]: completion: "fish" is not a shell it writes a script for \(bash, zsh\)/) });
  });
  it('--vcpus 0 in an snp mode warns that nothing can start; --quiet silences it', async () => {
    const args = ['ovmf', '--mode', 'snp', '--vcpus', '0', '--vcpu-type', 'EPYC-Milan', '--ovmf', 'amdsev.fd'];
    expect((await run(...args)).err).toMatch(/warning: --vcpus 0/);
    expect((await run(...args, '--quiet')).err).toBe('');
  });
  it('--log - is refused: standard output carries the result, and a log mixed into it could not be read back', async () => {
    for (const args of [['ovmf', '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC-Milan', '--ovmf', 'amdsev.fd'], ['regions', join(REPO, 'examples', 'regions', 'uki-update.json')]]) {
      const r = await run(...args, '--log', '-');
      expect(r.rc).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/^error\[usage\]: --log -: standard output carries the command's result/);
    }
  });
});

describe('repeated values and the unbuilt package', () => {
  it('verify --expected keeps every value, repeated or comma-separated; any may match', async () => {
    const digest = (await run(...OVMF)).out.trim();
    writeFileSync(join(dir, 'r2.bin'), buildReport({ measurement: fromHex(digest, 'd', 48) }));
    const other = 'ab'.repeat(48);
    expect((await run('verify', 'r2.bin', '--expected', other, '--expected', digest)).rc).toBe(0);
    expect((await run('verify', 'r2.bin', '--expected', `${other},${digest}`)).rc).toBe(0);
    expect((await run('verify', 'r2.bin', '--expected', other)).rc).toBe(1);
  });
  it('bin/ before a build says to run npm run build', async () => {
    const { mkdirSync, copyFileSync } = await import('node:fs');
    const { spawnSync } = await import('node:child_process');
    const pkg = join(dir, 'unbuilt');
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    copyFileSync(join(REPO, 'bin', 'vmfw-measure.cjs'), join(pkg, 'bin', 'vmfw-measure.cjs'));
    const r = spawnSync(process.execPath, [join(pkg, 'bin', 'vmfw-measure.cjs'), '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/npm run build/);
  });
});

describe('numbers as the reference reads them', () => {
  it('decimal counts with leading zeros are decimal (Python int()), hex is accepted besides', async () => {
    const want = (await run(...OVMF)).out;
    const base = OVMF.filter((_a, i) => OVMF[i] !== '--vcpus' && OVMF[i - 1] !== '--vcpus');
    expect((await run(...base, '--vcpus', '02')).out).toBe(want);
    expect((await run(...base, '--vcpus', '0x2')).out).toBe(want);
    expect((await run(...base, '--vcpus', '+2')).rc).toBe(2);
  });
});

describe('review findings', () => {
  it.each(['-V', '-h', '--help', '--version'])('--append %s is refused as a value that spells an option, not obeyed', async (v) => {
    const r = await run(...OVMF, '--append', v);
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(new RegExp(`--append needs a value .*--append=${v}`));
  });
  it('two inputs cannot both read standard input', async () => {
    const r = await run('ovmf', '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--ovmf', '-', '--kernel', '-');
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(/standard input can feed one input, but --ovmf and --kernel all read it/);
    expect((await run('ovmf', '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--ovmf', '/dev/stdin', '--kernel', '-')).rc).toBe(2);
    expect((await run('diff', '-', '-')).err).toMatch(/standard input can feed one input/);
  });
  it.each([['verify'], ['regions', 'encode'], ['report'], ['diff', 'a.jsonl'], ['igvm'], ['igvm', 'inspect']])('%s without its file argument is a usage error', async (...cmd) => {
    const r = await run(...cmd);
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(/^error\[usage\]: .*missing [A-Z_]+/);
    expect(r.err).not.toMatch(/undefined/);
  });
  it('--output-format takes hex or base64 only, in every command', async () => {
    for (const v of ['foo', '__proto__']) {
      const r = await run(...OVMF, '--output-format', v);
      expect(r.rc).toBe(2);
      expect(r.err).toMatch(/--output-format: .* is not one of hex, base64/);
    }
    expect((await run('igvm', join(REPO, 'examples', 'igvm', 'example.igvm'), '--output-format', 'foo')).rc).toBe(2);
  });
  it('did-you-mean for subcommands, help help, help -V, completion --help', async () => {
    expect((await run('regions', 'encdoe')).err).toMatch(/did you mean regions encode\?/);
    expect((await run('igvm', 'inspct', 'x.igvm')).err).toMatch(/did you mean igvm inspect\?/);
    expect((await run('help', 'help')).out).toMatch(/^vmfw-measure /);
    expect((await run('help', '-V')).out).toBe(`${VERSION}\n`);
    const c = await run('completion', '--help');
    expect(c.out).toMatch(/^Usage: vmfw-measure completion/);
  });
});

describe('launch settings named by the inputs', () => {
  it('reference-values --manifest takes the manifest\'s vCPUs, type and profile', async () => {
    const m = join(REPO, 'examples', 'regions', 'uki-update.json');
    const r = await run('reference-values', '--manifest', m, '--format', 'trustee-sample');
    expect(r.rc, r.err).toBe(0);
    const digest = (await run('regions', m)).out.trim();
    expect(JSON.parse(r.out)).toEqual({ snp_launch_measurement: [digest] });
  });
  it('verify --igvm measures one vCPU unless told, as the igvm command', async () => {
    const ig = join(REPO, 'examples', 'igvm', 'example.igvm');
    const digest = (await run('igvm', ig)).out.trim();
    writeFileSync(join(dir, 'igvm-report.bin'), buildReport({ measurement: fromHex(digest, 'd', 48) }));
    expect((await run('verify', 'igvm-report.bin', '--igvm', ig)).rc).toBe(0);
  });
  it('a manifest may name its launch with the option vocabulary (vmmType, vmmEra, vcpuSig), not both spellings', async () => {
    const doc = JSON.parse(readFileSync(join(REPO, 'examples', 'regions', 'uki-update.json'), 'utf8')) as { launch: Record<string, unknown>; regions: { source?: { file?: string } }[] };
    for (const r of doc.regions) if (r.source?.file) r.source.file = join(REPO, 'examples', 'regions', r.source.file);
    const want = (await run('regions', join(REPO, 'examples', 'regions', 'uki-update.json'))).out;
    const { profile: _p, ...rest } = doc.launch;
    writeFileSync(join(dir, 'vocab.json'), JSON.stringify({ ...doc, launch: { ...rest, vmmType: 'qemu', vmmEra: 'init2' } }));
    expect((await run('regions', 'vocab.json')).out).toBe(want);
    writeFileSync(join(dir, 'both.json'), JSON.stringify({ ...doc, launch: { ...doc.launch, vmmType: 'qemu' } }));
    const r = await run('regions', 'both.json');
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(/name the same setting/);
  });
  it('a --matrix file may not give a key and its old alias', async () => {
    writeFileSync(join(dir, 'matrix.json'), JSON.stringify({ vcpus: '1-2', vcpuType: ['EPYC-v4'], vcpuTypes: ['EPYC-Genoa'] }));
    const r = await run('reference-values', '--ovmf', 'amdsev.fd', '--matrix', 'matrix.json');
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(/vcpuTypes is an alias of vcpuType; give one of them, not both/);
  });
});

describe('verify --reference-values with a single go-sev-guest config file', () => {
  it('reads it back and says it matched', async () => {
    const digest = (await run(...OVMF)).out.trim();
    writeFileSync(join(dir, 'rv-report.bin'), buildReport({ measurement: fromHex(digest, 'd', 48) }));
    const w = await run('reference-values', ...OVMF.slice(1), '--format', 'go-sev-guest', '--out', 'one.textproto');
    expect(w.rc, w.err).toBe(0);
    const v = await run('verify', 'rv-report.bin', '--reference-values', 'one.textproto');
    expect(v.rc, v.err).toBe(0);
    expect(v.out).toMatch(/measurement: match/);
  });
});
