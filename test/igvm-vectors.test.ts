import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runIgvmVectors, type IgvmVectorFile } from '../src/conformance/igvm.js';
import { parseIgvm } from '../src/igvm/parse.js';
import { isMeasureError } from '../src/errors.js';
import { REPO } from './helpers.js';

const dir = join(REPO, 'vectors', 'igvm');
const doc = JSON.parse(readFileSync(join(dir, 'vectors.json'), 'utf8')) as IgvmVectorFile;
const results = runIgvmVectors(doc, (file) => join(dir, file));

describe('IGVM vectors: every (file, semantics profile) pair', () => {
  it('covers every public vector', () => { expect(new Set(results.map((r) => r.id)).size).toBe(doc.vectors.length); });
  for (const r of results) {
    it(`${r.id} [${r.profile}]`, () => { expect(r.ok, `expected ${r.expected}, got ${r.got}`).toBe(true); });
  }
});

describe('malformed IGVM files are rejected with the reference\'s error code', () => {
  for (const v of doc.vectors.filter((x) => !x.valid)) {
    it(`${v.id} -> ${v.expected_error}`, () => {
      let code = 'accepted';
      let message = '';
      try { parseIgvm(new Uint8Array(readFileSync(join(dir, v.file)))); } catch (e) {
        if (!isMeasureError(e)) throw e;
        code = e.code;
        message = e.message;
      }
      expect(code).toBe(`igvm-${v.expected_error!.replace(/_/g, '-')}`);
      expect(message).toMatch(/offset|bytes/);
    });
  }
});
