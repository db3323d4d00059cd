/** `vmfw-measure diff`: the first step where two launch logs diverge. */
import { FORMATS } from '../formats.js';
import { compareLogs, formatComparison, parseLog } from '../attestation/log-diff.js';
import { readInputFile } from '../node/files.js';
import { EXIT_MISMATCH } from './exit-codes.js';
import { toJson } from './common.js';
import type { CommandArgs } from './commands.js';
import type { CliIO } from './io.js';

export function runDiffCommand(args: CommandArgs, io: CliIO): number {
  return runDiff({ a: String(args.values['logA']), b: String(args.values['logB']), json: args.values['json'] === true }, io);
}

export function runDiff(a: { a: string; b: string; json: boolean }, io: CliIO): number {
  const la = parseLog(new TextDecoder().decode(readInputFile(a.a, 'log A', io.cwd, 'launch-log')), a.a);
  const lb = parseLog(new TextDecoder().decode(readInputFile(a.b, 'log B', io.cwd, 'launch-log')), a.b);
  const c = compareLogs(la, lb);
  io.out(a.json ? toJson({ format: FORMATS.diffResult, ...c }) : formatComparison(c, a.a, a.b));
  return c.identical ? 0 : EXIT_MISMATCH;
}
