/**
 * File access for the CLI, kept for its existing call sites: each function delegates to the
 * bounded readers of node/input.ts and the output rules of node/output.ts. Node only.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fail } from '../errors.js';
import { defaultSuite, type HashSuite } from '../hash/suite.js';
import { hashInput, isStdin, readInput, regularFileSize, type InputKind } from './input.js';
import { writeOutput } from './output.js';

export { STDIN_MARKER, isStdin } from './input.js';

/**
 * Reads a whole input file (or `-`, standard input) within the limit of its kind (default `any`,
 * 1 GiB; name the kind so the limit fits: see INPUT_LIMITS).
 */
export function readInputFile(path: string, what: string, cwd = process.cwd(), kind: InputKind = 'any'): Uint8Array {
  return readInput(path, { what, kind, cwd });
}

/** Size of a regular file (for --vars-file); devices, FIFOs and directories are refused. */
export function fileSize(path: string, what: string, cwd = process.cwd()): number {
  return regularFileSize(path, what, cwd);
}

/** SHA-256 of a kernel or initrd read in 1 MiB chunks, from a file, a FIFO or standard input (at most 4 GiB). */
export function sha256File(path: string, what: string, cwd = process.cwd(), hashes: HashSuite = defaultSuite): Uint8Array {
  return hashInput(path, { what, cwd, hashes, kind: 'kernel' });
}

/**
 * Writes one output file by the rules of node/output.ts (atomic replace of regular files, FIFOs
 * and devices written in place, `-` to standard output). `inputs` are refused as targets.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, cwd = process.cwd(), what = 'output', inputs: readonly string[] = []): void {
  if (path === '') fail('output', `${what}: the path is empty`);
  writeOutput(path, data, what, { cwd, inputs });
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
