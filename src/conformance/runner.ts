/**
 * The conformance runner: runs any vector file of the shared/conformance schemas and reports
 * each failure with its id, expected and actual value. Paths inside a file resolve against
 * the file's folder.
 */
import '../hash/node-suite.js'; // node:crypto as the default hash suite
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fail, isMeasureError } from '../errors.js';
import { toHex } from '../bytes.js';
import { sha256File } from '../node/files.js';
import { captureIO } from '../cli/io.js';
import { runCli } from '../cli/main.js';
import { resolveProfile } from '../profiles.js';
import { checkChain, type PageInfoFile } from './pageinfo.js';
import { measureSyntheticCase, SyntheticInputs, type SyntheticFile } from './synthetic.js';
import { runIgvmVectors, type IgvmVectorFile } from './igvm.js';
import { describeRegionResult, regionVectorMatches, runRegionVector, type RegionVector } from './regions.js';

export interface Failure { id: string; expected: string; got: string }
export interface RunReport {
  schema: string;
  passed: number;
  failed: Failure[];
  /** Vectors where the project deliberately differs from the reference tool, with the reason. */
  deviations: { id: string; reason: string }[];
}

/** `output`, when present, is the reference's literal stdout (e.g. base64); else stdout is the hex measurement. */
interface FixtureVector { id: string; args: string[]; measurement: string; output?: string; inputs?: Record<string, string> }
interface FixtureErrorVector { id: string; args: string[]; rc: number; kind: string; stderr_last_line: string; inputs?: Record<string, string> }

function isObject(v: unknown): v is Record<string, unknown> { return typeof v === 'object' && v !== null && !Array.isArray(v); }

export function detectSchema(doc: unknown): string {
  if (Array.isArray(doc)) {
    const first = doc[0];
    if (isObject(first) && Array.isArray(first['args']) && typeof first['measurement'] === 'string') return 'fixture-cli';
    if (isObject(first) && Array.isArray(first['args']) && 'rc' in first) return 'fixture-cli-error';
    return 'unknown';
  }
  if (isObject(doc)) {
    if (typeof doc['format'] === 'string') return doc['format'];
    if (Array.isArray(doc['chains']) || Array.isArray(doc['single_updates'])) return 'pageinfo';
    if (isObject(doc['profiles']) && Array.isArray(doc['vectors'])) return 'igvm-vectors';
  }
  return 'unknown';
}

/** Checks that the input files a vector names are the ones its digest was computed from. */
function checkInputs(inputs: Record<string, string> | undefined, dir: string): string | null {
  for (const [path, sha] of Object.entries(inputs ?? {})) {
    try {
      const got = toHex(sha256File(path, 'vector input', dir));
      if (got !== sha) return `input ${path} has SHA-256 ${got}, the vector expects ${sha}`;
    } catch (e) {
      return `input ${path}: ${(e as Error).message}`;
    }
  }
  return null;
}

/**
 * The reference matches --vmm-type case-sensitively; this project accepts any case on purpose
 * (issue: "--vmm-type in any case"). A vector rejected only for that is a documented deviation.
 */
function deliberateDeviation(v: FixtureErrorVector): string | null {
  const m = /unknown VMM type '([^']*)'/.exec(v.stderr_last_line);
  if (!m) return null;
  try {
    resolveProfile(m[1]!);
    return `--vmm-type '${m[1]}' is accepted in any case by design (the reference is case-sensitive)`;
  } catch {
    return null;
  }
}

async function runFixtureVectors(vectors: FixtureVector[], dir: string, report: RunReport): Promise<void> {
  for (const v of vectors) {
    const bad = checkInputs(v.inputs, dir);
    if (bad) { report.failed.push({ id: v.id, expected: v.measurement, got: bad }); continue; }
    const io = captureIO(dir);
    const rc = await runCli(['ovmf', ...v.args], io);
    const got = rc === 0 ? io.stdout.trim() : `exit ${rc}: ${io.stderr.trim()}`;
    const want = v.output ?? v.measurement;
    if (got === want) report.passed++;
    else report.failed.push({ id: v.id, expected: want, got });
  }
}

