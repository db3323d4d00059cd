/** How a command declares itself to the dispatcher in main.ts. */
import type { Argv } from 'yargs';
import type { CliIO } from './io.js';

export interface CommandSpec {
  /** Words after the program name: 'ovmf', 'regions encode'. */
  readonly path: string;
  readonly describe: string;
  /** Usage line after the program name. */
  readonly usage: string;
  readonly positionals: readonly { readonly name: string; readonly required: boolean }[];
  readonly options: (y: Argv) => Argv;
  readonly run: (args: Record<string, unknown>, io: CliIO) => number | Promise<number>;
}
