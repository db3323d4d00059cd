/** The fixture-file side of the runner: where it finds the files, and how it compares CLI output. */
import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runVectorFile } from '../src/conformance/runner.js';
import { main } from '../src/conformance/cli.js';
import { REPO } from './helpers.js';

const VECTORS = join(REPO, 'vectors');
interface FixtureVector { id: string; args: string[]; measurement: string; output?: string; inputs?: Record<string, string> }
const all = JSON.parse(readFileSync(join(VECTORS, 'fixture-vectors.json'), 'utf8')) as FixtureVector[];
const base64 = all.find((v) => v.output !== undefined)!;
const tmp = mkdtempSync(join(tmpdir(), 'vmfw-fixtures-'));

/** Writes vectors into a folder with no fixtures beside them. */
function writeVectors(name: string, vectors: unknown[]): string {
  const path = join(tmp, name);
  writeFileSync(path, JSON.stringify(vectors));
  return path;
}

describe('fixture files of the CLI vectors', () => {
  it('a vector with `output` is compared with the CLI stdout as printed (base64), not the hex digest', async () => {
    expect(base64.args).toContain('--output-format=base64');
    expect(Buffer.from(base64.output!, 'base64').toString('hex')).toBe(base64.measurement);
    const ok = await runVectorFile(writeVectors('b64.json', [base64]), { fixtures: join(VECTORS, 'fixtures') });
    expect(ok).toMatchObject({ passed: 1, failed: [] });
    const wrong = { ...base64, output: base64.output!.replace(/^g/, 'h') };
    const bad = await runVectorFile(writeVectors('b64-bad.json', [wrong]), { fixtures: join(VECTORS, 'fixtures') });
    expect(bad.failed).toEqual([{ id: base64.id, expected: wrong.output, got: base64.output }]);
  });
  it('--fixtures DIR names the folder holding the files (paths fixtures/NAME read as DIR/NAME)', async () => {
    const some = all.filter((v) => v.args.some((a) => a.startsWith('--kernel='))).slice(0, 3);
    const r = await runVectorFile(writeVectors('some.json', some), { fixtures: join(VECTORS, 'fixtures') });
    expect(r).toMatchObject({ passed: 3, failed: [] });
  });
  it('a missing fixture file is one error naming it, before any vector runs', async () => {
    const path = writeVectors('lost.json', all);
    const first = Object.keys(all[0]!.inputs!)[0]!;
    await expect(runVectorFile(path)).rejects.toThrowError(
      `${path}: fixture file ${first} not found at ${join(tmp, first)} (pass --fixtures DIR if the fixture files are in another folder)`);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['--fixtures', tmp, path])).toBe(2);
      expect(out).not.toHaveBeenCalled();
      expect(err.mock.calls).toEqual([[
        `error[conformance]: ${path}: fixture file ${first} not found at ${join(tmp, first.replace(/^fixtures\//, ''))} (under --fixtures ${tmp})\n`,
      ]]);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
  it('an input file that differs from the one the digest was computed from fails that vector', async () => {
    const v = { ...all[0]!, inputs: Object.fromEntries(Object.keys(all[0]!.inputs!).map((p) => [p, '00'.repeat(32)])) };
    const r = await runVectorFile(writeVectors('sha.json', [v]), { fixtures: join(VECTORS, 'fixtures') });
    expect(r.passed).toBe(0);
    expect(r.failed[0]!.got).toMatch(/has SHA-256 [0-9a-f]{64}, the vector expects 0{64}/);
  });
});
