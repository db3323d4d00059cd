/** Reference-value files on disk: reading any format (file or go-sev-guest directory) and writing --out-dir. Node only. */
import { join } from 'node:path';
import { readGoSevGuestDirectory, readReferenceValues, type ReadOptions, type ReferenceSet } from '../attestation/reference-reader.js';
import type { GoSevGuestConfig } from '../attestation/go-sev-guest.js';
import { ensureOutputDirectory, isDirectory, readDirectoryTextFiles, readInputFile, writeFileAtomic } from './files.js';

/** `verify --reference-values PATH`: a file in any format this tool writes, or a directory of go-sev-guest configs. */
export function readReferenceValuesPath(path: string, cwd = process.cwd(), opts: ReadOptions = {}): ReferenceSet {
  const what = `--reference-values ${path}`;
  if (isDirectory(path, cwd)) return readGoSevGuestDirectory(readDirectoryTextFiles(path, what, cwd), what);
  return readReferenceValues(new TextDecoder().decode(readInputFile(path, '--reference-values', cwd, 'reference-values')), what, opts);
}

/** `reference-values --format go-sev-guest --out-dir DIR`: creates DIR, writes one file per config; returns the paths written. */
export function writeGoSevGuestDirectory(dir: string, configs: readonly GoSevGuestConfig[], cwd = process.cwd()): string[] {
  ensureOutputDirectory(dir, cwd);
  return configs.map((c) => {
    const path = join(dir, c.fileName);
    writeFileAtomic(path, c.text, cwd);
    return path;
  });
}
