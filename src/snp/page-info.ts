/**
 * SNP_LAUNCH_UPDATE as the launch digest sees it: a 0x70-byte PAGE_INFO record folded into
 * a SHA-384 chain (docs/spec/launch-digest.md#page-info-record,
 * docs/spec/launch-digest.md#page-types).
 */
import { fail } from '../errors.js';
import { writeU16, writeU64 } from '../bytes.js';
import { defaultSuite, type HashSuite } from '../hash/suite.js';

/** Bytes per guest page, the unit of every launch step. */
export const PAGE_SIZE = 4096;
/** Bytes of a launch digest (SHA-384). */
export const DIGEST_SIZE = 48;
/** Bytes of the PAGE_INFO structure each launch step hashes (SNP firmware ABI). */
export const PAGE_INFO_SIZE = 0x70;
export const GPA_MAX = (1n << 64n) - 1n;

/** SNP launch page types, with the PAGE_TYPE values PAGE_INFO carries (SNP firmware ABI). */
export enum PageType {
  Normal = 1,
  Vmsa = 2,
  Zero = 3,
  Unmeasured = 4,
  Secrets = 5,
  Cpuid = 6,
}

/** Page type names as the launch log and messages spell them (NORMAL, VMSA, ZERO...). */
export const PAGE_TYPE_NAMES: Record<PageType, string> = {
  [PageType.Normal]: 'NORMAL',
  [PageType.Vmsa]: 'VMSA',
  [PageType.Zero]: 'ZERO',
  [PageType.Unmeasured]: 'UNMEASURED',
  [PageType.Secrets]: 'SECRETS',
  [PageType.Cpuid]: 'CPUID',
};

/** Page types whose CONTENTS field is the SHA-384 of the page; the others carry 48 zero bytes. */
export function hasMeasuredContents(t: PageType): boolean {
  return t === PageType.Normal || t === PageType.Vmsa;
}

export const ZERO_DIGEST = new Uint8Array(DIGEST_SIZE);

/**
 * Writes a PAGE_INFO record. Bytes 0x63..0x67 (IMI flag, reserved, VMPL1..3 permissions) stay
 * zero: every launch flow this tool models uses zero permissions, where all known layouts agree.
 */
export function encodePageInfo(
  current: Uint8Array, contents: Uint8Array, pageType: PageType, gpa: bigint,
  out: Uint8Array = new Uint8Array(PAGE_INFO_SIZE),
): Uint8Array {
  if (current.length !== DIGEST_SIZE) fail('plan', `PAGE_INFO: current digest must be 48 bytes, got ${current.length}`);
  if (contents.length !== DIGEST_SIZE) fail('plan', `PAGE_INFO: contents digest must be 48 bytes, got ${contents.length}`);
  if (gpa < 0n || gpa > GPA_MAX) fail('plan', `PAGE_INFO: GPA 0x${gpa.toString(16)} does not fit in 64 bits`);
  out.set(current, 0);
  out.set(contents, 0x30);
  writeU16(out, 0x60, PAGE_INFO_SIZE);
  out[0x62] = pageType;
  out.fill(0, 0x63, 0x68);
  writeU64(out, 0x68, gpa);
  return out;
}

/** The running launch digest (GCTX.LD). Starts from 48 zero bytes or from a seed. */
export class LaunchDigest {
  private ld: Uint8Array;
  private readonly record = new Uint8Array(PAGE_INFO_SIZE);
  private readonly hashes: HashSuite;

  constructor(seed?: Uint8Array, hashes: HashSuite = defaultSuite) {
    if (seed !== undefined && seed.length !== DIGEST_SIZE) fail('seed', `seed must be 48 bytes, got ${seed.length}`);
    this.ld = seed ? Uint8Array.from(seed) : new Uint8Array(DIGEST_SIZE);
    this.hashes = hashes;
  }

  get digest(): Uint8Array { return Uint8Array.from(this.ld); }

  /** Folds one page update with an already computed CONTENTS field. Returns the new digest (do not mutate). */
  update(pageType: PageType, gpa: bigint, contents: Uint8Array): Uint8Array {
    encodePageInfo(this.ld, contents, pageType, gpa, this.record);
    this.ld = this.hashes.sha384(this.record);
    return this.ld;
  }

  /**
   * Folds `count` consecutive pages from `gpa` up whose CONTENTS fields lie back to back in
   * `contents` (48 bytes each; one shared field when `sameContents`). The hot loop of large runs:
   * the record's fixed bytes are written once and only the digest, contents and GPA change.
   */
  updateRun(pageType: PageType, gpa: bigint, count: number, contents: Uint8Array, sameContents = false, each?: (i: number, after: Uint8Array) => void): void {
    if (count === 0) return;
    encodePageInfo(this.ld, contents.subarray(0, DIGEST_SIZE), pageType, gpa, this.record);
    const view = new DataView(this.record.buffer, this.record.byteOffset, PAGE_INFO_SIZE);
    const end = gpa + BigInt(count - 1) * 4096n;
    if (end > GPA_MAX) fail('plan', `PAGE_INFO: GPA 0x${end.toString(16)} does not fit in 64 bits`);
    // Without a per-step callback, each digest is written straight into the record's first 48
    // bytes, where the next step needs it: no allocation and no copy per step.
    const inPlace = this.hashes.sha384Into !== undefined && !each;
    const record = this.record;
    // The GPA as two 32-bit halves: a bigint add and setBigUint64 per step cost more than the rest
    // of the step's JavaScript (bench/micro.mjs chain).
    let lo = Number(gpa & 0xffffffffn);
    let hi = Number(gpa >> 32n);
    for (let i = 0; i < count; i++) {
      if (i > 0) {
        if (!inPlace) record.set(this.ld, 0);
        if (!sameContents) for (let b = 0, at = i * DIGEST_SIZE; b < DIGEST_SIZE; b++) record[0x30 + b] = contents[at + b]!;
        lo += 4096;
        if (lo > 0xffffffff) { lo -= 0x100000000; hi++; }
        view.setUint32(0x68, lo, true);
        view.setUint32(0x6c, hi, true);
      }
      if (inPlace) {
        this.hashes.sha384Into!(record, record, 0);
      } else {
        this.ld = this.hashes.sha384(record);
        if (each) each(i, this.ld);
      }
    }
    if (inPlace) this.ld = this.record.slice(0, DIGEST_SIZE);
  }

  /** Convenience: measures a page's bytes as NORMAL or VMSA, or the 48 zero bytes for other types. */
  updatePage(pageType: PageType, gpa: bigint, page?: Uint8Array): Uint8Array {
    if (hasMeasuredContents(pageType)) {
      if (!page || page.length !== PAGE_SIZE) fail('plan', `a ${PAGE_TYPE_NAMES[pageType]} page needs 4096 bytes of contents`);
      return this.update(pageType, gpa, this.hashes.sha384(page));
    }
    return this.update(pageType, gpa, ZERO_DIGEST);
  }
}
