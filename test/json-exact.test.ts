import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_JSON_DEPTH, parseJsonExact } from '../src/json-exact.js';
import { parseManifest } from '../src/regions/manifest.js';
import { parseMetadataJson } from '../src/ovmf/metadata-json.js';
import { MeasureError } from '../src/errors.js';

function error(f: () => unknown): MeasureError {
  try { f(); } catch (e) { if (e instanceof MeasureError) return e; throw e; }
  throw new Error('no error');
}

describe('exact JSON', () => {
  it('agrees with JSON.parse on every JSON text whose numbers are exact', () => {
    // ...and where they are not, the literal's digits (an integer beyond 2^53 is kept as a string).
    const digits = (_k: string, v: unknown): unknown => (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v) && !String(v).includes('e') ? String(v) : v);
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      const text = JSON.stringify(v, null, 1);
      expect(parseJsonExact(text, 'x')).toEqual(JSON.parse(text, digits));
    }), { numRuns: 2000 });
  });

  it('refuses what JSON.parse refuses, with a position', () => {
    for (const bad of ['', '{', '[1,]', '{"a":1,}', '{"a" 1}', '01', '1.', '"a\u0001"', '"\\x"', 'tru', '[1] 2', '{"a":1}}', '\u00a0{}']) {
      expect(() => JSON.parse(bad)).toThrow();
      const e = error(() => parseJsonExact(bad, 'm.json'));
      expect(e.code).toBe('manifest');
      expect(e.message).toMatch(/^m\.json: not valid JSON: .* at line 1, column \d+$/);
    }
    expect(error(() => parseJsonExact('{\n  "a": 1,\n  "b": ]\n}', 'm.json', 'reference-values')).message).toContain('line 3, column 8');
  });

  it('refuses a key repeated in one object, naming the key and both positions (JSON.parse keeps the last)', () => {
    const text = '{\n  "launch": {"vcpus": 1},\n  "regions": [],\n  "launch": {"vcpus": 64}\n}';
    expect(JSON.parse(text).launch.vcpus).toBe(64);
    const e = error(() => parseJsonExact(text, 'manifest a.json'));
    expect(e.code).toBe('json-duplicate-key');
    expect(e.message).toBe('manifest a.json: key "launch" appears twice in one object, at line 2, column 3 and at line 4, column 3; which one counts is ambiguous');
    expect(e.details.field).toBe('launch');
    // in nested objects and reference values too; equal keys in different objects are fine
    expect(error(() => parseJsonExact('{"a":[{"x":1,"x":1}]}', 'rv', 'reference-values')).code).toBe('json-duplicate-key');
    expect(error(() => parseJsonExact('{"a\\u0062":1,"ab":2}', 'rv')).message).toContain('"ab"');
    expect(parseJsonExact('[{"x":1},{"x":2}]', 'x')).toEqual([{ x: 1 }, { x: 2 }]);
  });

  it('a duplicate key in a manifest or metadata file is json-duplicate-key, not last-wins', () => {
    const m = '{"launch":{"vcpus":1,"vcpuType":"EPYC-v4"},"regions":[{"dst":"0x1000","size":"0x1000","flags":["COPY","MEASURE"],"flags":["ZERO","MEASURE"]}]}';
    expect(error(() => parseManifest(m, 'manifest m.json')).code).toBe('json-duplicate-key');
    expect(error(() => parseMetadataJson('{"ResetEIP":"0x0","ResetEIP":"0x1"}', 'md')).code).toBe('json-duplicate-key');
  });

  it('keeps "__proto__" an own property, as JSON.parse does', () => {
    const v = parseJsonExact('{"__proto__": {"polluted": 1}, "a": 1}', 'x') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('keeps integers above 2^53 as their digits, however long', () => {
    expect(parseJsonExact('[18446744073709551615, -9007199254740993, 9007199254740991, 1e30, 12345678901234567890.5]', 'x'))
      .toEqual(['18446744073709551615', '-9007199254740993', 9007199254740991, 1e30, 12345678901234567890.5]);
    const long = '9'.repeat(5000);
    expect(parseJsonExact(`{"v": ${long}}`, 'x')).toEqual({ v: long });
  });

  it('a very long integer literal in a manifest gets the number error, not "not valid JSON"', () => {
    const m = `{"launch":{"vcpus":1,"vcpuType":"EPYC-v4"},"regions":[{"dst":${'1'.repeat(1000)},"size":"0x1000","flags":["COPY","MEASURE"],"source":{"hex":"00"},"pad":"zero"}]}`;
    const e = error(() => parseManifest(m, 'manifest m.json'));
    expect(e.message).not.toMatch(/not valid JSON/);
    expect(e.message).toMatch(/regions\[0\]\.dst/);
    expect(e.code).toBe('manifest'); // the manifest's code for every bad number
    expect(e.message).toBe(`regions[0].dst: "${'1'.repeat(40)}..." (1000 characters) is out of range (0 to 0xffffffffffffffff)`);
  });

  it('bounds nesting with a coded error instead of a stack overflow', () => {
    expect(parseJsonExact(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`, 'x')).toBeInstanceOf(Array);
    const e = error(() => parseJsonExact(`${'['.repeat(100000)}${']'.repeat(100000)}`, 'x'));
    expect(e.message).toMatch(/nested more than 256 levels/);
    expect(error(() => parseJsonExact('{"a":'.repeat(300) + '1' + '}'.repeat(300), 'x')).code).toBe('manifest');
  });
});
