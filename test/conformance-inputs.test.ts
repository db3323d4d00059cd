/**
 * The conformance runner reads its vector files and the files they name through the bounded
 * readers of node/input.ts: a device or an oversized file is an `error[CODE]`, never an endless
 * read; `-` reads a vector file from standard input; before a build the bin says so in one line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runVectorFile } from '../src/conformance/runner.js';
import { runComponents, type ComponentFile } from '../src/conformance/components.js';
import { INPUT_LIMITS, MAX_VECTORS_BYTES } from '../src/node/input.js';
import { isMeasureError } from '../src/errors.js';
import { REPO, buildPrivateDist } from './helpers.js';

const VECTORS = join(REPO, 'vectors');
const dir = mkdtempSync(join(tmpdir(), 'vmfw-conf-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A sparse file of `size` bytes: its size is known from stat without writing or reading them. */
function sparse(name: string, size: number): string {
  const p = join(dir, name);
  writeFileSync(p, '');
  truncateSync(p, size);
  return p;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try { await p; } catch (e) { return isMeasureError(e) ? `${e.code}: ${e.message}` : `not a MeasureError: ${String(e)}`; }
  return 'no error';
}

describe('vector files are read within INPUT_LIMITS.vectors', () => {
  it('a vector file larger than the limit is refused from its size', async () => {
    const big = sparse('big.json', MAX_VECTORS_BYTES + 1);
    expect(await codeOf(runVectorFile(big))).toBe(
      `input-too-large: vector file: ${big} has ${MAX_VECTORS_BYTES + 1} bytes, more than the 16 MiB a vectors input may have (${INPUT_LIMITS.vectors.why})`);
  });
  it.runIf(existsSync('/dev/zero'))('/dev/zero is refused at once, not read forever', async () => {
    expect(await codeOf(runVectorFile('/dev/zero'))).toBe('input-kind: vector file: /dev/zero is a character device, not a file');
  });
  it('a file that is not JSON is a conformance error naming it', async () => {
    const p = join(dir, 'text.json');
    writeFileSync(p, 'hello');
    expect(await codeOf(runVectorFile(p))).toMatch(new RegExp(`^conformance: ${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a JSON vector file \\(`));
  });
});

describe('files the vectors name are read within their kind\'s limit', () => {
  it('an IGVM file over the igvm limit is refused from its size (not read into memory)', async () => {
    const doc = JSON.parse(readFileSync(join(VECTORS, 'igvm', 'vectors.json'), 'utf8')) as { profiles: unknown; vectors: { id: string; file: string }[] };
    const huge = sparse('huge.igvm', 3 * 2 ** 30);
    const path = join(dir, 'igvm-huge.json');
    writeFileSync(path, JSON.stringify({ profiles: doc.profiles, vectors: [{ ...doc.vectors[0]!, file: 'huge.igvm' }] }));
    expect(await codeOf(runVectorFile(path))).toBe(
      `input-too-large: vector ${doc.vectors[0]!.id} file: ${huge} has ${3 * 2 ** 30} bytes, more than the 1 GiB a igvm input may have (${INPUT_LIMITS.igvm.why})`);
  });
  it('a component firmware file over the firmware limit fails that component with the limit', () => {
    const doc = JSON.parse(readFileSync(join(VECTORS, 'component-vectors.json'), 'utf8')) as ComponentFile;
    const [name, f] = Object.entries(doc.firmware)[0]!;
    const huge = sparse('huge.fd', 3 * 2 ** 30);
    const only: ComponentFile = { vmsa_pages: [], sev_hashes_tables: [], cpu_sigs: {}, firmware: { [name]: f }, svsm: {} };
    expect(runComponents(only, () => huge)).toEqual([{
      id: `firmware ${name}`, expected: 'a value',
      got: `error: firmware ${name}: ${huge} has ${3 * 2 ** 30} bytes, more than the 256 MiB a firmware input may have (${INPUT_LIMITS.firmware.why})`,
    }]);
  });
});

describe('vmfw-measure-conformance as a process', () => {
  let dist: string;
  beforeAll(() => { dist = buildPrivateDist(); });
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  /** Runs the runner's main() from the private build, as the bin does. */
  function run(args: string[], o: { cwd?: string; input?: string } = {}): { status: number | null; stdout: string; stderr: string } {
    const script = `const { main } = await import(${JSON.stringify(join(dist, 'conformance', 'cli.js'))}); process.exitCode = await main(process.argv.slice(1));`;
    return spawnSync(process.execPath, ['--input-type=module', '-e', script, '--', ...args], { cwd: o.cwd ?? REPO, input: o.input ?? '', encoding: 'utf8' });
  }

  it('/dev/zero: error[input-kind], exit 2', () => {
    const r = run(['/dev/zero']);
    expect([r.status, r.stdout, r.stderr]).toEqual([2, '', 'error[input-kind]: vector file: /dev/zero is a character device, not a file\n']);
  });
  it('- reads a vector file from standard input', () => {
    const r = run(['-'], { input: readFileSync(join(VECTORS, 'pageinfo-vectors.json'), 'utf8') });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '8 passed, 0 failed\n', '']);
  });
  it('fixtures named by vectors from standard input resolve against the working directory, or --fixtures', () => {
    const all = JSON.parse(readFileSync(join(VECTORS, 'fixture-vectors.json'), 'utf8')) as { args: string[] }[];
    const some = JSON.stringify(all.filter((v) => v.args.some((a) => a.startsWith('--kernel='))).slice(0, 2));
    expect(run(['-'], { cwd: VECTORS, input: some }).stdout).toBe('2 passed, 0 failed\n');
    expect(run(['--fixtures', join(VECTORS, 'fixtures'), '-'], { cwd: dir, input: some }).stdout).toBe('2 passed, 0 failed\n');
    const lost = run(['-'], { cwd: dir, input: some });
    expect(lost.status).toBe(2);
    expect(lost.stderr).toMatch(/^error\[conformance\]: standard input: fixture file fixtures\/\S+ not found at /);
  });
  it('usage errors print as error[usage], exit 2', () => {
    const r = run([]);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('error[usage]: no vector file given');
  });
  it('before a build the bin prints one clear line, exit 2, no stack trace', () => {
    const pkg = mkdtempSync(join(dir, 'unbuilt-'));
    mkdirSync(join(pkg, 'bin'));
    copyFileSync(join(REPO, 'bin', 'vmfw-measure-conformance.js'), join(pkg, 'bin', 'vmfw-measure-conformance.js'));
    writeFileSync(join(pkg, 'package.json'), '{"type":"module"}\n');
    const r = spawnSync(process.execPath, [join(pkg, 'bin', 'vmfw-measure-conformance.js'), 'x.json'], { encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).toEqual([2, '',
      'error[usage]: vmfw-measure-conformance is not built yet: run `npm run build` (or `npm ci`) in the package folder first\n']);
  });
});
