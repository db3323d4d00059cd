/**
 * The web build's stand-in for src/hash/suite.ts (the build redirects that module here).
 * The library's suite picks node:crypto through a top-level `await import()`, which a classic
 * script cannot contain, and pages opened from file:// can only run classic scripts. In the
 * browser the synchronous hashes are @noble/hashes; bulk page hashing uses WebCrypto (hash.ts).
 * Same exports as src/hash/suite.ts, so every library module links unchanged.
 */
import { sha256 as nobleSha256, sha384 as nobleSha384 } from '@noble/hashes/sha2.js';

export interface Hasher {
  update(data: Uint8Array): Hasher;
  digest(): Uint8Array;
}

export interface HashSuite {
  readonly name: 'node' | 'noble';
  sha384(data: Uint8Array): Uint8Array;
  sha256(data: Uint8Array): Uint8Array;
  createSha256(): Hasher;
  createSha384(): Hasher;
}

function wrap(h: { update(d: Uint8Array): unknown; digest(): Uint8Array }): Hasher {
  const w: Hasher = { update(d) { h.update(d); return w; }, digest: () => h.digest() };
  return w;
}

export const nobleSuite: HashSuite = {
  name: 'noble',
  sha384: (d) => nobleSha384(d),
  sha256: (d) => nobleSha256(d),
  createSha256: () => wrap(nobleSha256.create()),
  createSha384: () => wrap(nobleSha384.create()),
};

export const nodeSuite: HashSuite | undefined = undefined;
export const defaultSuite: HashSuite = nobleSuite;
