import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { detectSchema, formatReport, runVectorFile } from '../src/conformance/runner.js';
import { parseConformanceArgs } from '../src/conformance/cli.js';
import { componentFiles, type ComponentFile } from '../src/conformance/components.js';
import { REPO } from './helpers.js';

const VECTORS = join(REPO, 'vectors');
const dir = mkdtempSync(join(tmpdir(), 'vmfw-conf-'));

/** What each vector file in vectors/ must give: a new file must be added here to be run. */
const EXPECTED: Record<string, { schema: string; passed: number; deviations?: string[] }> = {
  'component-vectors.json': { schema: 'components', passed: 65 },
  'fixture-error-vectors.json': {
    schema: 'fixture-cli-error', passed: 22, deviations: ['error/vmm-type-lowercase-qemu', 'error/vmm-type-uppercase-EC2'],
  },
  'fixture-vectors.json': { schema: 'fixture-cli', passed: 209 },
  'pageinfo-vectors.json': { schema: 'pageinfo', passed: 8 },
  'regions-vectors.json': { schema: 'vmfwupdate-regions-vectors/1', passed: 105 },
  'synthetic-vectors.json': { schema: 'sev-synthetic-vectors/1', passed: 246 },
  'igvm/vectors.json': { schema: 'igvm-vectors', passed: 179 },
};

function walk(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name)).split('\\').join('/')).sort();
}

function tamperedSyntheticFile(): string {
  const doc = JSON.parse(readFileSync(join(VECTORS, 'synthetic-vectors.json'), 'utf8'));
  doc.cases = doc.cases.slice(0, 3);
  doc.cases[1].expected_measurement = 'ab'.repeat(48);
  const path = join(dir, 'tampered.json');
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

describe('every vector file in vectors/ runs through the runner and passes', () => {
  it('vectors/ holds no JSON file the table above does not know', () => {
    const json = walk(VECTORS).filter((f) => f.endsWith('.json') && !f.startsWith('fixtures/'));
    expect(json).toEqual(Object.keys(EXPECTED).sort());
  });
  for (const [file, want] of Object.entries(EXPECTED)) {
    it(file, async () => {
      const r = await runVectorFile(join(VECTORS, file));
      expect(r.schema).toBe(want.schema);
      expect(r.failed).toEqual([]);
      expect(r.passed).toBe(want.passed);
      expect(r.deviations.map((d) => d.id).sort()).toEqual(want.deviations ?? []);
    });
  }
  it('every IGVM file in vectors/igvm is one a vector names', () => {
    const doc = JSON.parse(readFileSync(join(VECTORS, 'igvm', 'vectors.json'), 'utf8')) as { vectors: { file: string }[] };
    const igvm = walk(join(VECTORS, 'igvm')).filter((f) => f.endsWith('.igvm'));
    expect(igvm).toEqual([...new Set(doc.vectors.map((v) => v.file))].sort());
  });
});

describe('vectors/fixtures holds exactly the files the vectors name', () => {
  it('no fixture file is unused, none is missing', () => {
    const named = new Set<string>();
    for (const file of ['fixture-vectors.json', 'fixture-error-vectors.json']) {
      const doc = JSON.parse(readFileSync(join(VECTORS, file), 'utf8')) as { inputs?: Record<string, string> }[];
      for (const v of doc) for (const p of Object.keys(v.inputs ?? {})) named.add(p);
    }
    const components = JSON.parse(readFileSync(join(VECTORS, 'component-vectors.json'), 'utf8')) as ComponentFile;
    for (const p of componentFiles(components)) named.add(p);
    const present = walk(join(VECTORS, 'fixtures')).filter((f) => f !== 'README.md').map((f) => `fixtures/${f}`);
    expect(present).toEqual([...named].sort());
  });
});

describe('conformance runner', () => {
  it('lists each failure with id, expected and actual value', async () => {
    const r = await runVectorFile(tamperedSyntheticFile());
    expect(r.passed).toBe(2);
    expect(r.failed).toHaveLength(1);
    expect(r.failed[0]!.expected).toBe('ab'.repeat(48));
    expect(r.failed[0]!.got).toMatch(/^[0-9a-f]{96}$/);
    const text = formatReport(r);
    expect(text).toContain(`FAIL ${r.failed[0]!.id}`);
    expect(text.trimEnd().split('\n').at(-1)).toBe('2 passed, 1 failed');
  });
  it('rejects a file of unknown schema', async () => {
    const path = join(dir, 'odd.json');
    writeFileSync(path, '{"hello": 1}');
    expect(detectSchema({ hello: 1 })).toBe('unknown');
    await expect(runVectorFile(path)).rejects.toThrowError(/unknown vector schema/);
  });
  it('parses --fixtures in both forms and refuses unknown options', () => {
    expect(parseConformanceArgs(['--fixtures', 'fx', 'a.json'])).toEqual({ options: { fixtures: 'fx' }, files: ['a.json'] });
    expect(parseConformanceArgs(['a.json', '--fixtures=fx', 'b.json'])).toEqual({ options: { fixtures: 'fx' }, files: ['a.json', 'b.json'] });
    expect(parseConformanceArgs(['--fixtures'])).toBe('--fixtures needs a folder');
    expect(parseConformanceArgs(['--fixture', 'x', 'a.json'])).toBe('unknown option --fixture');
    expect(parseConformanceArgs([])).toBe('no vector file given');
  });
  it('npm run conformance exits non-zero on a failure and prints the summary line', () => {
    const r = spawnSync('npm', ['run', '--silent', 'conformance', '--', tamperedSyntheticFile()], { cwd: REPO, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('2 passed, 1 failed');
  });
});
