import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INPUT_LIMITS } from '../src/node/input.js';
import { MAX_LAUNCH_STEPS } from '../src/engine.js';
import { MAX_JSON_DEPTH } from '../src/json-exact.js';
import { NAME_MAX } from '../src/node/output.js';
import { REPO } from './helpers.js';

const doc = readFileSync(join(REPO, 'docs', 'robustness.md'), 'utf8');
const size = (n: number): string => (n % 2 ** 30 === 0 ? `${n / 2 ** 30} GiB` : n % 2 ** 20 === 0 ? `${n / 2 ** 20} MiB` : `${n / 1024} KiB`);

describe('docs/robustness.md states the limits the code enforces', () => {
  it('every input kind with its size (and line limit)', () => {
    for (const [kind, l] of Object.entries(INPUT_LIMITS)) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${kind}\` |`));
      expect(row, kind).toBeDefined();
      expect(row!.split('|')[2]!.trim()).toBe(l.maxLine ? `${size(l.maxBytes)}, lines of at most ${size(l.maxLine)}` : size(l.maxBytes));
    }
  });
  it('the step cap, JSON nesting and NAME_MAX', () => {
    expect(doc).toContain(`**2^${Math.log2(MAX_LAUNCH_STEPS)} steps** (${MAX_LAUNCH_STEPS * 4096 / 2 ** 30} GiB of pages)`);
    expect(doc).toContain(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    expect(doc).toContain(`NAME_MAX (${NAME_MAX} bytes)`);
  });
});
