import { processStdout } from '../node/output.js';
/** What a command may touch: output streams and the directory relative paths resolve against. */
export interface CliIO {
  readonly cwd: string;
  out(data: string | Uint8Array): void;
  err(text: string): void;
  /** Files the command has read (absolute paths), so no output of the command replaces one. */
  readonly opened?: Set<string>;
  /** stderr is a terminal a person watches: progress bars may be drawn there. */
  readonly terminal?: boolean;
}

/**
 * The process's streams. Standard output goes through a StdoutSink (node/output.ts): a reader
 * that leaves (EPIPE) stops the output quietly, a full disk or closed descriptor becomes an
 * `output` error that main() reports after the command.
 */
export const processIO: CliIO = {
  cwd: process.cwd(),
  out: (t) => { processStdout().write(t); },
  err: (t) => { process.stderr.write(t); },
  opened: new Set(),
  terminal: process.stderr.isTTY === true,
};

/** An IO that records everything, for running the CLI in process (tests, conformance runner). */
export function captureIO(cwd: string): CliIO & { stdout: string; stderr: string } {
  const io = {
    cwd, stdout: '', stderr: '', opened: new Set<string>(),
    out(t: string | Uint8Array) { io.stdout += typeof t === 'string' ? t : new TextDecoder().decode(t); },
    err(t: string) { io.stderr += t; },
  };
  return io;
}
