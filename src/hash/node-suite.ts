/**
 * node:crypto as the default hash suite. Importing this module installs it: OpenSSL is 10-15x
 * faster than pure JS on 4 KiB pages (docs/performance.md). Node entry points import it first.
 */
import * as crypto from 'node:crypto';
import { useHashSuite, type HashSuite, type Hasher } from './suite.js';

function makeNodeSuite(c: typeof crypto): HashSuite {
  // crypto.hash() (one-shot) is about 5x faster than createHash() for 112-byte PAGE_INFO records.
  const oneShot = typeof c.hash === 'function';
  const wrap = (alg: string): Hasher => {
    const h = c.createHash(alg);
    const w: Hasher = { update(d) { h.update(d); return w; }, digest: () => h.digest() };
    return w;
  };
  return {
    name: 'node',
    sha384: oneShot ? (d) => c.hash('sha384', d, 'buffer') : (d) => c.createHash('sha384').update(d).digest(),
    sha256: oneShot ? (d) => c.hash('sha256', d, 'buffer') : (d) => c.createHash('sha256').update(d).digest(),
    createSha256: () => wrap('sha256'),
    createSha384: () => wrap('sha384'),
  };
}

export const nodeSuite: HashSuite = makeNodeSuite(crypto);
useHashSuite(nodeSuite);
