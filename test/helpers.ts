import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function loadVectors<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(REPO, 'vectors', name), 'utf8')) as T;
}
