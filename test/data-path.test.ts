import { describe, expect, it, vi } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { base64ByTable, hexByTable, toBase64, toHex } from '../src/bytes.js';
import { isZeroPage, measurePlan } from '../src/engine.js';
import { nobleSuite } from '../src/hash/noble-suite.js';
import { nodeSuite } from '../src/hash/suite.js';
import { measurePlanParallel } from '../src/node/parallel.js';
import { ExtentMemory, type MemoryExtent } from '../src/regions/memory.js';
import { replayRegions, type RegionSpec } from '../src/regions/replay.js';
import { REGION_FLAGS } from '../src/regions/format.js';
import { resolveProfile } from '../src/profiles.js';
import { PageType } from '../src/snp/page-info.js';
import type { LaunchRun } from '../src/plan.js';

/** The chain written out as plainly as possible (as bench/minimal_loop.py does), for comparison. */
function referenceChain(data: Uint8Array, gpa: bigint): string {
  let ld = Buffer.alloc(48);
  for (let o = 0; o < data.length; o += 4096) {
    const info = Buffer.alloc(0x70);
    ld.copy(info, 0);
    createHash('sha384').update(data.subarray(o, o + 4096)).digest().copy(info, 0x30);
    info.writeUInt16LE(0x70, 0x60);
    info[0x62] = 1;
    info.writeBigUInt64LE(gpa + BigInt(o), 0x68);
    ld = createHash('sha384').update(info).digest();
  }
  return ld.toString('hex');
}

const hex = (d: Uint8Array): string => Buffer.from(d).toString('hex');
const launch = {
  vcpus: 1, profile: resolveProfile('qemu'), vcpuSignature: 0x800f12n, guestFeatures: 1n, apResetEip: null,
  measuredZero: 'native', firmwareMetadata: 'none',
} as const;

/** The region's own run (the replay adds a VMSA after it). */
function regionRun(spec: RegionSpec, memory = new ExtentMemory([])): LaunchRun {
  return replayRegions({ regions: [spec], memory, launch }).plan.runs[0]!;
}

/** An extent that counts the bytes read from it. */
function countingExtent(gpa: bigint, data: Uint8Array, reads: { bytes: number }): MemoryExtent {
  return { gpa, length: data.length, describe: `extent at ${gpa}`, read: (o, into) => { reads.bytes += into.length; into.set(data.subarray(o, o + into.length)); } };
}

describe('digests written in place', () => {
  it('sha384Into gives SHA-384 for every byte value, also over its own input', () => {
    for (const suite of [nodeSuite!, nobleSuite]) {
      for (const input of [new Uint8Array(0), Uint8Array.from({ length: 112 }, (_, i) => 255 - i), new Uint8Array(randomBytes(4096))]) {
        const want = createHash('sha384').update(input).digest('hex');
        const out = new Uint8Array(60).fill(0xee);
        suite.sha384Into!(input, out, 7);
        expect(hex(out.subarray(7, 55))).toBe(want);
        expect([...out.subarray(0, 7), ...out.subarray(55)].every((b) => b === 0xee)).toBe(true);
        if (input.length >= 48) {
          const same = Uint8Array.from(input);
          suite.sha384Into!(same, same, 0);
          expect(hex(same.subarray(0, 48))).toBe(want);
        }
      }
    }
  });
  it('sha384Into refuses an offset without room for the whole digest, and writes nothing then', () => {
    const out = new Uint8Array(50);
    expect(() => nodeSuite!.sha384Into!(new Uint8Array(4), out, 3)).toThrow(/no room for a digest at offset 3 of 50 bytes/);
    expect(() => nodeSuite!.sha384Into!(new Uint8Array(4), out, -1)).toThrow(RangeError);
    expect(out.every((b) => b === 0)).toBe(true);
    expect(() => nodeSuite!.sha384Into!(new Uint8Array(4), new Uint8Array(new SharedArrayBuffer(48)), 1)).toThrow(RangeError);
    // Into shared memory, as the page hashing workers' ring is.
    const shared = new Uint8Array(new SharedArrayBuffer(96));
    nodeSuite!.sha384Into!(new Uint8Array(4), shared, 48);
    expect(hex(shared.subarray(48))).toBe(createHash('sha384').update(new Uint8Array(4)).digest('hex'));
  });
  it('a run folded in place gives the noble suite\'s digest and the plain chain', () => {
    const data = new Uint8Array(randomBytes(20 * 4096));
    const run: LaunchRun = { pageType: PageType.Normal, gpa: 0xfffe0000n, pages: 20, contents: { kind: 'bytes', data }, origin: { kind: 'test' } };
    expect(hex(measurePlan({ runs: [run] }).digest)).toBe(hex(measurePlan({ runs: [run] }, { hashes: nobleSuite }).digest));
    expect(hex(measurePlan({ runs: [run] }).digest)).toBe(referenceChain(data, 0xfffe0000n));
  });
});

