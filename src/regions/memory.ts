/**
 * Guest memory as it was before the update: where COPY sources, the struct and the region
 * array are read from (docs/spec/regions.md#source-bytes). Modelled sparsely, so a 4 GiB raw
 * image with a few populated extents costs nothing.
 */
import { fail } from '../errors.js';
import { hex64 } from '../bytes.js';

const U64_END = 1n << 64n;
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** A populated range of guest memory. `read` fills `into` from byte `offset` of the extent. */
export interface MemoryExtent {
  readonly gpa: bigint;
  readonly length: number;
  readonly describe: string;
  read(offset: number, into: Uint8Array): void;
}

export interface GuestMemory {
  /** True when every byte of [gpa, gpa + length) is available (a range wrapping past 2^64 is not). */
  covers(gpa: bigint, length: bigint): boolean;
  /** Reads [gpa, gpa + into.length); the caller has checked `covers`. */
  read(gpa: bigint, into: Uint8Array): void;
  /**
   * Optional: the first `length` bytes (1 to the `length` asked) of a covered range from `gpa` are
   * all a hole that reads as zeros (`hole`), or all lie before the next hole (not `hole`).
   */
  span?(gpa: bigint, length: bigint): { hole: boolean; length: bigint };
}

export function bytesExtent(gpa: bigint, data: Uint8Array, describe = 'bytes'): MemoryExtent {
  return { gpa, length: data.length, describe, read: (o, into) => into.set(data.subarray(o, o + into.length)) };
}

/**
 * Memory made of extents. Without `rawSize`, only extents are available; with it (a raw image),
 * every byte below rawSize is available and holes read as zeros.
 */
export class ExtentMemory implements GuestMemory {
  private readonly extents: readonly MemoryExtent[];
  constructor(extents: readonly MemoryExtent[], private readonly rawSize?: bigint) {
    const sorted = [...extents].sort((a, b) => (a.gpa < b.gpa ? -1 : a.gpa > b.gpa ? 1 : 0));
    for (let i = 0; i < sorted.length; i++) {
      const e = sorted[i]!;
      if (e.gpa < 0n || e.gpa + BigInt(e.length) > U64_END) fail('memory', `extent ${e.describe} at ${hex64(e.gpa)} runs past the 64-bit address space`);
      const next = sorted[i + 1];
      if (next && e.gpa + BigInt(e.length) > next.gpa) {
        fail('memory', `extents ${e.describe} (${hex64(e.gpa)}+0x${e.length.toString(16)}) and ${next.describe} (${hex64(next.gpa)}) overlap`);
      }
    }
    this.extents = sorted.filter((e) => e.length > 0);
  }

  /** Index of the last extent starting at or below gpa, or -1. */
  private find(gpa: bigint): number {
    let lo = 0, hi = this.extents.length - 1, best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.extents[mid]!.gpa <= gpa) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return best;
  }

  covers(gpa: bigint, length: bigint): boolean {
    if (gpa < 0n || length < 0n || gpa + length > U64_END) return false;
    if (length === 0n) return true;
    const end = gpa + length;
    if (this.rawSize !== undefined) return end <= this.rawSize;
    let i = this.find(gpa);
    if (i < 0) return false;
    let reached = gpa;
    while (i < this.extents.length) {
      const e = this.extents[i]!;
      if (e.gpa > reached) return false;
      const eEnd = e.gpa + BigInt(e.length);
      if (eEnd > reached) reached = eEnd;
      if (reached >= end) return true;
      i++;
    }
    return false;
  }

  span(gpa: bigint, length: bigint): { hole: boolean; length: bigint } {
    if (this.rawSize === undefined) return { hole: false, length };
    const i = this.find(gpa);
    const e = i >= 0 ? this.extents[i]! : undefined;
    if (e && gpa < e.gpa + BigInt(e.length)) {
      // Data up to the end of this extent and of any extents that follow without a gap.
      let reached = e.gpa + BigInt(e.length);
      for (let j = i + 1; j < this.extents.length && this.extents[j]!.gpa <= reached; j++) {
        const end = this.extents[j]!.gpa + BigInt(this.extents[j]!.length);
        if (end > reached) reached = end;
      }
      return { hole: false, length: min(reached - gpa, length) };
    }
    const next = i + 1 < this.extents.length ? this.extents[i + 1]!.gpa : this.rawSize;
    return { hole: true, length: next > gpa ? min(next - gpa, length) : length };
  }

  read(gpa: bigint, into: Uint8Array): void {
    if (this.rawSize !== undefined) into.fill(0);
    const end = gpa + BigInt(into.length);
    for (let i = Math.max(0, this.find(gpa)); i < this.extents.length; i++) {
      const e = this.extents[i]!;
      if (e.gpa >= end) break;
      const eEnd = e.gpa + BigInt(e.length);
      if (eEnd <= gpa) continue;
      const from = e.gpa > gpa ? e.gpa : gpa;
      const to = eEnd < end ? eEnd : end;
      e.read(Number(from - e.gpa), into.subarray(Number(from - gpa), Number(to - gpa)));
    }
  }
}

export const EMPTY_MEMORY: GuestMemory = new ExtentMemory([]);
