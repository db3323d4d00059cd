import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIO, runCli } from '../src/cli/main.js';
import { stream } from '../src/conformance/recipes.js';
import { measurePlan } from '../src/engine.js';
import { replayRegions, type RegionData } from '../src/regions/replay.js';
import { EMPTY_MEMORY } from '../src/regions/memory.js';
import { REGION_FLAGS } from '../src/regions/format.js';
import { resolveLaunch, parseManifest } from '../src/regions/manifest.js';
import { REPO } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vmfw-regions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const examples = join(REPO, 'examples');

async function run(cwd: string, ...args: string[]): Promise<{ rc: number; out: string; err: string }> {
  const io = captureIO(cwd);
  const rc = await runCli(args, io);
  return { rc, out: io.stdout, err: io.stderr };
}

const ovmfArgs = ['--mode=snp', '--vcpus=4', '--vcpu-type=EPYC-v4', '--ovmf=../ovmf/OVMF-synthetic-amdsev.fd'];

describe('bundled region-list examples', () => {
  it('the firmware-only update equals an OVMF launch of the same firmware', async () => {
    const cwd = join(examples, 'regions');
    const a = await run(cwd, 'regions', 'firmware-update.json');
    const b = await run(cwd, 'ovmf', ...ovmfArgs);
    expect(a.rc).toBe(0);
    expect(a.out).toBe(b.out);
  });
  it('the UKI-style update equals an OVMF launch with the same kernel, initrd and command line', async () => {
    const cwd = join(examples, 'regions');
    const a = await run(cwd, 'regions', 'uki-update.json');
    const b = await run(cwd, 'ovmf', ...ovmfArgs, '--kernel=../ovmf/vmlinuz-standin.bin', '--initrd=../ovmf/initrd-standin.bin', '--append=console=ttyS0');
    expect(a.rc).toBe(0);
    expect(a.out).toBe(b.out);
  });
  it('--json reports the rules version, the launch used and step counts per page type', async () => {
    const r = await run(join(examples, 'regions'), 'regions', 'uki-update.json', '--json', '--vcpus=2');
    const j = JSON.parse(r.out);
    expect(j.rules).toBe('vmfwupdate-snp/1');
    expect(j.launch).toMatchObject({ vcpus: 2, profile: 'qemu', vcpuType: 'EPYC-v4', apResetEip: '0x90b004', apResetEipSource: 'firmware' });
    expect(j.stepsByType).toEqual({ NORMAL: 17, ZERO: 9 + 3 + 1 + 15, SECRETS: 1, CPUID: 1, VMSA: 2 });
    expect(j.firmwareRegion).toBe(0);
  });
  it('--log names the region and the page within it', async () => {
    const log = join(dir, 'uki.jsonl');
    await run(join(examples, 'regions'), 'regions', 'uki-update.json', `--log=${log}`);
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[3]).toMatchObject({ origin: { kind: 'region', index: 0, detail: 'COPY+MEASURE' }, page: 3, gpa: '0xffff3000', pageType: 'NORMAL' });
    expect(lines.at(-1)).toMatchObject({ origin: { kind: 'vmsa', index: 3 }, pageType: 'VMSA' });
  });
});

