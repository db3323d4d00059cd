import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIO, runCli } from '../src/cli/main.js';
import { buildIgvm } from '../src/igvm/build.js';
import { REPO } from './helpers.js';

const vectors = join(REPO, 'vectors', 'igvm');
const dir = mkdtempSync(join(tmpdir(), 'vmfw-igvm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const doc = JSON.parse(readFileSync(join(vectors, 'vectors.json'), 'utf8'));
const expected = (id: string, profile: string): string => doc.vectors.find((v: { id: string }) => v.id === id).expected[profile].digest;

async function run(cwd: string, ...args: string[]): Promise<{ rc: number; out: string; err: string }> {
  const io = captureIO(cwd);
  const rc = await runCli(args, io);
  return { rc, out: io.stdout, err: io.stderr };
}

describe('igvm command', () => {
  it('defaults to QEMU semantics with one vCPU', async () => {
    expect((await run(vectors, 'igvm', 'param-2page-insert.igvm')).out.trim()).toBe(expected('param-2page-insert', 'qemu-1'));
  });
  it('selects semantics and options by name', async () => {
    expect((await run(vectors, 'igvm', 'param-2page-insert.igvm', '--file-order')).out.trim()).toBe(expected('param-2page-insert', 'qemu-1-file-order'));
    expect((await run(vectors, 'igvm', 'param-2page-insert.igvm', '--semantics', 'igvm-crate')).out.trim()).toBe(expected('param-2page-insert', 'igvm-crate'));
    expect((await run(vectors, 'igvm', 'zero-pages-mixed.igvm', '--semantics=igvmmeasure', '--native-zero')).out.trim()).toBe(expected('zero-pages-mixed', 'igvmmeasure-native-zero'));
    expect((await run(vectors, 'igvm', 'snp-minimal.igvm', '--vcpus=4', '--vcpu-type=EPYC-v4')).out.trim()).toBe(expected('snp-minimal', 'qemu-4'));
    expect((await run(vectors, 'igvm', 'snp-minimal.igvm', '--vcpus=4', '--vcpu-sig=0x800f12', '--ap-vmsa=bsp')).out.trim()).toBe(expected('snp-minimal', 'qemu-4-bsp'));
  });
  it('--json reports the policy, the ID block check and step counts', async () => {
    const j = JSON.parse((await run(vectors, 'igvm', 'idblock-mismatch.igvm', '--json')).out);
    expect(j).toMatchObject({ semantics: 'qemu', vcpus: 1, guestPolicy: { value: '0x30000', smt: true, reservedBit17: true }, idBlock: { status: 'mismatch' } });
    expect(j.digest).toBe(expected('idblock-mismatch', 'qemu-1'));
    const r = await run(vectors, 'igvm', 'idblock-mismatch.igvm');
    expect(r.err).toMatch(/BAD_MEASUREMENT/);
  });
  it('--log records QEMU\'s order: the parameter insert before the open page region', async () => {
    const log = join(dir, 'p.jsonl');
    await run(vectors, 'igvm', 'param-2page-insert.igvm', `--log=${log}`);
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => `${l.pageType}@${l.gpa}`)).toEqual(['UNMEASURED@0x60000', 'UNMEASURED@0x61000', 'NORMAL@0x300000', 'NORMAL@0x301000', 'NORMAL@0x302000', 'VMSA@0xfffffffff000']);
    expect(lines[0].origin).toMatchObject({ kind: 'igvm', index: 7, detail: 'PARAMETER_INSERT' });
  });
  it('inspect lists every header, as text and JSON', async () => {
    const text = (await run(vectors, 'igvm', 'inspect', 'shared-and-private.igvm')).out;
    expect(text.split('\n')[0]).toMatch(/^IGVM v1, 20776 bytes, 9 headers/);
    expect(text).toMatch(/PAGE_DATA .*flags=SHARED/);
    const j = JSON.parse((await run(vectors, 'igvm', 'inspect', 'idblock-valid.igvm', '--json')).out);
    expect(j.headers.find((h: { type: string }) => h.type === 'SNP_ID_BLOCK').ld).toBe(expected('idblock-valid', 'qemu-1'));
  });
  const errors: [string, string[], string, RegExp][] = [
    ['truncated', ['bad-truncated-fixed-header.igvm'], 'igvm-short-file', /20 bytes/],
    ['checksum', ['bad-bad-checksum-header-byte.igvm'], 'igvm-bad-checksum', /offset 0x14/],
    ['QEMU-unsupported header', ['qemu-unsupported-header.igvm'], 'igvm-qemu-unsupported-header', /COMMAND_LINE/],
    ['vp_index beyond the vCPUs', ['vp-bsp-and-ap.igvm'], 'igvm-qemu-vp-index', /vp_index 1/],
    ['reset VMSA needs the CPU model', ['snp-minimal.igvm', '--vcpus=2'], 'usage', /--vcpu-type/],
    ['native zero belongs to igvmmeasure', ['snp-minimal.igvm', '--native-zero'], 'usage', /igvmmeasure/],
    ['bad semantics', ['snp-minimal.igvm', '--semantics=hyperv'], 'usage', /--semantics/],
    ['not a file', ['nope.igvm'], 'file-missing', /nope\.igvm/],
  ];
  for (const [name, args, code, msg] of errors) {
    it(`${name} -> error[${code}]`, async () => {
      const r = await run(vectors, 'igvm', ...args);
      expect(r.rc).toBe(2);
      expect(r.err).toMatch(new RegExp(`^error\\[${code}\\]: `));
      expect(r.err).toMatch(msg);
    });
  }
});

