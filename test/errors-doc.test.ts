import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../src/errors.js';
import { REPO } from './helpers.js';

describe('docs/errors.md', () => {
  const doc = readFileSync(join(REPO, 'docs', 'errors.md'), 'utf8');
  for (const code of Object.keys(ERROR_CODES)) {
    it(`documents ${code}`, () => { expect(doc).toContain(`| \`${code}\` |`); });
  }
});
