/**
 * Hash back-ends. Measurement code takes a HashSuite so the same code runs on Node
 * (node:crypto, OpenSSL speed) and anywhere else (@noble/hashes, pure JS: hash/noble-suite.ts,
 * which the platform-neutral entry imports). This module loads neither: @noble/hashes computes
 * its SHA-512 constants when imported (about 3.5 ms), which a Node command never needs.
 */

export interface Hasher {
  update(data: Uint8Array): Hasher;
  digest(): Uint8Array;
}

/**
 * The hash functions measuring code uses, injectable so the same code runs on node:crypto or on
 * @noble/hashes; a custom suite must return the standard SHA-384 and SHA-256 digests.
 */
export interface HashSuite {
  readonly name: 'node' | 'noble';
  sha384(data: Uint8Array): Uint8Array;
  /**
   * Writes SHA-384(data) to out[offset, offset + 48) without allocating a result; `out` may
   * overlap `data` (the digest is written after data is read). An offset without room for 48
   * bytes is a RangeError, and nothing is written. Optional: sha384 serves without it.
   */
  sha384Into?(data: Uint8Array, out: Uint8Array, offset: number): void;
  sha256(data: Uint8Array): Uint8Array;
  createSha256(): Hasher;
  createSha384(): Hasher;
}


/**
 * The part of node:crypto used here, declared structurally: the browser build (web/tsconfig.json)
 * has no Node types, so `typeof import('node:crypto')` does not type-check there.
 */
interface NodeCrypto {
  hash(algorithm: string, data: Uint8Array, encoding: 'buffer'): Uint8Array;
  hash(algorithm: string, data: Uint8Array, encoding: 'latin1'): string;
  createHash(algorithm: string): { update(d: Uint8Array): { digest(): Uint8Array }; digest(): Uint8Array };
}

/** Buffer.prototype.latin1Write: writes a string's chars as bytes into any Uint8Array, returns how many. */
type Latin1Write = (this: Uint8Array, s: string, offset: number, length: number) => number;

function makeNodeSuite(load: () => NodeCrypto, latin1Write: Latin1Write): HashSuite {
  // node:crypto is loaded by the first digest, not at import: it brings Node's stream modules
  // (about 3 ms of a 27 ms `--version`), and a run that hashes nothing never needs it.
  let loaded: NodeCrypto | undefined;
  const c = (): NodeCrypto => (loaded ??= load());
  const wrap = (alg: string): Hasher => {
    const h = c().createHash(alg);
    const w: Hasher = { update(d) { h.update(d); return w; }, digest: () => h.digest() };
    return w;
  };
  // crypto.hash() (one-shot; Node 20.12+, package.json asks for 20.19) is about 5x faster than
  // createHash() for 112-byte PAGE_INFO records. Its result as a latin1 string, one char per
  // byte, skips the Buffer allocation, a third of the cost of a chain step: 0.66 instead of 1.12
  // us here, and 5.3 instead of 5.8 us per 4 KiB page (bench/micro.mjs chain). The string's bytes
  // go in with one native call rather than a 48-step loop: once V8 has optimized the loop it is
  // 0.07 us faster per call, but until then much slower, and the functions that inline this
  // compile in about half the time: short runs gain 1-2 ms, a 256 MiB region is unchanged.
  const into = (d: Uint8Array, out: Uint8Array, offset: number): void => {
    if (!(offset >= 0 && offset + 48 <= out.length)) throw new RangeError(`no room for a digest at offset ${offset} of ${out.length} bytes`);
    latin1Write.call(out, c().hash('sha384', d, 'latin1'), offset, 48);
  };
  return {
    name: 'node',
    sha384: (d) => c().hash('sha384', d, 'buffer'),
    sha384Into: into,
    sha256: (d) => c().hash('sha256', d, 'buffer'),
    createSha256: () => wrap('sha256'),
    createSha384: () => wrap('sha384'),
  };
}

// Synchronous, without a top-level await: process.getBuiltinModule (Node 20.16+) exists on Node
// and is absent in browsers, where the portable implementation serves. Node has node:crypto when
// it was built with OpenSSL, which process.versions.openssl says without loading the module.
const host = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; versions?: { openssl?: string } } }).process;

