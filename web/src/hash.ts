/**
 * Bulk hashing for the page: SHA-384 of 4 KiB pages and SHA-256 of whole files through
 * WebCrypto, which Chromium runs faster than @noble/hashes at these sizes (`node web/bench-hash.mjs 32`
 * in a worker: pages 4.6-7x, a whole file's SHA-256 11-16x). WebCrypto is asynchronous, which suits
 * batches of pages; the chain itself (one 112-byte PAGE_INFO hash per step, each depending on
 * the last) stays synchronous on @noble/hashes. Without WebCrypto (a page served over plain
 * http from another host is not a secure context) everything falls back to @noble/hashes.
 */
import { nobleSuite } from '../../src/hash/noble-suite.js';
import { type Hasher, type HashSuite } from '../../src/hash/suite.js';

export const PAGE_SIZE = 4096;

interface Subtle { digest(alg: string, data: Uint8Array): Promise<ArrayBuffer> }
const subtle: Subtle | undefined = (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle;

export const hashBackend = subtle ? 'WebCrypto' : '@noble/hashes';

/** SHA-384 of each 4 KiB page of `pages`, back to back (48 bytes each). */
export async function pageDigests(pages: Uint8Array, count: number): Promise<Uint8Array> {
  const out = new Uint8Array(count * 48);
  if (!subtle) {
    for (let p = 0; p < count; p++) out.set(nobleSuite.sha384(pages.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)), p * 48);
    return out;
  }
  // digest() copies its input when called, so the caller may reuse `pages` once this returns.
  const all = [];
  for (let p = 0; p < count; p++) all.push(subtle.digest('SHA-384', pages.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)));
  const done = await Promise.all(all);
  done.forEach((d, p) => out.set(new Uint8Array(d), p * 48));
  return out;
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  if (!subtle) return nobleSuite.sha256(data);
  return new Uint8Array(await subtle.digest('SHA-256', data));
}

/**
 * @noble/hashes for the library's synchronous code, except that the SHA-256 of whole inputs
 * (kernel, initrd, the files a provenance names) is computed ahead by WebCrypto: `prepare` them,
 * and `sha256` of the same Uint8Array returns the stored digest.
 */
export class PrehashedSuite implements HashSuite {
  readonly name = 'noble';
  private readonly known = new WeakMap<Uint8Array, Uint8Array>();

  async prepare(inputs: readonly (Uint8Array | undefined)[]): Promise<void> {
    for (const d of inputs) if (d && !this.known.has(d)) this.known.set(d, await sha256(d));
  }

  sha256(data: Uint8Array): Uint8Array { return this.known.get(data) ?? nobleSuite.sha256(data); }
  sha384(data: Uint8Array): Uint8Array { return nobleSuite.sha384(data); }
  createSha256(): Hasher { return nobleSuite.createSha256(); }
  createSha384(): Hasher { return nobleSuite.createSha384(); }
}
