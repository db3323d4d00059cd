/**
 * PACKAGING TEST (slow: ~10-20 s, spawns npm). Packs the package as `npm publish` would, installs
 * the tarball into an empty folder and uses it from there: both CLIs and the library. Also checks
 * what the tarball holds: the build, the bins and the docs (docs/*.md, docs/spec/*.md), never
 * tests, vectors, fixtures or the generated docs/api pages.
 *
 * It packs a copy of the working tree (sharing its node_modules), so the repository's own dist/
 * is not rebuilt under the other test files. The install takes the dependencies from npm's cache
 * (`--offline`, filled by `npm ci`); when the cache lacks them it falls back to the registry.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { REPO } from './helpers.js';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const TIMEOUT = 120_000;

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: TIMEOUT, env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** Tracked content of the working tree, without build output, installs or VCS data. */
const SKIP = new Set(['node_modules', 'dist', '.git', 'tmp', 'coverage', 'docs/api']);

describe('packaging: npm pack, install the tarball into an empty folder, use it (slow)', () => {
  const root = mkdtempSync(join(tmpdir(), 'vmfw-pack-'));
  const src = join(root, 'src');
  const consumer = join(root, 'consumer');
  let files: string[] = [];
  let installed = false;

  it('packs: the tarball holds the build, bins and docs, and no tests, vectors or fixtures', () => {
    cpSync(REPO, src, { recursive: true, filter: (p) => !SKIP.has(relative(REPO, p).split(sep).join('/')) });
    symlinkSync(join(REPO, 'node_modules'), join(src, 'node_modules'), 'junction');
    // As after `npm run docs`: the generated API pages must stay out of the tarball.
    mkdirSync(join(src, 'docs', 'api'), { recursive: true });
    writeFileSync(join(src, 'docs', 'api', 'index.md'), '# generated\n');
    const out = ok(run(NPM, ['pack', '--json', '--pack-destination', root], src), 'npm pack');
    const info = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    files = info[0]!.files.map((f) => f.path).sort();
    for (const must of ['package.json', 'README.md', 'CHANGELOG.md', 'bin/vmfw-measure.cjs', 'bin/vmfw-measure-conformance.js',
      'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/conformance/runner.js', 'docs/errors.md', 'docs/spec/README.md']) {
      expect(files, must).toContain(must);
    }
    const stray = files.filter((f) => /^(test|vectors|src|examples|bench|scripts|docs\/api)\//.test(f) || /fixtures?\//.test(f)
      || /\.test\.|\.tsbuildinfo$|\.igvm$|\.fd$|\.bin$/.test(f));
    expect(stray).toEqual([]);
    // The docs ship (the code's comments cite docs/spec sections); the generated API pages do not.
    expect(files.every((f) => /^(bin|dist|schemas)\/|^docs\/(spec\/)?[\w.-]+\.md$|^(package\.json|README\.md|CHANGELOG\.md|LICENSE)$/.test(f)), files.join('\n')).toBe(true);
    writeFileSync(join(root, 'tarball'), join(root, info[0]!.filename));
  }, TIMEOUT);

  it('installs into an empty folder', () => {
    const tgz = readFileSync(join(root, 'tarball'), 'utf8');
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const flags = ['install', '--no-audit', '--no-fund', '--no-package-lock', tgz];
    let r = run(NPM, ['--offline', ...flags], consumer);
    if (r.status !== 0) r = run(NPM, ['--prefer-offline', ...flags], consumer); // cache incomplete: CI with a registry
    ok(r, 'npm install');
    installed = true;
  }, TIMEOUT);

  it('runs the installed CLI: --version and an OVMF digest of the bundled example', () => {
    expect(installed).toBe(true);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(ok(run(NPX, ['--no', '--', 'vmfw-measure', '--version'], consumer), 'vmfw-measure --version').trim()).toBe(pkg.version);
    const ex = join(REPO, 'examples', 'ovmf');
    const digest = ok(run(NPX, ['--no', '--', 'vmfw-measure', 'ovmf', '--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-v4',
      '--ovmf', join(ex, 'OVMF-synthetic-amdsev.fd'), '--kernel', join(ex, 'vmlinuz-standin.bin'),
      '--initrd', join(ex, 'initrd-standin.bin'), '--append', 'console=ttyS0'], consumer), 'vmfw-measure ovmf');
    expect(digest.trim()).toBe('b6f6f13c9180eb01ef8f5bc7df4d53f430a6568be70f40cabf2882b77b67519bf65780367e3fe481ff98dc3d664100ab');
  }, TIMEOUT);

  it('runs the installed conformance runner on a vector file', () => {
    expect(installed).toBe(true);
    const out = ok(run(NPX, ['--no', '--', 'vmfw-measure-conformance', join(REPO, 'vectors', 'pageinfo-vectors.json')], consumer), 'conformance');
    expect(out.trim()).toBe('8 passed, 0 failed');
  }, TIMEOUT);

  it('imports the library by package name, types included', () => {
    expect(installed).toBe(true);
    // gce-tcb-verifier's TestUpdateData: three NORMAL pages with LGTM markers at both ends.
    const script = `
      import { LaunchDigest, PageType, toHex } from 'vmfw-measure';
      const buf = new Uint8Array(3 * 4096);
      const lgtm = new TextEncoder().encode('LGTM'.repeat(4));
      buf.set(lgtm, 0); buf.set(lgtm, buf.length - 16);
      const ld = new LaunchDigest();
      for (let p = 0; p < 3; p++) ld.updatePage(PageType.Normal, BigInt(p * 4096), buf.subarray(p * 4096, (p + 1) * 4096));
      console.log(toHex(ld.digest));`;
    const out = ok(run(process.execPath, ['--input-type=module', '-e', script], consumer), 'library import');
    expect(out.trim()).toBe('cba1cd767c33b30f96271837dbbae4081a945464a5af397b9b0336b5d8759ee88cc6b62c05d915c4424a9ac5747437d4');
    const pkg = JSON.parse(readFileSync(join(consumer, 'node_modules', 'vmfw-measure', 'package.json'), 'utf8')) as { types: string };
    expect(readFileSync(join(consumer, 'node_modules', 'vmfw-measure', pkg.types), 'utf8')).toMatch(/export \{[^}]*measurePlan/);
  }, TIMEOUT);
});
