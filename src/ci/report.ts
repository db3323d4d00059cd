/**
 * How `check` tells drift: text for people, JSON for scripts, GitHub workflow commands
 * (`::error file=...::`) and a Markdown table for the GitHub step summary.
 */
import type { CheckReport, ConfigurationDrift, InputChange, LaunchDrift } from './compare.js';
import { describeOptionChange, inputName } from './compare.js';
import type { LockInput } from './lock.js';
import { FORMATS } from '../formats.js';

export const CHECK_FORMAT = FORMATS.check;

const short = (hex: string): string => `${hex.slice(0, 16)}…`;

function describeInput(i: LockInput): string {
  return 'text' in i ? JSON.stringify(i.text) : `${i.path} (${i.size} bytes, sha256 ${short(i.sha256)})`;
}

export function describeInputChange(c: InputChange): string {
  const name = inputName(c.key);
  if (c.change === 'added') return `${name} added: ${describeInput(c.new!)}`;
  if (c.change === 'removed') return `${name} removed (was ${describeInput(c.old!)})`;
  const a = c.old!;
  const b = c.new!;
  if ('text' in a && 'text' in b) return `${name} changed: ${JSON.stringify(a.text)} -> ${JSON.stringify(b.text)}`;
  if ('path' in a && 'path' in b) {
    const where = a.path === b.path ? b.path : `${a.path} -> ${b.path}`;
    return `${name} changed: sha256 ${short(a.sha256)} -> ${short(b.sha256)} (${where}, ${a.size === b.size ? b.size : `${a.size} -> ${b.size}`} bytes)`;
  }
  return `${name} changed: ${describeInput(a)} -> ${describeInput(b)}`;
}

function configurationLine(c: ConfigurationDrift): string[] {
  switch (c.status) {
    case 'unchanged': return [];
    case 'added': return [`configuration added: ${c.label}: ${c.digest}${c.because ? ` (${c.because})` : ''}`];
    case 'removed': return [`configuration removed: ${c.label}: was ${c.lockDigest}${c.because ? ` (${c.because})` : ''}`];
    case 'changed': {
      const d = c.divergence!;
      return [
        `${c.label}: ${c.lockDigest} -> ${c.digest}`,
        `  first divergence at checkpoint ${d.checkpoint} (step ${d.step}${d.lockGroup ? `; the lock has ${d.lockGroup} there` : ''}): ${d.explanation}`,
      ];
    }
  }
}

export interface ReportPaths { readonly config: string; readonly lock: string }

function launchLines(l: LaunchDrift): string[] {
  if (l.status === 'added') return [`launch ${l.name} (${l.kind}): in the config but not in the lock (${l.configurations.length} configuration${l.configurations.length === 1 ? '' : 's'})`];
  if (l.status === 'removed') return [`launch ${l.name} (${l.kind}): in the lock but not in the config`];
  if (l.status === 'unchanged') return [];
  const changed = l.configurations.filter((c) => c.status !== 'unchanged').length;
  return [
    `launch ${l.name} (${l.kind}): ${changed} of ${l.configurations.length} configurations drifted`,
    ...l.inputs.map((c) => `  input ${describeInputChange(c)}`),
    ...l.options.map((o) => `  ${describeOptionChange(o)}`),
    ...l.configurations.flatMap(configurationLine).map((s) => `  ${s}`),
  ];
}

