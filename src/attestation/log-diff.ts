/** Compares two launch logs (JSON Lines from --log) and finds the first step where they diverge. */
import { fail } from '../errors.js';
import { describeOrigin, type StepOrigin } from '../plan.js';
import type { LogRecord } from '../engine.js';

/** One line of a launch log, as the engine writes it. */
export type LogStep = LogRecord;

const MAX_LOG_LINE = 1 << 16;

/**
 * Reads a launch log (JSON Lines, as `--log` writes it). Blank lines are skipped; a line that is
 * not a JSON object with string `pageType`, `gpa`, `contents` and `digest`, or is longer than
 * 64 KiB, is refused (`log-format`) with its line number.
 */
export function parseLog(text: string, what = 'launch log'): LogStep[] {
  const steps: LogStep[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    if (line.length > MAX_LOG_LINE) fail('log-format', `${what} line ${i + 1}: longer than ${MAX_LOG_LINE} characters`);
    let r: unknown;
    try { r = JSON.parse(line); } catch { return fail('log-format', `${what} line ${i + 1}: not JSON`); }
    if (typeof r !== 'object' || r === null || Array.isArray(r)) fail('log-format', `${what} line ${i + 1}: not a JSON object`);
    const o = r as Record<string, unknown>;
    for (const k of ['pageType', 'gpa', 'contents', 'digest']) {
      if (typeof o[k] !== 'string') fail('log-format', `${what} line ${i + 1}: missing string field ${k}`);
    }
    const origin = (typeof o['origin'] === 'object' && o['origin'] !== null ? o['origin'] : { kind: 'unknown' }) as StepOrigin;
    steps.push({
      step: typeof o['step'] === 'number' ? o['step'] : steps.length, origin, page: typeof o['page'] === 'number' ? o['page'] : 0,
      pageType: o['pageType'] as string, gpa: o['gpa'] as string, contents: o['contents'] as string, digest: o['digest'] as string,
    });
  });
  // No step at all is a launch log too: an IGVM file of unmeasured pages with --ap-vmsa none measures nothing.
  return steps;
}

/** The first step where two launch logs part: its index, what differs, and each side's step (absent on the shorter side). */
export interface LogDifference {
  /** 0-based index of the first differing step. */
  readonly step: number;
  /** What differs: page type, GPA, contents, or a step present on one side only. */
  readonly fields: readonly ('pageType' | 'gpa' | 'contents' | 'missing-in-a' | 'missing-in-b' | 'seed')[];
  readonly a?: LogStep;
  readonly b?: LogStep;
}

/** Whether two launch logs agree, their lengths, and the first step where they differ. */
export interface LogComparison {
  readonly identical: boolean;
  readonly stepsA: number;
  readonly stepsB: number;
  readonly first?: LogDifference;
}

/**
 * Finds the first step where two launch logs differ in page type, GPA or contents, or only in
 * the digest (then the chains started from different seeds), or where one log ends early.
 */
export function compareLogs(a: readonly LogStep[], b: readonly LogStep[]): LogComparison {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i], y = b[i];
    if (!x) return { identical: false, stepsA: a.length, stepsB: b.length, first: { step: i, fields: ['missing-in-a'], ...(y ? { b: y } : {}) } };
    if (!y) return { identical: false, stepsA: a.length, stepsB: b.length, first: { step: i, fields: ['missing-in-b'], a: x } };
    const fields: LogDifference['fields'][number][] = [];
    if (x.pageType !== y.pageType) fields.push('pageType');
    if (x.gpa !== y.gpa) fields.push('gpa');
    if (x.contents !== y.contents) fields.push('contents');
    // Same step but different digests: the chains started from different seeds.
    if (fields.length === 0 && x.digest !== y.digest) fields.push('seed');
    if (fields.length) return { identical: false, stepsA: a.length, stepsB: b.length, first: { step: i, fields, a: x, b: y } };
  }
  return { identical: true, stepsA: a.length, stepsB: b.length };
}

function side(s: LogStep | undefined): string {
  if (!s) return '(no such step)';
  return `${s.pageType} at ${s.gpa}, contents ${s.contents.slice(0, 16)}…, from ${describeOrigin(s.origin)} page ${s.page}`;
}

export function formatComparison(c: LogComparison, nameA = 'A', nameB = 'B'): string {
  if (c.identical) return `identical: ${c.stepsA} steps\n`;
  const d = c.first!;
  const what = d.fields.map((f) => ({
    'pageType': 'page type', 'gpa': 'GPA', 'contents': 'contents digest', 'missing-in-a': `a step missing in ${nameA}`,
    'missing-in-b': `a step missing in ${nameB}`, 'seed': 'the digest before it (different seeds)',
  })[f]).join(', ');
  return [
    `first difference at step ${d.step}: ${what}`,
    `  ${nameA}: ${side(d.a)}`,
    `  ${nameB}: ${side(d.b)}`,
    `  (steps: ${nameA} ${c.stepsA}, ${nameB} ${c.stepsB})`,
  ].join('\n') + '\n';
}
