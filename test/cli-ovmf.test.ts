import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSyntheticImage, stream } from '../src/conformance/recipes.js';
import { formatMetadataJson } from '../src/ovmf/metadata-json.js';
import { parseFirmware } from '../src/ovmf/firmware.js';
import { measurePlan } from '../src/engine.js';
import { buildOvmfHashPlan } from '../src/ovmf/launch.js';
import { toHex, toBase64, fromHex } from '../src/bytes.js';
import { defaultSuite } from '../src/hash/suite.js';
import { cliIn, loadVectors } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vmfw-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const synth = loadVectors<{ images: Record<string, Parameters<typeof buildSyntheticImage>[0]>; cases: { id: string; expected_measurement: string }[] }>('synthetic-vectors.json');
const amdsev = buildSyntheticImage(synth.images['amdsev-4k']!);
writeFileSync(join(dir, 'amdsev.fd'), amdsev);
writeFileSync(join(dir, 'ovmfx64.fd'), buildSyntheticImage(synth.images['ovmfx64-4k']!));
writeFileSync(join(dir, 'nometa.fd'), buildSyntheticImage(synth.images['no-metadata-64k']!));
writeFileSync(join(dir, 'kernel.bin'), stream('kernel-4097', 4097));
writeFileSync(join(dir, 'initrd.bin'), stream('initrd-4095', 4095));

const run = cliIn(dir);

const expected = (id: string): string => {
  const c = synth.cases.find((x) => x.id === id);
  if (!c) throw new Error(`no vector ${id}`);
  return c.expected_measurement;
};

