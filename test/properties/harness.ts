/**
 * Property-test harness for the parsers (issue: robustness). Every parser gets at least
 * VMFW_PROPERTY_RUNS (default 10,000) random or mutated inputs and must
 *  - throw nothing but the project's own MeasureError,
 *  - allocate no typed array larger than a bound derived from the input's real size.
 * A failing input is saved under test/corpus/<parser>/ so the regular suite replays it forever.
 */
import fc from 'fast-check';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { isMeasureError } from '../../src/errors.js';
import { REPO } from '../helpers.js';

export const RUNS = Number(process.env['VMFW_PROPERTY_RUNS'] ?? 10_000);
export const SEED = process.env['VMFW_PROPERTY_SEED'] ? Number(process.env['VMFW_PROPERTY_SEED']) : undefined;

let maxAlloc = 0;
const Original = globalThis.Uint8Array;
class TrackedUint8Array extends Original {
  constructor(...args: unknown[]) {
    if (typeof args[0] === 'number' && args[0] > maxAlloc) maxAlloc = args[0];
    super(...(args as []));
  }
}

/** Runs `fn` with typed-array allocations recorded; returns the largest `new Uint8Array(n)` seen. */
export function withAllocationTracking<T>(fn: () => T): { value?: T; error?: unknown; maxAlloc: number } {
  maxAlloc = 0;
  (globalThis as { Uint8Array: unknown }).Uint8Array = TrackedUint8Array;
  try {
    return { value: fn(), maxAlloc };
  } catch (error) {
    return { error, maxAlloc };
  } finally {
    (globalThis as { Uint8Array: unknown }).Uint8Array = Original;
  }
}

export interface ParserCheck<I> {
  /** Directory name under test/corpus. */
  readonly name: string;
  readonly parse: (input: I) => unknown;
  /** Largest allocation allowed for this input (bytes). */
  readonly allocBound: (input: I) => number;
  /** How to save a failing input. */
  readonly serialize: (input: I) => Uint8Array;
}

/** The property every parser must satisfy on any input. */
export function checkOne<I>(c: ParserCheck<I>, input: I): void {
  const r = withAllocationTracking(() => c.parse(input));
  if (r.error !== undefined && !isMeasureError(r.error)) {
    throw new Error(`${c.name}: threw a non-project error: ${(r.error as Error)?.stack ?? String(r.error)}`);
  }
  const bound = c.allocBound(input);
  if (r.maxAlloc > bound) throw new Error(`${c.name}: allocated ${r.maxAlloc} bytes for an input bounded to ${bound}`);
}

/** Saves inputs that fail `checkOne` (called from the fuzz runner and on property failure). */
export function saveCounterexample<I>(c: ParserCheck<I>, input: I): string {
  const bytes = c.serialize(input);
  const dir = join(REPO, 'test', 'corpus', c.name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.bin`);
  writeFileSync(file, bytes);
  return file;
}

/** Runs the parser property over `runs` inputs; every failing input is saved in the corpus first. */
export function assertParser<I>(c: ParserCheck<I>, arb: fc.Arbitrary<I>, runs = RUNS): void {
  fc.assert(fc.property(arb, (input) => {
    try {
      checkOne(c, input);
    } catch (e) {
      saveCounterexample(c, input);
      throw e;
    }
  }), { numRuns: runs, ...(SEED !== undefined ? { seed: SEED } : {}) });
}

/** Mutations of a valid byte string: bit flips, truncations, byte overwrites, and 16/32-bit fields set to extremes. */
export function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const len = base.length;
  const flip = fc.record({ at: fc.nat({ max: Math.max(0, len - 1) }), bit: fc.nat({ max: 7 }) }).map(({ at, bit }) => (b: Uint8Array) => { if (b.length) b[at % b.length]! ^= 1 << bit; return b; });
  const truncate = fc.nat({ max: len }).map((n) => (b: Uint8Array) => b.slice(0, n));
  const extreme = fc.record({ at: fc.nat({ max: Math.max(0, len - 4) }), v: fc.constantFrom(0, 0xffff, 0xffffffff, 0x7fffffff, 0x80000000, 1, 0x1000) })
    .map(({ at, v }) => (b: Uint8Array) => { const o = at - (at % 2); if (o + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(o, v >>> 0, true); return b; });
  const overwrite = fc.record({ at: fc.nat({ max: Math.max(0, len - 1) }), bytes: fc.uint8Array({ maxLength: 16 }) })
    .map(({ at, bytes }) => (b: Uint8Array) => { b.set(bytes.subarray(0, Math.max(0, b.length - at)), Math.min(at, b.length)); return b; });
  const extend = fc.uint8Array({ maxLength: 64 }).map((tail) => (b: Uint8Array) => { const o = new Uint8Array(b.length + tail.length); o.set(b); o.set(tail, b.length); return o; });
  type Op = (b: Uint8Array) => Uint8Array;
  const ops: fc.Arbitrary<Op>[] = [flip, flip, extreme, overwrite, truncate, extend];
  return fc.array(fc.oneof(...ops), { minLength: 1, maxLength: 4 })
    .map((list) => list.reduce<Uint8Array>((b, op) => op(b), new Uint8Array(base)));
}
