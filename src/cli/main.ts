/**
 * The vmfw-measure command line. Every failure becomes `error[CODE]: message` on stderr with
 * exit status 2 (usage or input), 1 (a verification mismatch), 4 (a disabled update: no digest)
 * or 3 (a bug); no stack traces unless --debug is given.
 *
 * Start-up matters (scripts call this in loops): only the invoked command's module is loaded,
 * and yargs parses that command's options alone, so it never lays out help text it will not print.
 */
import yargs from 'yargs';
import { ERROR_CODES, MeasureError, fail, isMeasureError } from '../errors.js';
import { captureIO, processIO, type CliIO } from './io.js';
import { STDIN_MARKER } from '../node/files.js';
import { EXIT_OK, EXIT_MISMATCH, EXIT_INPUT, EXIT_INTERNAL, EXIT_NO_DIGEST } from './exit-codes.js';
import type { CommandSpec } from './spec.js';

export { EXIT_OK, EXIT_MISMATCH, EXIT_INPUT, EXIT_INTERNAL, EXIT_NO_DIGEST };
export const VERSION = '0.1.0';

interface Entry { readonly path: string; readonly describe: string; readonly load: () => Promise<{ COMMANDS: readonly CommandSpec[] }> }

const ovmf = () => import('./ovmf-command.js');
const regions = () => import('./regions-command.js');
const igvm = () => import('./igvm-command.js');
const launchUpdate = () => import('./launch-update-command.js');
const attest = () => import('./attest-commands.js');

const ENTRIES: readonly Entry[] = [
  { path: 'ovmf', describe: 'launch digest of a classic OVMF launch (sev-snp-measure compatible options)', load: ovmf },
  { path: 'regions', describe: 'launch digest after a vmfwupdate region-list update (rules vmfwupdate-snp/1)', load: regions },
  { path: 'regions from-ovmf', describe: 'the region list equivalent to an OVMF launch', load: regions },
  { path: 'regions encode', describe: 'binary struct, region array and memory image from a manifest', load: regions },
  { path: 'regions decode', describe: 'a manifest from a captured struct and region array', load: regions },
  { path: 'igvm', describe: 'SNP launch digest of an IGVM image', load: igvm },
  { path: 'igvm inspect', describe: 'the headers and directives of an IGVM file', load: igvm },
  { path: 'launch-update', describe: 'digest of the next launch(es) after a QEMU vm-launch-update write', load: launchUpdate },
  { path: 'report', describe: 'decode an SEV-SNP attestation report', load: attest },
  { path: 'verify', describe: "check a report's measurement against expected values or launch inputs", load: attest },
  { path: 'identify', describe: 'the configurations that explain a measurement', load: attest },
  { path: 'diff', describe: 'first step where two launch logs diverge', load: attest },
  { path: 'reference-values', describe: 'reference values over a configuration matrix', load: attest },
  { path: 'id-block', describe: 'build and sign the SNP ID block and ID auth', load: attest },
];

function topLevelHelp(): string {
  const width = Math.max(...ENTRIES.map((e) => e.path.length));
  return [
    'vmfw-measure: AMD SEV-SNP launch digests for OVMF launches, vmfwupdate region lists and IGVM images',
    '',
    'Usage: vmfw-measure <command> [options]       (vmfw-measure <command> --help for its options)',
    '',
    'Commands:',
    ...ENTRIES.map((e) => `  ${e.path.padEnd(width)}  ${e.describe}`),
    '',
    'Options: --help, --version, --debug (stack traces of errors)',
    'Exit status: 0 ok, 1 mismatch, 2 bad input or usage, 3 bug, 4 no digest (disabled update)',
  ].join('\n') + '\n';
}

/** The longest command path that the arguments start with. */
function findEntry(argv: readonly string[]): { entry: Entry; rest: string[] } | undefined {
  let found: { entry: Entry; rest: string[] } | undefined;
  for (const e of ENTRIES) {
    const words = e.path.split(' ');
    if (words.every((w, i) => argv[i] === w) && (!found || words.length > found.entry.path.split(' ').length)) {
      found = { entry: e, rest: argv.slice(words.length) };
    }
  }
  return found;
}

async function runSpec(spec: CommandSpec, rest: string[], io: CliIO): Promise<number> {
  const y = spec.options(yargs(rest)
    .scriptName(`vmfw-measure ${spec.path}`)
    .usage(`vmfw-measure ${spec.usage}\n\n${spec.describe}`)
    .parserConfiguration({
      'parse-numbers': false, 'parse-positional-numbers': false, 'duplicate-arguments-array': false,
      'strip-aliased': true, 'greedy-arrays': false,
    })
    .option('debug', { type: 'boolean', default: false, describe: 'print stack traces of errors' })
    .strictOptions()
    .exitProcess(false)
    .version(false)
    .help()
    .fail((msg, err) => { throw err ?? new MeasureError('usage', `${spec.path}: ${msg}`); }));
  if (rest.some((a) => a === '--help' || a === '-h')) {
    let text = '';
    await y.parse(rest, {}, (_e, _p, output) => { text = output; });
    io.out(text.endsWith('\n') ? text : `${text}\n`);
    return EXIT_OK;
  }
  const args = await y.parseAsync() as Record<string, unknown>;
  const given = (args['_'] as unknown[]).map(String);
  if (given.length > spec.positionals.length) fail('usage', `${spec.path}: unexpected argument ${JSON.stringify(given[spec.positionals.length])} (usage: vmfw-measure ${spec.usage})`);
  spec.positionals.forEach((p, i) => {
    if (given[i] !== undefined) args[p.name] = given[i];
    else if (p.required) fail('usage', `${spec.path}: missing ${p.name.toUpperCase()} (usage: vmfw-measure ${spec.usage})`);
  });
  return spec.run(args, io);
}

/** Runs the CLI on an argument list; returns the exit status. Never throws. */
export async function runCli(argv0: readonly string[], io: CliIO = processIO): Promise<number> {
  const debug = argv0.includes('--debug');
  // yargs swallows a bare "-"; pass it through as a marker the file readers understand.
  const argv = argv0.map((a) => (a === '-' ? STDIN_MARKER : a));
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') { io.out(topLevelHelp()); return argv.length === 0 ? EXIT_INPUT : EXIT_OK; }
    if (argv[0] === '--version') { io.out(`${VERSION}\n`); return EXIT_OK; }
    const hit = findEntry(argv);
    if (!hit) fail('usage', `unknown command ${JSON.stringify(argv[0])}; commands: ${[...new Set(ENTRIES.map((e) => e.path.split(' ')[0]))].join(', ')}`);
    const spec = (await hit.entry.load()).COMMANDS.find((c) => c.path === hit.entry.path)!;
    return await runSpec(spec, hit.rest, io);
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
  // yargs reports its own usage problems as plain errors; they are usage errors.
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
