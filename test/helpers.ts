import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The shared conformance folder beside the repository (or $VMFW_CONFORMANCE_DIR), if present. */
export function sharedConformanceDir(): string | undefined {
  const dir = process.env['VMFW_CONFORMANCE_DIR'] ?? resolve(REPO, '..', 'shared', 'conformance');
  return existsSync(join(dir, 'README.md')) ? dir : undefined;
}

export function loadVectors<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(REPO, 'vectors', name), 'utf8')) as T;
}

export const SHARED = sharedConformanceDir();

/** Says why fixture-file suites are skipped on a fresh clone outside the workspace. */
export function noteSkippedWithoutShared(what: string): void {
  if (!SHARED) console.warn(`SKIPPED ${what}: ../shared/conformance not found (set VMFW_CONFORMANCE_DIR to run it)`);
}