/** The text report (stdout). Notes are returned apart, for stderr. */
export function formatText(r: CheckReport, p: ReportPaths, updated: boolean): string {
  const configs = r.launches.reduce((n, l) => n + l.configurations.length, 0);
  if (r.ok) return `${p.lock}: ${r.launches.length} launch${r.launches.length === 1 ? '' : 'es'}, ${configs} configuration${configs === 1 ? '' : 's'}: every digest matches\n`;
  const drifted = r.launches.filter((l) => l.status !== 'unchanged');
  const lines = [
    `drift: ${p.config} no longer measures what ${p.lock} records`,
    ...drifted.flatMap(launchLines),
    `${drifted.length} of ${r.launches.length} launches drifted; ${updated ? `${p.lock} updated` : `accept the new values with: vmfw-measure check --update ${p.config}`}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The JSON report (`--json`). */
export function reportJson(r: CheckReport, p: ReportPaths, updated: boolean): Record<string, unknown> {
  return { format: CHECK_FORMAT, result: r.ok ? 'match' : 'drift', updated, config: p.config, lock: p.lock, notes: r.notes, launches: r.launches };
}

// ---- GitHub ----

/** Escapes a workflow-command message (GitHub's toolkit rules: %, CR, LF). */
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
/** Escapes a workflow-command property (also ':' and ','). */
function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function launchSummary(l: LaunchDrift): string {
  if (l.status === 'added') return `launch ${l.name} is in the config but not in the lock`;
  if (l.status === 'removed') return `launch ${l.name} is in the lock but not in the config`;
  const changed = l.configurations.filter((c) => c.status !== 'unchanged');
  const first = changed.find((c) => c.divergence);
  const parts = [
    `${changed.length} of ${l.configurations.length} configurations drifted`,
    ...(first ? [`first divergence (${first.label}): ${first.divergence!.explanation}`] : []),
    ...(l.inputs.length ? [`inputs: ${l.inputs.map(describeInputChange).join('; ')}`] : []),
    ...l.options.map(describeOptionChange),
  ];
  return `launch ${l.name}: ${parts.join('. ')}`;
}

/** One `::error` per drifted launch (GitHub shows only the first ten of a step), `::notice` per note. */
export function githubAnnotations(r: CheckReport, file: string, lineOf: (launch: string) => number | undefined): string {
  const out: string[] = [];
  for (const l of r.launches) {
    if (l.status === 'unchanged') continue;
    const line = l.status === 'removed' ? undefined : lineOf(l.name);
    out.push(`::error file=${escapeProperty(file)}${line ? `,line=${line}` : ''},title=${escapeProperty(`vmfw-measure: launch ${l.name} drifted`)}::${escapeData(launchSummary(l))}`);
  }
  for (const n of r.notes) out.push(`::notice file=${escapeProperty(file)},title=vmfw-measure::${escapeData(n)}`);
  return out.length ? `${out.join('\n')}\n` : '';
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string | undefined): string => (s ? `\`${short(s)}\`` : '');

/** A Markdown section for $GITHUB_STEP_SUMMARY. */
export function markdownSummary(r: CheckReport, p: ReportPaths, updated: boolean): string {
  const configs = r.launches.reduce((n, l) => n + l.configurations.length, 0);
  if (r.ok) {
    return [
      `### vmfw-measure check: every digest matches`, '',
      `${r.launches.length} launches, ${configs} configurations in \`${cell(p.lock)}\`.`,
      ...r.notes.map((n) => `\n> ${cell(n)}`), '',
    ].join('\n');
  }
  const drifted = r.launches.filter((l) => l.status !== 'unchanged');
  const rows: string[] = [];
  for (const l of drifted) {
    if (l.status === 'added' || l.status === 'removed') {
      rows.push(`| ${cell(l.name)} | | launch ${l.status === 'added' ? 'not in the lock' : 'not in the config'} | | | |`);
      continue;
    }
    for (const c of l.configurations) {
      if (c.status === 'unchanged') continue;
      rows.push(`| ${cell(l.name)} | ${cell(c.label)} | ${c.status} | ${code(c.lockDigest)} | ${code(c.digest)} | ${cell(c.divergence?.explanation ?? c.because ?? '')} |`);
    }
  }
  const inputs = drifted.flatMap((l) => l.inputs.map((c) => `- ${cell(l.name)}: ${cell(describeInputChange(c))}`));
  return [
    `### vmfw-measure check: drift in ${drifted.length} of ${r.launches.length} launches`, '',
    '| launch | configuration | change | lock | now | first divergence |',
    '|---|---|---|---|---|---|',
    ...rows, '',
    ...(inputs.length ? ['Changed inputs:', '', ...inputs, ''] : []),
    ...r.notes.map((n) => `> ${cell(n)}\n`),
    updated ? `\`${cell(p.lock)}\` was updated.` : `Accept the new values with \`vmfw-measure check --update ${cell(p.config)}\`.`, '',
  ].join('\n');
}
