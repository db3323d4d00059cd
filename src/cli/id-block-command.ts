/** `vmfw-measure id-block`: build and sign the SNP ID block and ID auth for a digest. */
import { FORMATS } from '../formats.js';
import { fromHex, parseUnsigned, toBase64, toHex } from '../bytes.js';
import { loadP384PrivateKey, signIdBlock } from '../node/id-sign.js';
import { readInputFile } from '../node/files.js';
import { toJson, byFlag } from './common.js';
import type { CommandArgs } from './commands.js';
import type { CliIO } from './io.js';
import { decodeDigest } from '../attestation/digest-encoding.js';

interface IdBlockArgs { measurement: string; 'id-key': string; 'author-key'?: string; 'family-id'?: string; 'image-id'?: string; 'guest-svn': string; policy: string; json: boolean }

export function runIdBlockCommand(args: CommandArgs, io: CliIO): number {
  return runIdBlock(byFlag(args) as unknown as IdBlockArgs, io);
}

export function runIdBlock(a: IdBlockArgs, io: CliIO): number {
  const ld = decodeDigest(a.measurement, '--measurement');
  const guestSvn = Number(parseUnsigned(a['guest-svn'], '--guest-svn', 0xffffffffn));
  const policy = parseUnsigned(a.policy, '--policy');
  const familyId = a['family-id'] ? fromHex(a['family-id'], '--family-id', 16) : undefined;
  const imageId = a['image-id'] ? fromHex(a['image-id'], '--image-id', 16) : undefined;
  const idKey = loadP384PrivateKey(readInputFile(a['id-key'], '--id-key', io.cwd, 'key'), `--id-key ${a['id-key']}`);
  const authorKey = a['author-key'] !== undefined ? loadP384PrivateKey(readInputFile(a['author-key'], '--author-key', io.cwd, 'key'), `--author-key ${a['author-key']}`) : undefined;
  const signed = signIdBlock({ ld, ...(familyId ? { familyId } : {}), ...(imageId ? { imageId } : {}), guestSvn, policy }, idKey, authorKey);
  const out = {
    idBlock: toBase64(signed.idBlock), idAuth: toBase64(signed.idAuth),
    idKeyDigest: toHex(signed.idKeyDigest), idKeyDigestBase64: toBase64(signed.idKeyDigest),
    ...(signed.authorKeyDigest ? { authorKeyDigest: toHex(signed.authorKeyDigest), authorKeyDigestBase64: toBase64(signed.authorKeyDigest) } : {}),
  };
  if (a.json) io.out(toJson({ format: FORMATS.idBlock, ...out }));
  else {
    io.out(`id-block: ${out.idBlock}\nid-auth: ${out.idAuth}\nid-key-digest: ${out.idKeyDigest}\n${signed.authorKeyDigest ? `author-key-digest: ${out.authorKeyDigest}\n` : ''}`);
    io.err(`use with QEMU: -object sev-snp-guest,...,id-block=<id-block>,id-auth=<id-auth>${authorKey ? ',author-key-enabled=on' : ''}\n`);
  }
  return 0;
}