async function runFixtureErrorVectors(vectors: FixtureErrorVector[], dir: string, report: RunReport): Promise<void> {
  for (const v of vectors) {
    const io = captureIO(dir);
    const rc = await runCli(['ovmf', ...v.args], io);
    const stderr = io.stderr.trim();
    const expected = `a clear error (reference: ${v.stderr_last_line})`;
    const deviation = deliberateDeviation(v);
    if (deviation) {
      if (rc === 0) report.deviations.push({ id: v.id, reason: deviation });
      else report.failed.push({ id: v.id, expected: 'accepted (documented deviation)', got: `exit ${rc}: ${stderr}` });
      continue;
    }
    const clear = rc === 2 && /^error\[[a-z0-9-]+\]: \S/.test(stderr) && !/\n\s+at /.test(stderr) && !stderr.includes('error[internal]');
    if (clear) report.passed++;
    else report.failed.push({ id: v.id, expected, got: `exit ${rc}: ${stderr || io.stdout.trim()}` });
  }
}

function runPageInfo(doc: PageInfoFile, report: RunReport): void {
  for (const chain of [...(doc.chains ?? []), ...(doc.single_updates ?? [])]) {
    const m = checkChain(chain);
    if (m) report.failed.push({ id: `${chain.name} step ${m.step} page ${m.page} ${m.field}`, expected: m.expected, got: m.got });
    else report.passed++;
  }
}

function runSynthetic(doc: SyntheticFile, report: RunReport): void {
  const inputs = new SyntheticInputs(doc);
  for (const c of doc.cases) {
    let got: string;
    try {
      got = measureSyntheticCase(c, inputs);
    } catch (e) {
      got = isMeasureError(e) ? `error[${e.code}]: ${e.message}` : `exception: ${(e as Error).message}`;
    }
    if (got === c.expected_measurement) report.passed++;
    else report.failed.push({ id: c.id, expected: c.expected_measurement, got });
  }
}

function runRegions(doc: { vectors: RegionVector[] }, report: RunReport): void {
  for (const v of doc.vectors) {
    let got: ReturnType<typeof runRegionVector>;
    try {
      got = runRegionVector(v);
    } catch (e) {
      report.failed.push({ id: v.id, expected: describeRegionResult(v.expected), got: `exception: ${(e as Error).message}` });
      continue;
    }
    if (regionVectorMatches(v, got)) report.passed++;
    else report.failed.push({ id: v.id, expected: describeRegionResult(v.expected), got: describeRegionResult(got) });
  }
}

export type ExtraSchemaRunner = (doc: unknown, dir: string, report: RunReport) => Promise<void> | void;
const extraRunners = new Map<string, ExtraSchemaRunner>();

/** Lets later front-ends (region lists, IGVM) add their vector schemas. */
export function registerSchema(format: string, run: ExtraSchemaRunner): void { extraRunners.set(format, run); }

export async function runVectorFile(path: string): Promise<RunReport> {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    return fail('conformance', `${path}: cannot read vectors (${(e as Error).message})`);
  }
  const dir = dirname(resolve(path));
  const schema = detectSchema(doc);
  const report: RunReport = { schema, passed: 0, failed: [], deviations: [] };
  switch (schema) {
    case 'fixture-cli': await runFixtureVectors(doc as FixtureVector[], dir, report); break;
    case 'fixture-cli-error': await runFixtureErrorVectors(doc as FixtureErrorVector[], dir, report); break;
    case 'pageinfo': runPageInfo(doc as PageInfoFile, report); break;
    case 'sev-synthetic-vectors/1': runSynthetic(doc as SyntheticFile, report); break;
    case 'vmfwupdate-regions-vectors/1': runRegions(doc as { vectors: RegionVector[] }, report); break;
    case 'igvm-vectors':
      for (const c of runIgvmVectors(doc as IgvmVectorFile, dir)) {
        if (c.ok) report.passed++;
        else report.failed.push({ id: `${c.id} [${c.profile}]`, expected: c.expected, got: c.got });
      }
      break;
    default: {
      const extra = extraRunners.get(schema);
      if (!extra) fail('conformance', `${path}: unknown vector schema ${JSON.stringify(schema)}`);
      await extra(doc, dir, report);
    }
  }
  return report;
}

export function formatReport(r: RunReport): string {
  const lines: string[] = [];
  for (const f of r.failed) lines.push(`FAIL ${f.id}\n  expected: ${f.expected}\n  got:      ${f.got}`);
  for (const d of r.deviations) lines.push(`DEVIATION ${d.id}: ${d.reason}`);
  lines.push(`${r.passed} passed, ${r.failed.length} failed`);
  return `${lines.join('\n')}\n`;
}
