import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers.js';
import { checkOne } from './harness.js';
import { ALL_CHECKS } from './checks.js';

/** Every input a property run or `npm run fuzz` ever saved must keep passing. */
describe('saved counterexamples (test/corpus)', () => {
  for (const c of ALL_CHECKS) {
    const dir = join(REPO, 'test', 'corpus', c.name);
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.bin')) : [];
    it(`${c.name}: ${files.length} saved inputs`, () => {
      for (const f of files) expect(() => checkOne(c, new Uint8Array(readFileSync(join(dir, f)))), f).not.toThrow();
    });
  }
});

describe('the property harness itself', () => {
  it('catches an allocation sized by an untrusted length', () => {
    const greedy = { name: 'greedy', parse: (b: Uint8Array) => new Uint8Array(b.length * 1000 + (1 << 20)), allocBound: (b: Uint8Array) => 2 * b.length + 64, serialize: (b: Uint8Array) => b };
    expect(() => checkOne(greedy, new Uint8Array(10))).toThrowError(/allocated 1058576 bytes/);
  });
  it('catches an error that is not the project\'s own', () => {
    const crashy = { name: 'crashy', parse: (b: Uint8Array) => (b as unknown as { x: { y: number } }).x.y, allocBound: () => 64, serialize: (b: Uint8Array) => b };
    expect(() => checkOne(crashy, new Uint8Array(1))).toThrowError(/non-project error/);
  });
});
