/** How reference-value formats spell a 48-byte launch digest, and reading any of those spellings back. */
import { fail } from '../errors.js';
import { fromBase64, fromHex, toBase64, toHex } from '../bytes.js';

/**
 * How a reference-value format spells a 48-byte digest: lowercase hex, 0x-prefixed hex, base64,
 * or unpadded base64url. Readers accept any of them.
 */
export type DigestEncoding = 'hex' | '0xhex' | 'base64' | 'base64url';

export function encodeDigest(d: Uint8Array, e: DigestEncoding): string {
  switch (e) {
    case 'hex': return toHex(d);
    case '0xhex': return `0x${toHex(d)}`;
    case 'base64': return toBase64(d);
    case 'base64url': return toBase64(d, true);
  }
}

/** A 48-byte digest in any encoding above (hex with or without 0x, base64 or base64url). */
export function decodeDigest(text: unknown, what: string): Uint8Array {
  if (text === null || text === undefined) return fail('reference-values', `${what} is ${text === null ? 'null' : 'missing'}; expected a 48-byte digest (hex or base64)`);
  if (typeof text !== 'string') return fail('reference-values', `${what} is a ${Array.isArray(text) ? 'list' : typeof text}; expected a 48-byte digest as a hex or base64 string`);
  const t = text.trim();
  if (/^(0x)?[0-9a-fA-F]{96}$/.test(t)) return fromHex(t, what, 48);
  // 48 bytes are exactly 64 base64 characters, never padded.
  if (/^[A-Za-z0-9+/_-]{64}$/.test(t)) return fromBase64(t, what);
  return fail('bad-hex', `${what}: ${JSON.stringify(t.length > 24 ? `${t.slice(0, 24)}…` : t)} is not a 48-byte digest in hex (96 digits) or base64 (64 characters)`);
}
