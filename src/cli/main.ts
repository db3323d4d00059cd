/**
 * The vmfw-measure command line. Every failure becomes `error[CODE]: message` on stderr with
 * exit status 2 (usage or input), 1 (a verification mismatch), 4 (a disabled update: no digest)
 * or 3 (a bug); no stack traces unless --debug is given.
 *
 * Start-up matters (scripts call this in loops): the argument grammar is this project's own
 * (src/cli/argv.ts, driven by the option vocabulary), only the invoked command's module is loaded,
 * and yargs is loaded only to generate shell completion.
 */
import { ERROR_CODES, MeasureError, fail, isMeasureError } from '../errors.js';
import { captureIO, processIO, type CliIO } from './io.js';
import { EXIT_OK, EXIT_MISMATCH, EXIT_INPUT, EXIT_INTERNAL, EXIT_NO_DIGEST } from './exit-codes.js';
import { parseArgv, didYouMean } from './argv.js';
import { COMMANDS, findCommand } from './commands.js';
import { processStdout } from '../node/output.js';
import { VERSION } from '../version.js';
import { fstatSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

/** Names of standard output: a launch log written to one would be mixed into the result. */
const STDOUT_NAMES: ReadonlySet<string> = new Set(['-', '/dev/stdout', '/dev/fd/1', '/proc/self/fd/1']);

/** Whether `path` is this process's standard output under another name (`/dev//stdout`, a link, the file stdout is redirected to). */
function isStandardOutput(path: string): boolean {
  try {
    const out = fstatSync(1);
    const p = statSync(path);
    return (out.isFIFO() || out.isSocket() || out.isFile()) && p.dev === out.dev && p.ino === out.ino;
  } catch {
    return false;
  }
}

const COMPLETION_USAGE = 'Usage: vmfw-measure completion [bash|zsh] >> ~/.bashrc   (or ~/.zshrc)\n\nPrints a bash or zsh completion script for vmfw-measure: for the shell named, else for $SHELL.\n';

export { EXIT_OK, EXIT_MISMATCH, EXIT_INPUT, EXIT_INTERNAL, EXIT_NO_DIGEST, VERSION };

function quietIO(io: CliIO): CliIO {
  return {
    cwd: io.cwd, out: (t) => io.out(t),
    err: (t) => { if (!/^(warning|note): /.test(t)) io.err(t); },
    ...(io.opened ? { opened: io.opened } : {}),
  };
}

/** Runs the CLI on an argument list; returns the exit status. Never throws. */
export async function runCli(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    const first = argv[0];
    if (first === undefined || first === '--help' || first === '-h') {
      const { topLevelHelp } = await import('./help.js');
      io.out(topLevelHelp(VERSION));
      return first === undefined ? EXIT_INPUT : EXIT_OK;
    }
    if (first === '--version' || first === '-V' || first === 'version') { io.out(`${VERSION}\n`); return EXIT_OK; }
    if (first === 'completion' && (argv.includes('--help') || argv.includes('-h'))) {
      io.out(COMPLETION_USAGE);
      return EXIT_OK;
    }
    if (first === 'completion' && (argv.includes('--version') || argv.includes('-V'))) { io.out(`${VERSION}\n`); return EXIT_OK; }
    if (first === 'completion' || first === '--get-yargs-completions') {
      const { runCompletion } = await import('./completion.js');
      return await runCompletion(argv, io);
    }
    if (first === 'help') {
      const help = await import('./help.js');
      if (argv.length === 1 || argv[1] === 'help' || argv[1] === '--help' || argv[1] === '-h') { io.out(help.topLevelHelp(VERSION)); return EXIT_OK; }
      if (argv[1] === '-V' || argv[1] === '--version') { io.out(`${VERSION}\n`); return EXIT_OK; }
      if (argv[1] === 'completion') { io.out(COMPLETION_USAGE); return EXIT_OK; }
      const hit = findCommand(argv.slice(1));
      if (!hit || hit.rest.length) return unknownCommand(argv.slice(1).join(' '));
      io.out(help.commandHelp(hit.command));
      return EXIT_OK;
    }
    const hit = findCommand(argv);
    if (!hit) return unknownCommand(first);
    const { command, rest } = hit;
    misspeltSubcommand(command.path, rest[0]);
    // Help and version only when they are options, not the value of one (`--append -V` is text).
    const parsed = parseArgv(command, rest);
    if (parsed.values['help'] === true) {
      const { commandHelp } = await import('./help.js');
      io.out(commandHelp(command));
      return EXIT_OK;
    }
    if (parsed.values['version'] === true) { io.out(`${VERSION}\n`); return EXIT_OK; }
    // Every command that writes a launch log prints its result on standard output: a log there
    // too would be mixed into it, and neither could be read back.
    const log = parsed.values['log'];
    if (typeof log === 'string' && (STDOUT_NAMES.has(log) || isStandardOutput(resolve(io.cwd, log)))) fail('usage', `--log ${log}: standard output carries the command's result, so a log there could not be read back; write the log to a file (--log launch.jsonl)`);
    const run = await command.run();
    const cmdIO = parsed.values['quiet'] === true ? quietIO(io) : io;
    return await run(parsed, cmdIO);
  } catch (e) {
    return reportError(e, io, debug);
  }

  /** `regions encdoe x`: a near miss of a subcommand, not a manifest named "encdoe". */
  function misspeltSubcommand(path: string, word: string | undefined): void {
    if (word === undefined || word.startsWith('-') || /[./]/.test(word)) return;
    const subs = COMMANDS.filter((c) => c.path.startsWith(`${path} `)).map((c) => c.path.slice(path.length + 1));
    if (subs.length === 0) return;
    const guess = didYouMean(word, subs);
    if (guess) throw new MeasureError('usage', `${path}: ${JSON.stringify(word)} is not a subcommand; did you mean ${path} ${guess}? (a file of that name: write ./${word})`);
  }

  function unknownCommand(word: string): never {
    const names = [...new Set(COMMANDS.map((c) => c.path.split(' ')[0]!)), 'help', 'completion'];
    const guess = didYouMean(word.split(' ')[0] ?? word, names);
    throw new MeasureError('usage', `unknown command ${JSON.stringify(word)}${guess ? `; did you mean ${guess}?` : ''} (commands: ${names.join(', ')})`);
  }
}


