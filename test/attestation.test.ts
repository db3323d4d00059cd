import { afterAll, describe, expect, it } from 'vitest';
import { createHash, generateKeyPairSync, verify as ecVerify } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport, parseReport, decodeTcb, REPORT_SIZE } from '../src/attestation/report.js';
import { encodeIdBlock, fromLe72 } from '../src/snp/id-block.js';
import { buildSyntheticImage } from '../src/conformance/recipes.js';
import { fromBase64, fromHex, toBase64, toHex } from '../src/bytes.js';
import { defaultSuite } from '../src/hash/suite.js';
import { isMeasureError } from '../src/errors.js';
import { readCheckConfig } from '../src/attestation/go-sev-guest.js';
import { cliIn, loadVectors, REPO } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vmfw-attest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const synth = loadVectors<{ images: Record<string, Parameters<typeof buildSyntheticImage>[0]> }>('synthetic-vectors.json');
writeFileSync(join(dir, 'fw.fd'), buildSyntheticImage(synth.images['amdsev-1m']!));
writeFileSync(join(dir, 'nometa.fd'), buildSyntheticImage(synth.images['ovmfx64-1m']!));

const run = cliIn(dir);
async function digestOf(...ovmfArgs: string[]): Promise<string> {
  const r = await run('ovmf', '--mode=snp', '--ovmf=fw.fd', ...ovmfArgs);
  expect(r.rc, r.err).toBe(0);
  return r.out.trim();
}
function writeReport(name: string, fields: Parameters<typeof buildReport>[0]): string {
  writeFileSync(join(dir, name), buildReport(fields));
  return name;
}
const codeOf = (f: () => unknown): string => { try { f(); return 'ok'; } catch (e) { if (isMeasureError(e)) return e.code; throw e; } };

describe('attestation reports', () => {
  const m = fromHex('ab'.repeat(48), 'm');
  it('parses every field at its offset (version 3, host CPUID)', () => {
    const r = parseReport(buildReport({ measurement: m, policy: 0xb0000n, guestSvn: 7, vmpl: 1, hostData: new Uint8Array(32).fill(5), cpuid: { family: 0x19, model: 0x11, stepping: 1 }, reportedTcb: 0xdb18000000000304n }));
    expect(toHex(r.measurement)).toBe('ab'.repeat(48));
    expect(r).toMatchObject({ version: 3, guestSvn: 7, vmpl: 1, cpuid: { family: 0x19, model: 0x11, stepping: 1 } });
    expect(r.policy).toMatchObject({ value: 0xb0000n, smt: true, reservedBit17: true, debug: true });
    expect(r.reportedTcb).toMatchObject({ bootloader: 4, tee: 3, snp: 0x18, microcode: 0xdb });
    expect(toHex(r.hostData)).toBe('05'.repeat(32));
  });
  it('accepts hex and base64 text', () => {
    const bin = buildReport({ measurement: m, version: 2 });
    expect(toHex(parseReport(new TextEncoder().encode(toHex(bin))).measurement)).toBe(toHex(m));
    expect(toHex(parseReport(new TextEncoder().encode(`${toBase64(bin)}\n`)).measurement)).toBe(toHex(m));
    expect(parseReport(bin).cpuid).toBeUndefined();
  });
  it('version 5 carries mitigation vectors; Turin TCBs have an FMC byte', () => {
    const r = parseReport(buildReport({ measurement: m, version: 5, cpuid: { family: 0x1a, model: 0x02, stepping: 1 } }));
    expect(r.launchMitigationVector).toBe(0n);
    expect(decodeTcb(0x0a00000003020105n, 0x1a)).toMatchObject({ fmc: 5, bootloader: 1, tee: 2, snp: 3, microcode: 10 });
  });
  it('refuses wrong sizes and unknown versions', () => {
    expect(codeOf(() => parseReport(new Uint8Array(100)))).toBe('report');
    const bad = buildReport({ measurement: m });
    bad[0] = 9;
    expect(codeOf(() => parseReport(bad))).toBe('report');
    expect(REPORT_SIZE).toBe(1184);
  });
  it('report --json gives the measurement as lowercase hex and says the signature is unchecked', async () => {
    const j = JSON.parse((await run('report', writeReport('r0.bin', { measurement: m }), '--json')).out);
    expect(j.measurement).toBe('ab'.repeat(48));
    expect(j.signature.checked).toBe(false);
  });
});

