/** Helpers shared by the commands: number options, digest formatting, logs. */
import { fail } from '../errors.js';
import { parseUnsigned, toBase64, toHex } from '../bytes.js';
import type { LogRecord, MeasureOptions } from '../engine.js';
import { progressBar } from './progress.js';
import { jsonText, logLine } from '../formats.js';
import { writeOutputs, type InputRef, type OutputSpec } from '../node/output.js';
import { optionByKey, optionName } from '../options/table.js';
import type { CommandArgs } from './commands.js';
import type { CliIO } from './io.js';

export type OutputFormat = 'hex' | 'base64';

export function formatDigest(d: Uint8Array, format: OutputFormat): string {
  return format === 'base64' ? toBase64(d) : toHex(d);
}

export function optU64(v: string | undefined, flag: string): bigint | undefined {
  return v === undefined ? undefined : parseUnsigned(v, flag);
}

export function optInt(v: string | undefined, flag: string, max: number): number | undefined {
  return v === undefined ? undefined : Number(parseUnsigned(v, flag, BigInt(max)));
}

export { oneOf } from '../options/table.js';

/** Collects launch-log records and writes them as JSON Lines. */
export class LogCollector {
  readonly lines: string[] = [];
  readonly onStep = (r: LogRecord): void => { this.lines.push(logLine(r)); };
  text(): string {
    return this.lines.length ? `${this.lines.join('\n')}\n` : '';
  }
}

/** The files a command reads (its file options and positionals): no output may replace one. */
export function inputPaths(a: CommandArgs): InputRef[] {
  const out: InputRef[] = [];
  for (const [key, v] of Object.entries(a.values)) {
    const decl = optionByKey(key);
    if (decl?.io !== 'file' || typeof v !== 'string' || v === '-' || v === '') continue;
    out.push({ path: v, what: `--${decl.name}` });
  }
  return out;
}

/**
 * A command's outputs, written together when it is done: all or none of the regular files, never
 * onto one of its inputs, `-` to standard output (node/output.ts has the rules).
 */
export class Outputs {
  private readonly specs: OutputSpec[] = [];
  constructor(private readonly a: CommandArgs, private readonly io: CliIO) {}
  add(path: string, data: string | Uint8Array, what: string): this {
    if (path === '') fail('output', `${what}: the path is empty`);
    this.specs.push({ path, data, what });
    return this;
  }
  get size(): number { return this.specs.length; }
  commit(): void {
    const read = [...(this.io.opened ?? [])].map((path) => ({ path, what: 'a file this command reads' }));
    writeOutputs(this.specs, { cwd: this.io.cwd, inputs: [...inputPaths(this.a), ...read], stdout: { write: (d) => this.io.out(d) } });
  }
}

/** One output of a command (see Outputs). */
export function writeOutput(a: CommandArgs, io: CliIO, path: string, data: string | Uint8Array, what: string): void {
  new Outputs(a, io).add(path, data, what).commit();
}

/** JSON with bigints written as 0x-hex strings, so values above 2^53 survive. */
export { jsonText as toJson };

/** The parsed options keyed by their command-line spelling (`vcpu-type`), for commands that read them so. */
export function byFlag(a: { readonly values: Readonly<Record<string, unknown>> }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a.values)) out[optionName(k)] = v;
  return out;
}

/**
 * The engine options a measuring command passes: the launch log when asked, the step cap, and a
 * progress bar on a terminal. Call `done()` when the measurement is over (it clears the bar).
 */
export function engineOptions(io: CliIO, o: { log?: LogCollector | undefined; maxSteps?: number | undefined; label: string }): { options: MeasureOptions; done(): void } {
  const bar = progressBar(io, o.label);
  return {
    options: { ...(o.log ? { onStep: o.log.onStep } : {}), ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}), ...(bar.onProgress ? { onProgress: bar.onProgress } : {}) },
    done: () => bar.done(),
  };
}