describe('text encodings of bytes', () => {
  it('Node\'s native hex and base64 (toHex, toBase64) equal the tables browsers use, at every length and offset', () => {
    const data = new Uint8Array(randomBytes(300));
    const hexSlice = vi.spyOn(Buffer.prototype, 'hexSlice');
    const base64Slice = vi.spyOn(Buffer.prototype, 'base64Slice');
    for (let length = 0; length <= 70; length++) {
      const shared = new Uint8Array(new SharedArrayBuffer(length));
      shared.set(data.subarray(100, 100 + length));
      for (const view of [data.subarray(0, length), data.subarray(5, 5 + length), shared]) {
        expect(toHex(view)).toBe(hexByTable(view));
        expect(toHex(view)).toBe(Buffer.from(view).toString('hex'));
        expect(toBase64(view)).toBe(base64ByTable(view));
        expect(toBase64(view, true)).toBe(base64ByTable(view, true));
        expect(toBase64(view, true)).toBe(Buffer.from(view).toString('base64url'));
      }
    }
    // On Node the native encoders did the work, called on the plain views themselves (the tables
    // and Buffer's toString above were the comparison; toString calls them on Buffers).
    expect(hexSlice.mock.contexts.some((c) => !Buffer.isBuffer(c))).toBe(true);
    expect(base64Slice.mock.contexts.some((c) => !Buffer.isBuffer(c))).toBe(true);
    hexSlice.mockRestore();
    base64Slice.mockRestore();
    expect(toHex(Uint8Array.of(0, 0xab, 0xff))).toBe('00abff');
    // A caller's array of numbers (JavaScript has no types to stop one) gets the tables' answer.
    expect(toHex([1, 255] as unknown as Uint8Array)).toBe('01ff');
    expect(toBase64([0xfb, 0xff] as unknown as Uint8Array)).toBe('+/8=');
    expect(toBase64(Uint8Array.of(0xfb, 0xff, 0xfe, 1))).toBe('+//+AQ==');
    expect(toBase64(Uint8Array.of(0xfb, 0xff, 0xfe, 1), true)).toBe('-__-AQ');
  });
});

describe('zero pages', () => {
  it('isZeroPage finds a single set byte anywhere, in aligned and unaligned views', () => {
    const buf = new Uint8Array(4096 + 1);
    for (const view of [buf.subarray(0, 4096), buf.subarray(1)]) {
      expect(isZeroPage(view)).toBe(true);
      for (const at of [0, 1, 3, 4, 2048, 4094, 4095]) {
        view[at] = 0x80;
        expect(isZeroPage(view)).toBe(false);
        view[at] = 0;
      }
    }
  });

  it('pages of zeros among data give the plain chain', () => {
    const data = new Uint8Array(randomBytes(40 * 4096));
    data.fill(0, 4096, 3 * 4096);
    data.fill(0, 39 * 4096);
    const run: LaunchRun = { pageType: PageType.Normal, gpa: 0x1000000n, pages: 40, contents: { kind: 'bytes', data }, origin: { kind: 'test' } };
    expect(hex(measurePlan({ runs: [run] }).digest)).toBe(referenceChain(data, 0x1000000n));
  });
});

describe('zero spans are folded without reading', () => {
  it('a short source padded with zeros reads only its data pages', () => {
    const source = new Uint8Array(randomBytes(5000));
    const reads = { bytes: 0 };
    const spec: RegionSpec = {
      dst: 0x200000n, src: 0n, size: 1024n * 4096n, flags: REGION_FLAGS.COPY | REGION_FLAGS.MEASURE, padZero: true,
      data: { length: source.length, describe: 'short', read: (o, into) => { reads.bytes += into.length; into.set(source.subarray(o, o + into.length)); } },
    };
    const padded = new Uint8Array(1024 * 4096);
    padded.set(source);
    expect(hex(measurePlan({ runs: [regionRun(spec)] }).digest)).toBe(referenceChain(padded, 0x200000n));
    expect(reads.bytes).toBe(source.length);
  });

  it('holes of a raw memory image are never read, also when pages straddle extent edges', () => {
    const a = new Uint8Array(randomBytes(5000)); // ends inside its second page
    const b = new Uint8Array(randomBytes(8192));
    const reads = { bytes: 0 };
    const memory = new ExtentMemory([countingExtent(0x3000n, a, reads), countingExtent(0x40800n, b, reads)], 0x100000n);
    const whole = new Uint8Array(0x100000);
    whole.set(a, 0x3000);
    whole.set(b, 0x40800);
    const spec: RegionSpec = { dst: 0x100000000n, src: 0n, size: 0x100000n, flags: REGION_FLAGS.COPY | REGION_FLAGS.MEASURE };
    const run = regionRun(spec, memory);
    expect(hex(measurePlan({ runs: [run] }).digest)).toBe(referenceChain(whole, 0x100000000n));
    expect(reads.bytes).toBe(a.length + b.length);
    // Page by page: the spans agree with what is stored where.
    expect(memory.span(0n, 0x100000n)).toEqual({ hole: true, length: 0x3000n });
    expect(memory.span(0x3000n, 0x100000n)).toEqual({ hole: false, length: 5000n });
    expect(memory.span(0x5000n, 0x1000n)).toEqual({ hole: true, length: 0x1000n });
  });

  it('the worker path folds the same spans and zero pages', async () => {
    const pages = 3000;
    const whole = new Uint8Array(pages * 4096);
    const parts = [[0x10000, 70000], [0x200000, 4096 * 600], [0x900000, 123]] as const;
    for (const [at, len] of parts) whole.set(randomBytes(len), at);
    whole.fill(0, 0x200000 + 4096 * 10, 0x200000 + 4096 * 20); // zero pages inside data
    const reads = { bytes: 0 };
    const memory = new ExtentMemory(parts.map(([at, len]) => countingExtent(BigInt(at), whole.subarray(at, at + len), reads)), BigInt(whole.length));
    const spec: RegionSpec = { dst: 0x10000000n, src: 0n, size: BigInt(whole.length), flags: REGION_FLAGS.COPY | REGION_FLAGS.MEASURE };
    const run = regionRun(spec, memory);
    const par = await measurePlanParallel({ runs: [run] }, { threads: 1, minPages: 100, chunkPages: 64 });
    expect(hex(par.digest)).toBe(referenceChain(whole, 0x10000000n));
    expect(par.steps).toBe(pages);
    expect(reads.bytes).toBe(70000 + 4096 * 600 + 123);
  });
});
