/**
 * `lock` and `check`: the CI loop over a launch config (docs/ci.md; `reference-values
 * --from-lock` is in reference-values-from-lock.ts). The logic is in src/ci/; this module reads and writes the files, resolves the
 * config's paths against its folder and talks to GitHub Actions.
 */
import { appendFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fail, isMeasureError } from '../errors.js';
import { readInputFile } from '../node/files.js';
import { recordIn } from './launch-args.js';
import { FORMATS } from '../formats.js';
import { openInput } from '../node/inputs.js';
import { parseCiConfig, launchLine } from '../ci/config.js';
import { computeLock, type ComputeEnv } from '../ci/compute.js';
import { newLock, parseLock, serializeLock, type Lock } from '../ci/lock.js';
import { compareLocks } from '../ci/compare.js';
import { formatText, githubAnnotations, markdownSummary, reportJson } from '../ci/report.js';
import { EXIT_MISMATCH, EXIT_OK } from './exit-codes.js';
import { toJson, writeOutput } from './common.js';
import type { CommandArgs } from './commands.js';
import type { CliIO } from './io.js';

interface CiPaths {
  /** The config as the user named it (for messages and annotations). */
  readonly config: string;
  readonly lock: string;
  /** The folder the config's paths are relative to (absolute). */
  readonly folder: string;
}

/** `vmfw-measure.json` -> `vmfw-measure.lock.json`, beside it. */
export function lockPathFor(config: string): string {
  return config.endsWith('.json') ? `${config.slice(0, -'.json'.length)}.lock.json` : `${config}.lock.json`;
}

function ciPaths(args: CommandArgs, io: CliIO): CiPaths {
  const config = String(args.values['config'] ?? 'vmfw-measure.json');
  if (config === '-') fail('usage', 'the config must be a file: its paths are relative to its folder');
  return { config, lock: lockPathFor(config), folder: dirname(resolve(io.cwd, config)) };
}

function readText(path: string, what: string, io: CliIO): string {
  return new TextDecoder().decode(readInputFile(path, what, io.cwd, 'reference-values'));
}

function computeEnv(paths: CiPaths, io: CliIO): ComputeEnv {
  return {
    open: (path, what, key) => openInput(path, what, paths.folder, key, recordIn(io)),
    warn: (m) => io.err(`warning: ${m}\n`),
  };
}

function computeFromConfig(paths: CiPaths, io: CliIO): { lock: Lock; text: string } {
  const text = readText(paths.config, 'config', io);
  io.opened?.add(resolve(io.cwd, paths.config));
  return { lock: computeLock(parseCiConfig(text, paths.config), computeEnv(paths, io)), text };
}

export function runLockCommand(args: CommandArgs, io: CliIO): number {
  const paths = ciPaths(args, io);
  const { lock } = computeFromConfig(paths, io);
  writeOutput(args, io, paths.lock, serializeLock(lock), 'the lock');
  const launches = Object.keys(lock.launches).length;
  const configurations = Object.values(lock.launches).reduce((n, l) => n + l.configurations.length, 0);
  if (args.values['json'] === true) io.out(toJson({ format: FORMATS.lockResult, lock: paths.lock, launches, configurations }));
  else io.out(`wrote ${paths.lock}: ${launches} launch${launches === 1 ? '' : 'es'}, ${configurations} configuration${configurations === 1 ? '' : 's'}\n`);
  return EXIT_OK;
}

/** The config's path as GitHub wants it in annotations: relative to the workspace, with '/'. */
function annotationPath(config: string, io: CliIO): string {
  const full = resolve(io.cwd, config);
  const root = process.env['GITHUB_WORKSPACE'] ?? io.cwd;
  const rel = relative(root, full);
  return (rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : full).split(sep).join('/');
}

function readOldLock(paths: CiPaths, update: boolean, io: CliIO): Lock {
  try {
    return parseLock(readText(paths.lock, 'lock', io), paths.lock);
  } catch (e) {
    if (!update || !isMeasureError(e)) {
      if (isMeasureError(e) && e.code === 'file-missing') fail('lock', `${paths.lock} does not exist; write it with: vmfw-measure lock ${paths.config}`);
      throw e;
    }
    io.err(`note: ${e.message}; writing a new lock\n`);
    return newLock({});
  }
}

export function runCheckCommand(args: CommandArgs, io: CliIO): number {
  const paths = ciPaths(args, io);
  const update = args.values['update'] === true;
  const json = args.values['json'] === true;
  const github = args.given.has('github') ? args.values['github'] === true : process.env['GITHUB_ACTIONS'] === 'true';
  const { lock: now, text } = computeFromConfig(paths, io);
  const old = readOldLock(paths, update, io);
  const report = compareLocks(old, now);
  if (update) writeOutput(args, io, paths.lock, serializeLock(now), 'the lock');

  if (json) io.out(toJson(reportJson(report, paths, update)));
  else {
    io.out(formatText(report, paths, update));
    for (const n of report.notes) io.err(`note: ${n}\n`);
  }
  if (github) {
    // Workflow commands are read from stdout and stderr alike; with --json stdout stays pure JSON.
    const annotations = githubAnnotations(report, annotationPath(paths.config, io), (name) => launchLine(text, name));
    if (json) io.err(annotations); else io.out(annotations);
    const summary = process.env['GITHUB_STEP_SUMMARY'];
    if (summary) {
      try {
        appendFileSync(summary, markdownSummary(report, paths, update));
      } catch (e) {
        fail('output', `GITHUB_STEP_SUMMARY ${summary}: ${(e as Error).message}`);
      }
    }
  }
  return report.ok || update ? EXIT_OK : EXIT_MISMATCH;
}

