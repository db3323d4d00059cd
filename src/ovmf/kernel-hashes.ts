/**
 * Measured direct boot: the table of kernel, initrd and command-line SHA-256 hashes that QEMU
 * (build_kernel_loader_hashes) writes for OVMF to check (docs/spec/ovmf.md#kernel-hashes-page).
 */
import { fail } from '../errors.js';
import { writeU16 } from '../bytes.js';
import { defaultSuite, type HashSuite } from '../hash/suite.js';
import { PAGE_SIZE } from '../snp/page-info.js';
import { GUIDS, guidToBytes } from './guid.js';

export const HASH_TABLE_LENGTH = 168; // packed size written into the table header
export const PADDED_HASH_TABLE_LENGTH = 176; // padded to a multiple of 16
const ENTRY_LENGTH = 50; // GUID + u16 length + SHA-256

/** The SHA-256 digests (32 bytes each) of kernel, initrd and command line that QEMU writes to the kernel-hashes page. */
export interface DirectBootHashes {
  readonly kernel: Uint8Array;
  readonly initrd: Uint8Array;
  readonly cmdline: Uint8Array;
}

/**
 * SHA-256 of the command line as QEMU hashes it: the UTF-8 bytes plus a terminating NUL,
 * never trimmed. No command line and an empty one hash the same (a single NUL byte).
 */
export function cmdlineHash(cmdline: string | undefined, hashes: HashSuite = defaultSuite): Uint8Array {
  const text = new TextEncoder().encode(cmdline ?? '');
  const buf = new Uint8Array(text.length + 1);
  buf.set(text);
  return hashes.sha256(buf);
}

export function buildHashTable(h: DirectBootHashes): Uint8Array {
  for (const [name, v] of Object.entries(h)) {
    if (v.length !== 32) fail('bad-hex', `${name} hash must be a 32-byte SHA-256, got ${v.length} bytes`);
  }
  const t = new Uint8Array(PADDED_HASH_TABLE_LENGTH);
  t.set(guidToBytes(GUIDS.hashTableHeader), 0);
  writeU16(t, 16, HASH_TABLE_LENGTH);
  const entries: [string, Uint8Array][] = [
    [GUIDS.hashTableCmdline, h.cmdline], [GUIDS.hashTableInitrd, h.initrd], [GUIDS.hashTableKernel, h.kernel],
  ];
  let o = 18;
  for (const [guid, digest] of entries) {
    t.set(guidToBytes(guid), o);
    writeU16(t, o + 16, ENTRY_LENGTH);
    t.set(digest, o + 18);
    o += ENTRY_LENGTH;
  }
  return t;
}

/** The 4 KiB page holding the table at `offsetInPage` (hash-table GPA & 0xfff). */
export function buildHashesPage(table: Uint8Array, offsetInPage: number): Uint8Array {
  if (offsetInPage + table.length > PAGE_SIZE) {
    fail('kernel-hashes-layout', `the ${table.length}-byte hashes table at page offset 0x${offsetInPage.toString(16)} runs past the end of its page`);
  }
  const page = new Uint8Array(PAGE_SIZE);
  page.set(table, offsetInPage);
  return page;
}
