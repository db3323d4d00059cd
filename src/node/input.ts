/**
 * Inputs read whole (or hashed whole), bounded by what their kind can reasonably be. Node only.
 *
 * Users pass paths from machines they do not control, and shells turn `<(cmd)` into a FIFO and
 * `-` into whatever standard input is. The rules, one table of limits (INPUT_LIMITS):
 * - a regular file larger than its kind's limit is refused from its size, before it is read;
 * - a FIFO, a socket's worth of standard input or a terminal is read up to the limit and refused
 *   as soon as it goes past it, so an endless stream costs at most the limit;
 * - a character device other than /dev/null (/dev/zero, /dev/urandom, a terminal by name), a block
 *   device or a socket path is refused (`input-kind`): none of them is a file a user means to measure;
 * - text inputs with lines (launch logs) are also refused at the first line longer than the limit.
 * Inputs read at random offsets (firmware, IGVM, guest memory, manifest file sources) are opened by
 * node/file-extent.ts and must be regular files.
 */
import { closeSync, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { fail } from '../errors.js';
import { defaultSuite, type HashSuite } from '../hash/suite.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** yargs swallows a bare "-" argument, so the CLI passes it through as this marker. */
export const STDIN_MARKER = '\u0000stdin';
export function isStdin(path: string): boolean { return path === '-' || path === STDIN_MARKER; }

export type InputKind =
  | 'report' | 'launch-log' | 'manifest' | 'reference-values' | 'vectors' | 'matrix' | 'metadata' | 'struct' | 'key'
  | 'firmware' | 'igvm' | 'kernel' | 'any';

export interface InputLimit {
  /** Largest input accepted, in bytes. */
  readonly maxBytes: number;
  /** Longest line accepted (text inputs made of lines), in bytes without the newline. */
  readonly maxLine?: number;
  /** Why this limit: shown in docs/robustness.md. */
  readonly why: string;
}

/** An attestation report is 0x4A0 bytes; its hex and base64 spellings are 2368 and 1580 characters. */
export const MAX_REPORT_BYTES = 64 * KiB;
/** One launch-log line is about 400 bytes (a step record with two 96-digit digests). */
export const MAX_LOG_LINE_BYTES = 64 * KiB;
/** A decoded launch log is one string; V8 strings stop at 2^29 characters, so stay well below. */
export const MAX_LOG_BYTES = 256 * MiB;
/** 65535 regions of about 200 bytes are 13 MiB; inline hex or base64 sources add their data. */
export const MAX_MANIFEST_BYTES = 64 * MiB;
/** Reference values for every vCPU count and configuration a fleet runs: thousands of entries of ~200 bytes. */
export const MAX_REFERENCE_VALUES_BYTES = 32 * MiB;
/** Conformance vector files: the largest in vectors/ (synthetic-vectors.json) is 0.5 MiB; 32 times that leaves room. */
export const MAX_VECTORS_BYTES = 16 * MiB;
/** Hand-written configuration matrices and sev-snp-measure metadata files are a few KiB. */
export const MAX_SMALL_JSON_BYTES = 1 * MiB;
/** A vmfwupdate struct is 36 or 40 bytes, a vm-launch-update struct one page, a P-384 PEM key ~300 bytes. */
export const MAX_SMALL_BINARY_BYTES = 64 * KiB;
/**
 * Firmware from standard input or a FIFO is held whole (it is read at random offsets); flash
 * images are 2-64 MiB. A regular file path of any size is read on demand instead.
 */
export const MAX_STREAMED_FIRMWARE_BYTES = 256 * MiB;
/** The same for IGVM files, which may embed a kernel and initrd. */
export const MAX_STREAMED_IGVM_BYTES = 1 * GiB;
/**
 * Kernels and initrds are hashed as they are read (never held), from any source; QEMU loads both
 * below 4 GiB of guest memory, so a larger one cannot boot. Caps an endless stream at ~3 s of hashing.
 */
export const MAX_KERNEL_BYTES = 4 * GiB;
/** Inputs whose kind the caller did not name: the largest in-memory kind. */
export const MAX_UNNAMED_INPUT_BYTES = 1 * GiB;

export const INPUT_LIMITS: Readonly<Record<InputKind, InputLimit>> = {
  'report': { maxBytes: MAX_REPORT_BYTES, why: 'a report is 0x4A0 bytes; hex or base64 text with whitespace fits many times over' },
  'launch-log': { maxBytes: MAX_LOG_BYTES, maxLine: MAX_LOG_LINE_BYTES, why: 'a step record is about 400 bytes; the whole log is decoded as one string' },
  'manifest': { maxBytes: MAX_MANIFEST_BYTES, why: '65535 regions plus inline hex or base64 sources' },
  'reference-values': { maxBytes: MAX_REFERENCE_VALUES_BYTES, why: 'thousands of configurations of about 200 bytes each' },
  'vectors': { maxBytes: MAX_VECTORS_BYTES, why: 'a conformance vector file is JSON of a few MiB at most; the largest shipped is 0.5 MiB' },
  'matrix': { maxBytes: MAX_SMALL_JSON_BYTES, why: 'a hand-written configuration matrix' },
  'metadata': { maxBytes: MAX_SMALL_JSON_BYTES, why: 'sev-snp-measure metadata: a few sections and three values' },
  'struct': { maxBytes: MAX_SMALL_BINARY_BYTES, why: 'a vmfwupdate struct is 36 or 40 bytes, a vm-launch-update struct one page' },
  'key': { maxBytes: MAX_SMALL_BINARY_BYTES, why: 'a PEM P-384 private key is about 300 bytes' },
  'firmware': { maxBytes: MAX_STREAMED_FIRMWARE_BYTES, why: 'held whole only when streamed; flash images are 2-64 MiB (a file path is read on demand)' },
  'igvm': { maxBytes: MAX_STREAMED_IGVM_BYTES, why: 'held whole only when streamed (a file path is read on demand)' },
  'kernel': { maxBytes: MAX_KERNEL_BYTES, why: 'hashed while read; QEMU loads kernel and initrd below 4 GiB' },
  'any': { maxBytes: MAX_UNNAMED_INPUT_BYTES, why: 'inputs read whole whose kind is not named' },
};

export interface ReadInputOptions {
  /** How the input is named in messages: the option (`--report`) or a description. */
  readonly what: string;
  readonly kind: InputKind;
  /** Directory relative paths resolve against (default: the process's). */
  readonly cwd?: string;
}

function sizeText(n: number): string {
  if (n >= GiB && n % GiB === 0) return `${n / GiB} GiB`;
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= KiB && n % KiB === 0) return `${n / KiB} KiB`;
  return `${n} bytes`;
}