describe('ovmf command output', () => {
  const base = ['ovmf', '--mode=snp', '--vcpus=1', '--vcpu-type=EPYC-v4', '--ovmf=amdsev.fd'];
  const want = expected('snp/amdsev-4k/qemu/EPYC-v4/gf0x1/v1');

  it('prints only the digest by default, matching the vector', async () => {
    expect(await run(...base)).toEqual({ rc: 0, out: `${want}\n`, err: '' });
  });
  it('accepts --key value as well as --key=value', async () => {
    const r = await run('ovmf', '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--ovmf', 'amdsev.fd');
    expect(r.out).toBe(`${want}\n`);
  });
  it('prints base64 of the raw bytes', async () => {
    const r = await run(...base, '--output-format=base64');
    expect(r.out).toBe(`${toBase64(fromHex(want, 'x'))}\n`);
  });
  it('prints the verbose form of the reference', async () => {
    expect((await run(...base, '-v')).out).toBe(`Calculated SEV_SNP guest measurement: ${want}\n`);
  });
  it('--json names the digest and the inputs that determined it', async () => {
    const r = await run(...base, '--json');
    const j = JSON.parse(r.out);
    expect(j.digest).toBe(want);
    expect(j.inputs).toMatchObject({ mode: 'snp', profile: 'qemu', era: 'init2', vcpus: 1, vcpuType: 'EPYC-v4', vcpuSignature: '0x800f12', guestFeatures: '0x1', vmsaGpa: '0xfffffffff000' });
    expect(j.inputs.firmware.sha256).toBe(toHex(defaultSuite.sha256(amdsev)));
    expect(j.steps).toBe(1 + 9 + 3 + 1 + 1 + 1 + 1 + 15 + 1);
    expect(j.stepsByType).toEqual({ NORMAL: 1, ZERO: 9 + 3 + 1 + 1 + 15, SECRETS: 1, CPUID: 1, VMSA: 1 });
  });
  it('--log writes one JSON line per step ending at the digest', async () => {
    const r = await run(...base.filter((x) => x !== '--vcpus=1'), '--vcpus=3', '--log=launch.jsonl');
    expect(r.rc).toBe(0);
    const lines = readFileSync(join(dir, 'launch.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1 + 31 + 3);
    expect(lines.at(-1).digest).toBe(r.out.trim());
    expect(lines[0]).toMatchObject({ step: 0, origin: { kind: 'firmware' }, page: 0, pageType: 'NORMAL', gpa: '0xfffff000' });
    expect(lines[1]).toMatchObject({ origin: { kind: 'metadata', index: 0, detail: 'SNP_SEC_MEM' }, pageType: 'ZERO', gpa: '0x800000', contents: '0'.repeat(96) });
    expect(lines.slice(-3).map((l) => l.origin)).toEqual([
      { kind: 'vmsa', index: 0, detail: 'BSP' }, { kind: 'vmsa', index: 1, detail: 'AP' }, { kind: 'vmsa', index: 2, detail: 'AP' }]);
    expect(lines.at(-1).contents).toBe(lines.at(-2).contents);
  });
  it('--dump-vmsa writes vmsa<N>.bin into the working directory', async () => {
    const r = await run(...base.filter((x) => x !== '--vcpus=1'), '--vcpus=2', '--dump-vmsa');
    expect(r.rc).toBe(0);
    const bsp = readFileSync(join(dir, 'vmsa0.bin'));
    expect(bsp.length).toBe(4096);
    expect(bsp.readUInt32LE(0x310)).toBe(0x800f12); // rdx = signature
    expect(existsSync(join(dir, 'vmsa1.bin'))).toBe(true);
    expect(existsSync(join(dir, 'vmsa2.bin'))).toBe(false);
  });
  it('the pre-INIT2 era zeroes MXCSR and FCW', async () => {
    await run(...base, '--vmm-era=pre-init2', '--dump-vmsa');
    const page = readFileSync(join(dir, 'vmsa0.bin'));
    expect(page.readUInt32LE(0x408)).toBe(0);
    expect(page.readUInt16LE(0x410)).toBe(0);
    expect((await run(...base, '--vmm-era=pre-init2')).out).not.toBe(`${want}\n`);
  });
  it('family/model/stepping wins over --vcpu-sig, which wins over --vcpu-type', async () => {
    const milan = (await run('ovmf', '--mode=snp', '--vcpus=1', '--vcpu-type=EPYC-Milan', '--ovmf=amdsev.fd')).out;
    expect((await run(...base, '--vcpu-sig=0xa00f11')).out).toBe(milan);
    expect((await run(...base, '--vcpu-sig=0x1', '--vcpu-family=25', '--vcpu-model=1', '--vcpu-stepping=1')).out).toBe(milan);
  });
  it('precomputed SHA-256s give the same digest as the files', async () => {
    const files = await run(...base, '--kernel=kernel.bin', '--initrd=initrd.bin', '--append=console=ttyS0');
    const sha = (b: Uint8Array): string => toHex(defaultSuite.sha256(b));
    const pre = await run(...base, `--kernel-sha256=${sha(stream('kernel-4097', 4097))}`, `--initrd-sha256=${sha(stream('initrd-4095', 4095))}`,
      `--append-sha256=${sha(new TextEncoder().encode('console=ttyS0\0'))}`);
    expect(files.rc).toBe(0);
    expect(pre.out).toBe(files.out);
  });
  it('GCE on Genoa measures the VMSA at the 52-bit GPA', async () => {
    await run('ovmf', '--mode=snp', '--vcpus=1', '--vmm-type=GCE', '--product=genoa', '--ovmf=amdsev.fd', '--log=gce.jsonl');
    const last = JSON.parse(readFileSync(join(dir, 'gce.jsonl'), 'utf8').trim().split('\n').at(-1)!);
    expect(last).toMatchObject({ pageType: 'VMSA', gpa: '0xffffffffff000' });
  });
  it('--help and --version exit 0', async () => {
    expect((await run('ovmf', '--help')).out).toContain('--snp-ovmf-hash');
    expect((await run('--version')).out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('metadata-only input', () => {
  it('gives the same digest as the firmware it was made from', async () => {
    const seed = measurePlan(buildOvmfHashPlan({ bytes: amdsev, info: parseFirmware(amdsev) }).plan).digest;
    writeFileSync(join(dir, 'amdsev.json'), formatMetadataJson(parseFirmware(amdsev), seed));
    const args = ['--mode=snp', '--vcpus=4', '--vcpu-type=EPYC-Genoa', '--guest-features=0x21', '--kernel=kernel.bin'];
    const a = await run('ovmf', ...args, '--ovmf=amdsev.fd');
    const b = await run('ovmf', ...args, '--metadata=amdsev.json');
    expect(a.rc).toBe(0);
    expect(b).toEqual(a);
    // Without "SevHashTableGPA" the metadata cannot place the kernel hashes: the advice is to add it.
    const noTable = JSON.parse(readFileSync(join(dir, 'amdsev.json'), 'utf8')) as Record<string, unknown>;
    delete noTable['SevHashTableGPA'];
    writeFileSync(join(dir, 'amdsev-no-table.json'), JSON.stringify(noTable));
    expect(await run('ovmf', ...args, '--metadata=amdsev-no-table.json')).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[kernel-hashes-unsupported\]: metadata: a kernel was given but the metadata has no "SevHashTableGPA"/) });
  });
  // sev-snp-measure-go guest_test.go: AWS OVMF metadata, EC2, 2 vCPUs, features 0x1.
  const aws = (hash: string): string => JSON.stringify({
    MetadataItems: [
      { GPA: '0x800000', Size: '0x9000', SectionTypeInt: 1 }, { GPA: '0x80A000', Size: '0x3000', SectionTypeInt: 1 },
      { GPA: '0x80D000', Size: '0x1000', SectionTypeInt: 2 }, { GPA: '0x80E000', Size: '0x1000', SectionTypeInt: 3 },
      { GPA: '0x80F000', Size: '0x11000', SectionTypeInt: 1 }],
    ResetEIP: '0x80b004', OVMFHash: hash,
  });
  const cases = [
    ['a58211791a556a630a4319dc9e2ea96cc0e9784dd9f20a4fadf81b26c98d163fcdcb6703884bbbb80d7b1de45b3d84d0',
      '4c6e33087d08fa770259484dddbef367086a15c3e2cf10038dc97229d39c942671c2e22b300178f8de594a3f2fa59303',
      '1c146f3083d66ad1648f842a62a65ad99b9fa4c8fe5b151b677f4923c1686004ce9ce3d1d9eda527f72bba78e6ceef67',
      '92dd082c6f938452733ef95413d5b023f4a30b249ef5e65c96f090f84c96419004636f5289aa7de3e7948625c64fa67c'],
    ['2027a27bb9f7acfd280e4c7bd68a73973b94bf0756e5b282e004b9395f597b8d0eb4defa7d8f6549375aa4d2b146f0f3',
      'c2c84b9364fc9f0f54b04534768c860c6e0e386ad98b96e8b98eca46ac8971d05c531ba48373f054c880cfd1f4a0a84e',
      'ef89452c1af43e29da35f8707836be26dbdb70654e46cd81368d7e130ab583018b70319e90b5890b63e2294eed84e63d',
      'd0a87fc891933399c54853b455aef5dd348db04465cf726d891b2f5b3f95cd85f42d47236acde9cb29acc3b154d05ef8'],
  ];
  for (const [i, [hash, ec2Rdx0, ec2, gce]] of cases.entries()) {
    it(`AWS image ${i + 1}: EC2 rdx-0 era, EC2 current, GCE`, async () => {
      writeFileSync(join(dir, `aws${i}.json`), aws(hash!));
      const args = ['ovmf', '--mode=snp', '--vcpus=2', `--metadata=aws${i}.json`];
      expect((await run(...args, '--vmm-type=ec2', '--vmm-era=rdx-0')).out.trim()).toBe(ec2Rdx0);
      expect((await run(...args, '--vmm-type=ec2')).out.trim()).toBe(ec2);
      expect((await run(...args, '--vmm-type=gce')).out.trim()).toBe(gce);
    });
  }
});

describe('ovmf command errors', () => {
  const cases: [string, string[], string, RegExp][] = [
    ['missing file', ['--mode=snp', '--vcpus=1', '--vcpu-type=EPYC-v4', '--ovmf=nope.fd'], 'file-missing', /nope\.fd does not exist/],
    ['a directory', ['--mode=snp', '--vcpus=1', '--vcpu-type=EPYC-v4', '--ovmf=.'], 'file-read', /is a directory/],
    ['unknown option', ['--mode=snp', '--vcpus=1', '--vcpu-type=EPYC-v4', '--ovmf=amdsev.fd', '--frobnicate'], 'usage', /frobnicate/],
    ['bad number', ['--mode=snp', '--vcpus=two', '--vcpu-type=EPYC-v4', '--ovmf=amdsev.fd'], 'bad-number', /--vcpus/],
    ['features above 64 bits', ['--mode=snp', '--vcpus=1', '--vcpu-type=EPYC-v4', '--ovmf=amdsev.fd', '--guest-features=0x10000000000000000'], 'bad-number', /--guest-features/],
    ['unknown mode', ['--mode=tdx', '--ovmf=amdsev.fd'], 'usage', /unknown mode/],
    ['unknown profile', ['--mode=snp', '--vcpus=1', '--vmm-type=kvmtool', '--ovmf=amdsev.fd'], 'profile', /kvmtool/],
    ['unknown era', ['--mode=snp', '--vcpus=1', '--vmm-type=gce', '--vmm-era=1999', '--ovmf=amdsev.fd'], 'profile', /no era/],
    ['family without model', ['--mode=snp', '--vcpus=1', '--vcpu-family=25', '--ovmf=amdsev.fd'], 'usage', /--vcpu-model/],
    ['seed too short', ['--mode=snp', '--vcpus=1', '--vcpu-type=EPYC-v4', '--ovmf=amdsev.fd', `--snp-ovmf-hash=${'00'.repeat(32)}`], 'seed', /48 bytes/],
    ['kernel without hashes section', ['--mode=snp', '--vcpus=1', '--vcpu-type=EPYC-v4', '--ovmf=ovmfx64.fd', '--kernel=kernel.bin'], 'no-kernel-hashes-section', /SNP_KERNEL_HASHES/],
    ['sev kernel without hashes table', ['--mode=sev', '--ovmf=ovmfx64.fd', '--kernel=kernel.bin'], 'kernel-hashes-unsupported', /SEV_HASH_TABLE_RV/],
    ['firmware not page sized', ['--mode=snp:ovmf-hash', '--ovmf=kernel.bin'], 'firmware-size', /4097 bytes/],
    ['vars conflict', ['--mode=snp:svsm', '--vcpus=1', '--vcpu-type=EPYC-v4', '--ovmf=amdsev.fd', '--svsm=amdsev.fd', '--vars-size=4096', '--vars-file=kernel.bin'], 'usage', /mutually exclusive|vars/],
  ];
  for (const [name, args, code, msg] of cases) {
    it(`${name} -> error[${code}], exit 2`, async () => {
      const r = await run('ovmf', ...args);
      expect(r.rc).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(new RegExp(`^error\\[${code}\\]: `));
      expect(r.err).toMatch(msg);
      expect(r.err).not.toMatch(/\n\s+at /);
    });
  }
  it('warns when the firmware has no SEV metadata, and still measures as the reference does', async () => {
    const r = await run('ovmf', '--mode=snp', '--vcpus=1', '--vcpu-type=EPYC-v4', '--ovmf=nometa.fd');
    expect(r.rc).toBe(0);
    expect(r.out.trim()).toBe(expected('snp/no-metadata-64k/qemu/EPYC-v4/gf0x1/v1'));
    expect(r.err).toMatch(/^warning: the firmware has no SEV metadata/);
  });
  it('an error leaves no partial log behind', async () => {
    const r = await run('ovmf', '--mode=snp', '--vcpus=1', '--vcpu-type=EPYC-v4', '--ovmf=ovmfx64.fd', '--kernel=kernel.bin', '--log=bad.jsonl');
    expect(r.rc).toBe(2);
    expect(existsSync(join(dir, 'bad.jsonl'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('reference edge cases', () => {
  it('an empty --kernel means no measured direct boot, as in sev-snp-measure', async () => {
    const plain = await run('ovmf', '--mode=snp', '--vcpus=1', '--vcpu-type=EPYC-v4', '--ovmf=amdsev.fd');
    const empty = await run('ovmf', '--mode=snp', '--vcpus=1', '--vcpu-type=EPYC-v4', '--ovmf=amdsev.fd', '--kernel=', '--append=console=ttyS0');
    expect(empty.out).toBe(plain.out);
    expect(empty.err).toMatch(/empty --kernel/);
  });
  it('zero vCPUs measure no VMSA; signature and family zero are accepted', async () => {
    const r = await run('ovmf', '--mode=snp', '--vcpus=0', '--vcpu-sig=0', '--ovmf=amdsev.fd', '--json');
    expect(JSON.parse(r.out).stepsByType.VMSA).toBeUndefined();
    expect((await run('ovmf', '--mode=snp', '--vcpus=1', '--vcpu-family=0', '--vcpu-model=0', '--vcpu-stepping=0', '--ovmf=amdsev.fd')).out)
      .toBe((await run('ovmf', '--mode=snp', '--vcpus=1', '--vcpu-sig=0', '--ovmf=amdsev.fd')).out);
  });
});
