import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureIO, runCli } from '../src/cli/main.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs the CLI in-process with `dir` as its working directory: exit status, stdout and stderr. */
export function cliIn(dir: string): (...args: string[]) => Promise<{ rc: number; out: string; err: string }> {
  return async (...args) => {
    const io = captureIO(dir);
    const rc = await runCli(args, io);
    return { rc, out: io.stdout, err: io.stderr };
  };
}

export function loadVectors<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(REPO, 'vectors', name), 'utf8')) as T;
}

/**
 * Compiles src/ into a fresh temporary directory and returns it, for tests that run the library in
 * a child process (stdout handling, unhandled rejections): a private copy, so test files running
 * in parallel never read a dist/ another one is rewriting.
 */
export function buildPrivateDist(out?: string): string {
  // Inside the repository so the copy resolves node_modules (@noble/hashes); .cache is ignored by git.
  const cache = join(REPO, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  out ??= mkdtempSync(join(cache, 'vmfw-dist-'));
  const r = spawnSync(join(REPO, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json', '--outDir', out], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc failed: ${r.stdout}${r.stderr}`);
  // The package's type: module must hold for the copy too.
  writeFileSync(join(out, 'package.json'), '{"type":"module"}\n');
  return out;
}

/**
 * A private copy of the installed command line: tsc's output in <tmp>/dist and the package's
 * bin/vmfw-measure.cjs beside it (no bundle, so it runs the module tree). Returns the bin's path.
 * The repository's own dist/ stays as the last build left it (its bundle current).
 */
export function buildPrivateCli(): string {
  const cache = join(REPO, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const root = mkdtempSync(join(cache, 'vmfw-cli-'));
  buildPrivateDist(join(root, 'dist'));
  mkdirSync(join(root, 'bin'));
  copyFileSync(join(REPO, 'bin', 'vmfw-measure.cjs'), join(root, 'bin', 'vmfw-measure.cjs'));
  return join(root, 'bin', 'vmfw-measure.cjs');
}
