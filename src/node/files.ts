/** File access for the CLI: clear errors, bounded reads, atomic writes. Node only. */
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { fail } from '../errors.js';
import { defaultSuite, type HashSuite } from '../hash/suite.js';

const CHUNK = 1 << 20;

/** yargs swallows a bare "-" argument, so the CLI passes it through as this marker. */
export const STDIN_MARKER = '\u0000stdin';
export function isStdin(path: string): boolean { return path === '-' || path === STDIN_MARKER; }

function checkRegularFile(path: string, what: string): number {
  let st;
  try {
    st = statSync(path);
  } catch {
    return fail('file-missing', `${what}: ${path} does not exist`);
  }
  if (st.isDirectory()) fail('file-read', `${what}: ${path} is a directory, not a file`);
  return st.size;
}

/** Reads a whole input file (firmware images are a few MiB). `-` reads standard input. */
export function readInputFile(path: string, what: string, cwd = process.cwd()): Uint8Array {
  try {
    if (isStdin(path)) return new Uint8Array(readFileSync(0));
    const full = resolve(cwd, path);
    checkRegularFile(full, what);
    const b = readFileSync(full);
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  } catch (e) {
    if (e instanceof Error && e.name === 'MeasureError') throw e;
    return fail('file-read', `${what}: cannot read ${path}: ${(e as Error).message}`);
  }
}

export function fileSize(path: string, what: string, cwd = process.cwd()): number {
  return checkRegularFile(resolve(cwd, path), what);
}

/** SHA-256 of a file read in 1 MiB chunks: a kernel or initrd is never held in memory whole. */
export function sha256File(path: string, what: string, cwd = process.cwd(), hashes: HashSuite = defaultSuite): Uint8Array {
  if (isStdin(path)) return hashes.sha256(readInputFile('-', what));
  const full = resolve(cwd, path);
  checkRegularFile(full, what);
  let fd: number;
  try { fd = openSync(full, 'r'); } catch (e) { return fail('file-read', `${what}: cannot open ${path}: ${(e as Error).message}`); }
  try {
    const h = hashes.createSha256();
    const buf = new Uint8Array(Math.min(CHUNK, Math.max(1, fstatSync(fd).size)));
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
    return h.digest();
  } catch (e) {
    return fail('file-read', `${what}: cannot read ${path}: ${(e as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** Writes to a temporary file beside the target, then renames: an error never leaves a truncated file. */
export function writeFileAtomic(path: string, data: string | Uint8Array, cwd = process.cwd()): void {
  const full = resolve(cwd, path);
  const tmp = join(dirname(full), `.${basename(full)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, full);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* nothing to clean */ }
    fail('output', `cannot write ${path}: ${(e as Error).message}`);
  }
}

/** Creates an output directory (and its parents) if needed; an existing file there is an error. */
export function ensureOutputDirectory(path: string, cwd = process.cwd()): string {
  const full = resolve(cwd, path);
  try {
    mkdirSync(full, { recursive: true });
  } catch (e) {
    fail('output', `cannot create directory ${path}: ${(e as Error).message}`);
  }
  if (!statSync(full).isDirectory()) fail('output', `${path} exists and is not a directory`);
  return full;
}

/** Whether a path names a directory (false when it does not exist). */
export function isDirectory(path: string, cwd = process.cwd()): boolean {
  if (isStdin(path)) return false;
  try { return statSync(resolve(cwd, path)).isDirectory(); } catch { return false; }
}

/** The regular files directly in a directory, sorted by name, as text (reference-value configs). */
export function readDirectoryTextFiles(path: string, what: string, cwd = process.cwd()): { name: string; text: string }[] {
  const full = resolve(cwd, path);
  let names: string[];
  try { names = readdirSync(full).sort(); } catch (e) { return fail('file-read', `${what}: cannot list ${path}: ${(e as Error).message}`); }
  return names
    .filter((n) => { try { return statSync(join(full, n)).isFile(); } catch { return false; } })
    .map((n) => ({ name: n, text: new TextDecoder().decode(readInputFile(join(full, n), `${what} ${n}`)) }));
}
