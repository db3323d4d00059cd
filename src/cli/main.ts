/**
 * The vmfw-measure command line. Every failure becomes `error[CODE]: message` on stderr with
 * exit status 2 (usage or input), 1 (a verification mismatch) or 3 (a bug); no stack traces
 * unless --debug is given.
 */
import yargs, { type Argv } from 'yargs';
import { ERROR_CODES, MeasureError, isMeasureError } from '../errors.js';
import { captureIO, processIO, type CliIO } from './io.js';
import { STDIN_MARKER } from '../node/files.js';
import { ovmfOptions, runOvmf, OVMF_PROFILES_HELP, type OvmfArgs } from './ovmf-command.js';
import { regionsCommand, runRegionsCommand } from './regions-command.js';
import { igvmCommand, runIgvmCommand } from './igvm-command.js';
import { launchUpdateOptions, runLaunchUpdate } from './launch-update-command.js';
import {
  diffOptions, idBlockOptions, identifyOptions, referenceValuesOptions, reportOptions, runDiff, runIdBlock, runIdentify,
  runReferenceValues, runReport, runVerify, verifyOptions,
} from './attest-commands.js';

export const VERSION = '0.1.0';

import { EXIT_OK, EXIT_MISMATCH, EXIT_INPUT, EXIT_INTERNAL, EXIT_NO_DIGEST } from './exit-codes.js';

export { EXIT_OK, EXIT_MISMATCH, EXIT_INPUT, EXIT_INTERNAL, EXIT_NO_DIGEST };

type Handler = (args: Record<string, unknown>, io: CliIO) => number | Promise<number>;

interface CommandSpec {
  readonly name: string;
  readonly describe: string;
  readonly options: (y: Argv) => Argv;
  readonly run: Handler;
}

const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'ovmf',
    describe: 'launch digest of a classic OVMF launch (sev-snp-measure compatible options)',
    options: (y) => ovmfOptions(y).epilog(`Profiles: ${OVMF_PROFILES_HELP}`),
    run: (a, io) => runOvmf(a as unknown as OvmfArgs, io),
  },
  {
    name: 'regions',
    describe: 'launch digest after a vmfwupdate region-list update (rules vmfwupdate-snp/1); from-ovmf, encode, decode',
    options: regionsCommand,
    run: runRegionsCommand,
  },
  {
    name: 'igvm',
    describe: 'SNP launch digest of an IGVM image (qemu, igvm-crate or igvmmeasure semantics); igvm inspect',
    options: igvmCommand,
    run: runIgvmCommand,
  },
  {
    name: 'launch-update',
    describe: 'digest of the next launch(es) after a QEMU vm-launch-update write (IGVM image in guest memory)',
    options: launchUpdateOptions,
    run: (a, io) => runLaunchUpdate(a as never, io),
  },
  { name: 'report <file>', describe: 'decode an SEV-SNP attestation report (signature not checked)', options: reportOptions, run: (a, io) => runReport(a as never, io) },
  { name: 'verify', describe: 'check a report\'s measurement (and HOST_DATA, policy, key digests) against expected values or launch inputs', options: verifyOptions, run: (a, io) => runVerify(a as never, io) },
  { name: 'identify', describe: 'find the configurations (vCPUs, vCPU type, features, profile) that explain a measurement', options: identifyOptions, run: (a, io) => runIdentify(a as never, io) },
  { name: 'diff <a> <b>', describe: 'first step where two launch logs diverge', options: diffOptions, run: (a, io) => runDiff(a as never, io) },
  { name: 'reference-values', describe: 'reference values over a configuration matrix (json, trustee, go-sev-guest, contrast)', options: referenceValuesOptions, run: (a, io) => runReferenceValues(a as never, io) },
  { name: 'id-block', describe: 'build and sign the SNP ID block and ID auth for a digest', options: idBlockOptions, run: (a, io) => runIdBlock(a as never, io) },
];

function buildParser(argv: readonly string[]): Argv {
  let y = yargs([...argv])
    .scriptName('vmfw-measure')
    .parserConfiguration({
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'duplicate-arguments-array': false,
      'strip-aliased': true,
      'greedy-arrays': false,
    })
    .option('debug', { type: 'boolean', default: false, describe: 'print stack traces of errors' })
    .strict()
    .demandCommand(1, 'a command is required (try --help)')
    .recommendCommands()
    .exitProcess(false)
    .version(VERSION)
    .help()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw err ?? new MeasureError('usage', msg);
    });
  for (const c of COMMANDS) y = y.command(c.name, c.describe, c.options);
  return y;
}

/** Runs the CLI on an argument list; returns the exit status. Never throws. */
export async function runCli(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const debug = argv.includes('--debug');
  argv = argv.map((a) => (a === '-' ? STDIN_MARKER : a));
  try {
    let helpText = '';
    const parser = buildParser(argv);
    const args = await parser.parse([...argv], {}, (_err, _parsed, output) => { helpText = output; }) as Record<string, unknown>;
    if (helpText) {
      io.out(helpText.endsWith('\n') ? helpText : `${helpText}\n`);
      return EXIT_OK;
    }
    const name = String((args['_'] as unknown[])[0]);
    const cmd = COMMANDS.find((c) => c.name.split(' ')[0] === name);
    if (!cmd) throw new MeasureError('usage', `unknown command ${JSON.stringify(name)}`);
    return await cmd.run(args, io);
  } catch (e) {
    return reportError(e, io, debug);
  }
}

export function reportError(e: unknown, io: CliIO, debug: boolean): number {
  if (isMeasureError(e)) {
    io.err(`error[${e.code}]: ${e.message.split(STDIN_MARKER).join('-')}\n`);
    if (debug && e.stack) io.err(`${e.stack}\n`);
    const category = ERROR_CODES[e.code].category;
    return category === 'mismatch' ? EXIT_MISMATCH : category === 'internal' ? EXIT_INTERNAL : category === 'outcome' ? EXIT_NO_DIGEST : EXIT_INPUT;
  }
  const err = e as Error;
  // yargs reports its own usage problems as plain errors from .fail(); they are usage errors.
  if (err && err.name === 'YError') {
    io.err(`error[usage]: ${err.message}\n`);
    return EXIT_INPUT;
  }
  io.err(`error[internal]: ${err?.message ?? String(e)} (this is a bug; rerun with --debug and report it)\n`);
  if (debug && err?.stack) io.err(`${err.stack}\n`);
  return EXIT_INTERNAL;
}

export { captureIO };

export async function main(): Promise<void> {
  process.exitCode = await runCli(process.argv.slice(2));
}
