// The esbuild bundle (scripts/bundle.mjs) behaves as the module tree: same outputs, one file per
// command word chosen by bin/vmfw-measure.cjs, the hash back-end found without a top-level await,
// errors with exit status 2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Script } from 'node:vm';
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
  const { bundle } = await import('../scripts/bundle.mjs' as string) as { bundle: (e: unknown, entry: string, outdir: string) => Promise<{ words: string[] }> };
  const r = await bundle(esbuild, join(REPO, 'src', 'cli', 'main.ts'), join(out, 'dist', 'bundle'));
  words = r.words;
  // The package's launcher beside it: it picks the bundle (there is no module tree here).
  mkdirSync(join(out, 'bin'));
  copyFileSync(join(REPO, 'bin', 'vmfw-measure.cjs'), join(out, 'bin', 'vmfw-measure.cjs'));
}, 60_000);
let words: string[] = [];

function bundled(cwd: string, ...args: string[]): { rc: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(out, 'bin', 'vmfw-measure.cjs'), ...args], { cwd, encoding: 'utf8' });
  return { rc: r.status, out: r.stdout, err: r.stderr };
}

/** Runs one bundle file directly, whatever the command word. */
function bundleFile(file: string, cwd: string, ...args: string[]): { rc: number | null; out: string; err: string } {
  // As the launcher does: the file's value is a CommonJS module function.
  const run = join(out, `run-${file.replace(/\W/g, '_')}.cjs`);
  const path = JSON.stringify(join(out, 'dist', 'bundle', file));
  writeFileSync(run, `const m = { exports: {} };\nrequire('node:vm').runInThisContext(require('node:fs').readFileSync(${path}, 'utf8'), { filename: ${path} })(m.exports, require, m);\nm.exports.main();\n`);
  const r = spawnSync(process.execPath, [run, ...args], { cwd, encoding: 'utf8' });
  return { rc: r.status, out: r.stdout, err: r.stderr };
}

async function tree(cwd: string, ...args: string[]): Promise<{ rc: number; out: string; err: string }> {
  const io = captureIO(cwd);
  return { rc: await runCli(args, io), out: io.stdout, err: io.stderr };
}

describe('the bundled CLI', () => {
  it('writes one file per command word and main.js for the rest', () => {
    expect(readdirSync(join(out, 'dist', 'bundle')).sort()).toEqual(['cmd', 'main.js', 'main.js.cache']);
    expect(readdirSync(join(out, 'dist', 'bundle', 'cmd')).sort()).toEqual(words.flatMap((w) => [`${w}.js`, `${w}.js.cache`]).sort());
    for (const w of ['ovmf', 'regions', 'igvm', 'launch-update', 'report', 'verify', 'identify', 'diff', 'reference-values', 'id-block', 'lock', 'check']) expect(words).toContain(w);
  });

  it('writes a code cache for each file that this node accepts', () => {
    for (const file of ['main.js', ...words.map((w) => join('cmd', `${w}.js`))]) {
      const path = join(out, 'dist', 'bundle', file);
      const script = new Script(readFileSync(path, 'utf8'), { filename: path, cachedData: readFileSync(`${path}.cache`) });
      expect(script.cachedDataRejected, file).toBe(false);
    }
    // A cache for other source is refused, and the launcher then compiles as usual.
    const other = new Script('(function () {})', { cachedData: readFileSync(join(out, 'dist', 'bundle', 'main.js.cache')) });
    expect(other.cachedDataRejected).toBe(true);
  });

  it('answers --version, help and unknown words from main.js, which holds no command', () => {
    expect(bundled(REPO, '--version').out).toMatch(/^\d+\.\d+\.\d+/);
    expect(bundled(REPO, 'help', 'ovmf')).toMatchObject({ rc: 0, out: expect.stringContaining('--vcpu-type') });
    expect(bundled(REPO, 'ovfm')).toMatchObject({ rc: 2, err: expect.stringContaining('ovmf') });
    expect(bundled(REPO, 'ovmf', '--help')).toMatchObject({ rc: 0, out: expect.stringContaining('--vcpu-type') });
  });

  it('loads neither node:crypto nor worker_threads (nor the stream modules) for --version or help', () => {
    // node:crypto brings Node's stream modules: about 3 ms of a 27 ms `--version`.
    const probe = join(out, 'probe-modules.cjs');
    writeFileSync(probe, "process.on('exit', () => process._rawDebug('modules: ' + JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')))));\n");
    for (const args of [['--version'], ['ovmf', '--help'], ['regions', '--help'], ['help', 'identify']]) {
      const r = spawnSync(process.execPath, ['-r', probe, join(out, 'bin', 'vmfw-measure.cjs'), ...args], { cwd: REPO, encoding: 'utf8' });
      const loaded = JSON.parse(/^modules: (.*)$/m.exec(r.stderr)?.[1] ?? '[]') as string[];
      expect(loaded.length, args.join(' ')).toBeGreaterThan(10);
      expect(loaded.filter((m) => /^NativeModule (crypto|worker_threads|stream)$/.test(m)), args.join(' ')).toEqual([]);
    }
    // A command that hashes does load it.
    const r = spawnSync(process.execPath, ['-r', probe, join(out, 'bin', 'vmfw-measure.cjs'), 'ovmf', '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--ovmf', 'examples/ovmf/OVMF-synthetic-amdsev.fd'], { cwd: REPO, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('NativeModule crypto');
  });

  it('refuses, as an internal error, to run a command whose module another bundle holds', () => {
    const r = bundleFile('main.js', REPO, 'report', 'x.bin');
    expect(r.rc).toBe(3);
    expect(r.err).toContain("belongs to another command's bundle");
    expect(bundleFile('cmd/ovmf.js', REPO, 'diff', 'a', 'b').err).toContain("belongs to another command's bundle");
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
    expect(r.err).toContain(join(out, 'dist', 'bundle', 'cmd', 'ovmf.js'));
  });
});