describe('verify', () => {
  const args = ['--vcpus=4', '--vcpu-type=EPYC-Milan', '--guest-features=0x21'];
  it('matches the launch the inputs describe (exit 0) and fails a different one (exit 1)', async () => {
    const d = await digestOf(...args);
    writeReport('r1.bin', { measurement: fromHex(d, 'd'), hostData: new Uint8Array(32).fill(1) });
    const ok = await run('verify', '--report=r1.bin', '--ovmf=fw.fd', ...args, `--host-data=${'01'.repeat(32)}`);
    expect(ok.rc).toBe(0);
    expect(ok.out).toMatch(/^measurement: match/);
    const bad = await run('verify', '--report=r1.bin', '--ovmf=fw.fd', '--vcpus=4', '--vcpu-type=EPYC-Milan');
    expect(bad.rc).toBe(1);
    expect(bad.out).toContain(`actual:   ${d}`);
    const host = await run('verify', '--report=r1.bin', `--expected=${d}`, `--host-data=${'02'.repeat(32)}`, '--json');
    expect(host.rc).toBe(1);
    expect(JSON.parse(host.out).checks.map((c: { check: string; ok: boolean }) => [c.check, c.ok])).toEqual([['measurement', true], ['host-data', false]]);
  });
  it('accepts reference values in its own and Trustee formats', async () => {
    const d = await digestOf(...args);
    writeReport('r1b.bin', { measurement: fromHex(d, 'd') });
    for (const format of ['json', 'trustee']) {
      const rv = await run('reference-values', '--ovmf=fw.fd', '--vcpus=1-8', '--vcpu-type=EPYC-Milan', '--guest-features=0x21', `--format=${format}`, `--out=rv-${format}.json`);
      expect(rv.rc, rv.err).toBe(0);
      expect((await run('verify', '--report=r1b.bin', `--reference-values=rv-${format}.json`)).rc).toBe(0);
      const other = await run('reference-values', '--ovmf=fw.fd', '--vcpus=1-3', '--vcpu-type=EPYC-Milan', `--format=${format}`, `--out=rv-other-${format}.json`);
      expect(other.rc).toBe(0);
      expect((await run('verify', '--report=r1b.bin', `--reference-values=rv-other-${format}.json`)).rc).toBe(1);
    }
  });
  it('--expected-log shows the first step where the inputs differ from the expected launch', async () => {
    await run('ovmf', '--mode=snp', '--ovmf=fw.fd', '--vcpus=4', '--vcpu-type=EPYC-Milan', '--guest-features=0x21', '--log=expected.jsonl');
    writeReport('r1c.bin', { measurement: fromHex(await digestOf(...args), 'd') });
    const r = await run('verify', '--report=r1c.bin', '--ovmf=fw.fd', '--vcpus=4', '--vcpu-type=EPYC-Milan', '--guest-features=0x1', '--expected-log=expected.jsonl');
    expect(r.rc).toBe(1);
    expect(r.out).toMatch(/first difference at step 287: contents digest/);
    expect(r.out).toMatch(/vmsa 0 \(BSP\)/);
  });
  it('needs exactly one source of expected values', async () => {
    expect((await run('verify', '--report=r1.bin')).err).toMatch(/^error\[usage\]/);
  });
});

describe('identify', () => {
  it('finds the planted configuration among thousands', async () => {
    const d = await digestOf('--vcpus=37', '--vcpu-type=EPYC-Rome', '--guest-features=0x21', '--vmm-era=pre-init2');
    writeReport('r2.bin', { measurement: fromHex(d, 'd'), cpuid: { family: 0x17, model: 0x31, stepping: 0 } });
    const r = await run('identify', '--report=r2.bin', '--ovmf=fw.fd', '--json');
    expect(r.rc).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.matches).toEqual([{ vcpus: 37, vcpuType: 'EPYC-Rome', vcpuSignature: '0x830f10', guestFeatures: '0x21', profile: 'qemu', era: 'pre-init2' }]);
    expect(j.searched.configurations).toBeGreaterThan(5000);
    expect(j.searched.order).toMatch(/Rome/);
  });
  it('says clearly when nothing in the space matches (exit 1)', async () => {
    const r = await run('identify', `--measurement=${'00'.repeat(48)}`, '--ovmf=fw.fd', '--vcpus=1-4');
    expect(r.rc).toBe(1);
    expect(r.out).toMatch(/^no configuration in the searched space matches/);
    expect(r.out).toMatch(/vCPU counts +1\.\.4 \(4 counts\)/);
  });
  it('extra guest features join the default ones', async () => {
    const d = await digestOf('--vcpus=3', '--vmm-type=gce', '--guest-features=0x8000000000000021');
    const r = await run('identify', `--measurement=${d}`, '--ovmf=fw.fd', '--guest-features=0x8000000000000021', '--json');
    expect(JSON.parse(r.out).matches).toEqual([{ vcpus: 3, vcpuType: null, vcpuSignature: null, guestFeatures: '0x8000000000000021', profile: 'gce', era: 'default' }]);
  });
  it('works on IGVM files and region lists', async () => {
    const igvm = join(REPO, 'vectors', 'igvm', 'snp-minimal.igvm');
    const d = (await run('igvm', igvm, '--vcpus=4', '--vcpu-type=EPYC-Milan')).out.trim();
    const r = JSON.parse((await run('identify', `--measurement=${d}`, `--igvm=${igvm}`, '--vcpus=1-16', '--json')).out);
    expect(r.matches).toEqual([{ vcpus: 4, vcpuType: 'EPYC-Milan', vcpuSignature: '0xa00f11', guestFeatures: null, profile: 'qemu', era: 'init2' }]);
    const manifest = join(REPO, 'examples', 'regions', 'uki-update.json');
    const dm = (await run('regions', manifest, '--vcpus=6')).out.trim();
    const rm = JSON.parse((await run('identify', `--measurement=${dm}`, `--manifest=${manifest}`, '--vcpus=1-8', '--json')).out);
    expect(rm.matches).toContainEqual({ vcpus: 6, vcpuType: 'EPYC', vcpuSignature: '0x800f12', guestFeatures: '0x1', profile: 'qemu', era: 'init2' });
  });
});

