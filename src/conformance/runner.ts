/**
 * The conformance runner: runs any vector file of the known schemas (vectors/README.md) and
 * reports each failure with its id, expected and actual value.
 *
 * Input files a vector names resolve against the vector file's folder, so the `fixtures/...`
 * paths of the CLI vectors land in the `fixtures/` folder beside the file; `fixtures` (the
 * runner's `--fixtures DIR`) names another folder that holds them. Every file is checked before
 * the first vector runs: one missing file is one error naming it, not a failure per vector.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fail, isMeasureError } from '../errors.js';
import { toHex } from '../bytes.js';
import { sha256File } from '../node/files.js';
import { isStdin, readInputText } from '../node/input.js';
import { captureIO } from '../cli/io.js';
import { runCli } from '../cli/main.js';
import { resolveProfile } from '../profiles.js';
import { checkChain, type PageInfoFile } from './pageinfo.js';
import { measureSyntheticCase, SyntheticInputs, type SyntheticFile } from './synthetic.js';
import { runIgvmVectors, type IgvmVectorFile } from './igvm.js';
import { describeRegionResult, regionVectorMatches, runRegionVector, type RegionVector } from './regions.js';
import { componentFiles, runComponents, type ComponentFile } from './components.js';

export interface RunOptions {
  /**
   * The folder holding the files the vectors name (`--fixtures DIR`). A vector path
   * `fixtures/NAME` is read as `DIR/NAME`, any other relative path as `DIR/PATH`. Default: paths
   * resolve against the vector file's folder.
   */
  fixtures?: string;
}

/** Where the input files named in one vector file are. */
export class VectorFiles {
  /** The vector file's folder (the working directory for `-`): the CLI vectors run with it as working directory. */
  readonly dir: string;
  private readonly fixtures: string | undefined;

  /** `vectorFile` is a path or `-` (standard input). */
  constructor(readonly vectorFile: string, options: RunOptions = {}) {
    this.dir = isStdin(vectorFile) ? process.cwd() : dirname(resolve(vectorFile));
    this.fixtures = options.fixtures === undefined ? undefined : resolve(options.fixtures);
  }

  /** The file a vector's path names. */
  path(p: string): string {
    if (isAbsolute(p)) return p;
    return this.fixtures === undefined ? resolve(this.dir, p) : join(this.fixtures, p.replace(/^fixtures\//, ''));
  }

  /** How messages name the vector file. */
  get shown(): string { return isStdin(this.vectorFile) ? 'standard input' : this.vectorFile; }

  /** Fails on the first named file that is not there, saying where it was looked for. */
  requireAll(paths: Iterable<string>): void {
    for (const p of paths) {
      const full = this.path(p);
      if (existsSync(full)) continue;
      const hint = this.fixtures === undefined
        ? 'pass --fixtures DIR if the fixture files are in another folder'
        : `under --fixtures ${this.fixtures}`;
      fail('conformance', `${this.shown}: fixture file ${p} not found at ${full} (${hint})`);
    }
  }
}

export interface Failure { id: string; expected: string; got: string }
export interface RunReport {
  schema: string;
  passed: number;
  failed: Failure[];
  /** Vectors where the project deliberately differs from the reference tool, with the reason. */
  deviations: { id: string; reason: string }[];
}

/** `output`, when present, is the reference's literal stdout (e.g. base64); else stdout is `measurement`. */
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
    if (Array.isArray(doc['vmsa_pages']) && Array.isArray(doc['sev_hashes_tables'])) return 'components';
  }
  return 'unknown';
}

/** Checks that the input files a vector names are the ones its digest was computed from. */
function checkInputs(inputs: Record<string, string> | undefined, files: VectorFiles): string | null {
  for (const [path, sha] of Object.entries(inputs ?? {})) {
    try {
      const got = toHex(sha256File(files.path(path), 'vector input'));
      if (got !== sha) return `input ${path} has SHA-256 ${got}, the vector expects ${sha}`;
    } catch (e) {
      return `input ${path}: ${(e as Error).message}`;
    }
  }
  return null;
}

const FILE_ARG = /^(--[a-z0-9-]+=)(.*)$/s;

/** The file paths of a CLI vector: its `inputs` and every argument value under `fixtures/`. */
function argFiles(v: { args: string[]; inputs?: Record<string, string> }): string[] {
  const named = new Set(Object.keys(v.inputs ?? {}));
  for (const a of v.args) {
    const value = FILE_ARG.exec(a)?.[2] ?? a;
    if (value.startsWith('fixtures/')) named.add(value);
  }
  return [...named];
}

