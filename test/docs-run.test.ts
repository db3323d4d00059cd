/**
 * Docs that run: every `sh`, `ts` and `js` example block in README.md and docs/*.md is executed
 * against the bundled examples, so a snippet cannot rot. The blocks run in a workspace that holds
 * the file names the docs use (OVMF.fd, vmlinuz, report.bin, ...) as copies of the examples, with
 * `vmfw-measure` on PATH and the package importable as `vmfw-measure`.
 *
 * Opting out: blocks that install or run the suite (`npm ...`) are skipped, and so is a block
 * preceded by `<!-- docs-test: skip (why) -->`. `<!-- docs-test: exit N -->` expects exit status N.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transformSync } from 'esbuild';
import { captureIO, runCli } from '../src/cli/main.js';
import { buildReport } from '../src/attestation/report.js';
import { formatMetadataJson } from '../src/ovmf/metadata-json.js';
import { parseFirmware } from '../src/ovmf/firmware.js';
import { buildOvmfHashPlan } from '../src/ovmf/launch.js';
import { measurePlan } from '../src/engine.js';
import { fromHex } from '../src/bytes.js';
import { REPO, buildPrivateDist } from './helpers.js';

interface Block { file: string; line: number; lang: 'sh' | 'ts' | 'js'; code: string; skip?: string; exit: number }

/** The example blocks of a Markdown file, with their opt-out and expected-exit markers. */
export function exampleBlocks(file: string, text: string): Block[] {
  const lines = text.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^```(sh|bash|ts|typescript|js|javascript)\s*$/.exec(lines[i]!);
    if (!m) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    const marker = lines.slice(Math.max(0, start - 2), start).join('\n');
    const lang = m[1] === 'bash' ? 'sh' : m[1] === 'typescript' ? 'ts' : m[1] === 'javascript' ? 'js' : (m[1] as Block['lang']);
    const code = body.join('\n');
    const skipMark = /<!-- docs-test: skip \(([^)]*)\) -->/.exec(marker);
    const exitMark = /<!-- docs-test: exit (\d+) -->/.exec(marker);
    const skip = skipMark ? skipMark[1] : /(^|\s)npm (ci|test|run|install)\b/m.test(code) ? 'installs, builds or runs the suite' : undefined;
    out.push({ file, line: start + 1, lang, code, exit: exitMark ? Number(exitMark[1]) : 0, ...(skip ? { skip } : {}) });
  }
  return out;
}

const DOCS = ['README.md', ...readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const blocks = DOCS.flatMap((f) => exampleBlocks(f, readFileSync(join(REPO, f), 'utf8')));

let work: string;
let dist: string;
let env: NodeJS.ProcessEnv;

/** A workspace with the file names the docs use. */
async function makeWorkspace(): Promise<void> {
  work = mkdtempSync(join(tmpdir(), 'vmfw-docs-'));
  cpSync(join(REPO, 'examples'), join(work, 'examples'), { recursive: true });
  cpSync(join(REPO, 'vectors', 'igvm'), join(work, 'vectors', 'igvm'), { recursive: true });
  const ex = (...p: string[]): string => join(REPO, 'examples', ...p);
  for (const name of ['OVMF.fd', 'ovmf_img.fd']) copyFileSync(ex('ovmf', 'OVMF-synthetic-amdsev.fd'), join(work, name));
  copyFileSync(ex('ovmf', 'vmlinuz-standin.bin'), join(work, 'vmlinuz'));
  copyFileSync(ex('ovmf', 'initrd-standin.bin'), join(work, 'initrd.img'));
  copyFileSync(ex('igvm', 'launch-update-guest.img'), join(work, 'guest.img'));
  copyFileSync(ex('igvm', 'example.igvm'), join(work, 'original.igvm'));
  const fw = new Uint8Array(readFileSync(join(work, 'OVMF.fd')));
  writeFileSync(join(work, 'ovmf-metadata.json'), formatMetadataJson(parseFirmware(fw), measurePlan(buildOvmfHashPlan({ bytes: fw, info: parseFirmware(fw) }).plan).digest));
  // A report from the README's everyday flow: 4 vCPUs of EPYC-Milan with the kernel and command line.
  const io = captureIO(work);
  expect(await runCli(['ovmf', '--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-Milan', '--ovmf', 'OVMF.fd', '--kernel', 'vmlinuz', '--append', 'console=ttyS0'], io), io.stderr).toBe(0);
  writeFileSync(join(work, 'report.bin'), buildReport({ measurement: fromHex(io.stdout.trim(), 'digest', 48) }));
  writeFileSync(join(work, 'vmfw-measure.json'), JSON.stringify({ launches: { web: { kind: 'ovmf', ovmf: 'OVMF.fd', kernel: 'vmlinuz', append: 'console=ttyS0', vcpus: '1-4', vcpuType: ['EPYC-Milan'] } } }, null, 2));

  // The CLI and the package from a private build, so a stale dist/ cannot make a doc pass or fail.
  dist = buildPrivateDist();
  mkdirSync(join(work, 'bin'));
  writeFileSync(join(work, 'bin', 'vmfw-measure.cjs'), `import(${JSON.stringify(pathToFileURL(join(dist, 'cli', 'main.js')).href)}).then((m) => m.main());\n`);
  mkdirSync(join(work, '.path'));
  writeFileSync(join(work, '.path', 'vmfw-measure'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(work, 'bin', 'vmfw-measure.cjs'))} "$@"\n`);
  chmodSync(join(work, '.path', 'vmfw-measure'), 0o755);
  const pkg = join(work, 'node_modules', 'vmfw-measure');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'vmfw-measure', type: 'module', exports: { '.': './dist/index.js', './node': './dist/node/index.js' } }));
  symlinkSync(dist, join(pkg, 'dist'));
  env = { ...process.env, PATH: `${join(work, '.path')}:${process.env['PATH']}` };
}

