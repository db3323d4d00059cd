/** Helpers shared by the commands: number options, digest formatting, logs. */
import { fail } from '../errors.js';
import { parseUnsigned, toBase64, toHex } from '../bytes.js';
import type { LogRecord } from '../engine.js';
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
  readonly onStep = (r: LogRecord): void => { this.lines.push(JSON.stringify(r)); };
  write(path: string, io: CliIO): void {
    writeFileAtomic(path, this.lines.length ? `${this.lines.join('\n')}\n` : '', io.cwd);
  }
}

/** JSON with bigints written as 0x-hex strings, so values above 2^53 survive. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v), 2)}\n`;
}
