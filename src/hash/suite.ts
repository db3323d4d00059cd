/**
 * Hash back-ends. Measurement code takes a HashSuite so the same code runs on Node
 * (node:crypto, OpenSSL speed: hash/node-suite.ts) and anywhere else (@noble/hashes, pure JS).
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

export const nobleSuite: HashSuite = {
  name: 'noble',
  sha384: (d) => nobleSha384(d),
  sha256: (d) => nobleSha256(d),
  createSha256: () => wrapNoble(nobleSha256.create()),
  createSha384: () => wrapNoble(nobleSha384.create()),
};

function wrapNoble(h: { update(d: Uint8Array): unknown; digest(): Uint8Array }): Hasher {
  const w: Hasher = { update(d) { h.update(d); return w; }, digest: () => h.digest() };
  return w;
}

let current: HashSuite = nobleSuite;

/**
 * The suite measuring code uses when none is passed: @noble/hashes (runs anywhere) until an
 * environment installs a faster one. The Node entry points (CLI, `vmfw-measure/node`) install
 * node:crypto through `hash/node-suite.ts`; this module imports nothing platform-specific.
 */
export let defaultSuite: HashSuite = current;

export function useHashSuite(s: HashSuite): void {
  current = s;
  defaultSuite = s;
}
