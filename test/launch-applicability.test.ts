// A setting the named launch does not read is refused, never ignored: ignoring it would give
// another launch's digest without a word. Checked where every edge passes (the launch
// description), through the command line and the library.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesSource, describeLaunch, launchKind } from '../src/launch/description.js';
import { measureIgvm, measureRegions } from '../src/node/index.js';
import { buildReport } from '../src/attestation/report.js';
import { fromHex } from '../src/bytes.js';
import { REPO, cliIn } from './helpers.js';

const EX = join(REPO, 'examples');
const FW = join(EX, 'ovmf', 'OVMF-synthetic-amdsev.fd');
const IGVM = join(EX, 'igvm', 'example.igvm');
const MANIFEST = join(EX, 'regions', 'uki-update.json');
const run = cliIn(EX);
const open = (_v: unknown, key: string) => bytesSource(new Uint8Array(key === 'ovmf' ? 4096 : 16), key);

describe('settings a launch does not read', () => {
  it('are refused by the launch description, naming the option and why', () => {
    const kindOf = (values: Record<string, unknown>) => launchKind(describeLaunch(values, { open }));
    expect(() => kindOf({ manifest: 'm', vmsaGpa: '0x1000' })).toThrow(/--vmsa-gpa does not apply to a region-list launch: region lists put the VMSAs at 0xfffffffff000/);
    expect(() => kindOf({ manifest: 'm', kernel: 'k' })).toThrow(/--kernel does not apply to a region-list launch/);
    expect(() => kindOf({ manifest: 'm', mode: 'sev' })).toThrow(/--mode does not apply to a region-list launch/);
    expect(() => kindOf({ igvm: 'i', guestFeatures: '0x21' })).toThrow(/--guest-features does not apply to an IGVM launch: the IGVM file brings its own guest features/);
    expect(() => kindOf({ igvm: 'i', vmsaGpa: '0x1000' })).toThrow(/--vmsa-gpa does not apply to an IGVM launch/);
    expect(() => kindOf({ igvm: 'i', unknownSections: 'zero' })).toThrow(/--unknown-sections does not apply to an IGVM launch/);
    expect(() => kindOf({ ovmf: 'f', apResetEip: '0x1234' })).toThrow(/--ap-reset-eip does not apply to an OVMF launch: an OVMF launch takes the AP reset EIP from the firmware/);
    expect(() => kindOf({ ovmf: 'f', semantics: 'igvmmeasure' })).toThrow(/--semantics does not apply to an OVMF launch/);
    // What each kind reads passes; the product is read by every kind (Contrast's ProductName).
    expect(kindOf({ ovmf: 'f', vcpus: 2, vcpuType: 'EPYC-v4', guestFeatures: '0x1', product: 'genoa', vmsaGpa: '0xfffffffff000', kernel: 'k' })).toBe('ovmf');
    expect(kindOf({ manifest: 'm', vcpus: 2, guestFeatures: '0x21', product: 'milan', apResetEip: '0x1234', measuredZero: 'normal' })).toBe('regions');
    expect(kindOf({ igvm: 'i', vcpus: 2, vcpuType: 'EPYC-v4', product: 'genoa', semantics: 'qemu', apVmsa: 'bsp', measuredZero: 'native' })).toBe('igvm');
  });

  it('are refused by the library, in the messages\' own spelling of the option', async () => {
    await expect(measureRegions(MANIFEST, { vcpus: 1, vcpuType: 'EPYC-v4', mode: 'sev' } as never)).rejects.toMatchObject({ code: 'usage', message: expect.stringMatching(/mode does not apply to a region-list launch/) });
    await expect(measureIgvm(IGVM, { guestFeatures: '0x21' } as never)).rejects.toMatchObject({ code: 'usage', message: expect.stringMatching(/guestFeatures does not apply to an IGVM launch/) });
    await expect(measureIgvm(IGVM, { vmmType: 'gce', vcpus: 2 } as never)).rejects.toMatchObject({ code: 'profile', message: expect.stringMatching(/gce:default: IGVM launches are modelled for qemu:init2, qemu:pre-init2 only/) });
  });

  it('are refused by every command that opens a launch, or not taken by the commands that measure one kind', async () => {
    const igvmArgs = ['--vcpus', '2', '--vcpu-type', 'EPYC-v4'];
    const igvmDigest = (await run('igvm', IGVM, ...igvmArgs)).out.trim();
    const tmp = mkdtempSync(join(tmpdir(), 'vmfw-applicability-'));
    const report = join(tmp, 'report.bin');
    writeFileSync(report, buildReport({ measurement: fromHex(igvmDigest, 'digest', 48) }));
    try {
      expect(await run('verify', report, '--igvm', IGVM, ...igvmArgs)).toMatchObject({ rc: 0 });
      // Before, both gave exit 0: the IGVM file's own features were measured, and no profile but QEMU's.
      expect(await run('verify', report, '--igvm', IGVM, ...igvmArgs, '--guest-features', '0x21')).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[usage\]: --guest-features does not apply to an IGVM launch/) });
      expect(await run('verify', report, '--igvm', IGVM, ...igvmArgs, '--vmm-type', 'gce')).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[profile\]: --vmm-type gce:default: IGVM launches are modelled for/) });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    expect(await run('identify', '--measurement', igvmDigest, '--igvm', IGVM, '--vmm-type', 'ec2')).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[profile\]/) });
    expect(await run('reference-values', '--igvm', IGVM, '--vcpus', '1-2', '--vmm-type', 'gce')).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[profile\]/) });
    expect(await run('reference-values', '--manifest', MANIFEST, '--vmsa-gpa', '0x1000')).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[usage\]: --vmsa-gpa does not apply to a region-list launch/) });
    // The commands that measure one kind do not take what that kind does not read.
    expect(await run('regions', MANIFEST, '--vmsa-gpa', '0x1000')).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[usage\]: .*--vmsa-gpa/) });
    expect(await run('regions', MANIFEST, '--product', 'genoa')).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[usage\]: .*--product/) });
    expect(await run('igvm', IGVM, '--guest-features', '0x21')).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[usage\]: .*--guest-features/) });
  });

  it('--ovmf and --metadata are alternatives', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vmfw-applicability-'));
    // Whatever the metadata file holds, both together are refused before it is read.
    writeFileSync(join(tmp, 'metadata.json'), '{}');
    try {
      const withBoth = await run('ovmf', '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--ovmf', FW, '--metadata', join(tmp, 'metadata.json'));
      expect(withBoth).toMatchObject({ rc: 2, out: '', err: expect.stringMatching(/^error\[usage\]: --ovmf and --metadata are alternatives/) });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('regions from-ovmf', () => {
  const fromOvmf = (...extra: string[]) => run('regions', 'from-ovmf', '--mode', 'snp', '--vcpus', '2', '--ovmf', FW, ...extra);
  it('refuses a launch whose VMSAs a region list cannot place (GCE on Genoa, --vmsa-gpa)', async () => {
    expect(await fromOvmf('--vmm-type', 'gce', '--product', 'genoa')).toMatchObject({ rc: 2, err: expect.stringMatching(/puts its VMSAs at 0x[0-9a-f]+ \(--vmm-type gce --product genoa\), and a region list \(rules vmfwupdate-snp\/1\) puts them at 0xfffffffff000/) });
    expect(await fromOvmf('--vcpu-type', 'EPYC-v4', '--vmsa-gpa', '0xffffffffe000')).toMatchObject({ rc: 2, err: expect.stringMatching(/\(--vmsa-gpa\)/) });
  });
  it('writes a manifest whose replay gives the ovmf digest where it can (the KVM VMSA GPA, given or not)', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vmfw-applicability-'));
    try {
      for (const extra of [['--vmm-type', 'gce', '--product', 'milan'], ['--vcpu-type', 'EPYC-v4', '--vmsa-gpa', '0xfffffffff000'], ['--vmm-type', 'ec2']]) {
        // The manifest names the firmware relative to its own folder.
        const path = join(tmp, 'launch.json');
        const written = await fromOvmf(...extra, '--out', path);
        expect(written.rc, written.err).toBe(0);
        const replay = await run('regions', path);
        const direct = await run('ovmf', '--mode', 'snp', '--vcpus', '2', '--ovmf', FW, ...extra);
        expect(direct.out).toMatch(/^[0-9a-f]{96}\n$/);
        expect(replay.out, replay.err).toBe(direct.out);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('what a review of these checks found', () => {
  it('snp:svsm refuses what it does not read (a VMSA GPA, metadata, other profiles and eras) and warns of guest features it forces', async () => {
    const fixtures = cliIn(join(REPO, 'vectors', 'fixtures'));
    const svsm = ['--mode', 'snp:svsm', '--ovmf', 'svsm_ovmf.fd', '--svsm', 'svsm.bin', '--vars-size', '540672', '--vcpus', '2', '--vcpu-type', 'EPYC-v4'];
    const digest = '9b94745036aafddf4f7f8b00c7513abb5b7703178cb95aaa57928bd963d68d3bfcb715d6019b9167ee2517b11b0d9be7';
    expect((await fixtures('ovmf', ...svsm)).out).toBe(`${digest}\n`);
    expect((await fixtures('ovmf', ...svsm, '--guest-features', '0x1')).out).toBe(`${digest}\n`);
    const tmp = mkdtempSync(join(tmpdir(), 'vmfw-applicability-'));
    writeFileSync(join(tmp, 'report.bin'), buildReport({ measurement: fromHex(digest, 'digest', 48) }));
    try {
      for (const cmd of [['ovmf'], ['verify', join(tmp, 'report.bin')]]) {
        // sev-snp-measure takes --guest-features here and ignores it (its own test passes 0x21): a warning, the same digest.
        expect(await fixtures(...cmd, ...svsm, '--guest-features', '0x21'), cmd[0]).toMatchObject({ rc: 0, err: expect.stringMatching(/^warning: --guest-features 0x21 is not measured: snp:svsm mode forces sev_features 0x1/) });
        expect(await fixtures(...cmd, ...svsm, '--vmsa-gpa', '0x1000'), cmd[0]).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[usage\]: --vmsa-gpa: snp:svsm mode puts the VMSAs at the KVM GPA/) });
        expect(await fixtures(...cmd, ...svsm, '--vmm-era', 'pre-init2'), cmd[0]).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[profile\]: --vmm-era pre-init2: snp:svsm mode is modelled for qemu:init2 only/) });
      }
      expect(await fixtures('verify', join(tmp, 'report.bin'), ...svsm, '--snp-ovmf-hash', '00'.repeat(48))).toMatchObject({ rc: 2, err: expect.stringMatching(/snp:svsm mode measures the firmware's own pages: drop --snp-ovmf-hash/) });
      expect(await fixtures('verify', join(tmp, 'report.bin'), ...svsm)).toMatchObject({ rc: 0 });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('an IGVM launch under another era than it is modelled for names --vmm-era, in igvm as in verify', async () => {
    expect(await run('igvm', IGVM, '--semantics', 'igvmmeasure', '--vmm-era', 'pre-init2')).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[profile\]: --vmm-era pre-init2: IGVM launches are modelled for qemu:init2 only/) });
    expect(await run('reference-values', '--igvm', IGVM, '--semantics', 'igvmmeasure', '--vmm-era', 'pre-init2')).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[profile\]: --vmm-era pre-init2: IGVM launches are modelled for qemu:init2 only/) });
    // QEMU's loader runs in either era.
    expect((await run('igvm', IGVM, '--vcpu-type', 'EPYC-v4', '--vmm-era', 'pre-init2')).rc).toBe(0);
  });

  it('the library\'s measureOvmf refuses what an OVMF launch does not read', async () => {
    const { measureOvmf } = await import('../src/node/index.js');
    await expect(measureOvmf({ ovmf: FW, vcpus: 1, vcpuType: 'EPYC-v4', apResetEip: '0x1234' } as never)).rejects.toMatchObject({ code: 'usage', message: expect.stringMatching(/apResetEip does not apply to an OVMF launch/) });
    await expect(measureOvmf({ ovmf: FW, vcpus: 1, vcpuType: 'EPYC-v4', semantics: 'igvmmeasure' } as never)).rejects.toMatchObject({ code: 'usage' });
    await expect(measureOvmf({ ovmf: FW, vcpus: 1, vcpuType: 'EPYC-v4' })).resolves.toMatchObject({ digest: expect.stringMatching(/^[0-9a-f]{96}$/) });
  });

  it('the Node entry opens a manifest object\'s files only from files when files is given', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vmfw-applicability-'));
    writeFileSync(join(tmp, 'secret.bin'), 'secret');
    const doc = { regions: [{ dst: '0x100000', flags: ['COPY', 'MEASURE'], source: { file: join(tmp, 'secret.bin') } }], launch: { vcpus: 1, vcpuType: 'EPYC-v4' } };
    try {
      await expect(measureRegions(doc as never, { files: { 'fw.fd': new Uint8Array(4096) } })).rejects.toMatchObject({ code: 'file-missing', message: expect.stringMatching(/secret\.bin is not among the files given/) });
      // Without files, from disk (here the source is too short for its region: it was read).
      await expect(measureRegions(doc as never)).rejects.not.toMatchObject({ code: 'file-missing' });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a manifest or metadata over its size limit is refused before it is read, on the command line, in the library and in a CI config', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vmfw-applicability-'));
    const big = join(tmp, 'big.json');
    // Sparse: no disk is used for the 64 MiB + 1 byte.
    writeFileSync(big, '');
    truncateSync(big, 64 * 1024 * 1024 + 1);
    try {
      expect(await run('regions', big)).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[input-too-large\]/) });
      expect(await run('reference-values', '--manifest', big, '--vcpus', '1')).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[input-too-large\]/) });
      await expect(measureRegions(big)).rejects.toMatchObject({ code: 'input-too-large' });
      const meta = join(tmp, 'meta.json');
      writeFileSync(meta, '');
      truncateSync(meta, 1024 * 1024 + 1);
      const { measureOvmf } = await import('../src/node/index.js');
      await expect(measureOvmf({ metadata: meta, vcpus: 1, vcpuType: 'EPYC-v4' })).rejects.toMatchObject({ code: 'input-too-large' });
      writeFileSync(join(tmp, 'ci.json'), JSON.stringify({ launches: { m: { kind: 'ovmf', metadata: 'meta.json', vcpus: 1, vcpuType: 'EPYC-v4' } } }));
      expect(await cliIn(tmp)('lock', 'ci.json')).toMatchObject({ rc: 2, err: expect.stringMatching(/error\[input-too-large\]/) });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('--log to standard output by any name is refused', async () => {
    for (const name of ['/dev/stdout', '/dev/fd/1', '/proc/self/fd/1']) {
      expect(await run('regions', MANIFEST, '--log', name)).toMatchObject({ rc: 2, out: '', err: expect.stringMatching(new RegExp(`^error\\[usage\\]: --log ${name}: standard output carries`)) });
    }
  });
});