describe('encode and decode round trip', () => {
  const manifest = {
    rules: 'vmfwupdate-snp/1',
    launch: { vcpus: 3, profile: 'ec2', apResetEip: '0x80b004', guestFeatures: '0x21' },
    struct: { capabilities: '0x3', firmwareSize: '0x400000', opaqueAddr: '0xdead000' },
    regions: [
      { dst: '0x100000', size: '0x3000', flags: ['COPY', 'MEASURE'], source: { file: 'payload.bin', offset: '0x1000' } },
      { dst: '0x200000', size: '0x2000', flags: ['ZERO', 'MEASURE'] },
      { dst: '0x300000', size: '0x1000', flags: ['COPY', 'VALIDATE'], source: { hex: 'ab'.repeat(4096) } },
      { dst: '0x400000', size: '0x1000', flags: ['SEV_SECRETS', 'VALIDATE'] },
      { dst: '0x401000', size: '0x1000', flags: ['SEV_CPUID', 'VALIDATE', 'COPY'], source: { base64: Buffer.alloc(4096, 7).toString('base64') } },
      { dst: '0x123', size: '0x10', flags: ['ZERO'] },
      { dst: '0x10000000000', size: '0x2000', flags: ['VALIDATE'] },
    ],
  };
  writeFileSync(join(dir, 'payload.bin'), stream('payload', 0x4000));
  writeFileSync(join(dir, 'rt.json'), JSON.stringify(manifest));

  for (const size of ['40', '36']) {
    it(`struct of ${size} bytes: the captured form gives the manifest's digest, and decodes back`, async () => {
      const want = await run(dir, 'regions', 'rt.json');
      expect(want.rc).toBe(0);
      const enc = await run(dir, 'regions', 'encode', 'rt.json', `--struct-size=${size}`, `--struct-out=s${size}.bin`, `--regions-out=r${size}.bin`, `--memory-out=m${size}.img`);
      expect(enc.rc, enc.err).toBe(0);
      expect(statSync(join(dir, `s${size}.bin`)).size).toBe(Number(size));
      expect(statSync(join(dir, `r${size}.bin`)).size).toBe(7 * 32);
      const launch = ['--vcpus=3', '--vmm-type=ec2', '--ap-reset-eip=0x80b004', '--guest-features=0x21'];
      const fromFile = await run(dir, 'regions', `--struct=s${size}.bin`, `--memory=m${size}.img`, ...launch);
      const fromMem = await run(dir, 'regions', '--struct-at=0x1000', `--struct-size=${size}`, `--memory=m${size}.img`, ...launch);
      expect(fromFile.out).toBe(want.out);
      expect(fromMem.out).toBe(want.out);
      const dec = await run(dir, 'regions', 'decode', '--struct-at=0x1000', `--struct-size=${size}`, `--memory=m${size}.img`, ...launch, `--out=d${size}.json`);
      expect(dec.rc, dec.err).toBe(0);
      const back = parseManifest(readFileSync(join(dir, `d${size}.json`), 'utf8'));
      const orig = parseManifest(JSON.stringify(manifest));
      expect(back.regions.map((r) => [r.dst, r.size, r.flags])).toEqual(orig.regions.map((r) => [r.dst, r.size, r.flags]));
      expect(back.struct).toEqual({ capabilities: 3n, firmwareSize: 0x400000n, opaqueAddr: 0xdead000n, control: 0 });
      expect((await run(dir, 'regions', `d${size}.json`)).out).toBe(want.out);
    });
  }
  it('decodes with --extent sources inline', async () => {
    await run(dir, 'regions', 'encode', 'rt.json', '--struct-out=s.bin', '--memory-out=m.img');
    const dec = await run(dir, 'regions', 'decode', '--struct=s.bin', '--extent=0x0=m.img', '--vcpus=3', '--vmm-type=ec2', '--ap-reset-eip=0x80b004', '--guest-features=0x21');
    expect(dec.rc, dec.err).toBe(0);
    expect(dec.out).toContain('"hex"');
    writeFileSync(join(dir, 'dx.json'), dec.out);
    expect((await run(dir, 'regions', 'dx.json')).out).toBe((await run(dir, 'regions', 'rt.json')).out);
  });
});