function runBlock(b: Block): { status: number | null; stdout: string; stderr: string } {
  if (b.lang === 'sh') {
    return spawnSync('bash', ['-e', '-o', 'pipefail', '-c', b.code], { cwd: work, env, encoding: 'utf8', timeout: 120_000 });
  }
  const js = b.lang === 'ts' ? transformSync(b.code, { loader: 'ts', format: 'esm' }).code : b.code;
  const file = join(work, `snippet-${b.file.replace(/\W+/g, '_')}-${b.line}.mjs`);
  writeFileSync(file, js);
  return spawnSync(process.execPath, [file], { cwd: work, env, encoding: 'utf8', timeout: 120_000 });
}

describe('documentation examples run', () => {
  beforeAll(makeWorkspace, 120_000);
  afterAll(() => { rmSync(work, { recursive: true, force: true }); rmSync(dist, { recursive: true, force: true }); });

  it('finds the example blocks (the docs have some, and each runs or says why not)', () => {
    expect(blocks.filter((b) => !b.skip).length).toBeGreaterThan(10);
    for (const b of blocks.filter((x) => x.skip)) expect(b.skip!.length, `${b.file}:${b.line}`).toBeGreaterThan(5);
  });

  for (const b of blocks) {
    it.skipIf(b.skip !== undefined)(`${b.file}:${b.line} (${b.lang})`, () => {
      const r = runBlock(b);
      expect(r.status, `${b.file}:${b.line}\n${b.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`).toBe(b.exit);
    });
  }
});

describe('the block extractor', () => {
  it('reads languages, markers and the suite opt-out', () => {
    const md = ['```sh', 'echo a', '```', '<!-- docs-test: skip (needs hardware) -->', '```ts', 'x()', '```', '<!-- docs-test: exit 1 -->', '```bash', 'false', '```', '```json', '{}', '```', '```sh', 'npm ci', '```'].join('\n');
    const got = exampleBlocks('x.md', md);
    expect(got.map((b) => [b.lang, b.line, b.exit, b.skip ?? null])).toEqual([
      ['sh', 1, 0, null], ['ts', 5, 0, 'needs hardware'], ['sh', 9, 1, null], ['sh', 15, 0, 'installs, builds or runs the suite'],
    ]);
  });
});