describe('diff', () => {
  it('names the first differing step, what differs and the origin on each side', async () => {
    await run('ovmf', '--mode=snp', '--ovmf=fw.fd', '--vcpus=2', '--vcpu-type=EPYC-v4', '--log=qemu.jsonl');
    await run('ovmf', '--mode=snp', '--ovmf=fw.fd', '--vcpus=2', '--vmm-type=gce', '--log=gce.jsonl');
    await run('ovmf', '--mode=snp', '--ovmf=fw.fd', '--vcpus=1', '--vcpu-type=EPYC-v4', '--log=qemu1.jsonl');
    const r = await run('diff', 'qemu.jsonl', 'gce.jsonl', '--json');
    expect(r.rc).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.first).toMatchObject({ step: 256, fields: ['pageType'], a: { pageType: 'ZERO', gpa: '0x800000', origin: { kind: 'metadata', index: 0 } }, b: { pageType: 'UNMEASURED' } });
    const missing = JSON.parse((await run('diff', 'qemu.jsonl', 'qemu1.jsonl', '--json')).out);
    expect(missing.first).toMatchObject({ fields: ['missing-in-b'], a: { pageType: 'VMSA', origin: { kind: 'vmsa', index: 1 } } });
    expect((await run('diff', 'qemu.jsonl', 'qemu.jsonl')).rc).toBe(0);
    writeFileSync(join(dir, 'junk.jsonl'), 'not json\n');
    expect((await run('diff', 'qemu.jsonl', 'junk.jsonl')).err).toMatch(/^error\[log-format\]: junk\.jsonl line 1/);
  });
});

describe('reference-values', () => {
  it('json: one entry per configuration, each equal to the ovmf digest', async () => {
    const j = JSON.parse((await run('reference-values', '--ovmf=fw.fd', '--vcpus=1,4', '--vcpu-type=EPYC-v4,EPYC-Genoa', '--guest-features=0x1,0x21', '--encoding=base64')).out);
    expect(j.measurements).toHaveLength(8);
    const e = j.measurements.find((m: { vcpus: number; vcpuType: string; guestFeatures: string }) => m.vcpus === 4 && m.vcpuType === 'EPYC-Genoa' && m.guestFeatures === '0x21');
    expect(toHex(fromBase64(e.digest, 'd'))).toBe(await digestOf('--vcpus=4', '--vcpu-type=EPYC-Genoa', '--guest-features=0x21'));
  });
  it('trustee: exactly one registration message with the whole list', async () => {
    const r = await run('reference-values', '--ovmf=fw.fd', '--vcpus=1-3', '--vcpu-type=EPYC-v4', '--format=trustee');
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const msg = JSON.parse(lines[0]!);
    expect(msg).toMatchObject({ version: '0.1.0', type: 'sample' });
    const payload = JSON.parse(new TextDecoder().decode(fromBase64(msg.payload, 'p')));
    expect(payload.snp_launch_measurement).toEqual([await digestOf('--vcpus=1', '--vcpu-type=EPYC-v4'), await digestOf('--vcpus=2', '--vcpu-type=EPYC-v4'), await digestOf('--vcpus=3', '--vcpu-type=EPYC-v4')]);
  });
  it('go-sev-guest: a check policy per configuration with the measurement bytes', async () => {
    const r = await run('reference-values', '--ovmf=fw.fd', '--vcpus=2', '--vmm-type=ec2', '--format=go-sev-guest', '--policy=0x30000');
    const m = /measurement: "((?:\\x[0-9a-f]{2})+)"/.exec(r.out)!;
    expect(m[1]!.replace(/\\x/g, '')).toBe(await digestOf('--vcpus=2', '--vmm-type=ec2'));
    expect(r.out).toContain('policy: 196608');
  });
  it('contrast: ReferenceValues.snp entries', async () => {
    const j = JSON.parse((await run('reference-values', '--ovmf=fw.fd', '--vcpus=1', '--vcpu-type=EPYC-Genoa', '--product=genoa', '--format=contrast')).out);
    expect(j.snp).toEqual([{ ProductName: 'Genoa', TrustedMeasurement: await digestOf('--vcpus=1', '--vcpu-type=EPYC-Genoa'), GuestPolicy: { SMT: true }, CPUs: 1 }]);
  });
  it('contrast --apeip: the 1-vCPU digest plus the AP reset EIP, from which any count extends', async () => {
    const j = JSON.parse((await run('reference-values', '--ovmf=fw.fd', '--vcpus=1-8', '--vcpu-type=EPYC-Genoa', '--product=genoa', '--format=contrast', '--apeip')).out);
    expect(j.snp).toEqual([{ ProductName: 'Genoa', TrustedMeasurement: await digestOf('--vcpus=1', '--vcpu-type=EPYC-Genoa'), GuestPolicy: { SMT: true }, CPUs: 1, APEIP: '0080b004' }]);
    const igvm = join(REPO, 'vectors', 'igvm', 'snp-minimal.igvm');
    expect((await run('reference-values', `--igvm=${igvm}`, '--vcpus=1', '--vcpu-type=EPYC-Genoa', '--product=genoa', '--format=contrast', '--apeip')).err).toMatch(/^error\[contrast-apeip\]: the APEIP form needs the AP reset EIP of an OVMF firmware/);
  });
  it('--product applies to the profiles whose VMSA GPA depends on it', async () => {
    const j = JSON.parse((await run('reference-values', '--ovmf=fw.fd', '--vcpus=2', '--vcpu-type=EPYC-Genoa', '--vmm-type=qemu,gce', '--product=genoa')).out);
    expect(j.measurements.map((m: { profile: string; digest: string }) => [m.profile, m.digest])).toEqual([
      ['qemu', await digestOf('--vcpus=2', '--vcpu-type=EPYC-Genoa')],
      ['gce', await digestOf('--vcpus=2', '--vmm-type=gce', '--product=genoa')],
    ]);
    expect(await digestOf('--vcpus=2', '--vmm-type=gce', '--product=genoa')).not.toBe(await digestOf('--vcpus=2', '--vmm-type=gce'));
  });
  it('a matrix file fills what flags leave out', async () => {
    writeFileSync(join(dir, 'matrix.json'), JSON.stringify({ vcpus: '1-2', vcpuTypes: ['EPYC-Milan'], guestFeatures: ['0x1', '0x21'], profiles: ['qemu', 'qemu:pre-init2'] }));
    const j = JSON.parse((await run('reference-values', '--ovmf=fw.fd', '--matrix=matrix.json')).out);
    expect(j.measurements).toHaveLength(8);
    writeFileSync(join(dir, 'badmatrix.json'), JSON.stringify({ cpus: 1 }));
    expect((await run('reference-values', '--ovmf=fw.fd', '--matrix=badmatrix.json')).err).toMatch(/^error\[reference-values\]: .*unknown key "cpus"/);
  });
});

