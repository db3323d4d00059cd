/** Signs an ID block with ECDSA P-384 / SHA-384 keys from PEM files (node:crypto). */
import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { fail } from '../errors.js';
import { fromBase64 } from '../bytes.js';
import { defaultSuite } from '../hash/suite.js';
import { encodeIdAuth, encodeIdBlock, encodePublicKey, encodeSignature, type IdBlockFields } from '../snp/id-block.js';

export function loadP384PrivateKey(pem: Uint8Array | string, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(typeof pem === 'string' ? pem : Buffer.from(pem));
  } catch (e) {
    return fail('key', `${what}: not a private key in PEM or DER (${(e as Error).message})`);
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || (curve !== 'secp384r1' && curve !== 'P-384')) {
    fail('key', `${what}: an ${key.asymmetricKeyType ?? 'unknown'} key${curve ? ` on ${curve}` : ''}; SEV-SNP ID keys are ECDSA P-384 (secp384r1)`);
  }
  return key;
}

function publicKeyStruct(key: KeyObject): Uint8Array {
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  return encodePublicKey(fromBase64(jwk.x!, 'Qx'), fromBase64(jwk.y!, 'Qy'));
}

function ecdsaSign(key: KeyObject, data: Uint8Array): Uint8Array {
  const rs = new Uint8Array(sign('sha384', data, { key, dsaEncoding: 'ieee-p1363' }));
  return encodeSignature(rs.subarray(0, 48), rs.subarray(48, 96));
}

export interface SignedIdBlock {
  readonly idBlock: Uint8Array;
  readonly idAuth: Uint8Array;
  readonly idKeyDigest: Uint8Array;
  readonly authorKeyDigest?: Uint8Array;
}

export function signIdBlock(fields: IdBlockFields, idKey: KeyObject, authorKey?: KeyObject): SignedIdBlock {
  const idBlock = encodeIdBlock(fields);
  const idKeyStruct = publicKeyStruct(idKey);
  const authorStruct = authorKey ? publicKeyStruct(authorKey) : undefined;
  const idAuth = encodeIdAuth({
    idBlockSig: ecdsaSign(idKey, idBlock), idKey: idKeyStruct,
    ...(authorKey && authorStruct ? { idKeySig: ecdsaSign(authorKey, idKeyStruct), authorKey: authorStruct } : {}),
  });
  return {
    idBlock, idAuth, idKeyDigest: defaultSuite.sha384(idKeyStruct),
    ...(authorStruct ? { authorKeyDigest: defaultSuite.sha384(authorStruct) } : {}),
  };
}
