/**
 * The launch log as the CLI's `--log` writes it (README "Launch logs", src/formats.ts logLine):
 * one JSON object per SNP_LAUNCH_UPDATE, rebuilt on demand from the runs and the packed per-step
 * fields, so 100k steps cost 96 bytes each until they are shown or downloaded.
 */
import type { StepOrigin } from '../../src/plan.js';
import { logLine as formatLogLine } from '../../src/formats.js';
import type { LogRecord } from '../../src/engine.js';

export interface LogRun {
  readonly origin: StepOrigin;
  readonly pageType: string;
  readonly gpa: bigint;
  readonly pages: number;
  readonly firstStep: number;
}

export interface PackedLog {
  readonly contents: Uint8Array;
  readonly digests: Uint8Array;
}

/** A launch-log record (the engine's), plus the run it belongs to. */
export interface StepRow extends LogRecord {
  readonly run: number;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function hex48(b: Uint8Array, at: number): string {
  let s = '';
  for (let i = at; i < at + 48; i++) s += HEX[b[i]!]!;
  return s;
}

/** Index of the run holding `step` (runs are in step order; empty runs hold none). */
export function runOfStep(runs: readonly LogRun[], step: number): number {
  let lo = 0, hi = runs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (runs[mid]!.firstStep <= step) lo = mid; else hi = mid - 1;
  }
  while (lo > 0 && runs[lo]!.pages === 0) lo--;
  return lo;
}

export function stepRow(runs: readonly LogRun[], log: PackedLog, step: number, runIndex = runOfStep(runs, step)): StepRow {
  const run = runs[runIndex]!;
  const page = step - run.firstStep;
  return {
    step, run: runIndex, origin: run.origin, page, pageType: run.pageType,
    gpa: `0x${(run.gpa + BigInt(page) * 4096n).toString(16)}`,
    contents: hex48(log.contents, step * 48), digest: hex48(log.digests, step * 48),
  };
}

/** One line of the JSONL log, byte for byte what the CLI writes for the step (the same function writes both). */
export function logLine(r: StepRow): string {
  const { run: _run, ...record } = r;
  return formatLogLine(record);
}

/** The whole log as text chunks (a Blob takes them without one giant string). */
export function logChunks(runs: readonly LogRun[], log: PackedLog, linesPerChunk = 4096): string[] {
  const chunks: string[] = [];
  let lines: string[] = [];
  runs.forEach((run, i) => {
    for (let page = 0; page < run.pages; page++) {
      lines.push(logLine(stepRow(runs, log, run.firstStep + page, i)));
      if (lines.length === linesPerChunk) { chunks.push(`${lines.join('\n')}\n`); lines = []; }
    }
  });
  if (lines.length) chunks.push(`${lines.join('\n')}\n`);
  return chunks;
}