describe('manifest handling', () => {
  const write = (name: string, doc: unknown): string => { writeFileSync(join(dir, name), typeof doc === 'string' ? doc : JSON.stringify(doc)); return name; };
  const launch = { vcpus: 1, vcpuType: 'EPYC-v4' };

  it('keeps 64-bit numbers written as plain JSON numbers exact', async () => {
    write('big.json', `{"launch":{"vcpus":1,"vcpuType":"EPYC-v4","guestFeatures":18446744073709551615},"regions":[]}`);
    const r = await run(dir, 'regions', 'big.json', '--json');
    expect(JSON.parse(r.out).launch.guestFeatures).toBe('0xffffffffffffffff');
    const viaHex = await run(dir, 'regions', write('bighex.json', { launch: { ...launch, guestFeatures: '0xffffffffffffffff' }, regions: [] }));
    expect(JSON.parse(r.out).digest).toBe(viaHex.out.trim());
  });
  it('command-line launch options override the manifest', async () => {
    const a = await run(dir, 'regions', write('l.json', { launch: { ...launch, vcpus: 4, apResetEip: '0x80b004' }, regions: [] }), '--vcpus=1');
    const b = await run(dir, 'regions', write('l1.json', { launch, regions: [] }));
    expect(a.out).toBe(b.out);
  });
  it('measuredZero normal measures ZERO+MEASURE pages as NORMAL pages of zeros', async () => {
    const zero = { launch, regions: [{ dst: '0x0', size: '0x1000', flags: ['ZERO', 'MEASURE'] }] };
    const copy = { launch, regions: [{ dst: '0x0', size: '0x1000', flags: ['COPY', 'MEASURE'], source: { hex: '00'.repeat(4096) } }] };
    const a = await run(dir, 'regions', write('z.json', zero), '--measured-zero=normal');
    expect(a.out).toBe((await run(dir, 'regions', write('c.json', copy))).out);
    expect((await run(dir, 'regions', 'z.json')).out).not.toBe(a.out);
  });
  it('pads a short source only when asked', async () => {
    const r = { dst: '0x0', size: '0x2000', flags: ['COPY', 'MEASURE'], source: { hex: '11'.repeat(100) } };
    const short = await run(dir, 'regions', write('short.json', { launch, regions: [r] }));
    expect(short.rc).toBe(2);
    expect(short.err).toMatch(/^error\[source-missing\]: region 0 /);
    const padded = await run(dir, 'regions', write('pad.json', { launch, regions: [{ ...r, pad: 'zero' }] }));
    const full = await run(dir, 'regions', write('full.json', { launch, regions: [{ ...r, source: { hex: '11'.repeat(100) + '00'.repeat(0x2000 - 100) } }] }));
    expect(padded.rc).toBe(0);
    expect(padded.out).toBe(full.out);
  });
  it('a DISABLE control bit is its own outcome: no digest, exit 4', async () => {
    const r = await run(dir, 'regions', write('dis.json', { launch, struct: { control: 1 }, regions: [] }), '--json');
    expect(r.rc).toBe(4);
    expect(JSON.parse(r.out)).toEqual({ format: 'vmfw-measure/regions-result@1', rules: 'vmfwupdate-snp/1', outcome: 'disabled' });
    expect(r.err).toMatch(/update disabled/);
  });
  const errors: [string, unknown, string, RegExp][] = [
    ['unknown key', { launch, regions: [{ dst: '0x0', size: '0x1000', flags: ['ZERO'], colour: 1 }] }, 'manifest', /regions\[0\]: unknown key "colour"/],
    ['unknown flag', { launch, regions: [{ dst: '0x0', size: '0x1000', flags: ['ZAP'] }] }, 'manifest', /regions\[0\]\.flags: unknown flag "ZAP"/],
    ['bad number', { launch, regions: [{ dst: 'zero', size: '0x1000', flags: ['ZERO'] }] }, 'manifest', /regions\[0\]\.dst/],
    ['rules version', { rules: 'vmfwupdate-snp/9', launch, regions: [] }, 'manifest', /vmfwupdate-snp\/9/],
    ['overlap names both regions', { launch, regions: [{ dst: '0x0', size: '0x2000', flags: ['VALIDATE'] }, { dst: '0x1000', size: '0x1000', flags: ['ZERO', 'MEASURE'] }] }, 'overlap', /region 0 .* and region 1 /],
    ['reserved flag', { launch, regions: [{ dst: '0x0', size: '0x1000', flags: '0x40' }] }, 'reserved-flag', /region 0 .*0x40/],
    ['missing file', { launch, regions: [{ dst: '0x0', size: '0x1000', flags: ['COPY', 'MEASURE'], source: { file: 'absent.bin' } }] }, 'file-missing', /absent\.bin/],
    ['not JSON', '{"regions": [', 'manifest', /not valid JSON/],
    ['no vCPUs', { launch: { vcpuType: 'EPYC-v4' }, regions: [] }, 'usage', /vCPU count/],
  ];
  for (const [name, doc, code, msg] of errors) {
    it(`${name} -> error[${code}], exit 2`, async () => {
      const r = await run(dir, 'regions', write(`e-${code}.json`, doc));
      expect(r.rc).toBe(2);
      expect(r.err).toMatch(new RegExp(`^error\\[${code}\\]: `));
      expect(r.err).toMatch(msg);
    });
  }
  it('refuses a manifest and a struct together', async () => {
    const r = await run(dir, 'regions', 'l1.json', '--struct=s.bin');
    expect(r.err).toMatch(/^error\[usage\]/);
  });
});

describe('streaming', () => {
  it('reads a large COPY region in bounded chunks', () => {
    let largest = 0, total = 0;
    const size = 64 << 20;
    const data: RegionData = { length: size, describe: 'counting source', read: (_o, into) => { largest = Math.max(largest, into.length); total += into.length; } };
    const { launch } = resolveLaunch({ vcpus: 1, vcpuType: 'EPYC-v4' });
    const replay = replayRegions({ regions: [{ dst: 0n, size: BigInt(size), src: 0n, flags: REGION_FLAGS.COPY | REGION_FLAGS.MEASURE, data }], memory: EMPTY_MEMORY, launch });
    expect(measurePlan(replay.plan).steps).toBe(size / 4096 + 1);
    expect(total).toBe(size);
    expect(largest).toBeLessThanOrEqual(1 << 20);
  });
  it('a failed encode leaves no output behind', async () => {
    writeFileSync(join(dir, 'nosrc.json'), JSON.stringify({ regions: [{ dst: '0x0', size: '0x1000', flags: ['COPY', 'MEASURE'], src: '0x5000' }] }));
    const r = await run(dir, 'regions', 'encode', 'nosrc.json', '--memory-out=never.img', '--struct-out=never.bin');
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(/^error\[manifest\]: regions\[0\]: COPY without a source/);
    expect(existsSync(join(dir, 'never.img'))).toBe(false);
    expect(existsSync(join(dir, 'never.bin'))).toBe(false);
  });
});

describe('absurd sizes', () => {
  it('refuses a launch of more than 2^30 steps instead of hashing for days', async () => {
    writeFileSync(join(dir, 'huge.json'), JSON.stringify({ launch: { vcpus: 1, vcpuType: 'EPYC-v4' }, regions: [{ dst: '0x1000000000000', size: '0x8000000000000', flags: ['ZERO', 'MEASURE'] }] }));
    const r = await run(dir, 'regions', 'huge.json');
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(/^error\[too-many-steps\]: .*region 0 \(ZERO\+MEASURE\) with 549755813888 pages/);
  });
});
