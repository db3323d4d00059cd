/**
 * Configuration matrices (`reference-values --matrix FILE`, the library's `matrix` argument and
 * `identify`'s launch): the option keys in camelCase, plus the plural names that `--matrix` files
 * used before the option vocabulary was shared (`vcpuTypes`, `vcpuSignatures`, `profiles`).
 */
import { fail, type ErrorCode } from '../errors.js';

/** Each earlier matrix key and the option key it stands for. */
export const MATRIX_KEY_ALIASES: Readonly<Record<string, string>> = { vcpuTypes: 'vcpuType', vcpuSignatures: 'vcpuSig', profiles: 'vmmType' };

/** The option keys a matrix gives lists for. */
export const MATRIX_KEYS: readonly string[] = ['vcpus', 'vcpuType', 'vcpuSig', 'vmmType', 'vmmEra', 'guestFeatures'];

/**
 * A copy of `values` with every alias renamed to its option key. An object that gives a key and
 * its alias is refused: which of the two lists is meant cannot be guessed. Undefined values count
 * as absent (as an optional property in TypeScript).
 */
export function resolveMatrixAliases(values: Readonly<Record<string, unknown>>, what: string, code: ErrorCode = 'usage'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    const key = Object.hasOwn(MATRIX_KEY_ALIASES, k) ? MATRIX_KEY_ALIASES[k]! : k;
    if (key !== k && values[key] !== undefined) fail(code, `${what}: ${k} is an alias of ${key}; give one of them, not both`);
    out[key] = v;
  }
  return out;
}
