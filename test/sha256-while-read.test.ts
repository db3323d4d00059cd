import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { sha256Of, sha256WhileRead, type ReadableBytes } from '../src/hash/suite.js';
import { describeLaunch, type Source } from '../src/launch/description.js';
import { openLaunch } from '../src/launch/open.js';
import { referenceSpace } from '../src/launch/build.js';
import { sweep } from '../src/attestation/launch-space.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './helpers.js';

/** A file-like source (no `bytes`) that counts the bytes read from it. */
function counting(data: Uint8Array): Source & { readBytes: number } {
  const s = {
    length: data.length, describe: 'test', readBytes: 0,
    read(o: number, into: Uint8Array) { s.readBytes += into.length; into.set(data.subarray(o, o + into.length)); },
  };
  return s;
}
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const readAt = (s: ReadableBytes, o: number, n: number): void => s.read(o, new Uint8Array(n));

describe('sha256WhileRead', () => {
  const data = new Uint8Array(randomBytes(3 * 1024 * 1024 + 100));
  it('hashes reads in order from offset 0 (skipping out-of-order ones) without reading again', () => {
    const src = counting(data);
    const s = sha256WhileRead(src);
    readAt(s, data.length - 32, 32); // a table at the end, read first
    for (let o = 0; o < data.length; o += 1 << 20) readAt(s, o, Math.min(1 << 20, data.length - o));
    readAt(s, 4096, 4096); // a second look changes nothing
    const before = src.readBytes;
    expect(hex(sha256Of(s))).toBe(sha256(data));
    expect(src.readBytes).toBe(before);
  });
  it('takes the new part of a read that overlaps what it has hashed', () => {
    const src = counting(data);
    const s = sha256WhileRead(src);
    readAt(s, 0, 5000);
    readAt(s, 4096, data.length - 4096);
    const before = src.readBytes;
    expect(hex(sha256Of(s))).toBe(sha256(data));
    expect(src.readBytes).toBe(before);
  });
  it('reads the source whole once more when the in-order reads stopped short', () => {
    const src = counting(data);
    const s = sha256WhileRead(src);
    readAt(s, 0, 4096);
    readAt(s, 8192, 4096); // a gap: in-order hashing stops here
    expect(hex(sha256Of(s))).toBe(sha256(data));
    expect(src.readBytes).toBe(8192 + data.length);
    expect(hex(sha256Of(s))).toBe(sha256(data)); // kept: not read a third time
    expect(src.readBytes).toBe(8192 + data.length);
  });
  it('keeps a class-made source working (its getters and methods) and its own fields', () => {
    class Window {
      constructor(private readonly data: Uint8Array, readonly describe: string) {}
      get length(): number { return this.data.length; }
      read(o: number, into: Uint8Array): void { into.set(this.data.subarray(o, o + into.length)); }
    }
    const s = sha256WhileRead(new Window(data, 'w'));
    expect(s.length).toBe(data.length);
    expect(s.describe).toBe('w');
    expect({ ...s }.describe).toBe('w');
    readAt(s, 0, data.length);
    expect(hex(sha256Of(s))).toBe(sha256(data));
  });
  it('an empty source', () => {
    expect(hex(sha256Of(sha256WhileRead(counting(new Uint8Array(0)))))).toBe(sha256(new Uint8Array(0)));
  });
  it('measuring an OVMF launch reads the firmware in order, so its SHA-256 needs no second pass', () => {
    const fw = new Uint8Array(readFileSync(join(REPO, 'examples', 'ovmf', 'OVMF-synthetic-amdsev.fd')));
    const src = counting(fw);
    const d = describeLaunch({ ovmf: sha256WhileRead(src), vcpus: '1-4', vcpuType: 'EPYC-v4' }, { open: (value) => value as Source });
    const launch = openLaunch(d).launch;
    expect(sweep(launch, referenceSpace(d, launch)).results).toHaveLength(4);
    const afterMeasuring = src.readBytes;
    expect(afterMeasuring).toBeGreaterThanOrEqual(fw.length);
    expect(hex(sha256Of(d.ovmf!))).toBe(sha256(fw));
    expect(src.readBytes).toBe(afterMeasuring);
  });
});
