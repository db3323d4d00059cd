import { fstatSync } from 'node:fs';
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
/**
 * Whether stderr is a terminal, from its device number: node:tty (or process.stderr.isTTY, which
 * loads it with the net and stream modules) costs about 10 ms of start-up. Linux: terminals are
 * character devices of major 4 or 5 (consoles) or 136-143 (pseudo-terminals).
 */
function stderrIsTerminal(): boolean {
  try {
    const st = fstatSync(2);
    const major = Math.floor(st.rdev / 256);
    return st.isCharacterDevice() && (major === 4 || major === 5 || (major >= 136 && major <= 143));
  } catch {
    return false;
  }
}

export const processIO: CliIO = {
  cwd: process.cwd(),
  out: (t) => { processStdout().write(t); },
  err: (t) => { process.stderr.write(t); },
  opened: new Set(),
  terminal: stderrIsTerminal(),
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