describe('what a third review found', () => {
  it('identify suggests --product only for OVMF launches, never for a region list', async () => {
    const none = 'ab'.repeat(48);
    const regions = await run('identify', '--measurement', none, '--manifest', MANIFEST, '--vcpus', '1-2', '--vcpu-type', 'EPYC-v4');
    expect(regions.rc).toBe(1);
    expect(regions.out).toContain('no configuration in the searched space matches');
    expect(regions.out).not.toContain('--product');
    const ovmf = await run('identify', '--measurement', none, '--ovmf', FW, '--vcpus', '1-2');
    // Derived from the profiles' data: gce's VMSA GPA moves on genoa hosts.
    expect(ovmf.out).toContain('under gce, genoa hosts put the VMSAs at another GPA, which this search did not try: add --product genoa');
    expect((await run('identify', '--measurement', none, '--ovmf', FW, '--vcpus', '1-2', '--vmsa-gpa', '0xfffffffff000')).out).not.toContain('--product');
  });

  it('the library passes a launch\'s warnings on from every call, and measureOvmf names what it measures', async () => {
    const node = await import('../src/node/index.js');
    const dir = join(REPO, 'vectors', 'fixtures');
    const launch = { mode: 'snp:svsm' as const, ovmf: join(dir, 'svsm_ovmf.fd'), svsm: join(dir, 'svsm.bin'), varsSize: 540672, vcpus: 2, vcpuType: 'EPYC-v4', guestFeatures: '0x21' };
    const svsm = { ...launch, cwd: dir };
    const warning = /guestFeatures 0x21 is not measured: snp:svsm mode forces sev_features 0x1/;
    const m = await node.measureOvmf(svsm);
    expect(m.warnings.join('\n')).toMatch(warning);
    const rv = await node.referenceValues(svsm);
    expect(rv.notes[0]).toMatch(/^warning: guestFeatures 0x21 is not measured/);
    const report = buildReport({ measurement: fromHex(m.digest, 'digest', 48) });
    const v = await node.verifyReport(report, { launch, cwd: dir });
    expect(v.ok).toBe(true);
    expect(v.notes.join('\n')).toMatch(warning);
    const id = await node.identify(report, { ...svsm, vcpus: '1-2' });
    expect(id.matches.length).toBeGreaterThan(0);
    expect(id.warnings.join('\n')).toMatch(warning);
    await expect(node.measureOvmf({ igvm: IGVM } as never)).rejects.toMatchObject({ code: 'usage', message: expect.stringMatching(/^measureOvmf: give ovmf \(or metadata\); measure a manifest with measureRegions and an IGVM file with measureIgvm/) });
  });

  it('verify --json reports the guest features an snp:svsm launch measured (0x1), not the ones given', async () => {
    const fixtures = cliIn(join(REPO, 'vectors', 'fixtures'));
    const svsm = ['--mode', 'snp:svsm', '--ovmf', 'svsm_ovmf.fd', '--svsm', 'svsm.bin', '--vars-size', '540672', '--vcpus', '2', '--vcpu-type', 'EPYC-v4'];
    const digest = (await fixtures('ovmf', ...svsm)).out.trim();
    const tmp = mkdtempSync(join(tmpdir(), 'vmfw-applicability-'));
    writeFileSync(join(tmp, 'report.bin'), buildReport({ measurement: fromHex(digest, 'digest', 48) }));
    try {
      const v = await fixtures('verify', join(tmp, 'report.bin'), ...svsm, '--guest-features', '0x21', '--json');
      expect(v.rc, v.err).toBe(0);
      expect(JSON.parse(v.out).config.guestFeatures).toBe('0x1');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a CI config refuses guestFeatures for an igvm launch, saying why, and an era a launch does not run in as error[profile]', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vmfw-applicability-'));
    const ci = cliIn(tmp);
    try {
      writeFileSync(join(tmp, 'a.json'), JSON.stringify({ launches: { g: { kind: 'igvm', igvm: IGVM, guestFeatures: '0x1' } } }));
      expect(await ci('lock', 'a.json')).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[ci-config\]: .*launches\.g\.guestFeatures does not apply to an IGVM launch: the IGVM file brings its own guest features/) });
      writeFileSync(join(tmp, 'b.json'), JSON.stringify({ launches: { g: { kind: 'igvm', igvm: IGVM, semantics: 'igvmmeasure', vmmEra: 'pre-init2' } } }));
      expect(await ci('lock', 'b.json')).toMatchObject({ rc: 2, err: expect.stringMatching(/^error\[profile\]: .*launches\.g\.vmmEra pre-init2: IGVM launches are modelled for qemu:init2 only/) });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
