// The esbuild bundle (scripts/bundle.mjs) behaves as the module tree: same outputs, lazily loaded
// command chunks, the hash back-end found without a top-level await, errors with exit status 2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureIO, runCli } from '../src/cli/main.js';
import { MIN_PARALLEL_PAGES } from '../src/node/parallel.js';
import { REPO } from './helpers.js';

// Inside the repository, so that the bundle's external imports (yargs) resolve from node_modules.
mkdirSync(join(REPO, 'dist'), { recursive: true });
const out = mkdtempSync(join(REPO, 'dist', 'bundle-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

beforeAll(async () => {
  const esbuild = await import('esbuild');
  const { bundle } = await import('../scripts/bundle.mjs' as string) as { bundle: (e: unknown, entry: string, outdir: string) => Promise<{ files: number }> };
  await bundle(esbuild, join(REPO, 'src', 'cli', 'main.ts'), join(out, 'b'));
  writeFileSync(join(out, 'b', 'run.mjs'), "import { main } from './main.js';\nawait main();\n");
}, 60_000);

function bundled(cwd: string, ...args: string[]): { rc: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(out, 'b', 'run.mjs'), ...args], { cwd, encoding: 'utf8' });
  return { rc: r.status, out: r.stdout, err: r.stderr };
}

async function tree(cwd: string, ...args: string[]): Promise<{ rc: number; out: string; err: string }> {
  const io = captureIO(cwd);
  return { rc: await runCli(args, io), out: io.stdout, err: io.stderr };
}

describe('the bundled CLI', () => {
  it('splits per command: the entry, one file per command module, shared chunks', () => {
    const files = readdirSync(join(out, 'b'));
    for (const command of ['ovmf-command', 'regions-command', 'igvm-command', 'verify-command', 'reference-values-command']) {
      expect(files.filter((f) => f.startsWith(`${command}-`))).toHaveLength(1);
    }
  });

  it('prints the same digests as the module tree', async () => {
    const ovmf = ['ovmf', '--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-v4', '--ovmf', 'OVMF-synthetic-amdsev.fd', '--kernel', 'vmlinuz-standin.bin', '--initrd', 'initrd-standin.bin', '--append', 'console=ttyS0'];
    const cwd = join(REPO, 'examples', 'ovmf');
    const a = bundled(cwd, ...ovmf);
    expect(a).toEqual({ rc: 0, out: (await tree(cwd, ...ovmf)).out, err: '' });
    expect(a.out).toMatch(/^b6f6f13c[0-9a-f]{81}64100ab\n$/);
    const regions = join(REPO, 'examples', 'regions');
    expect(bundled(regions, 'regions', 'uki-update.json', '--json')).toEqual({ rc: 0, out: (await tree(regions, 'regions', 'uki-update.json', '--json')).out, err: '' });
  });

  it('hashes a large region on worker threads as the tree does', async () => {
    const block = randomBytes(1 << 20);
    writeFileSync(join(out, 'big.bin'), Buffer.concat(Array.from({ length: MIN_PARALLEL_PAGES / 256 + 1 }, () => block)));
    writeFileSync(join(out, 'big.json'), JSON.stringify({ launch: { vcpus: 2, vcpuType: 'EPYC-v4', apResetEip: '0xfff0' }, regions: [{ dst: '0x100000000', flags: ['COPY', 'MEASURE'], source: { file: 'big.bin' } }] }));
    const a = bundled(out, 'regions', 'big.json');
    expect(a.rc).toBe(0);
    expect(a.out).toBe((await tree(out, 'regions', 'big.json')).out);
  }, 30_000);

  it('reports input errors with exit status 2 and, with --debug, a trace through the bundle', () => {
    const r = bundled(REPO, 'ovmf', '--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-v4', '--ovmf', 'no-such.fd', '--debug');
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(/^error\[file-missing\]/);
    expect(r.err).toContain(join(out, 'b'));
  });
});
