/** Small byte helpers: hex/base64, little-endian fields, strict number parsing. */
import { fail, type ErrorCode } from './errors.js';

const HEX_RE = /^[0-9a-fA-F]*$/;

const HEX_PAIRS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Buffer's native encoders, called on any Uint8Array: `slice(start, end)` gives the bytes as text. */
interface NativeEncoders {
  hexSlice(this: Uint8Array, start: number, end: number): string;
  base64Slice(this: Uint8Array, start: number, end: number): string;
  base64urlSlice(this: Uint8Array, start: number, end: number): string;
}

/**
 * Node's Buffer encoders, found at run time (this module loads in browsers too, where the tables
 * below serve), and only when they give the tables' answers on a plain Uint8Array view: they are
 * not part of Node's documented API, and other runtimes' Buffer need not behave the same.
 */
function findNativeEncoders(): NativeEncoders | undefined {
  const buffer = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:buffer') as
    { Buffer?: { prototype?: Partial<NativeEncoders> } } | undefined;
  const e = buffer?.Buffer?.prototype;
  if (!e || typeof e.hexSlice !== 'function' || typeof e.base64Slice !== 'function' || typeof e.base64urlSlice !== 'function') return undefined;
  try {
    const probe = Uint8Array.of(0, 0xfb, 0xff, 0xfe, 1).subarray(1);
    return e.hexSlice.call(probe, 0, 4) === 'fbfffe01' && e.base64Slice.call(probe, 0, 4) === '+//+AQ==' && e.base64urlSlice.call(probe, 0, 4) === '-__-AQ'
      ? e as NativeEncoders : undefined;
  } catch {
    return undefined;
  }
}
const nativeEncoders = findNativeEncoders();

/** Lowercase hex of the bytes, without a 0x prefix (how every digest is printed). */
export function toHex(bytes: Uint8Array): string {
  // On Node one native call: a reference-values set prints hundreds of digests, mostly before the
  // JIT has warmed up, and a string built two digits at a time is also slow to print (256
  // digests: 2 ms with the JSON that holds them, 0.2 ms native). Elsewhere a pair table.
  return nativeEncoders && bytes instanceof Uint8Array ? nativeEncoders.hexSlice.call(bytes, 0, bytes.length) : hexByTable(bytes);
}

/** toHex without Node's encoder (what browsers run; exported for the tests that compare the two). */
export function hexByTable(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_PAIRS[bytes[i]!]!;
  return out;
}

/** Parses hex (an optional 0x prefix is allowed); `expectedLength` is in bytes. */
export function fromHex(text: string, what: string, expectedLength?: number, code: ErrorCode = 'bad-hex'): Uint8Array {
  let s = text.trim();
  if (s.startsWith('0x') || s.startsWith('0X')) s = s.slice(2);
  if (s.length % 2 !== 0 || !HEX_RE.test(s)) fail(code, `${what}: not a hex string (${describe(text)})`);
  if (expectedLength !== undefined && s.length !== expectedLength * 2) {
    fail(code, `${what}: expected ${expectedLength} bytes (${expectedLength * 2} hex digits), got ${s.length / 2} bytes`);
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard padded base64, or with `url` unpadded base64url. */
export function toBase64(bytes: Uint8Array, url = false): string {
  if (nativeEncoders && bytes instanceof Uint8Array) return (url ? nativeEncoders.base64urlSlice : nativeEncoders.base64Slice).call(bytes, 0, bytes.length);
  return base64ByTable(bytes, url);
}

/** toBase64 without Node's encoder (what browsers run; exported for the tests that compare the two). */
export function base64ByTable(bytes: Uint8Array, url = false): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!, b = bytes[i + 1], c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    out += b === undefined ? '=' : B64[(n >> 6) & 63]!;
    out += c === undefined ? '=' : B64[n & 63]!;
  }
  return url ? out.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : out;
}

/**
 * Decodes base64 or base64url, padded or not; refuses (`bad-hex`, naming `what`) any other
 * character and impossible lengths.
 */
export function fromBase64(text: string, what: string): Uint8Array {
  const s = text.trim().replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) fail('bad-hex', `${what}: not base64`);
  const clean = s.replace(/=+$/, '');
  if (clean.length % 4 === 1) fail('bad-hex', `${what}: base64 has an impossible length`);
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0, acc = 0, j = 0;
  for (const ch of clean) {
    acc = (acc << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) { bits -= 8; out[j++] = (acc >> bits) & 0xff; }
  }
  return out;
}

export function describe(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

export function readU16(b: Uint8Array, off: number): number { return b[off]! | (b[off + 1]! << 8); }
export function readU32(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}
export function readU64(b: Uint8Array, off: number): bigint {
  return BigInt(readU32(b, off)) | (BigInt(readU32(b, off + 4)) << 32n);
}
export function writeU16(b: Uint8Array, off: number, v: number): void { b[off] = v & 0xff; b[off + 1] = (v >>> 8) & 0xff; }
export function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff; b[off + 1] = (v >>> 8) & 0xff; b[off + 2] = (v >>> 16) & 0xff; b[off + 3] = (v >>> 24) & 0xff;
}
export function writeU64(b: Uint8Array, off: number, v: bigint): void {
  writeU32(b, off, Number(v & 0xffffffffn));
  writeU32(b, off + 4, Number((v >> 32n) & 0xffffffffn));
}

export const U64_MAX = (1n << 64n) - 1n;

/**
 * Parses an unsigned integer written in decimal or with a 0x / 0o / 0b prefix (the forms
 * Python's int(x, 0) accepts, which the reference CLI uses), as a bigint so 64-bit values
 * keep every bit. Underscores between digits are accepted for the same reason.
 */
export function parseUnsigned(text: string | number | bigint, what: string, max: bigint = U64_MAX): bigint {
  let value: bigint;
  if (typeof text === 'bigint') value = text;
  else if (typeof text === 'number') {
    if (!Number.isSafeInteger(text)) fail('bad-number', `${what}: ${text} is not an exact integer (write numbers above 2^53 as hex strings)`);
    value = BigInt(text);
  } else {
    const s = text.trim().toLowerCase();
    const m = /^(0x[0-9a-f](?:_?[0-9a-f])*|0o[0-7](?:_?[0-7])*|0b[01](?:_?[01])*|[0-9](?:_?[0-9])*)$/.exec(s);
    if (!m) fail('bad-number', `${what}: ${describe(text)} is not an unsigned integer (decimal or 0x-prefixed hex)`);
    if (/^0[0-9]/.test(s) && !/^0+$/.test(s.replace(/_/g, ''))) {
      fail('bad-number', `${what}: ${describe(text)} has a leading zero; write octal as 0o...`);
    }
    value = BigInt(s.replace(/_/g, ''));
  }
  if (value < 0n || value > max) {
    const shown = typeof text === 'string' && text.length > 40 ? `${describe(text)} (${text.length} characters)` : text;
    fail('bad-number', `${what}: ${shown} is out of range (0 to 0x${max.toString(16)})`);
  }
  return value;
}

export function parseSmallUnsigned(text: string | number | bigint, what: string, max: number): number {
  return Number(parseUnsigned(text, what, BigInt(max)));
}

export function hex64(v: bigint | number): string { return `0x${v.toString(16)}`; }

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A plain Uint8Array over the same bytes. Node's Buffer is a Uint8Array whose slice() shares memory
 * (Uint8Array's copies): inputs from callers are viewed through this so no code depends on which.
 */
export function plainBytes(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