/** /dev/null: reads as empty, the one device a user may mean as an (empty) input. */
function isDevNull(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0x103;
}

function kindName(st: Stats): string | undefined {
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return undefined;
}

/**
 * Stats a named input (following symlinks) and refuses what cannot be one: missing paths
 * (`file-missing`), directories (`file-read`), devices and sockets (`input-kind`). FIFOs pass
 * unless `randomAccess` is asked for. Returns the absolute path and its stats.
 */
export function statInput(path: string, what: string, cwd = process.cwd(), randomAccess = false): { full: string; st: Stats } {
  const full = resolve(cwd, path);
  let st: Stats;
  try {
    st = statSync(full);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return fail('file-missing', `${what}: ${path} does not exist`);
    return fail('file-read', `${what}: cannot read ${path}: ${(e as Error).message}`);
  }
  if (st.isDirectory()) fail('file-read', `${what}: ${path} is a directory, not a file`);
  const odd = kindName(st);
  if (randomAccess && !st.isFile()) {
    fail('input-kind', `${what}: ${path} is ${odd ?? 'a FIFO'}; this input is read at random offsets and must be a regular file (save it to a file first)`);
  }
  if (odd && !isDevNull(st)) fail('input-kind', `${what}: ${path} is ${odd}, not a file`);
  return { full, st };
}

