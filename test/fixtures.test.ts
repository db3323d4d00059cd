import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runVectorFile } from '../src/conformance/runner.js';
import { noteSkippedWithoutShared, SHARED } from './helpers.js';

noteSkippedWithoutShared('fixture-vectors and fixture-error-vectors');

describe.skipIf(!SHARED)('fixture vectors through the CLI parser (needs ../shared/conformance)', () => {
  it('fixture-vectors.json: every invocation gives the reference digest', async () => {
    const r = await runVectorFile(join(SHARED!, 'fixture-vectors.json'));
    expect(r.failed).toEqual([]);
    expect(r.passed).toBe(209);
  });
  it('fixture-error-vectors.json: every rejected invocation is rejected with a clear error', async () => {
    const r = await runVectorFile(join(SHARED!, 'fixture-error-vectors.json'));
    expect(r.failed).toEqual([]);
    expect(r.passed + r.deviations.length).toBe(24);
    expect(r.deviations.map((d) => d.id).sort()).toEqual(['error/vmm-type-lowercase-qemu', 'error/vmm-type-uppercase-EC2']);
  });
  it('the runner accepts the copied vector files too (paths resolve against the file)', async () => {
    const r = await runVectorFile(join(SHARED!, 'pageinfo-vectors.json'));
    expect(r.failed).toEqual([]);
    expect(r.passed).toBe(8);
  });
});