/**
 * Buffer.prototype.latin1Write, when it behaves as Node's on a plain Uint8Array (it is not part of
 * Node's documented API, and other runtimes' Buffer need not accept a receiver that is no Buffer).
 */
function nodeLatin1Write(): Latin1Write | undefined {
  const buffer = host?.getBuiltinModule?.('node:buffer') as { Buffer?: { prototype?: { latin1Write?: unknown } } } | undefined;
  const write = buffer?.Buffer?.prototype?.latin1Write;
  if (typeof write !== 'function') return undefined;
  try {
    const probe = new Uint8Array(4);
    return write.call(probe, '\xff\x80', 1, 2) === 2 && probe.join() === '0,255,128,0' ? write as Latin1Write : undefined;
  } catch {
    return undefined;
  }
}
const latin1Write = host?.versions?.openssl && host.getBuiltinModule ? nodeLatin1Write() : undefined;

/** node:crypto where it exists (found at run time and loaded on first use, so this module imports nothing from node:), else undefined. */
export const nodeSuite: HashSuite | undefined = latin1Write ? makeNodeSuite(() => host!.getBuiltinModule!('node:crypto') as NodeCrypto, latin1Write) : undefined;

const missing = (): never => {
  throw new Error('no hash suite: outside Node, import vmfw-measure (it installs @noble/hashes) or call useHashSuite');
};
const unavailable: HashSuite = { name: 'noble', sha384: missing, sha256: missing, createSha256: missing, createSha384: missing };

/**
 * The suite measuring code uses when none is passed: node:crypto on Node (OpenSSL, 10-15x faster
 * on 4 KiB pages), @noble/hashes elsewhere (installed by hash/noble-suite.ts); `useHashSuite`
 * changes it.
 */
export let defaultSuite: HashSuite = nodeSuite ?? unavailable;

/** Replaces the default suite for every call that passes none (process-wide). */
export function useHashSuite(s: HashSuite): void {
  defaultSuite = s;
}

/** Bytes read on demand: a file window, a region's source. */
export interface ReadableBytes {
  readonly length: number;
  read(offset: number, into: Uint8Array): void;
  /** The whole contents, when they are in memory. */
  readonly bytes?: Uint8Array;
  /** The contents' SHA-256, when the source can give it without reading them again (sha256WhileRead). */
  readonly sha256?: () => Uint8Array;
}

/** SHA-256 of readable bytes, in 1 MiB chunks: a kernel or initrd is never held whole. */
export function sha256Of(s: ReadableBytes, hashes: HashSuite = defaultSuite): Uint8Array {
  if (s.sha256) return s.sha256();
  if (s.bytes) return hashes.sha256(s.bytes);
  const h = hashes.createSha256();
  const buf = new Uint8Array(Math.min(1 << 20, Math.max(1, s.length)));
  for (let o = 0; o < s.length; o += buf.length) {
    const view = buf.subarray(0, Math.min(buf.length, s.length - o));
    s.read(o, view);
    h.update(view);
  }
  return h.digest();
}

/**
 * `s` with reads that also feed a SHA-256 while they arrive in order from offset 0, and a
 * `sha256` that gives it (sha256Of asks for it): measuring a firmware image reads the image whole
 * that way, so its SHA-256 for provenance costs no second pass, and is the SHA-256 of the very
 * bytes measured. Reads out of order (tables parsed first, a second pass) are skipped; when the
 * in-order reads never reached the end, the first `sha256()` reads `s` whole once more. Either
 * way the digest is kept: a kernel hashed for its launch is not hashed again for a lock file.
 */
export function sha256WhileRead<S extends ReadableBytes>(s: S, hashes: HashSuite = defaultSuite): S {
  if (s.bytes || s.sha256) return s;
  const h = hashes.createSha256();
  let next = 0;
  let digest: Uint8Array | undefined;
  // Own properties copied (so a later spread keeps them) over the same prototype (so a class's
  // getters and methods still work).
  return Object.assign(Object.create(Object.getPrototypeOf(s)) as S, s, {
    read(offset: number, into: Uint8Array): void {
      s.read(offset, into);
      const end = offset + into.length;
      if (digest !== undefined || offset > next || end <= next) return;
      h.update(into.subarray(next - offset));
      next = end;
      if (next === s.length) digest = h.digest();
    },
    sha256: () => (digest ??= sha256Of(s, hashes)),
  });
}
