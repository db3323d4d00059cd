/** The one-call library API: same names and values as the CLI, same digests. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { captureIO, runCli } from '../src/cli/main.js';
import * as neutral from '../src/index.js';
import * as node from '../src/node/index.js';
import { nobleSuite } from '../src/hash/noble-suite.js';
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

describe('verifyReport takes the CLI names', () => {
  const fw = bytes('ovmf', 'OVMF-synthetic-amdsev.fd');
  const launch = { ovmf: fw, vcpuType: 'EPYC-Milan' } as const;
  const digests = async (): Promise<string[]> => (JSON.parse((await neutral.referenceValues(launch, { vcpus: '1-3' })).text) as { measurements: { digest: string }[] }).measurements.map((m) => m.digest);

  it('expected: one digest, a list or a comma-separated string, hex or base64; measurement is its deprecated alias', async () => {
    const [one, two, three] = await digests();
    const report = buildReport({ measurement: fromHex(two!, 'd', 48) });
    const base64 = Buffer.from(two!, 'hex').toString('base64');
    for (const expected of [two!, [one!, two!], `${one},${two}`, [base64]]) {
      const r = await neutral.verifyReport(report, { expected });
      expect(r.ok, String(expected)).toBe(true);
      expect(r.checks).toEqual([{ check: 'measurement', ok: true, expected: two, actual: two }]);
    }
    expect((await neutral.verifyReport(report, { measurement: two! })).ok).toBe(true);
    const miss = await neutral.verifyReport(report, { expected: [one!, three!] });
    expect(miss.ok).toBe(false);
    expect(miss.checks[0]).toEqual({ check: 'measurement', ok: false, expected: `${one} | ${three}`, actual: two });
    await expect(neutral.verifyReport(report, { expected: two!, measurement: two! })).rejects.toMatchObject({ code: 'usage', message: expect.stringMatching(/earlier name of expected/) as unknown });
    await expect(neutral.verifyReport(report, { expected: [] })).rejects.toMatchObject({ code: 'usage' });
    await expect(neutral.verifyReport(report, { expected: [2 as unknown as string] })).rejects.toMatchObject({ code: 'usage', message: expect.stringMatching(/expected\[0\]/) as unknown });
  });

  it('refuses no source, two sources, and a mistyped expectation (did-you-mean)', async () => {
    const [, two] = await digests();
    const report = buildReport({ measurement: fromHex(two!, 'd', 48) });
    await expect(neutral.verifyReport(report, { hostData: '00'.repeat(32) })).rejects.toMatchObject({ code: 'usage' });
    await expect(neutral.verifyReport(report, { expected: two!, launch: { ...launch, vcpus: 2 } })).rejects.toMatchObject({ code: 'usage' });
    // A misspelt check silently ignored would pass reports it should refuse.
    await expect(neutral.verifyReport(report, { expected: two!, ...({ hostdata: '00'.repeat(32) } as object) })).rejects.toMatchObject({ code: 'usage', message: expect.stringMatching(/hostdata is not an expectation; did you mean hostData\?/) as unknown });
    await expect(neutral.verifyReport('report.bin' as unknown as Uint8Array, { expected: two! })).rejects.toMatchObject({ code: 'usage' });
  });

  it('the field checks, named as the CLI options', async () => {
    const [, two] = await digests();
    const fields = { hostData: '01'.repeat(32), idKeyDigest: '02'.repeat(48), authorKeyDigest: '03'.repeat(48), reportData: '04'.repeat(64) };
    const report = buildReport({
      measurement: fromHex(two!, 'd', 48), policy: 0xb0000n, hostData: fromHex(fields.hostData, 'h'), idKeyDigest: fromHex(fields.idKeyDigest, 'i'),
      authorKeyDigest: fromHex(fields.authorKeyDigest, 'a'), reportData: fromHex(fields.reportData, 'r'),
    });
    const all = await neutral.verifyReport(report, { expected: two!, ...fields, policy: '0xb0000' });
    expect(all.ok).toBe(true);
    expect(all.checks.map((c) => c.check)).toEqual(['measurement', 'hostData', 'idKeyDigest', 'authorKeyDigest', 'reportData', 'policy']);
    const debug = await neutral.verifyReport(report, { expected: two!, forbidDebug: true, hostData: '05'.repeat(32) });
    expect(debug.ok).toBe(false);
    expect(debug.checks.filter((c) => !c.ok).map((c) => [c.check, c.actual])).toEqual([['hostData', fields.hostData], ['policy DEBUG clear', 'DEBUG=1']]);
  });

  it('referenceValues: the text or bytes of every file the CLI reads, naming the entry as verify --json does', async () => {
    const [, two] = await digests();
    const dir = mkdtempSync(join(tmpdir(), 'vmfw-api-verify-'));
    try {
      writeFileSync(join(dir, 'two.bin'), buildReport({ measurement: fromHex(two!, 'd', 48) }));
      writeFileSync(join(dir, 'vmfw-measure.json'), JSON.stringify({ launches: { web: { kind: 'ovmf', ovmf: ex('ovmf', 'OVMF-synthetic-amdsev.fd'), vcpus: '1-3', vcpuType: 'EPYC-Milan' } } }));
      expect(await runCli(['lock'], captureIO(dir))).toBe(0);
      const files: Record<string, string> = {
        'set.json': (await neutral.referenceValues(launch, { vcpus: '1-3' })).text,
        'trustee.json': (await neutral.referenceValues(launch, { vcpus: '1-3' }, 'trustee')).text,
        'lock.json': readFileSync(join(dir, 'vmfw-measure.lock.json'), 'utf8'),
      };
      const report = readFileSync(join(dir, 'two.bin'));
      for (const [name, text] of Object.entries(files)) {
        writeFileSync(join(dir, name), text);
        const io = captureIO(dir);
        expect(await runCli(['verify', '--report', 'two.bin', '--reference-values', name, '--json'], io), io.stderr).toBe(0);
        const viaCli = (JSON.parse(io.stdout) as { referenceValues: unknown }).referenceValues;
        const fromText = await neutral.verifyReport(report, { referenceValues: text });
        expect(fromText.ok, name).toBe(true);
        expect(fromText.referenceValues, name).toEqual(viaCli);
        expect((await node.verifyReport(report, { referenceValues: new TextEncoder().encode(text) })).referenceValues, name).toEqual(viaCli);
      }
      // go-sev-guest configs (a `# ---` stream); the CLI reads them from a directory (a single file: see the report).
      const stream = (await neutral.referenceValues(launch, { vcpus: '1-3' }, 'go-sev-guest')).text;
      const configs = await neutral.verifyReport(report, { referenceValues: stream });
      expect(configs.referenceValues).toMatchObject({ format: 'go-sev-guest check.Config', matched: [{ position: 'config[1]', digest: two, labels: { vcpus: '2', policy: '0x30000' } }] });
      const set = await neutral.verifyReport(report, { referenceValues: files['set.json']! });
      expect(set.referenceValues).toMatchObject({ format: 'vmfw-measure measurement set', matched: [{ position: 'measurements[1]', digest: two, labels: { vcpus: '2', vcpuType: 'EPYC-Milan' } }] });
      const lock = await neutral.verifyReport(report, { referenceValues: files['lock.json']! });
      expect(lock.referenceValues).toMatchObject({ format: 'vmfw-measure lock file', matched: [{ position: 'launches.web.configurations[1]' }] });
      const other = buildReport({ measurement: new Uint8Array(48).fill(9) });
      const miss = await neutral.verifyReport(other, { referenceValues: files['set.json']! });
      expect(miss.ok).toBe(false);
      expect(miss.checks[0]!.expected).toBe('one of the 3 entries of the vmfw-measure measurement set');
      expect(miss.referenceValues!.matched).toEqual([]);
      expect(miss.referenceValues!.candidates!.map((c) => c.position)).toEqual(['measurements[0]', 'measurements[1]', 'measurements[2]']);
      await expect(neutral.verifyReport(report, { referenceValues: 'set.json' })).rejects.toMatchObject({ code: 'usage', message: expect.stringMatching(/not its path/) as unknown });
      await expect(neutral.verifyReport(report, { referenceValues: { measurements: [] } as unknown as string })).rejects.toMatchObject({ code: 'usage' });
      await expect(neutral.verifyReport(report, { referenceValues: '{"measurements": []}' })).rejects.toMatchObject({ code: 'reference-values' });
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('options arguments are checked, never a TypeError', () => {
  const fw = bytes('ovmf', 'OVMF-synthetic-amdsev.fd');
  const igvm = bytes('igvm', 'example.igvm');
  const report = buildReport({ measurement: new Uint8Array(48) });
  const usage = async (p: Promise<unknown>, what: RegExp): Promise<void> => {
    const e: unknown = await p.then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(neutral.MeasureError);
    expect(e).toMatchObject({ code: 'usage', message: expect.stringMatching(what) as unknown });
  };
  const bad = [undefined, null, 'ovmf.fd', 4, [], new Uint8Array(4)];
  it('measureOvmf, measureRegions, measureIgvm on both entries', async () => {
    for (const entry of [neutral, node]) {
      for (const v of bad) await usage(entry.measureOvmf(v as never), /^measureOvmf\(options\): expected an options object, got /);
      for (const v of bad.slice(1)) {
        await usage(entry.measureRegions(ex('regions', 'uki-update.json'), v as never), /^measureRegions\(manifest, options\): expected an options object/);
        await usage(entry.measureIgvm(igvm, v as never), /^measureIgvm\(image, options\): expected an options object/);
      }
      await usage(entry.measureRegions(undefined as never), /^measureRegions\(manifest\): the manifest is nothing/);
      await usage(entry.measureIgvm(null as never), /^measureIgvm\(image\): the image is null/);
    }
    // Absent options stay optional where the command has defaults.
    expect((await neutral.measureIgvm(igvm)).digest).toMatch(/^[0-9a-f]{96}$/);
  });
  it('referenceValues, verifyReport, identify', async () => {
    for (const entry of [neutral, node]) {
      await usage(entry.referenceValues(undefined as never), /^referenceValues\(launch\): expected an options object, got nothing/);
      await usage(entry.referenceValues({ ovmf: fw, vcpuType: 'EPYC-v4' }, 'vcpus=1' as never), /^referenceValues\(launch, matrix\): expected an options object/);
      await usage(entry.verifyReport(report, undefined as never), /^verifyReport\(report, expected\): expected an options object/);
      await usage(entry.verifyReport(report, { launch: 'x' as never }), /^verifyReport: launch: expected an options object/);
      await usage(entry.identify(report, null as never), /^identify\(report, launch\): expected an options object, got null/);
    }
  });
});

describe('matrix keys take the aliases earlier --matrix files used', () => {
  const launch = { ovmf: bytes('ovmf', 'OVMF-synthetic-amdsev.fd') };
  it('referenceValues: vcpuTypes, vcpuSignatures and profiles give what vcpuType, vcpuSig and vmmType give', async () => {
    const keys = (await neutral.referenceValues(launch, { vcpus: '1-2', vcpuType: ['EPYC-Milan'], vmmType: ['qemu', 'ec2'] })).text;
    const aliases = (await neutral.referenceValues(launch, { vcpus: '1-2', vcpuTypes: ['EPYC-Milan'], profiles: ['qemu', 'ec2'] })).text;
    expect(aliases).toBe(keys);
    expect((JSON.parse(keys) as { measurements: unknown[] }).measurements).toHaveLength(4);
    expect((await neutral.referenceValues({ ...launch, vcpuSignatures: '0xa00f11' }, { vcpus: '1-2' })).text).toBe((await neutral.referenceValues({ ...launch, vcpuSig: '0xa00f11' }, { vcpus: '1-2' })).text);
    // The matrix's lists still win over the launch's, whatever their spelling.
    expect((await neutral.referenceValues({ ...launch, vcpuType: 'EPYC-v4' }, { vcpus: '1-2', vcpuTypes: ['EPYC-Milan'], vmmType: ['qemu', 'ec2'] })).text).toBe(keys);
  });
  it('an object giving a key and its alias is refused', async () => {
    await expect(neutral.referenceValues(launch, { vcpus: '1', vcpuType: 'EPYC-Milan', vcpuTypes: ['EPYC-v4'] })).rejects.toMatchObject({ code: 'usage', message: 'referenceValues(launch, matrix): vcpuTypes is an alias of vcpuType; give one of them, not both' });
    await expect(neutral.referenceValues({ ...launch, vmmType: 'qemu', profiles: 'ec2' }, { vcpus: '1' })).rejects.toMatchObject({ code: 'usage' });
    await expect(neutral.identify('ab'.repeat(48), { ...launch, vcpuSig: '0xa00f11', vcpuSignatures: ['0xa00f11'] })).rejects.toMatchObject({ code: 'usage' });
  });
  it('identify: aliases narrow the search as the keys do', async () => {
    const milan2 = (await neutral.measureOvmf({ ...launch, vcpus: 2, vcpuType: 'EPYC-Milan' })).digest;
    const byAlias = await neutral.identify(milan2, { ...launch, vcpus: '1-3', vcpuTypes: ['EPYC-Milan', 'EPYC-v4'], profiles: 'qemu' });
    const byKey = await neutral.identify(milan2, { ...launch, vcpus: '1-3', vcpuType: ['EPYC-Milan', 'EPYC-v4'], vmmType: 'qemu' });
    expect(byAlias).toEqual(byKey);
    expect(byAlias.matches.map((m) => [m.vcpus, m.vcpuType, m.vmmType])).toEqual([[2, 'EPYC-Milan', 'qemu']]);
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

describe('verifyReport applies the consumers\' own rules', () => {
  it('a go-sev-guest config refuses a report whose policy its check rejects (DEBUG set)', async () => {
    const launch = { ovmf: bytes('ovmf', 'OVMF-synthetic-amdsev.fd'), vcpuType: 'EPYC-Milan' };
    const digest = (await neutral.measureOvmf({ ...launch, vcpus: 1 })).digest;
    const config = (await neutral.referenceValues(launch, { vcpus: '1' }, 'go-sev-guest', { policy: '0x30000' })).text;
    const ok = await neutral.verifyReport(buildReport({ measurement: fromHex(digest, 'd', 48), policy: 0x30000n }), { referenceValues: config });
    expect(ok.ok).toBe(true);
    const debug = await neutral.verifyReport(buildReport({ measurement: fromHex(digest, 'd', 48), policy: 0xb0000n }), { referenceValues: config });
    expect(debug.ok).toBe(false);
  });
});

describe('wrong arguments from JavaScript callers', () => {
  const ovmf = new Uint8Array(readFileSync(join(REPO, 'examples', 'ovmf', 'OVMF-synthetic-amdsev.fd')));
  const manifest = readFileSync(join(REPO, 'examples', 'regions', 'uki-update.json'), 'utf8');
  // Synchronous or asynchronous, the call must fail with a MeasureError.
  const refused = async (f: () => unknown, message: RegExp): Promise<void> => {
    await expect(Promise.resolve().then(f)).rejects.toMatchObject({ name: 'MeasureError', code: 'usage', message: expect.stringMatching(message) });
  };
  it('are usage errors naming the argument, never TypeErrors', async () => {
    await refused(() => neutral.measureRegions(manifest, { files: { '../ovmf/OVMF-synthetic-amdsev.fd': 'x' as unknown as Uint8Array } }), /^files\["\.\.\/ovmf\/OVMF-synthetic-amdsev\.fd"\]: expected bytes \(a Uint8Array\), got a string/);
    await refused(() => neutral.measureOvmf({ ovmf, vcpus: 1, vcpuType: 'EPYC-v4', hashes: {} as never }), /^hashes: expected a hash suite .* got an object/);
    await refused(() => neutral.referenceValues({ ovmf, vcpuType: 'EPYC-v4', vcpus: '1' }, undefined, 5 as never), /^referenceValues\(launch, matrix, format\): expected a format name .* got a number/);
  });
  it('a mistyped or CLI-spelled option name gets the key it meant', async () => {
    await refused(() => neutral.measureOvmf({ ovmf, vcpus: 1, vcpuTpye: 'EPYC-v4' } as never), /^vcpuTpye is not a launch option; did you mean vcpuType\?/);
    await refused(() => neutral.measureOvmf({ ovmf, vcpus: 1, 'vcpu-type': 'EPYC-v4' } as never), /^vcpu-type is not a launch option; did you mean vcpuType\?/);
    await refused(() => neutral.measureOvmf({ ovmf, vcpus: 1, vcpu_type: 'EPYC-v4' } as never), /did you mean vcpuType\?/);
  });
  it('referenceValues refuses format options it does not know, and points a launch option to the launch', async () => {
    await refused(() => neutral.referenceValues({ ovmf, vcpuType: 'EPYC-Milan' }, { vcpus: '1-2' }, 'json', { encodng: 'hex' } as never), /encodng is not a format option; did you mean encoding\?/);
    await refused(() => neutral.referenceValues({ ovmf, vcpuType: 'EPYC-Milan' }, { vcpus: '1-2' }, 'contrast', { product: 'milan' } as never), /product is not a format option; product describes the launch: give it in the launch argument/);
    // In the launch argument it works.
    expect((await neutral.referenceValues({ ovmf, vcpuType: 'EPYC-Milan', product: 'milan' }, { vcpus: '1-2' }, 'contrast')).text).toContain('"ProductName": "Milan"');
  });
});

describe('the Node entry and a manifest given as text or an object', () => {
  it('opens the files it names from disk, relative to cwd, when files does not name them', async () => {
    const dir = join(REPO, 'examples', 'regions');
    const text = readFileSync(join(dir, 'uki-update.json'), 'utf8');
    const byPath = (await node.measureRegions(join(dir, 'uki-update.json'))).digest;
    expect((await node.measureRegions(JSON.parse(text), { cwd: dir })).digest).toBe(byPath);
    expect((await node.measureRegions(text, { cwd: dir })).digest).toBe(byPath);
    await expect(node.measureRegions(JSON.parse(text), { cwd: tmpdir() })).rejects.toMatchObject({ code: 'file-missing' });
  });
});

describe('what typed callers need is exported', () => {
  it('the error guard, byte sources and report fields, from the platform-neutral entry', async () => {
    expect(typeof neutral.isMeasureError).toBe('function');
    expect(typeof neutral.bytesSource).toBe('function');
    const error = await Promise.resolve().then(() => neutral.measureOvmf({ ovmf: new Uint8Array(4096), vcpus: 'x' } as never)).catch((e: unknown) => e);
    expect(neutral.isMeasureError(error)).toBe(true);
    // A front-end of its own: bytes as a source, a description, the launch it names.
    const fw = new Uint8Array(readFileSync(join(REPO, 'examples', 'ovmf', 'OVMF-synthetic-amdsev.fd')));
    const open: neutral.OpenInput = (_v, key) => neutral.bytesSource(fw, key);
    const options: neutral.DescribeOptions = { open };
    const d: neutral.LaunchDescription = neutral.describeLaunch({ ovmf: 'fw', vcpus: 1, vcpuType: 'EPYC-v4' }, options);
    const ctx: neutral.BuildContext = { spell: (k) => k };
    const opened: neutral.OpenedLaunch = neutral.openLaunch(d, ctx);
    const details: neutral.ErrorDetails = { region: 0 };
    expect(new neutral.MeasureError('usage', 'x', details).details).toEqual({ region: 0 });
    expect(opened.launch.kind).toBe('ovmf');
    const fields: neutral.ReportFields = { measurement: new Uint8Array(48).fill(7) };
    expect(neutral.parseReport(neutral.buildReport(fields)).measurement).toEqual(new Uint8Array(48).fill(7));
  });
});
