/**
 * The SNP ID block (96 bytes) and ID authentication structure (4096 bytes) passed to
 * SNP_LAUNCH_FINISH (docs/spec/report.md#id-block). Layout only; signing is in node/id-sign.ts.
 * Signature components and key coordinates are always 72-byte little-endian fields.
 */
import { fail } from '../errors.js';
import { writeU32, writeU64 } from '../bytes.js';

export const ID_BLOCK_SIZE = 96;
export const ID_AUTH_SIZE = 4096;
export const PUBLIC_KEY_SIZE = 1028;
export const CURVE_P384 = 2;
export const ALGO_ECDSA_P384_SHA384 = 1;

export interface IdBlockFields {
  readonly ld: Uint8Array;
  readonly familyId?: Uint8Array;
  readonly imageId?: Uint8Array;
  readonly guestSvn?: number;
  readonly policy?: bigint;
}

export function encodeIdBlock(f: IdBlockFields): Uint8Array {
  if (f.ld.length !== 48) fail('bad-hex', `the ID block's launch digest must be 48 bytes, got ${f.ld.length}`);
  for (const [name, v] of [['family ID', f.familyId], ['image ID', f.imageId]] as const) {
    if (v && v.length !== 16) fail('bad-hex', `the ${name} must be 16 bytes, got ${v.length}`);
  }
  const b = new Uint8Array(ID_BLOCK_SIZE);
  b.set(f.ld, 0);
  if (f.familyId) b.set(f.familyId, 0x30);
  if (f.imageId) b.set(f.imageId, 0x40);
  writeU32(b, 0x50, 1);
  writeU32(b, 0x54, f.guestSvn ?? 0);
  writeU64(b, 0x58, f.policy ?? 0x30000n);
  return b;
}

/** Big-endian integer bytes (as crypto libraries give them) to a zero-padded 72-byte little-endian field. */
export function toLe72(bigEndian: Uint8Array): Uint8Array {
  if (bigEndian.length > 72) fail('key', `a P-384 component of ${bigEndian.length} bytes does not fit 72`);
  const out = new Uint8Array(72);
  for (let i = 0; i < bigEndian.length; i++) out[i] = bigEndian[bigEndian.length - 1 - i]!;
  return out;
}

export function fromLe72(le: Uint8Array, width = 48): Uint8Array {
  const out = new Uint8Array(width);
  for (let i = 0; i < width; i++) out[width - 1 - i] = le[i]!;
  return out;
}

/** SEV public-key structure: curve, Qx, Qy (72-byte little-endian each), reserved to 1028 bytes. */
export function encodePublicKey(x: Uint8Array, y: Uint8Array): Uint8Array {
  const b = new Uint8Array(PUBLIC_KEY_SIZE);
  writeU32(b, 0, CURVE_P384);
  b.set(toLe72(x), 4);
  b.set(toLe72(y), 76);
  return b;
}

/** SEV signature structure: R and S (72-byte little-endian each), reserved to 512 bytes. */
export function encodeSignature(r: Uint8Array, s: Uint8Array): Uint8Array {
  const b = new Uint8Array(512);
  b.set(toLe72(r), 0);
  b.set(toLe72(s), 72);
  return b;
}

export function encodeIdAuth(p: { idBlockSig: Uint8Array; idKey: Uint8Array; idKeySig?: Uint8Array; authorKey?: Uint8Array }): Uint8Array {
  const b = new Uint8Array(ID_AUTH_SIZE);
  writeU32(b, 0, ALGO_ECDSA_P384_SHA384);
  if (p.authorKey) writeU32(b, 4, ALGO_ECDSA_P384_SHA384);
  b.set(p.idBlockSig, 0x40);
  b.set(p.idKey, 0x240);
  if (p.idKeySig) b.set(p.idKeySig, 0x680);
  if (p.authorKey) b.set(p.authorKey, 0x880);
  return b;
}
