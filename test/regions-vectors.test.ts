import { describe, expect, it } from 'vitest';
import { describeRegionResult, regionVectorMatches, runRegionVector, type RegionVector } from '../src/conformance/regions.js';
import { loadVectors } from './helpers.js';

const file = loadVectors<{ rules: string; vectors: RegionVector[] }>('regions-vectors.json');

describe(`region-list vectors (${file.rules})`, () => {
  for (const v of file.vectors) {
    it(v.id, () => {
      const got = runRegionVector(v);
      expect(regionVectorMatches(v, got), `expected ${describeRegionResult(v.expected)}, got ${describeRegionResult(got)}`).toBe(true);
    });
  }
});