describe('id-block', () => {
  it('lays out the ID block as the reference tools do (sev-snp-measure and virtee/sev ID-block vectors)', () => {
    const ld = fromBase64('B28FLQi9p6cAqipgjFyqawDrrSl7bWioWkWx5mmlWLZ+G5HShKMB/mPE+gdQRn7t', 'ld');
    expect(toBase64(encodeIdBlock({ ld }))).toBe('B28FLQi9p6cAqipgjFyqawDrrSl7bWioWkWx5mmlWLZ+G5HShKMB/mPE+gdQRn7tAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAwAAAAAA');
    const ld2 = fromHex('a14d638341e5674628fe1e02fbedebe5e5ab4faf1dd72d8966068e615bb99efd13d214b35c231715b38e263dc6059745', 'ld');
    expect(toBase64(encodeIdBlock({ ld: ld2 }))).toBe('oU1jg0HlZ0Yo/h4C++3r5eWrT68d1y2JZgaOYVu5nv0T0hSzXCMXFbOOJj3GBZdFAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAwAAAAAA');
  });
  it('signs with fixed-width little-endian r and s that an independent verifier accepts', async () => {
    const id = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const author = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    writeFileSync(join(dir, 'id.pem'), id.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    writeFileSync(join(dir, 'author.pem'), author.privateKey.export({ format: 'pem', type: 'sec1' }));
    const ld = 'cd'.repeat(48);
    const j = JSON.parse((await run('id-block', `--measurement=${ld}`, '--id-key=id.pem', '--author-key=author.pem', '--policy=0x30000', '--guest-svn=3', '--family-id', '11'.repeat(16), '--json')).out);
    const block = fromBase64(j.idBlock, 'b');
    const auth = fromBase64(j.idAuth, 'a');
    expect(block).toHaveLength(96);
    expect(auth).toHaveLength(4096);
    expect(toHex(block.subarray(0, 48))).toBe(ld);
    expect(toHex(block.subarray(0x30, 0x40))).toBe('11'.repeat(16));
    expect(Buffer.from(block).readUInt32LE(0x54)).toBe(3);
    const rs = (off: number): Buffer => Buffer.concat([fromLe72(auth.subarray(off, off + 72)), fromLe72(auth.subarray(off + 72, off + 144))]);
    // The ID key signs the ID block; the author key signs the ID public key structure.
    expect(ecVerify('sha384', block, { key: id.publicKey, dsaEncoding: 'ieee-p1363' }, rs(0x40))).toBe(true);
    expect(ecVerify('sha384', auth.subarray(0x240, 0x240 + 1028), { key: author.publicKey, dsaEncoding: 'ieee-p1363' }, rs(0x680))).toBe(true);
    // The public key structure holds Qx, Qy little-endian, and the digest is its SHA-384.
    const jwk = id.publicKey.export({ format: 'jwk' });
    expect(toHex(fromLe72(auth.subarray(0x244, 0x244 + 72)))).toBe(toHex(fromBase64(jwk.x!, 'x')));
    expect(j.idKeyDigest).toBe(toHex(defaultSuite.sha384(auth.subarray(0x240, 0x240 + 1028))));
    expect(j.authorKeyDigest).toBe(toHex(defaultSuite.sha384(auth.subarray(0x880, 0x880 + 1028))));
  });
  it('rejects keys that are not P-384', async () => {
    const k = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(join(dir, 'p256.pem'), k.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const r = await run('id-block', `--measurement=${'cd'.repeat(48)}`, '--id-key=p256.pem');
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(/^error\[key\]: .*P-384/);
    expect(readFileSync(join(dir, 'p256.pem'), 'utf8')).toMatch(/PRIVATE KEY/);
  });
});

describe('reference-values formats on the command line (issue 12)', () => {
  const genoa = ['--ovmf=fw.fd', '--vcpu-type=EPYC-Genoa'];
  it('go-sev-guest --out takes one configuration and a .textproto name; several are refused, naming --out-dir', async () => {
    const two = await run('reference-values', ...genoa, '--vcpus=1-2', '--format=go-sev-guest', '--out=two.textproto');
    expect(two.rc).toBe(2);
    expect(two.err).toMatch(/^error\[go-sev-guest-output\]: --out two\.textproto: .*2 configurations; use --out-dir DIR/);
    expect(existsSync(join(dir, 'two.textproto'))).toBe(false);
    const suffix = await run('reference-values', ...genoa, '--vcpus=2', '--format=go-sev-guest', '--out=one.txt');
    expect(suffix.rc).toBe(2);
    expect(suffix.err).toMatch(/^error\[go-sev-guest-output\]: .*name it one\.textproto/);
    const one = await run('reference-values', ...genoa, '--vcpus=2', '--format=go-sev-guest', '--policy=0x30000', '--out=one.textproto');
    expect(one.rc, one.err).toBe(0);
    const c = readCheckConfig(readFileSync(join(dir, 'one.textproto'), 'utf8'), 'one.textproto');
    expect([toHex(c.measurement), c.policy]).toEqual([await digestOf('--vcpus=2', '--vcpu-type=EPYC-Genoa'), 0x30000n]);
  });
  it('go-sev-guest --out-dir creates the directory and writes one check.Config per configuration, each with the policy', async () => {
    const r = await run('reference-values', ...genoa, '--vcpus=1-3', '--format=go-sev-guest', '--policy=0x70000', '--out-dir=gsg/nested');
    expect(r.rc, r.err).toBe(0);
    expect(r.out).toBe('wrote 3 configs to gsg/nested\n');
    const names = readdirSync(join(dir, 'gsg', 'nested')).sort();
    expect(names).toEqual(['qemu-init2-EPYC-Genoa-gf1-v1.textproto', 'qemu-init2-EPYC-Genoa-gf1-v2.textproto', 'qemu-init2-EPYC-Genoa-gf1-v3.textproto']);
    for (const [i, n] of names.entries()) {
      const c = readCheckConfig(readFileSync(join(dir, 'gsg', 'nested', n), 'utf8'), n);
      expect(c.policy).toBe(0x70000n);
      expect(toHex(c.measurement)).toBe(await digestOf(`--vcpus=${i + 1}`, '--vcpu-type=EPYC-Genoa'));
      expect(c.labels).toMatchObject({ vcpus: String(i + 1), vcpuType: 'EPYC-Genoa' });
    }
  });
  it('go-sev-guest on stdout: configs separated by "# ---", with a note that each part is one config; bad policies refused', async () => {
    const r = await run('reference-values', ...genoa, '--vcpus=1-2', '--format=go-sev-guest');
    expect(r.out.split('\n# ---\n')).toHaveLength(2);
    expect(r.err).toMatch(/^note: 2 go-sev-guest check\.Config separated by "# ---" lines/);
    const bad = await run('reference-values', ...genoa, '--vcpus=1', '--format=go-sev-guest', '--policy=0x10000');
    expect([bad.rc, bad.err]).toEqual([2, expect.stringMatching(/^error\[guest-policy\]: --policy 0x10000: bit 17 is reserved/)]);
    const enc = await run('reference-values', ...genoa, '--vcpus=1', '--format=go-sev-guest', '--encoding=base64');
    expect(enc.err).toMatch(/^error\[usage\]: --format go-sev-guest fixes the digest encoding/);
    const dirJson = await run('reference-values', ...genoa, '--vcpus=1', '--out-dir=nope');
    expect(dirJson.err).toMatch(/^error\[usage\]: --out-dir belongs to --format go-sev-guest/);
    expect(existsSync(join(dir, 'nope'))).toBe(false);
  });
  it('contrast needs --product (milan or genoa), refuses turin, and --apeip refuses a vCPU model Contrast would not extend with', async () => {
    const none = await run('reference-values', ...genoa, '--vcpus=1', '--format=contrast');
    expect([none.rc, none.err]).toEqual([2, expect.stringMatching(/^error\[contrast-product\]: Contrast reference values need --product milan or --product genoa/)]);
    const turin = await run('reference-values', ...genoa, '--vcpus=1', '--format=contrast', '--product=turin');
    expect([turin.rc, turin.err]).toEqual([2, expect.stringMatching(/^error\[contrast-product\]: --product turin: Contrast accepts ProductName Milan or Genoa only/)]);
    const v4 = await run('reference-values', '--ovmf=fw.fd', '--vcpu-type=EPYC-v4', '--format=contrast', '--product=genoa', '--apeip');
    expect([v4.rc, v4.err]).toEqual([2, expect.stringMatching(/^error\[contrast-apeip\]: .*vCPU EPYC-v4 0x800f12 \(Contrast uses EPYC-Genoa 0xa10f10/)]);
    const gf = await run('reference-values', ...genoa, '--guest-features=0x21', '--format=contrast', '--product=genoa', '--apeip');
    expect(gf.err).toMatch(/^error\[contrast-apeip\]: .*guest features 0x21/);
    const ok = await run('reference-values', ...genoa, '--vcpus=2', '--format=contrast', '--product=genoa');
    expect(ok.err).toMatch(/^note: add MinimumTCB/m);
    expect(ok.err).toMatch(/^note: PlatformInfo is left out/m);
    const smtOff = await run('reference-values', ...genoa, '--vcpus=2', '--format=contrast', '--product=genoa', '--policy=0x20000');
    expect(smtOff.err).toMatch(/^error\[contrast-policy\]: .*SMT not allowed/);
  });
  it('trustee-operator needs --expires and writes it as UTC; trustee-sample is the unwrapped list', async () => {
    const missing = await run('reference-values', ...genoa, '--vcpus=1-2', '--format=trustee-operator');
    expect([missing.rc, missing.err]).toEqual([2, expect.stringMatching(/^error\[usage\]: --format trustee-operator needs --expires/)]);
    const bad = await run('reference-values', ...genoa, '--vcpus=1-2', '--format=trustee-operator', '--expires=tomorrow');
    expect([bad.rc, bad.err]).toEqual([2, expect.stringMatching(/^error\[expires\]: --expires "tomorrow" is not an RFC 3339 date-time/)]);
    const d = [await digestOf('--vcpus=1', '--vcpu-type=EPYC-Genoa'), await digestOf('--vcpus=2', '--vcpu-type=EPYC-Genoa')];
    const r = await run('reference-values', ...genoa, '--vcpus=1-2', '--format=trustee-operator', '--expires=2027-01-01T01:30:00+02:00');
    expect(JSON.parse(r.out)).toEqual([{ name: 'snp_launch_measurement', expiration: '2026-12-31T23:30:00Z', value: d }]);
    const s = await run('reference-values', ...genoa, '--vcpus=1-2', '--format=trustee-sample', '--encoding=base64');
    expect(JSON.parse(s.out)).toEqual({ snp_launch_measurement: d.map((x) => toBase64(fromHex(x, 'd'))) });
    expect((await run('reference-values', ...genoa, '--vcpus=1', '--format=trustee', '--encoding=0xhex')).err).toMatch(/^error\[usage\]: --encoding: "0xhex" is not one of hex, base64/);
    expect((await run('reference-values', ...genoa, '--vcpus=1', '--expires=2027-01-01T00:00:00Z')).err).toMatch(/^error\[usage\]: --expires belongs to --format trustee-operator/);
  });
  it('json: provenance names the tool, the rules and the SHA-256 of every input', async () => {
    writeFileSync(join(dir, 'vmlinuz'), 'a kernel');
    const sha = (f: string): string => createHash('sha256').update(readFileSync(join(dir, f))).digest('hex');
    const j = JSON.parse((await run('reference-values', ...genoa, '--vcpus=1', '--kernel=vmlinuz', `--initrd-sha256=${'ab'.repeat(32)}`, '--append=console=ttyS0')).out);
    expect(j.format).toBe('vmfw-measure/reference-values@1');
    expect(j.provenance).toEqual({
      tool: { name: 'vmfw-measure', version: JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version },
      rules: 'ovmf:sev-snp-measure',
      inputs: [
        { role: 'firmware', path: 'fw.fd', sha256: sha('fw.fd') },
        { role: 'kernel', path: 'vmlinuz', sha256: sha('vmlinuz') },
        { role: 'initrd', sha256: 'ab'.repeat(32), given: true },
        { role: 'cmdline', sha256: createHash('sha256').update('console=ttyS0\0').digest('hex') },
      ],
    });
    const igvm = join(REPO, 'vectors', 'igvm', 'snp-minimal.igvm');
    const ji = JSON.parse((await run('reference-values', `--igvm=${igvm}`, '--vcpus=1', '--semantics=igvmmeasure')).out);
    expect(ji.provenance.rules).toBe('igvm:igvmmeasure');
    expect(ji.provenance.inputs).toEqual([{ role: 'igvm', path: igvm, sha256: createHash('sha256').update(readFileSync(igvm)).digest('hex') }]);
    const manifest = join(REPO, 'examples', 'regions', 'uki-update.json');
    const jm = JSON.parse((await run('reference-values', `--manifest=${manifest}`, '--vcpus=1', '--vcpu-type=EPYC-v4')).out);
    expect(jm.provenance.rules).toBe('vmfwupdate-snp/1');
    const fileSha = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');
    expect(jm.provenance.inputs).toEqual([
      { role: 'manifest', path: manifest, sha256: fileSha(manifest) },
      { role: 'region-source', path: '../ovmf/OVMF-synthetic-amdsev.fd', sha256: fileSha(join(REPO, 'examples', 'ovmf', 'OVMF-synthetic-amdsev.fd')) },
      { role: 'region-source', path: 'kernel-hashes.page', sha256: fileSha(join(REPO, 'examples', 'regions', 'kernel-hashes.page')) },
    ]);
  });
});

describe('verify --reference-values in every format (issue 12)', () => {
  const genoa = ['--ovmf=fw.fd', '--vcpu-type=EPYC-Genoa'];
  let report = '';
  it('says which entry matched, for each format reference-values writes', async () => {
    report = writeReport('rv3.bin', { measurement: fromHex(await digestOf('--vcpus=3', '--vcpu-type=EPYC-Genoa'), 'd') });
    const cases: [string[], string, RegExp][] = [
      [['--format=json', '--out=v.json'], 'v.json', /^matched vmfw-measure measurement set entry measurements\[2\] \(vcpus 3, profile qemu\/init2, vcpuType EPYC-Genoa, vcpuSignature 0xa10f10, guestFeatures 0x1\)$/m],
      [['--format=trustee', '--out=v-trustee.json'], 'v-trustee.json', /^matched Trustee registration message entry payload\.snp_launch_measurement\[2\] \(position only: this format carries no labels\)$/m],
      [['--format=trustee-operator', '--expires=9999-12-31T23:59:59Z', '--out=v-op.json'], 'v-op.json', /^matched Trustee operator file entry \[0\]\.value\[2\] \(expiration 9999-12-31T23:59:59Z\)$/m],
      [['--format=trustee-sample', '--out=v-sample.json'], 'v-sample.json', /^matched Trustee sample provenance entry snp_launch_measurement\[2\]/m],
      [['--format=go-sev-guest', '--out-dir=v-gsg'], 'v-gsg', /^matched go-sev-guest check\.Config entry qemu-init2-EPYC-Genoa-gf1-v3\.textproto \(vcpus 3, .*policy 0x30000\)$/m],
      [['--format=contrast', '--product=genoa', '--out=v-contrast.json'], 'v-contrast.json', /^matched Contrast ReferenceValues entry snp\[2\] \(vcpus 3, product Genoa\)$/m],
      [['--format=contrast', '--product=genoa', '--apeip', '--out=v-apeip.json'], 'v-apeip.json', /^matched Contrast ReferenceValues entry snp\[0\] \(.*product Genoa, apeip 0080b004\) extended to 3 vCPUs$/m],
    ];
    for (const [opts, path, said] of cases) {
      const w = await run('reference-values', ...genoa, '--vcpus=1-4', ...opts);
      expect(w.rc, w.err).toBe(0);
      const v = await run('verify', report, `--reference-values=${path}`);
      expect(v.rc, `${path}: ${v.err}`).toBe(0);
      expect(v.out).toMatch(/^measurement: match \(/);
      expect(v.out, path).toMatch(said);
    }
  });
  it('a mismatch lists every candidate (exit 1); --json carries the result and its format version', async () => {
    const other = writeReport('rv-other.bin', { measurement: fromHex('00'.repeat(48), 'd') });
    const v = await run('verify', other, '--reference-values=v.json');
    expect(v.rc).toBe(1);
    expect(v.out).toMatch(/^measurement: MISMATCH\nno entry of the vmfw-measure measurement set \(4 entries\) matches 0{96}; candidates:\n/);
    expect(v.out).toContain(`  measurements[3]  ${await digestOf('--vcpus=4', '--vcpu-type=EPYC-Genoa')}  vcpus 4, profile qemu/init2, vcpuType EPYC-Genoa`);
    expect(v.out).not.toContain('expected:');
    const j = JSON.parse((await run('verify', other, '--reference-values=v-gsg', '--json')).out);
    expect(j).toMatchObject({ format: 'vmfw-measure/verify-result@1', result: 'mismatch', referenceValues: { format: 'go-sev-guest check.Config', matched: [] } });
    expect(j.referenceValues.candidates).toHaveLength(4);
    const ok = JSON.parse((await run('verify', report, '--reference-values=v-apeip.json', '--json')).out);
    expect(ok.result).toBe('match');
    expect(ok.referenceValues.matched).toEqual([expect.objectContaining({ position: 'snp[0]', apeip: '0080b004', vcpus: 3 })]);
  });
  it('an expired Trustee operator entry is refused (exit 1), an unreadable expiration is an input error (exit 2)', async () => {
    const d = toHex(parseReport(readFileSync(join(dir, report))).measurement);
    const op = (expiration: string): string => JSON.stringify([{ name: 'snp_launch_measurement', expiration, value: [d] }]);
    writeFileSync(join(dir, 'op-expired.json'), op('2020-01-01T00:00:00Z'));
    const v = await run('verify', report, '--reference-values=op-expired.json');
    expect(v.rc).toBe(1);
    expect(v.out).toContain(`measurement: MISMATCH\nrefused: [0].value[0] (expiration 2020-01-01T00:00:00Z) has this measurement, but expired 2020-01-01T00:00:00Z: Trustee RVPS treats a reference value as invalid after its expiration\nno entry of the Trustee operator file (1 entry) accepts ${d}`);
    expect(v.out).toContain(`  [0].value[0]  ${d}  expiration 2020-01-01T00:00:00Z  EXPIRED\n`);
    expect(v.err).toMatch(/^note: \[0\] \(expired 2020-01-01T00:00:00Z\): past the expiration at /m);
    const j = JSON.parse((await run('verify', report, '--reference-values=op-expired.json', '--json')).out);
    expect(j).toMatchObject({ result: 'mismatch', referenceValues: { matched: [], candidates: [{ expired: true }], refused: [{ position: '[0].value[0]' }] } });
    writeFileSync(join(dir, 'op-garbage.json'), op('garbage'));
    const g = await run('verify', report, '--reference-values=op-garbage.json');
    expect([g.rc, g.err]).toEqual([2, expect.stringMatching(/^error\[reference-values\]: --reference-values op-garbage\.json: \[0\]\.expiration "garbage" is not a date-time RVPS reads/)]);
  });
  it('a go-sev-guest config: an impossible policy is an input error (exit 2); a report policy check rejects is a mismatch (exit 1)', async () => {
    const m = parseReport(readFileSync(join(dir, report))).measurement;
    const cfg = (policy: string): string => `policy { policy: ${policy} measurement: "${[...m].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}" }\n`;
    for (const [p, re] of [['0', /policy\.policy \(line 1\) 0x0: bit 17 is reserved/], ['99999999999999999999999999', /does not fit in 64 bits/]] as const) {
      writeFileSync(join(dir, 'p.textproto'), cfg(p));
      const r = await run('verify', report, '--reference-values=p.textproto');
      expect([r.rc, r.err], p).toEqual([2, expect.stringMatching(re)]);
    }
    writeFileSync(join(dir, 'p.textproto'), cfg('0x30000'));
    const debug = writeReport('rv3-debug.bin', { measurement: m, policy: 0xb0000n });
    const r = await run('verify', debug, '--reference-values=p.textproto');
    expect(r.rc).toBe(1);
    expect(r.out).toMatch(/^measurement: MISMATCH\nrefused: config \(policy 0x30000\) has this measurement, but go-sev-guest check rejects the report's guest policy 0xb0000 against the config's policy 0x30000: found unauthorized debug capability\n/);
    expect((await run('verify', report, '--reference-values=p.textproto')).rc).toBe(0);
  });
  it('notes what the reader skipped', async () => {
    writeFileSync(join(dir, 'v-gsg', 'README'), 'not a config');
    const v = await run('verify', report, '--reference-values=v-gsg');
    expect(v.rc).toBe(0);
    expect(v.err).toMatch(/^note: ignored 1 file not ending in \.textproto: README$/m);
  });
});

describe('identify without a match, report firmware versions, JSON format versions (issue 12)', () => {
  it('identify names the inputs it took as given and the commands that find the differing step', async () => {
    writeFileSync(join(dir, 'vmlinuz'), 'a kernel');
    const r0 = writeReport('rnone.bin', { measurement: fromHex('11'.repeat(48), 'm'), cpuid: { family: 0x19, model: 0x11, stepping: 1 } });
    const r = await run('identify', r0, '--ovmf=fw.fd', '--kernel=vmlinuz', "--append=console=ttyS0 quiet's", '--vcpus=1-2', '--vmm-type=ec2');
    expect(r.rc).toBe(1);
    expect(r.out).toMatch(/^ {2}firmware {4}fw\.fd$/m);
    expect(r.out).toMatch(/^ {2}kernel {6}vmlinuz$/m);
    expect(r.out).toMatch(/^ {2}cmdline {5}"console=ttyS0 quiet's"$/m);
    expect(r.out).toMatch(/^ {2}VMM profiles {4}ec2:rdx-0x600$/m);
    expect(r.out).toMatch(/widen the search: --vcpus, --vmm-type limited it/);
    expect(r.out).toMatch(/AMD EPYC Genoa host/);
    expect(r.out).toContain(`vmfw-measure verify --report rnone.bin --ovmf fw.fd --kernel vmlinuz --append 'console=ttyS0 quiet'\\''s' --vcpus N --vcpu-type TYPE --expected-log BUILD.log`);
    expect(r.out).toContain('vmfw-measure diff BUILD.log THESE.log');
    const sha = await run('identify', `--measurement=${'11'.repeat(48)}`, '--ovmf=fw.fd', `--kernel-sha256=${'cd'.repeat(32)}`, '--vcpus=1', '--vmm-type=gce');
    expect(sha.out).toMatch(new RegExp(`^ {2}kernel {6}sha256 ${'cd'.repeat(32)}$`, 'm'));
    expect(sha.out).toMatch(/^ {2}cmdline {5}"" \(empty\)$/m);
    expect(sha.out).toContain('verify --report REPORT --ovmf fw.fd --kernel-sha256');
    const j = JSON.parse((await run('identify', `--measurement=${'11'.repeat(48)}`, '--ovmf=fw.fd', '--vcpus=1', '--vmm-type=gce', '--json')).out);
    expect(j).toMatchObject({ format: 'vmfw-measure/identify-result@1', matches: [] });
  });
  it('report prints the current and committed firmware versions (text and --json)', async () => {
    const r0 = writeReport('rfw.bin', { measurement: fromHex('22'.repeat(48), 'm'), currentVersion: { major: 1, minor: 55, build: 21 }, committedVersion: { major: 1, minor: 49, build: 3 } });
    const t = await run('report', r0);
    expect(t.out).toMatch(/^current firmware: {3}1\.55\.21$/m);
    expect(t.out).toMatch(/^committed firmware: 1\.49\.3$/m);
    const j = JSON.parse((await run('report', r0, '--json')).out);
    expect(j).toMatchObject({ format: 'vmfw-measure/report@1', currentVersion: '1.55.21', committedVersion: '1.49.3' });
  });
});