describe('IGVM images in region lists', () => {
  it('an IGVM_IMAGE region is executed in place and its VMSAs replace the profile\'s', async () => {
    const igvmPath = join(vectors, 'firmware-top-of-4g.igvm');
    const manifest = join(dir, 'igvm-update.json');
    writeFileSync(manifest, JSON.stringify({
      launch: { vcpus: 4, vcpuType: 'EPYC-v4' },
      struct: { capabilities: '0x2' },
      regions: [
        { dst: '0x0', flags: ['COPY', 'IGVM_IMAGE'], source: { file: igvmPath } },
        { dst: '0x0', size: '0x10', flags: ['COPY', 'IGVM_PARAM'], source: { hex: '00'.repeat(16) } },
      ],
    }));
    const viaRegions = await run(dir, 'regions', manifest);
    expect(viaRegions.rc, viaRegions.err).toBe(0);
    expect(viaRegions.out.trim()).toBe(expected('firmware-top-of-4g', 'qemu-4'));
  });
  it('the IGVM_IMAGES capability gates it', async () => {
    const manifest = join(dir, 'nocap.json');
    writeFileSync(manifest, JSON.stringify({ launch: { vcpus: 1, vcpuType: 'EPYC-v4' }, struct: { capabilities: '0x1' }, regions: [{ dst: '0x0', flags: ['COPY', 'IGVM_IMAGE'], source: { file: join(vectors, 'snp-minimal.igvm') } }] }));
    const r = await run(dir, 'regions', manifest);
    expect(r.err).toMatch(/^error\[igvm-capability\]: region 0 /);
  });
});

