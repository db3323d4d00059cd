/**
 * Type-checking only: src/hash/suite.ts names node:crypto, and the web type-check follows the
 * library's imports into it. The web build replaces that module (web/src/hash-suite.ts), so
 * this never runs; declaring the few members it uses keeps Node's types out of the page's code.
 */
declare module 'node:crypto' {
  interface NodeHash { update(data: Uint8Array): NodeHash; digest(): Uint8Array }
  export function createHash(algorithm: string): NodeHash;
  export function hash(algorithm: string, data: Uint8Array, output: 'buffer'): Uint8Array;
}
