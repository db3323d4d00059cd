/** The one-call library API: same names and values as the CLI, same digests. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { captureIO, runCli } from '../src/cli/main.js';
import * as neutral from '../src/index.js';
import * as node from '../src/node/index.js';
import { nobleSuite } from '../src/hash/suite.js';
import { buildReport } from '../src/attestation/report.js';
import { fromHex } from '../src/bytes.js';
import { REPO } from './helpers.js';

const ex = (...p: string[]): string => join(REPO, 'examples', ...p);
const bytes = (...p: string[]): Uint8Array => new Uint8Array(readFileSync(ex(...p)));

async function cli(...args: string[]): Promise<string> {
  const io = captureIO(REPO);
  const rc = await runCli(args, io);
  expect(rc, io.stderr).toBe(0);
  return io.stdout.trim();
}

const ovmfArgs = ['--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-v4', '--ovmf', ex('ovmf', 'OVMF-synthetic-amdsev.fd'), '--kernel', ex('ovmf', 'vmlinuz-standin.bin'), '--initrd', ex('ovmf', 'initrd-standin.bin'), '--append', 'console=ttyS0'];

describe('one-call API', () => {
  it('measureOvmf from bytes equals the CLI, on both hash suites, with the log on request', async () => {
    const want = await cli('ovmf', ...ovmfArgs);
    const opts = { ovmf: bytes('ovmf', 'OVMF-synthetic-amdsev.fd'), kernel: bytes('ovmf', 'vmlinuz-standin.bin'), initrd: bytes('ovmf', 'initrd-standin.bin'), append: 'console=ttyS0', vcpus: 4, vcpuType: 'EPYC-v4' } as const;
    const r = await neutral.measureOvmf(opts);
    expect(r.digest).toBe(want);
    expect(r.bytes.length).toBe(48);
    expect(r.stepsByType['VMSA']).toBe(4);
    expect(r.log).toBeUndefined();
    const noble = await neutral.measureOvmf({ ...opts, hashes: nobleSuite, log: true });
    expect(noble.digest).toBe(want);
    expect(noble.log!.at(-1)!.digest).toBe(want);
    expect(noble.log!.length).toBe(r.steps);
  });
  it('takes the CLI values as strings or native values alike', async () => {
    const fw = bytes('ovmf', 'OVMF-synthetic-amdsev.fd');
    const a = await neutral.measureOvmf({ ovmf: fw, vcpus: '2', vcpuType: 'EPYC-Milan', vmmType: 'QEMU', guestFeatures: '0x21' });
    const b = await neutral.measureOvmf({ ovmf: fw, vcpus: 2, vcpuSig: 0xa00f11n, vmmType: 'qemu', guestFeatures: 0x21n });
    expect(a.digest).toBe(b.digest);
    expect(a.digest).toBe(await cli('ovmf', '--mode', 'snp', '--vcpus', '2', '--vcpu-type', 'EPYC-Milan', '--guest-features', '0x21', '--ovmf', ex('ovmf', 'OVMF-synthetic-amdsev.fd')));
  });
  it('refuses unknown keys and bad values with coded errors', async () => {
    await expect(neutral.measureOvmf({ ovmf: new Uint8Array(4096), vcpus: 1, vcpuType: 'EPYC', ...({ vcpu_type: 'x' } as object) })).rejects.toMatchObject({ code: 'usage' });
    await expect(neutral.measureOvmf({ ovmf: bytes('ovmf', 'OVMF-synthetic-amdsev.fd'), vcpus: 1, vcpuType: 'nope' })).rejects.toMatchObject({ code: 'vcpu-type' });
    await expect(neutral.measureOvmf({ ovmf: 'OVMF.fd', vcpus: 1, vcpuType: 'EPYC' })).rejects.toMatchObject({ code: 'usage' });
  });
  it('the Node entry takes paths; a manifest resolves its files beside itself', async () => {
    const want = await cli('ovmf', ...ovmfArgs);
    expect((await node.measureOvmf({ ovmf: ex('ovmf', 'OVMF-synthetic-amdsev.fd'), kernel: ex('ovmf', 'vmlinuz-standin.bin'), initrd: ex('ovmf', 'initrd-standin.bin'), append: 'console=ttyS0', vcpus: 4, vcpuType: 'EPYC-v4' })).digest).toBe(want);
    expect((await node.measureRegions(ex('regions', 'uki-update.json'))).digest).toBe(await cli('regions', ex('regions', 'uki-update.json')));
  });
  it('measureRegions from a parsed manifest and a files map equals the CLI', async () => {
    const manifest = JSON.parse(readFileSync(ex('regions', 'firmware-update.json'), 'utf8')) as object;
    const r = await neutral.measureRegions(manifest, { files: { '../ovmf/OVMF-synthetic-amdsev.fd': bytes('ovmf', 'OVMF-synthetic-amdsev.fd') } });
    expect(r.digest).toBe(await cli('regions', ex('regions', 'firmware-update.json')));
  });
  it('measureIgvm equals the CLI', async () => {
    const r = await neutral.measureIgvm(bytes('igvm', 'example.igvm'), { vcpus: 4, vcpuType: 'EPYC-v4' });
    expect(r.digest).toBe(await cli('igvm', ex('igvm', 'example.igvm'), '--vcpus', '4', '--vcpu-type', 'EPYC-v4'));
  });
  it('referenceValues, verifyReport and identify agree with each other', async () => {
    const launch = { ovmf: bytes('ovmf', 'OVMF-synthetic-amdsev.fd'), vcpuType: 'EPYC-Milan' };
    const set = JSON.parse((await neutral.referenceValues(launch, { vcpus: '1-3' })).text) as { measurements: { digest: string; vcpus: number }[] };
    expect(set.measurements.map((m) => m.vcpus)).toEqual([1, 2, 3]);
    const three = set.measurements[2]!.digest;
    const report = buildReport({ measurement: fromHex(three, 'd', 48) });
    expect((await neutral.verifyReport(report, { measurement: three })).ok).toBe(true);
    expect((await neutral.verifyReport(report, { launch: { ...launch, vcpus: 3 } })).ok).toBe(true);
    expect((await neutral.verifyReport(report, { launch: { ...launch, vcpus: 2 } })).ok).toBe(false);
    const id = await neutral.identify(report, { ...launch, vcpus: '1-4', vmmType: 'qemu' });
    expect(id.matches.map((m) => [m.vcpus, m.vcpuType])).toContainEqual([3, 'EPYC-Milan']);
  });
});

describe('referenceValues', () => {
  it('writes what the CLI writes, format by format, with the same refusals', async () => {
    const launch = { ovmf: bytes('ovmf', 'OVMF-synthetic-amdsev.fd'), vcpuType: 'EPYC-Milan', product: 'milan' } as const;
    const cliArgs = ['reference-values', '--ovmf', ex('ovmf', 'OVMF-synthetic-amdsev.fd'), '--vcpu-type', 'EPYC-Milan', '--product', 'milan', '--vcpus', '1-3'];
    expect((await neutral.referenceValues(launch, { vcpus: '1-3' }, 'trustee')).text).toBe(`${await cli(...cliArgs, '--format', 'trustee')}\n`);
    expect((await neutral.referenceValues(launch, { vcpus: '1-3' }, 'go-sev-guest', { policy: '0x30000' })).text).toBe(`${await cli(...cliArgs, '--format', 'go-sev-guest')}\n`);
    expect((await neutral.referenceValues(launch, { vcpus: '1-3' }, 'contrast')).text).toBe(`${await cli(...cliArgs, '--format', 'contrast')}\n`);
    await expect(neutral.referenceValues(launch, { vcpus: '1' }, 'trustee-operator')).rejects.toMatchObject({ code: 'usage' });
  });
});

describe('the platform-neutral entry', () => {
  it('imports nothing from node: (transitively)', () => {
    const seen = new Set<string>();
    const bad: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      // `typeof import('x')` is a type and leaves nothing behind; `import type` likewise.
      const code = text.replace(/typeof import\s*\(\s*'[^']+'\s*\)/g, '').replace(/import type [^;]+;/g, '');
      for (const m of code.matchAll(/(?:import|export)[^'"]*?from\s+'([^']+)'|import\s*\(\s*'([^']+)'\s*\)|import\s+'([^']+)'/g)) {
        const spec = m[1] ?? m[2] ?? m[3]!;
        if (spec.startsWith('node:')) bad.push(`${file}: ${spec}`);
        else if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      }
    };
    visit(join(REPO, 'src', 'index.ts'));
    expect(bad).toEqual([]);
    expect(seen.size).toBeGreaterThan(20);
  });
});

describe('Node Buffers as inputs', () => {
  it('give the same digest as Uint8Arrays and are never written to', async () => {
    const buf = readFileSync(ex('ovmf', 'OVMF-synthetic-amdsev.fd'));
    const before = Buffer.from(buf);
    const viaBuffer = await neutral.measureOvmf({ ovmf: buf, vcpus: 4, vcpuType: 'EPYC-v4' });
    const viaArray = await neutral.measureOvmf({ ovmf: new Uint8Array(buf), vcpus: 4, vcpuType: 'EPYC-v4' });
    expect(viaBuffer.digest).toBe(viaArray.digest);
    expect(buf.equals(before)).toBe(true);
    expect((await node.measureOvmf({ ovmf: buf, vcpus: 4, vcpuType: 'EPYC-v4' })).digest).toBe(viaArray.digest);
  });
});