function tooLarge(what: string, path: string, kind: InputKind, size?: number): never {
  const limit = INPUT_LIMITS[kind];
  const shown = isStdin(path) ? 'standard input' : path;
  const has = size === undefined ? 'is longer than' : `has ${size} bytes, more than`;
  return fail('input-too-large', `${what}: ${shown} ${has} the ${sizeText(limit.maxBytes)} a ${kind} input may have (${limit.why})`);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** readSync that waits out EAGAIN (standard input may be a non-blocking descriptor shared with the parent). */
function readSome(fd: number, buf: Uint8Array, offset: number, length: number): number {
  for (let waited = 0; ; waited++) {
    try {
      return readSync(fd, buf, offset, length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') { Atomics.wait(sleeper, 0, 0, Math.min(50, 1 + waited)); continue; }
      if (code === 'EOF') return 0; // Windows consoles
      throw e;
    }
  }
}

/** Streams an input's bytes to `sink` in chunks, enforcing the kind's limits. Returns the byte count. */
function streamInput(path: string, o: ReadInputOptions, sink: (chunk: Uint8Array) => void): number {
  const limit = INPUT_LIMITS[o.kind];
  let fd: number;
  let own = false;
  const shown = isStdin(path) ? 'standard input' : path;
  if (isStdin(path)) {
    fd = 0;
  } else {
    const { full, st } = statInput(path, o.what, o.cwd);
    if (st.isFile() && st.size > limit.maxBytes) tooLarge(o.what, path, o.kind, st.size);
    try { fd = openSync(full, 'r'); } catch (e) { return fail('file-read', `${o.what}: cannot open ${path}: ${(e as Error).message}`); }
    own = true;
  }
  try {
    let chunkSize = 1 * MiB;
    try {
      const st = fstatSync(fd);
      // Small regular files get a buffer their size (plus one byte to see the end).
      if (st.isFile()) chunkSize = Math.max(1, Math.min(chunkSize, st.size + 1));
    } catch { /* keep the default */ }
    let total = 0;
    let lineLength = 0;
    let line = 1;
    let buf = new Uint8Array(0);
    let filled = 0;
    for (;;) {
      // Fill each buffer before handing it on: a pipe delivers 64 KiB at a time, and a chunk
      // that is a view of a mostly empty buffer would keep the whole buffer alive.
      if (filled === buf.length) {
        if (filled > 0) sink(buf);
        buf = new Uint8Array(Math.min(chunkSize, limit.maxBytes + 1 - total));
        filled = 0;
      }
      let n: number;
      try {
        n = readSome(fd, buf, filled, buf.length - filled);
      } catch (e) {
        return fail('file-read', `${o.what}: cannot read ${shown}: ${(e as Error).message}`);
      }
      if (n === 0) {
        if (filled > 0) sink(buf.subarray(0, filled));
        return total;
      }
      total += n;
      if (total > limit.maxBytes) tooLarge(o.what, path, o.kind);
      if (limit.maxLine !== undefined) {
        const piece = buf.subarray(filled, filled + n);
        let from = 0;
        for (let nl = piece.indexOf(10); ; nl = piece.indexOf(10, from)) {
          lineLength += (nl < 0 ? n : nl) - from;
          if (lineLength > limit.maxLine) {
            fail('input-too-large', `${o.what}: line ${line} of ${shown} is longer than ${sizeText(limit.maxLine)} (${limit.why})`);
          }
          if (nl < 0) break;
          line++;
          lineLength = 0;
          from = nl + 1;
        }
      }
      filled += n;
    }
  } finally {
    if (own) closeSync(fd);
  }
}

/**
 * Reads a whole input: a path (regular file, FIFO, /dev/null) or `-` for standard input, within
 * INPUT_LIMITS[kind]. A regular file over the limit is refused before any byte is read.
 */
export function readInput(path: string, o: ReadInputOptions): Uint8Array {
  const chunks: Uint8Array[] = [];
  const total = streamInput(path, o, (c) => chunks.push(c));
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

/** readInput decoded as UTF-8 (malformed sequences become U+FFFD, a leading BOM is dropped). */
export function readInputText(path: string, o: ReadInputOptions): string {
  return new TextDecoder().decode(readInput(path, o));
}

/**
 * SHA-256 of an input read in 1 MiB chunks (a kernel or initrd is never held whole), from a
 * regular file, a FIFO or standard input, within INPUT_LIMITS[kind] (default `kernel`).
 */
export function hashInput(path: string, o: Omit<ReadInputOptions, 'kind'> & { kind?: InputKind; hashes?: HashSuite }): Uint8Array {
  const h = (o.hashes ?? defaultSuite).createSha256();
  streamInput(path, { ...o, kind: o.kind ?? 'kernel' }, (c) => h.update(c));
  return h.digest();
}

/** Size of a named regular file (for --vars-file): devices, FIFOs and directories are refused. */
export function regularFileSize(path: string, what: string, cwd = process.cwd()): number {
  return statInput(path, what, cwd, true).st.size;
}
