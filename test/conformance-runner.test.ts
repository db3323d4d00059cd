import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { formatReport, runVectorFile } from '../src/conformance/runner.js';
import { REPO } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vmfw-conf-'));

function tamperedSyntheticFile(): string {
  const doc = JSON.parse(readFileSync(join(REPO, 'vectors', 'synthetic-vectors.json'), 'utf8'));
  doc.cases = doc.cases.slice(0, 3);
  doc.cases[1].expected_measurement = 'ab'.repeat(48);
  const path = join(dir, 'tampered.json');
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

describe('conformance runner', () => {
  it('runs the synthetic vectors copied into vectors/', async () => {
    const r = await runVectorFile(join(REPO, 'vectors', 'synthetic-vectors.json'));
    expect(r.schema).toBe('sev-synthetic-vectors/1');
    expect(r.failed).toEqual([]);
    expect(r.passed).toBe(246);
  });
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
    await expect(runVectorFile(path)).rejects.toThrowError(/unknown vector schema/);
  });
  it('npm run conformance exits non-zero on a failure and prints the summary line', () => {
    const r = spawnSync('npm', ['run', '--silent', 'conformance', '--', tamperedSyntheticFile()], { cwd: REPO, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('2 passed, 1 failed');
  });
});