/**
 * A message as a terminal may show it: a message can quote an input's bytes (a binary file passed
 * where text was expected), so control characters, bidirectional overrides and U+FFFD (bytes that
 * were not UTF-8) are written as escapes.
 */
export function printable(message: string): string {
  return message.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffd]/g, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

export function reportError(e: unknown, io: CliIO, debug: boolean): number {
  if (isMeasureError(e)) {
    io.err(`error[${e.code}]: ${printable(e.message)}\n`);
    if (debug && e.stack) io.err(`${e.stack}\n`);
    const category = ERROR_CODES[e.code].category;
    return category === 'mismatch' ? EXIT_MISMATCH : category === 'internal' ? EXIT_INTERNAL : category === 'outcome' ? EXIT_NO_DIGEST : EXIT_INPUT;
  }
  const err = e as Error;
  io.err(`error[internal]: ${err?.message ?? String(e)} (this is a bug; rerun with --debug and report it)\n`);
  if (debug && err?.stack) io.err(`${err.stack}\n`);
  return EXIT_INTERNAL;
}

export { captureIO };

export async function main(): Promise<void> {
  const status = await runCli(process.argv.slice(2));
  const sink = processStdout();
  // EPIPE: the reader has gone; the status the command reached stands (a verify verdict too).
  // A closed or full standard output lost the result: that is an error, never exit 0.
  if (sink.flush() === 'closed' || sink.status === 'failed') {
    process.stderr.write(`error[output]: ${sink.error?.message ?? 'standard output failed'}\n`);
    process.exitCode = EXIT_INPUT;
    return;
  }
  process.exitCode = status;
}
