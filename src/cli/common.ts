/** Helpers shared by the commands: number options, digest formatting, logs. */
import { fail } from '../errors.js';
import { parseUnsigned, toBase64, toHex } from '../bytes.js';
import type { LogRecord } from '../engine.js';
import { logLine } from '../formats.js';
import { writeFileAtomic } from '../node/files.js';
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

export function oneOf<T extends string>(v: string, flag: string, choices: readonly T[]): T {
  const hit = choices.find((c) => c.toLowerCase() === v.toLowerCase());
  if (!hit) fail('usage', `${flag}: ${JSON.stringify(v)} is not one of ${choices.join(', ')}`);
  return hit;
}

/** Collects launch-log records and writes them as JSON Lines. */
export class LogCollector {
  readonly lines: string[] = [];
  readonly onStep = (r: LogRecord): void => { this.lines.push(logLine(r)); };
  write(path: string, io: CliIO): void {
    writeOutput(path, this.lines.length ? `${this.lines.join('\n')}\n` : '', io);
  }
}

/** Writes an output option's target: `-` is stdout, anything else a file (see node/files.ts for the rules). */
export function writeOutput(path: string, data: string | Uint8Array, io: CliIO): void {
  if (path === '-') { io.out(data); return; }
  writeFileAtomic(path, data, io.cwd);
}

/** JSON with bigints written as 0x-hex strings, so values above 2^53 survive. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v), 2)}\n`;
}

/** The parsed options keyed by their command-line spelling (`vcpu-type`), for commands that read them so. */
export function byFlag(a: { readonly values: Readonly<Record<string, unknown>> }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a.values)) out[k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)] = v;
  return out;
}