describe('launch-update', () => {
  const guest = readFileSync(join(vectors, 'snp-minimal.igvm'));
  const host = join(vectors, 'firmware-top-of-4g.igvm');
  function capture(control: bigint, opts: { version?: number; addr?: bigint; size?: bigint } = {}): string {
    const s = new Uint8Array(56);
    const dv = new DataView(s.buffer);
    dv.setUint16(0, opts.version ?? 1, true);
    dv.setBigUint64(0x08, 1n << 32n, true);
    dv.setBigUint64(0x10, control, true);
    dv.setBigUint64(0x18, opts.addr ?? 0x2000n, true);
    dv.setBigUint64(0x20, opts.size ?? BigInt(guest.length), true);
    const mem = new Uint8Array(0x2000 + guest.length);
    mem.set(s, 0x1000);
    mem.set(guest, 0x2000);
    const path = join(dir, `mem-${control}-${opts.version ?? 1}-${opts.addr ?? 0}.img`);
    writeFileSync(path, mem);
    return path;
  }
  const G = expected('snp-minimal', 'qemu-1');
  const H = expected('firmware-top-of-4g', 'qemu-1');
  const FORMAT = 1n << 32n;
  const cases: [string, bigint, string[]][] = [
    ['A: permanent', FORMAT, [G, G, G]],
    ['B: permanent, locked', FORMAT | 1n, [G, G, G]],
    ['C: one reset', FORMAT | 2n, [G, H, H]],
    ['D: one reset, locked', FORMAT | 3n, [G, H, H]],
  ];
  for (const [name, control, want] of cases) {
    it(`${name}`, async () => {
      const r = await run(dir, 'launch-update', '--struct-at=0x1000', `--memory=${capture(control)}`, `--host-igvm=${host}`, '--resets=3', '--json');
      expect(r.rc, r.err).toBe(0);
      const j = JSON.parse(r.out);
      expect(j.row).toBe(name[0]);
      expect(j.launches.map((l: { digest: string }) => l.digest)).toEqual(want);
    });
  }
  it('prints the next launch in the same shape as several', async () => {
    expect((await run(dir, 'launch-update', '--struct-at=0x1000', `--memory=${capture(FORMAT)}`)).out).toBe(`launch 1: guest ${G}\n`);
  });
  it('HOST_IGVM with no image reverts to the host IGVM', async () => {
    const r = await run(dir, 'launch-update', '--struct-at=0x1000', `--memory=${capture(2n, { addr: 0n, size: 0n })}`, `--host-igvm=${host}`);
    expect(r.out).toBe(`launch 1: host ${H}\n`);
  });
  it('QEMU\'s same-write DISABLE quirk keeps the old image', async () => {
    const r = await run(dir, 'launch-update', '--struct-at=0x1000', `--memory=${capture(FORMAT | 1n)}`, `--host-igvm=${host}`, '--qemu-same-write-disable');
    expect(r.out).toBe(`launch 1: host ${H}\n`);
    expect(r.err).toMatch(/only disables/);
  });
  const errs: [string, string[], string][] = [
    ['unknown version', [`--memory=${capture(FORMAT, { version: 2 })}`], 'launch-update'],
    ['image without FORMAT_IGVM', [`--memory=${capture(0n)}`], 'launch-update'],
    ['image outside memory', [`--memory=${capture(FORMAT, { addr: 0x100000n })}`], 'launch-update'],
    ['VM not started from IGVM', [`--memory=${capture(FORMAT)}`, '--not-igvm-init'], 'launch-update-not-igvm'],
  ];
  for (const [name, args, code] of errs) {
    it(`${name} -> error[${code}]`, async () => {
      const r = await run(dir, 'launch-update', '--struct-at=0x1000', ...args);
      expect(r.rc).toBe(2);
      expect(r.err).toMatch(new RegExp(`^error\\[${code}\\]: `));
    });
  }
});

describe('IGVM writer output is accepted by the parser and the CLI', () => {
  it('a built file measures through the CLI', async () => {
    const f = buildIgvm([
      { kind: 'platform', mask: 1, platformType: 2 },
      { kind: 'guest-policy', policy: 0x30000n, mask: 1 },
      { kind: 'page-data', gpa: 0n, mask: 1, data: new Uint8Array(4096) },
    ]);
    writeFileSync(join(dir, 'built.igvm'), f);
    const r = await run(dir, 'igvm', 'built.igvm', '--semantics=igvm-crate');
    expect(r.out.trim()).toBe('9d13634b6014bb21cf059b2dc694e7bff01a8a7137041100cd2b695f3d10fb687267b97808b27f8f471d943bc6f53a20');
  });
});