/** The vector's arguments with each file path replaced by the file it names. */
function resolveArgs(v: { args: string[]; inputs?: Record<string, string> }, files: VectorFiles): string[] {
  const named = new Set(argFiles(v));
  return v.args.map((a) => {
    const m = FILE_ARG.exec(a);
    if (m) return named.has(m[2]!) ? `${m[1]}${files.path(m[2]!)}` : a;
    return named.has(a) ? files.path(a) : a;
  });
}

/**
 * The reference matches --vmm-type case-sensitively; this project accepts any case on purpose.
 * A vector rejected only for that is a documented deviation.
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

async function runFixtureVectors(vectors: FixtureVector[], files: VectorFiles, report: RunReport): Promise<void> {
  files.requireAll(new Set(vectors.flatMap(argFiles)));
  for (const v of vectors) {
    const want = v.output ?? v.measurement;
    const bad = checkInputs(v.inputs, files);
    if (bad) { report.failed.push({ id: v.id, expected: want, got: bad }); continue; }
    const io = captureIO(files.dir);
    const rc = await runCli(['ovmf', ...resolveArgs(v, files)], io);
    const got = rc === 0 ? io.stdout.trim() : `exit ${rc}: ${io.stderr.trim()}`;
    if (got === want) report.passed++;
    else report.failed.push({ id: v.id, expected: want, got });
  }
}

async function runFixtureErrorVectors(vectors: FixtureErrorVector[], files: VectorFiles, report: RunReport): Promise<void> {
  // Only the files whose SHA-256 the vectors record must exist: an error vector may name a missing file on purpose.
  files.requireAll(new Set(vectors.flatMap((v) => Object.keys(v.inputs ?? {}))));
  for (const v of vectors) {
    const io = captureIO(files.dir);
    const rc = await runCli(['ovmf', ...resolveArgs(v, files)], io);
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

function runComponentFile(doc: ComponentFile, files: VectorFiles, report: RunReport): void {
  files.requireAll(componentFiles(doc));
  for (const r of runComponents(doc, (p) => files.path(p))) {
    if (r.got === r.expected) report.passed++;
    else report.failed.push(r);
  }
}

export type ExtraSchemaRunner = (doc: unknown, files: VectorFiles, report: RunReport) => Promise<void> | void;
const extraRunners = new Map<string, ExtraSchemaRunner>();

/** Lets later front-ends add their vector schemas. */
export function registerSchema(format: string, run: ExtraSchemaRunner): void { extraRunners.set(format, run); }

/**
 * Runs one vector file (`-`: standard input); its input files are looked up as `options.fixtures`
 * says. The file is read within INPUT_LIMITS.vectors, so a device or an endless stream is an
 * error, not an endless read.
 */
export async function runVectorFile(path: string, options: RunOptions = {}): Promise<RunReport> {
  const files = new VectorFiles(path, options);
  const text = readInputText(path, { what: 'vector file', kind: 'vectors' });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail('conformance', `${files.shown}: not a JSON vector file (${(e as Error).message})`);
  }
  const schema = detectSchema(doc);
  const report: RunReport = { schema, passed: 0, failed: [], deviations: [] };
  switch (schema) {
    case 'fixture-cli': await runFixtureVectors(doc as FixtureVector[], files, report); break;
    case 'fixture-cli-error': await runFixtureErrorVectors(doc as FixtureErrorVector[], files, report); break;
    case 'pageinfo': runPageInfo(doc as PageInfoFile, report); break;
    case 'components': runComponentFile(doc as ComponentFile, files, report); break;
    case 'sev-synthetic-vectors/1': runSynthetic(doc as SyntheticFile, report); break;
    case 'vmfwupdate-regions-vectors/1': runRegions(doc as { vectors: RegionVector[] }, report); break;
    case 'igvm-vectors': {
      const igvm = doc as IgvmVectorFile;
      files.requireAll(igvm.vectors.map((v) => v.file));
      for (const c of runIgvmVectors(igvm, (p) => files.path(p))) {
        if (c.ok) report.passed++;
        else report.failed.push({ id: `${c.id} [${c.profile}]`, expected: c.expected, got: c.got });
      }
      break;
    }
    default: {
      const extra = extraRunners.get(schema);
      if (!extra) fail('conformance', `${files.shown}: unknown vector schema ${JSON.stringify(schema)}`);
      await extra(doc, files, report);
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
