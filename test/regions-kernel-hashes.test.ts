/** A kernelHashes region source: firmware + kernel updates written by hand, equal to the OVMF launch. */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIO, runCli } from '../src/cli/main.js';
import { toHex } from '../src/bytes.js';
import { cmdlineHash } from '../src/ovmf/kernel-hashes.js';
import { defaultSuite } from '../src/hash/suite.js';
import { REPO } from './helpers.js';

const regionsDir = join(REPO, 'examples', 'regions');
async function run(cwd: string, ...args: string[]): Promise<{ rc: number; out: string; err: string }> {
  const io = captureIO(cwd);
  const rc = await runCli(args, io);
  return { rc, out: io.stdout.trim(), err: io.stderr };
}
const example = JSON.parse(readFileSync(join(regionsDir, 'kernel-update.json'), 'utf8')) as { regions: Record<string, unknown>[]; launch: Record<string, unknown> };
const tmp = mkdtempSync(join(tmpdir(), 'vmfw-kh-'));
function variant(name: string, edit: (m: typeof example) => void): string {
  const m = JSON.parse(JSON.stringify(example)) as typeof example;
  edit(m);
  for (const r of m.regions) {
    const s = r['source'] as Record<string, Record<string, string> | string>;
    if (typeof s['file'] === 'string') s['file'] = join(regionsDir, s['file']);
    const k = s['kernelHashes'] as Record<string, string> | undefined;
    if (k) for (const f of ['kernel', 'initrd'] as const) if (k[f]) k[f] = join(regionsDir, k[f]);
  }
  const p = join(tmp, `${name}.json`);
  writeFileSync(p, JSON.stringify(m));
  return p;
}

describe('kernelHashes region source', () => {
  const ovmf = ['ovmf', '--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-v4', '--ovmf', '../ovmf/OVMF-synthetic-amdsev.fd', '--kernel', '../ovmf/vmlinuz-standin.bin', '--initrd', '../ovmf/initrd-standin.bin', '--append', 'console=ttyS0'];
  it('with firmwareMetadata "ovmf" gives the OVMF direct-boot digest', async () => {
    const want = await run(regionsDir, ...ovmf);
    const got = await run(regionsDir, 'regions', 'kernel-update.json');
    expect(got.rc, got.err).toBe(0);
    expect(got.out).toBe(want.out);
  });
  it('takes SHA-256s instead of files', async () => {
    const sha = (f: string): string => toHex(defaultSuite.sha256(readFileSync(join(REPO, 'examples', 'ovmf', f))));
    const p = variant('sha', (m) => {
      (m.regions[1]!['source'] as Record<string, unknown>)['kernelHashes'] = {
        kernelSha256: sha('vmlinuz-standin.bin'), initrdSha256: sha('initrd-standin.bin'), appendSha256: toHex(cmdlineHash('console=ttyS0')),
      };
    });
    expect((await run(tmp, 'regions', p)).out).toBe((await run(regionsDir, ...ovmf)).out);
  });
  it('a changed command line changes the digest', async () => {
    const p = variant('cmdline', (m) => { ((m.regions[1]!['source'] as Record<string, Record<string, string>>)['kernelHashes']!)['append'] = 'console=ttyS1'; });
    expect((await run(tmp, 'regions', p)).out).not.toBe((await run(regionsDir, ...ovmf)).out);
  });
  it.each([
    ['a page away from the SNP_KERNEL_HASHES section', (m: typeof example) => { m.regions[1]!['dst'] = '0x911000'; }, 'metadata-overlap'],
    ['a size other than one page', (m: typeof example) => { m.regions[1]!['size'] = '0x2000'; }, 'manifest'],
    ['no kernel', (m: typeof example) => { (m.regions[1]!['source'] as Record<string, unknown>)['kernelHashes'] = { append: 'x' }; }, 'manifest'],
    ['no firmware region', (m: typeof example) => { m.regions.shift(); m.launch['firmwareMetadata'] = 'none'; m.launch['apResetEip'] = '0xfffff000'; }, 'no-firmware-region'],
  ])('refuses %s', async (_name, edit, code) => {
    const r = await run(tmp, 'regions', variant(code, edit));
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(new RegExp(`^error\\[${code}\\]`));
  });
});
