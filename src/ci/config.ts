/**
 * The CI launch config (`vmfw-measure.json`, docs/ci.md): named launches, each a launch kind plus
 * the options its command takes, under the option vocabulary's camelCase keys with the same values
 * (src/options/table.ts). Any of vcpus, vcpuType, vcpuSig, vmmType and guestFeatures may be a list.
 *
 *   {"launches": {"web": {"kind": "ovmf", "ovmf": "OVMF.fd", "vcpus": "1-4", "vcpuType": ["EPYC-Milan"]}}}
 *
 * This module checks the shape only (keys, kinds, duplicates) and names every problem as
 * `launches.NAME.key`; values are validated by describeLaunch, files are opened by the caller.
 */
import { fail } from '../errors.js';
import { jsonKeys, parseJsonExact } from '../json-exact.js';
import { didYouMean } from '../options/suggest.js';
import { canonicalKeys, optionName, optionKey } from '../options/table.js';
import { KIND_OPTIONS, notReadMessage, whyNotRead } from '../launch/description.js';

export type LaunchKind = 'ovmf' | 'regions' | 'igvm';
export const LAUNCH_KINDS: readonly LaunchKind[] = ['ovmf', 'regions', 'igvm'];

export interface CiLaunch {
  readonly name: string;
  readonly kind: LaunchKind;
  /** The launch options as written (camelCase keys, CLI strings or native values); `kind` removed. */
  readonly values: Readonly<Record<string, unknown>>;
}

export interface CiConfig {
  /** Sorted by name, so every output derived from the config has one order. */
  readonly launches: readonly CiLaunch[];
}

/**
 * The options of each kind: those its launches read (KIND_OPTIONS, the launch description's one
 * table), less `product` outside OVMF launches: a lock records digests, and the product moves
 * only an OVMF launch's (GCE's VMSA GPA); elsewhere it names the host for Contrast's reference
 * values, which a lock does not write.
 */
export const KIND_KEYS: Readonly<Record<LaunchKind, readonly string[]>> = {
  ovmf: KIND_OPTIONS.ovmf,
  regions: KIND_OPTIONS.regions.filter((k) => k !== 'product'),
  igvm: KIND_OPTIONS.igvm.filter((k) => k !== 'product'),
};

/** The input that names each kind; a launch must give it (an OVMF launch may give metadata instead). */
const KIND_INPUT: Readonly<Record<LaunchKind, readonly string[]>> = { ovmf: ['ovmf', 'metadata'], regions: ['manifest'], igvm: ['igvm'] };

/** Keys that hold file paths (relative to the config file). */
export const FILE_KEYS: readonly string[] = ['ovmf', 'metadata', 'kernel', 'initrd', 'svsm', 'varsFile', 'manifest', 'igvm'];

/** SNP modes with a launch digest to lock (sev and seves are not SNP; snp:ovmf-hash is a seed, not a launch). */
const LOCKABLE_MODES = ['snp', 'sev-snp', 'snp:svsm', 'sev-snp:svsm'];

/** A launch name: letters, digits, '.', '_' and '-', starting with a letter or digit (so never __proto__). */
export const LAUNCH_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function suggestion(word: string, candidates: readonly string[]): string {
  const guess = didYouMean(word, candidates.map(optionName));
  return guess ? `; did you mean ${optionKey(guess)}?` : '';
}

function kindOwning(key: string): LaunchKind | undefined {
  return LAUNCH_KINDS.find((k) => KIND_KEYS[k].includes(key));
}

function parseLaunch(name: string, v: unknown, what: string): CiLaunch {
  const at = `launches.${name}`;
  const bad: (message: string) => never = (message) => fail('ci-config', `${what}: ${message}`);
  if (!LAUNCH_NAME.test(name)) bad(`${at}: a launch name is letters, digits, '.', '_' and '-', starting with a letter or digit`);
  if (!isObject(v)) bad(`${at}: expected an object with "kind" and the launch options`);
  const kind0 = v['kind'];
  if (kind0 === undefined) bad(`${at}.kind is missing (one of ${LAUNCH_KINDS.join(', ')})`);
  if (typeof kind0 !== 'string' || !(LAUNCH_KINDS as readonly string[]).includes(kind0)) {
    bad(`${at}.kind: ${JSON.stringify(kind0)} is not one of ${LAUNCH_KINDS.join(', ')}${typeof kind0 === 'string' ? suggestion(kind0, LAUNCH_KINDS) : ''}`);
  }
  const kind = kind0 as LaunchKind;
  const allowed = KIND_KEYS[kind];
  const values: Record<string, unknown> = {};
  const given = canonicalKeys(v, (alias, key) => bad(`${at}: ${alias} and ${key} name the same option; give one`));
  for (const [key, value] of Object.entries(given)) {
    if (key === 'kind' || key === 'comment') continue;
    if (!allowed.includes(key)) {
      const owner = kindOwning(key);
      // Where there is a reason to give (an IGVM file brings its own guest features), it is given.
      if (whyNotRead(kind, key)) bad(notReadMessage(kind, key, `${at}.${key}`));
      if (owner) bad(`${at}.${key} is an option of a ${owner} launch, but ${at}.kind is ${JSON.stringify(kind)}`);
      bad(`${at}.${key} is not an option of a ${kind} launch${suggestion(key, [...allowed, 'kind', 'comment'])} (keys are the camelCase long options: vcpu-type -> vcpuType)`);
    }
    if (value === null) bad(`${at}.${key}: null is not a value (leave the key out)`);
    if (FILE_KEYS.includes(key) && (typeof value !== 'string' || value === '-')) {
      // An empty kernel/initrd means "no measured direct boot", as on the command line.
      if (!(value === '' && (key === 'kernel' || key === 'initrd'))) bad(`${at}.${key}: expected a file path relative to the config file`);
    }
    values[key] = value;
  }
  if (!KIND_INPUT[kind].some((k) => values[k] !== undefined)) {
    bad(`${at}: a ${kind} launch needs ${KIND_INPUT[kind].map((k) => `${at}.${k}`).join(' or ')}`);
  }
  const mode = values['mode'];
  if (typeof mode === 'string' && !LOCKABLE_MODES.includes(mode.toLowerCase())) {
    bad(`${at}.mode: ${JSON.stringify(mode)} has no SNP launch digest to lock; use snp or snp:svsm`);
  }
  return { name, kind, values };
}

/** Parses and checks a config file's text; `what` names the file in messages. */
export function parseCiConfig(text: string, what: string): CiConfig {
  const doc = parseJsonExact(text, what, 'ci-config');
  if (!isObject(doc)) fail('ci-config', `${what}: expected an object {"launches": {...}}`);
  for (const key of Object.keys(doc)) {
    if (key !== 'launches' && key !== 'comment' && key !== '$schema') fail('ci-config', `${what}: unknown key ${JSON.stringify(key)}${suggestion(key, ['launches'])} (known: launches, comment)`);
  }
  const launches = doc['launches'];
  if (!isObject(launches)) fail('ci-config', `${what}: "launches" must be an object of named launches`);
  const names = Object.keys(launches).sort();
  if (names.length === 0) fail('ci-config', `${what}: "launches" names no launch`);
  return { launches: names.map((n) => parseLaunch(n, launches[n], what)) };
}

/** The line (1-based) where a launch's name is written, for annotations; undefined when not found. */
export function launchLine(text: string, name: string): number | undefined {
  const k = jsonKeys(text).find((j) => j.path === 'launches' && j.key === name);
  return k ? text.slice(0, k.offset).split('\n').length : undefined;
}
