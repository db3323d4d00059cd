/**
 * `reference-values --from-lock` writes through the same writer as `reference-values` from a
 * launch (attestation/reference-formats.ts): for a lock of one launch, every format gives the
 * bytes (and stderr notes) the launch gives, and the same refusals (contrast needs --product).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliIn, REPO } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vmfw-rv-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
cpSync(join(REPO, 'examples', 'ovmf'), join(dir, 'ovmf'), { recursive: true });

const LAUNCH = {
  kind: 'ovmf', ovmf: 'ovmf/OVMF-synthetic-amdsev.fd', kernel: 'ovmf/vmlinuz-standin.bin', initrd: 'ovmf/initrd-standin.bin',
  append: 'console=ttyS0', vcpus: '1-2', vcpuType: ['EPYC-Genoa'], vmmType: ['qemu'],
};
/** The same launch as command-line options. */
const NORMAL = ['--ovmf', LAUNCH.ovmf, '--kernel', LAUNCH.kernel, '--initrd', LAUNCH.initrd, '--append', LAUNCH.append,
  '--vcpus', LAUNCH.vcpus, '--vcpu-type', 'EPYC-Genoa', '--vmm-type', 'qemu'];
const FROM_LOCK = ['--from-lock', 'vmfw-measure.lock.json'];

const run = cliIn(dir);

beforeAll(async () => {
  writeFileSync(join(dir, 'vmfw-measure.json'), JSON.stringify({ launches: { web: LAUNCH } }));
  const r = await run('lock');
  expect(r.rc, r.err).toBe(0);
});

describe('reference-values --from-lock equals reference-values from the launch', () => {
  const formats: [string, ...string[]][] = [
    ['trustee'], ['trustee', '--encoding', 'base64'], ['trustee-sample'],
    ['trustee-operator', '--expires', '2030-01-01T00:00:00+02:00'],
    ['go-sev-guest'], ['go-sev-guest', '--policy', '0x70000'],
    ['contrast', '--product', 'genoa'], ['contrast', '--product', 'genoa', '--policy', '0x3001f'],
  ];
  for (const [format, ...opts] of formats) {
    it(`--format ${format} ${opts.join(' ')}`.trimEnd(), async () => {
      const normal = await run('reference-values', ...NORMAL, '--format', format, ...opts);
      expect(normal.rc, normal.err).toBe(0);
      const lock = await run('reference-values', ...FROM_LOCK, '--format', format, ...opts);
      expect(lock).toEqual(normal);
    });
  }
  it('contrast names the --product given, not Milan', async () => {
    const r = await run('reference-values', ...FROM_LOCK, '--format', 'contrast', '--product', 'genoa');
    const snp = (JSON.parse(r.out) as { snp: { ProductName: string; CPUs: number }[] }).snp;
    expect(snp.map((e) => `${e.ProductName} ${e.CPUs}`)).toEqual(['Genoa 1', 'Genoa 2']);
  });
  it('json: the same measurements, with the lock as source', async () => {
    const normal = JSON.parse((await run('reference-values', ...NORMAL, '--encoding', 'base64')).out) as Record<string, unknown>;
    const r = await run('reference-values', ...FROM_LOCK, '--encoding', 'base64');
    expect(r.rc, r.err).toBe(0);
    const lock = JSON.parse(r.out) as Record<string, unknown>;
    expect(lock['measurements']).toEqual(normal['measurements']);
    expect(lock['digestEncoding']).toBe('base64');
    expect(lock['source']).toEqual({ tool: 'vmfw-measure', toolVersion: expect.any(String), lock: 'vmfw-measure.lock.json', launches: { web: 'ovmf' } });
  });
  it('go-sev-guest --out-dir writes the files the launch writes', async () => {
    expect((await run('reference-values', ...NORMAL, '--format', 'go-sev-guest', '--out-dir', 'normal')).rc).toBe(0);
    const r = await run('reference-values', ...FROM_LOCK, '--format', 'go-sev-guest', '--out-dir', 'locked');
    expect(r).toEqual({ rc: 0, out: 'wrote 2 configs to locked\n', err: '' });
    const names = readdirSync(join(dir, 'normal')).sort();
    expect(names).toHaveLength(2);
    expect(readdirSync(join(dir, 'locked')).sort()).toEqual(names);
    for (const n of names) expect(readFileSync(join(dir, 'locked', n), 'utf8')).toBe(readFileSync(join(dir, 'normal', n), 'utf8'));
  });
});

describe('reference-values --from-lock refuses what the launch mode refuses', () => {
  it('contrast without --product: exit 2, the same error as from a launch', async () => {
    const normal = await run('reference-values', ...NORMAL, '--format', 'contrast');
    const lock = await run('reference-values', ...FROM_LOCK, '--format', 'contrast');
    expect(lock.rc).toBe(2);
    expect(lock.out).toBe('');
    expect(lock.err).toMatch(/^error\[contrast-product\]: Contrast reference values need --product milan or --product genoa/);
    expect(lock).toEqual(normal);
  });
  it('trustee-operator without --expires, go-sev-guest with --encoding, --out-dir with json: as from a launch', async () => {
    for (const opts of [['--format', 'trustee-operator'], ['--format', 'go-sev-guest', '--encoding', 'base64'], ['--out-dir', 'x']]) {
      const lock = await run('reference-values', ...FROM_LOCK, ...opts);
      expect(lock.rc).toBe(2);
      expect(lock).toEqual(await run('reference-values', ...NORMAL, ...opts));
    }
  });
  it('--apeip, and --product with another format than contrast (exit 2)', async () => {
    const apeip = await run('reference-values', ...FROM_LOCK, '--format', 'contrast', '--product', 'genoa', '--apeip');
    expect(apeip.rc).toBe(2);
    expect(apeip.err).toBe("error[usage]: --from-lock does not combine with --apeip: the APEIP form needs the firmware's AP reset EIP, which a lock does not record\n");
    const product = await run('reference-values', ...FROM_LOCK, '--format', 'trustee', '--product', 'genoa');
    expect(product.rc).toBe(2);
    expect(product.err).toMatch(/^error\[usage\]: --product with --from-lock names Contrast's ProductName and belongs to --format contrast/);
  });
  it('go-sev-guest --out FILE with several configurations (check -config reads one per file)', async () => {
    const r = await run('reference-values', ...FROM_LOCK, '--format', 'go-sev-guest', '--out', 'all.textproto');
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(/^error\[go-sev-guest-output\]: --out all\.textproto: .* this matrix has 2 configurations/);
  });
});
