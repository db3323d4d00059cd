/**
 * @noble/hashes as a hash suite: pure JS, for browsers (and tests that compare suites). Importing
 * this module makes it the default where node:crypto is not found; the platform-neutral entry does.
 */
import { sha256 as nobleSha256, sha384 as nobleSha384 } from '@noble/hashes/sha2.js';
import { nodeSuite, useHashSuite, type Hasher, type HashSuite } from './suite.js';

function wrapNoble(h: { update(d: Uint8Array): unknown; digest(): Uint8Array }): Hasher {
  const w: Hasher = { update(d) { h.update(d); return w; }, digest: () => h.digest() };
  return w;
}

/**
 * SHA-384/SHA-256 from @noble/hashes: portable, and installed as the default where node:crypto is
 * absent (browsers); slower than node:crypto on 4 KiB pages.
 */
export const nobleSuite: HashSuite = {
  name: 'noble',
  sha384: (d) => nobleSha384(d),
  sha384Into: (d, out, offset) => { out.set(nobleSha384(d), offset); },
  sha256: (d) => nobleSha256(d),
  createSha256: () => wrapNoble(nobleSha256.create()),
  createSha384: () => wrapNoble(nobleSha384.create()),
};

if (!nodeSuite) useHashSuite(nobleSuite);
