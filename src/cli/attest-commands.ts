/** Attestation workflows: report, verify, identify, diff, reference-values and id-block. */
import { fail } from '../errors.js';
import { FORMATS } from '../formats.js';
import { bytesEqual, fromBase64, fromHex, hex64, parseUnsigned, toBase64, toHex } from '../bytes.js';
import { measurePlanParallel } from '../node/parallel.js';
import { parseReport, reportVersionFields, type AttestationReport, type TcbVersion } from '../attestation/report.js';
import { compareLogs, formatComparison, parseLog } from '../attestation/log-diff.js';
import { orderByHostCpu, resultKey, sweep, type ConfigResult } from '../attestation/launch-space.js';
import { checkGoSevGuestOutFile } from '../attestation/go-sev-guest.js';
import { checkReferenceRequest, referenceValuesText } from '../attestation/reference-formats.js';
import { launchProvenance } from '../launch/provenance.js';
import {
  describeMatch, describeMismatch, matchReferences, referenceResultJson, type ReferenceMatch, type ReferenceSet,
} from '../attestation/reference-reader.js';
import { explainNoMatch, type NoMatchContext } from '../attestation/explain.js';
import { loadP384PrivateKey, signIdBlock } from '../node/id-sign.js';
import { isDirectory, readInputFile } from '../node/files.js';
import { readReferenceValuesPath, writeGoSevGuestDirectory } from '../node/reference-files.js';
import { isStdin } from '../node/input.js';
import { parseJsonExact } from '../json-exact.js';
import { EXIT_MISMATCH } from './exit-codes.js';
import { LogCollector, toJson, writeOutput, byFlag, engineOptions } from './common.js';
import { hasLaunchInput, launchFromArgs, launchValues, recordIn } from './launch-args.js';
import { openLaunch, referenceSpace, searchSpace, singleConfig } from '../launch/build.js';
import { describeLaunch, LAUNCH_KEYS, parseCounts, type LaunchDescription, type Source } from '../launch/description.js';
import { openInput } from '../node/inputs.js';
import { MATRIX_KEYS, resolveMatrixAliases } from '../launch/matrix.js';
import type { CommandArgs } from './commands.js';
import type { CliIO } from './io.js';

// ---- report ----

function tcbJson(t: TcbVersion): Record<string, unknown> {
  return { raw: hex64(t.raw), ...(t.fmc !== undefined ? { fmc: t.fmc } : {}), bootloader: t.bootloader, tee: t.tee, snp: t.snp, microcode: t.microcode };
}

export function reportJson(r: AttestationReport): Record<string, unknown> {
  const { warnings, ...policy } = r.policy;
  return {
    format: FORMATS.report,
    version: r.version, ...reportVersionFields(r), guestSvn: r.guestSvn,
    policy: { ...policy, value: hex64(r.policy.value), unknownBits: hex64(r.policy.unknownBits), warnings },
    familyId: toHex(r.familyId), imageId: toHex(r.imageId), vmpl: r.vmpl, signatureAlgo: r.signatureAlgo,
    currentTcb: tcbJson(r.currentTcb), platformInfo: hex64(r.platformInfo),
    authorKeyEnabled: r.authorKeyEnabled, maskChipKey: r.maskChipKey, signingKey: r.signingKey === 0 ? 'VCEK' : r.signingKey === 1 ? 'VLEK' : r.signingKey,
    reportData: toHex(r.reportData), measurement: toHex(r.measurement), hostData: toHex(r.hostData),
    idKeyDigest: toHex(r.idKeyDigest), authorKeyDigest: toHex(r.authorKeyDigest), reportId: toHex(r.reportId), reportIdMa: toHex(r.reportIdMa),
    reportedTcb: tcbJson(r.reportedTcb), cpuid: r.cpuid ?? null, chipId: toHex(r.chipId),
    committedTcb: tcbJson(r.committedTcb), launchTcb: tcbJson(r.launchTcb),
    ...(r.launchMitigationVector !== undefined ? { launchMitigationVector: hex64(r.launchMitigationVector), currentMitigationVector: hex64(r.currentMitigationVector!) } : {}),
    signature: { r: toHex(r.signature.r), s: toHex(r.signature.s), checked: false, note: 'the signature is not checked: verify it against the VCEK/VLEK chain with your verifier' },
  };
}

function loadReport(path: string, io: CliIO): AttestationReport {
  return parseReport(readInputFile(path, 'report', io.cwd, 'report'), `report ${path}`);
}

export function runReportCommand(args: CommandArgs, io: CliIO): number {
  return runReport({ file: String(args.values['report']), json: args.values['json'] === true }, io);
}

export function runReport(a: { file: string; json: boolean }, io: CliIO): number {
  const r = loadReport(a.file, io);
  if (a.json) { io.out(toJson(reportJson(r))); return 0; }
  const p = r.policy;
  const flags = [p.smt && 'SMT', p.migrateMa && 'MIGRATE_MA', p.debug && 'DEBUG', p.singleSocket && 'SINGLE_SOCKET', p.cxlAllow && 'CXL_ALLOW', p.memAes256Xts && 'AES_256_XTS', p.raplDis && 'RAPL_DIS', p.ciphertextHiding && 'CIPHERTEXT_HIDING'].filter(Boolean).join(' ');
  const fw = reportVersionFields(r);
  const tcb = (t: TcbVersion): string => `${t.fmc !== undefined ? `fmc ${t.fmc} ` : ''}bootloader ${t.bootloader} tee ${t.tee} snp ${t.snp} microcode ${t.microcode} (${hex64(t.raw)})`;
  io.out([
    `version:            ${r.version}`,
    `measurement:        ${toHex(r.measurement)}`,
    `policy:             ${hex64(p.value)} (ABI ${p.abiMajor}.${p.abiMinor}${flags ? `, ${flags}` : ''})`,
    `guest SVN:          ${r.guestSvn}`,
    `VMPL:               ${r.vmpl}`,
    `family ID:          ${toHex(r.familyId)}`,
    `image ID:           ${toHex(r.imageId)}`,
    `report data:        ${toHex(r.reportData)}`,
    `host data:          ${toHex(r.hostData)}`,
    `ID key digest:      ${toHex(r.idKeyDigest)}`,
    `author key digest:  ${toHex(r.authorKeyDigest)}${r.authorKeyEnabled ? '' : ' (author key not enabled)'}`,
    `signing key:        ${r.signingKey === 0 ? 'VCEK' : r.signingKey === 1 ? 'VLEK' : r.signingKey}`,
    `reported TCB:       ${tcb(r.reportedTcb)}`,
    `current TCB:        ${tcb(r.currentTcb)}`,
    `launch TCB:         ${tcb(r.launchTcb)}`,
    `current firmware:   ${fw.currentVersion}`,
    `committed firmware: ${fw.committedVersion}`,
    `host CPUID:         ${r.cpuid ? `family 0x${r.cpuid.family.toString(16)} model 0x${r.cpuid.model.toString(16)} stepping ${r.cpuid.stepping}` : 'not in this report version'}`,
    `chip ID:            ${toHex(r.chipId)}`,
    `signature:          not checked (verify it against the VCEK/VLEK certificate chain with your verifier)`,
    ...p.warnings.map((w) => `warning:            ${w}`),
  ].join('\n') + '\n');
  return 0;
}

// ---- digest strings in any encoding we emit ----

export function parseDigestString(s: string, what: string): Uint8Array {
  const t = s.trim();
  if (/^(0x)?[0-9a-fA-F]{96}$/.test(t)) return fromHex(t, what, 48);
  const b = fromBase64(t, what);
  if (b.length !== 48) fail('bad-hex', `${what}: ${JSON.stringify(t.slice(0, 20))}… is not a 48-byte digest in hex or base64`);
  return b;
}

/**
 * `verify --reference-values PATH`: a file in any format `reference-values` writes, a vmfw-measure
 * lock file (docs/ci.md), or a directory of go-sev-guest configs.
 */
export async function loadReferenceSet(path: string, io: CliIO): Promise<ReferenceSet> {
  // Loaded when used: the reader of every format (locks included) is not needed to measure.
  const { readReferenceInput } = await import('../api/measure.js');
  if (isDirectory(path, io.cwd)) return readReferenceValuesPath(path, io.cwd);
  return readReferenceInput(readInputFile(path, '--reference-values', io.cwd, 'reference-values'), `--reference-values ${path}`);
}

// ---- verify ----

interface VerifyArgs {
  report: string; expected?: string[]; 'reference-values'?: string; 'host-data'?: string; policy?: string;
  'forbid-debug': boolean; 'id-key-digest'?: string; 'author-key-digest'?: string; 'report-data'?: string;
  'expected-log'?: string; log?: string; json: boolean;
}

interface Check { check: string; ok: boolean; expected: string; actual: string }

export function runVerifyCommand(args: CommandArgs, io: CliIO): Promise<number> {
  return runVerify(byFlag(args) as unknown as VerifyArgs, args, io);
}

/** Where the expected measurement came from, and what it says about the report's. */
type Expected =
  | { kind: 'digests'; digests: Uint8Array[] }
  | { kind: 'reference-values'; set: ReferenceSet; matches: ReferenceMatch[] };

export async function runVerify(a: VerifyArgs, args: CommandArgs, io: CliIO): Promise<number> {
  const report = loadReport(a.report, io);
  const sources = [a.expected !== undefined, a['reference-values'] !== undefined, hasLaunchInput(args)].filter(Boolean).length;
  if (sources !== 1) fail('usage', 'give the expected measurement one way: --expected DIGEST (repeat or comma-separate), --reference-values FILE|DIR, or launch inputs (--ovmf, --manifest or --igvm)');
  let expected: Expected;
  let computedLog: LogCollector | undefined;
  let config: Record<string, unknown> | undefined;
  if (a.expected !== undefined) {
    expected = { kind: 'digests', digests: a.expected.map((e, i) => parseDigestString(e, `--expected[${i}]`)) };
  } else if (a['reference-values'] !== undefined) {
    const set = await loadReferenceSet(a['reference-values'], io);
    for (const n of set.notes) io.err(`note: ${n}\n`);
    expected = { kind: 'reference-values', set, matches: matchReferences(set, report.measurement) };
  } else {
    const d = launchFromArgs(args, io);
    const opened = openLaunch(d);
    for (const w of opened.warnings) io.err(`warning: ${w}\n`);
    const launch = opened.launch;
    const c = singleConfig(d, launch);
    computedLog = a.log !== undefined || a['expected-log'] !== undefined ? new LogCollector() : undefined;
    const eo = engineOptions(io, { log: computedLog, maxSteps: d.maxSteps, label: 'measuring' });
    expected = { kind: 'digests', digests: [(await measurePlanParallel(launch.plan(c), eo.options).finally(eo.done)).digest] };
    if (computedLog && a.log !== undefined) writeOutput(args, io, a.log, computedLog.text(), '--log');
    config = { kind: launch.kind, vcpus: c.vcpus, profile: c.profile.name, era: c.profile.era, vcpuType: c.vcpuType ?? null, vcpuSignature: c.vcpuSignature ?? null, guestFeatures: c.guestFeatures };
  }
  let measurement: Check;
  if (expected.kind === 'digests') {
    if (expected.digests.length === 0) fail('reference-values', 'no expected measurement was given');
    const match = expected.digests.find((e) => bytesEqual(e, report.measurement));
    measurement = { check: 'measurement', ok: match !== undefined, expected: match ? toHex(match) : expected.digests.map(toHex).join(' | '), actual: toHex(report.measurement) };
  } else {
    const { set, matches } = expected;
    measurement = {
      check: 'measurement', ok: matches.length > 0,
      expected: matches.length ? toHex(report.measurement) : `one of the ${set.entries.length} entr${set.entries.length === 1 ? 'y' : 'ies'} of the ${set.format}`,
      actual: toHex(report.measurement),
    };
  }
  const checks: Check[] = [measurement];
  const exact = (name: string, given: string | undefined, actual: Uint8Array, len: number): void => {
    if (given === undefined) return;
    const want = fromHex(given, `--${name}`, len);
    checks.push({ check: name, ok: bytesEqual(want, actual), expected: toHex(want), actual: toHex(actual) });
  };
  exact('host-data', a['host-data'], report.hostData, 32);
  exact('id-key-digest', a['id-key-digest'], report.idKeyDigest, 48);
  exact('author-key-digest', a['author-key-digest'], report.authorKeyDigest, 48);
  exact('report-data', a['report-data'], report.reportData, 64);
  if (a.policy !== undefined) {
    const want = parseUnsigned(a.policy, '--policy');
    checks.push({ check: 'policy', ok: want === report.policy.value, expected: hex64(want), actual: hex64(report.policy.value) });
  }
  if (a['forbid-debug']) checks.push({ check: 'policy DEBUG clear', ok: !report.policy.debug, expected: 'DEBUG=0', actual: `DEBUG=${report.policy.debug ? 1 : 0}` });
  const ok = checks.every((c) => c.ok);
  let diff: string | undefined;
  if (!ok && a['expected-log'] !== undefined && computedLog) {
    const want = parseLog(new TextDecoder().decode(readInputFile(a['expected-log'], '--expected-log', io.cwd, 'launch-log')), a['expected-log']);
    const have = parseLog(computedLog.lines.join('\n'), 'computed launch');
    diff = formatComparison(compareLogs(want, have), 'expected log', 'these inputs');
  }
  const refs = expected.kind === 'reference-values' ? expected : undefined;
  if (a.json) {
    io.out(toJson({
      format: FORMATS.verifyResult, result: ok ? 'match' : 'mismatch', checks,
      ...(refs ? { referenceValues: referenceResultJson(refs.set, refs.matches) } : {}),
      ...(config ? { config } : {}), ...(diff ? { logDiff: diff } : {}), signatureChecked: false,
    }));
  } else {
    for (const c of checks) {
      if (c.ok) {
        io.out(`${c.check}: match (${c.actual})\n`);
        if (c === measurement && refs) io.out(describeMatch(refs.set, refs.matches));
      } else if (c === measurement && refs) {
        io.out(`${c.check}: MISMATCH\n${describeMismatch(refs.set, report.measurement)}`);
      } else {
        io.out(`${c.check}: MISMATCH\n  expected: ${c.expected}\n  actual:   ${c.actual}\n`);
      }
    }
    if (diff) io.out(diff);
    io.err('note: the report signature is not checked here; verify it against the VCEK/VLEK chain\n');
  }
  return ok ? 0 : EXIT_MISMATCH;
}

// ---- identify ----

interface IdentifyArgs { report?: string; measurement?: string; json: boolean }

function resultJson(r: ConfigResult): Record<string, unknown> {
  return {
    vcpus: r.vcpus, vcpuType: r.vcpuType, vcpuSignature: r.vcpuSignature === null ? null : hex64(r.vcpuSignature),
    guestFeatures: r.guestFeatures === null ? null : hex64(r.guestFeatures), profile: r.profile, era: r.era,
  };
}

export function runIdentifyCommand(args: CommandArgs, io: CliIO): number {
  return runIdentify(byFlag(args) as unknown as IdentifyArgs, launchFromArgs(args, io), io, args);
}

/** The configuration options identify searches over: given, they narrow its default space. */
const NARROWING_KEYS = ['vcpus', 'vcpuType', 'vcpuSig', 'vcpuFamily', 'vmmType', 'vmmEra'];
/** Launch keys that are configuration, not inputs: the suggested commands give one of each instead. */
const CONFIGURATION_KEYS = new Set([...NARROWING_KEYS, 'vcpuModel', 'vcpuStepping', 'guestFeatures']);

const kebab = (k: string): string => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** A word for a POSIX shell: as is when it is plain, else in single quotes. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The launch input options as the user typed them (configuration left out), for a command to paste. */
function inputArgsText(args: CommandArgs): string {
  const words: string[] = [];
  for (const k of LAUNCH_KEYS) {
    if (!args.given.has(k) || CONFIGURATION_KEYS.has(k)) continue;
    const v = args.values[k];
    if (v === true) words.push(kebab(k));
    else if (typeof v === 'string') words.push(kebab(k), shellQuote(v));
    else if (Array.isArray(v)) for (const x of v) words.push(kebab(k), shellQuote(String(x)));
  }
  return words.join(' ');
}

/** The launch's fixed inputs as explainNoMatch names them: a path, the command line in quotes, or a given hash. */
function fixedInputs(d: LaunchDescription): NoMatchContext['fixed'] {
  const path = (s: Source | null | undefined): string | null => (s ? s.describe : null);
  if (d.igvm) return { igvm: path(d.igvm) };
  if (d.manifest) return { manifest: path(d.manifest) };
  const given = (h: Uint8Array | undefined): string | undefined => (h ? `sha256 ${toHex(h)}` : undefined);
  const direct = d.kernel !== null && (d.kernel !== undefined || d.kernelSha256 !== undefined);
  const firmware = d.metadata ? `metadata ${d.metadata.describe}` : path(d.ovmf);
  return {
    firmware: d.snpOvmfHash ? `${firmware ?? ''}${firmware ? ' with ' : ''}firmware digest ${toHex(d.snpOvmfHash)}` : firmware,
    kernel: given(d.kernelSha256) ?? path(d.kernel),
    initrd: given(d.initrdSha256) ?? (d.initrd ? d.initrd.describe : direct ? 'none (measured as empty)' : null),
    cmdline: given(d.appendSha256) ?? (d.append !== undefined ? JSON.stringify(d.append) : direct ? '"" (empty)' : null),
    svsm: path(d.svsm),
  };
}

export function runIdentify(a: IdentifyArgs, d: LaunchDescription, io: CliIO, args?: CommandArgs): number {
  if ((a.report === undefined) === (a.measurement === undefined)) fail('usage', 'give --report FILE or --measurement HEX');
  const report = a.report !== undefined ? loadReport(a.report, io) : undefined;
  const target = report ? report.measurement : parseDigestString(a.measurement!, '--measurement');
  const opened = openLaunch(d);
  for (const w of opened.warnings) io.err(`warning: ${w}\n`);
  const launch = opened.launch;
  const space0 = searchSpace(d, { vcpus: parseCounts('1-256', 'vcpus'), features: [0x1n, 0x21n], addFeatures: true });
  const ordered = orderByHostCpu(space0.vcpuTypes, report?.cpuid);
  const space = { ...space0, vcpuTypes: ordered.types };
  const started = Date.now();
  const sw = sweep(launch, space);
  const matches = sw.results.filter((r) => bytesEqual(r.digest, target));
  const searched = {
    launch: launch.kind,
    vcpus: `${Math.min(...space.vcpus)}..${Math.max(...space.vcpus)} (${new Set(space.vcpus).size} counts)`,
    vcpuTypes: space.vcpuTypes.map((t) => (t.aliases.length ? `${t.name} (= ${t.aliases.join(', ')})` : t.name)),
    guestFeatures: launch.usesGuestFeatures ? space.guestFeatures.map(hex64) : ['taken from the IGVM file'],
    profiles: space.profiles.map((p) => `${p.name}:${p.era}`),
    configurations: sw.evaluated,
    skipped: sw.skipped,
    ...(ordered.note ? { order: ordered.note } : {}),
    milliseconds: Date.now() - started,
  };
  if (a.json) {
    io.out(toJson({
      format: FORMATS.identifyResult, measurement: toHex(target), matches: matches.map(resultJson),
      searched: { ...searched, skipped: searched.skipped.map((s) => ({ config: s.config, reason: s.reason, code: s.error.code })) },
    }));
  } else if (matches.length) {
    io.out(`${matches.length} matching configuration${matches.length === 1 ? '' : 's'} for ${toHex(target)}:\n`);
    for (const m of matches) io.out(`  ${resultKey(m)}${m.vcpuSignature !== null ? ` sig ${hex64(m.vcpuSignature)}` : ''}\n`);
    if (ordered.note) io.err(`note: ${ordered.note}\n`);
  } else {
    const narrowedBy = args ? NARROWING_KEYS.filter((k) => args.given.has(k)).map(kebab) : [];
    const inputArgs = args ? inputArgsText(args) : '';
    io.out(explainNoMatch({
      measurement: target, launch: launch.kind, fixed: fixedInputs(d),
      searched: {
        configurations: sw.evaluated, vcpus: searched.vcpus, vcpuTypes: space.vcpuTypes.map((t) => t.name),
        guestFeatures: searched.guestFeatures, profiles: searched.profiles, skipped: sw.skipped.length,
      },
      ...(narrowedBy.length ? { narrowedBy } : {}),
      ...(report ? { report: { ...(a.report !== undefined && !isStdin(a.report) ? { path: shellQuote(a.report) } : {}), version: report.version, ...(report.cpuid ? { cpuid: report.cpuid } : {}) } } : {}),
      ...(inputArgs ? { inputArgs } : {}),
    }));
    if (sw.skipped.length) io.err(`note: skipped ${sw.skipped.length} configuration${sw.skipped.length === 1 ? '' : 's'} that cannot launch (e.g. ${sw.skipped[0]!.config}: ${sw.skipped[0]!.reason})\n`);
  }
  return matches.length ? 0 : EXIT_MISMATCH;
}

// ---- diff ----

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

// ---- reference-values ----

interface RefArgs { format: string; encoding: string; matrix?: string; out?: string; 'out-dir'?: string; policy: string; apeip: boolean; expires?: string }


/** The launch values with a --matrix file's lists filled in where the command line gave none. */
function matrixValues(args: CommandArgs, io: CliIO): Record<string, unknown> {
  const values = launchValues(args);
  const path = args.values['matrix'];
  if (typeof path !== 'string') return values;
  const doc = parseJsonExact(new TextDecoder().decode(readInputFile(path, '--matrix', io.cwd, 'matrix')), `--matrix ${path}`, 'reference-values') as Record<string, unknown>;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('reference-values', `--matrix ${path}: expected an object`);
  const lists = resolveMatrixAliases(doc, `--matrix ${path}`, 'reference-values');
  for (const [k, v] of Object.entries(lists)) {
    if (!MATRIX_KEYS.includes(k)) fail('reference-values', `--matrix ${path}: unknown key ${JSON.stringify(k)} (known: ${MATRIX_KEYS.join(', ')})`);
    if (values[k] === undefined) values[k] = v;
  }
  return values;
}

export async function runReferenceValuesCommand(args: CommandArgs, io: CliIO): Promise<number> {
  // The CI modules load only for --from-lock.
  if (args.values['fromLock'] !== undefined) return (await import('./ci-commands.js')).runReferenceValuesFromLock(args, io);
  const a = byFlag(args) as unknown as RefArgs;
  const d = describeLaunch(matrixValues(args, io), { open: (value, key, what) => openInput(value, what, io.cwd, key, recordIn(io)) });
  return runReferenceValues(a, d, args, io);
}

/** The notes a format returns go to stderr as they are ("note: ..." / "warning: ..."). */
function printNotes(lines: readonly string[], io: CliIO): void {
  for (const l of lines) io.err(`${l}\n`);
}

export function runReferenceValues(a: RefArgs, d0: LaunchDescription, args: CommandArgs, io: CliIO): number {
  // Refuse what the output could not carry before measuring anything.
  const request = checkReferenceRequest({
    format: a.format, ...(args.given.has('encoding') ? { encoding: a.encoding } : {}), policy: parseUnsigned(a.policy, '--policy'),
    ...(a.expires !== undefined ? { expires: a.expires } : {}), apeip: a.apeip, ...(d0.product !== undefined ? { product: d0.product } : {}),
  });
  if (a['out-dir'] !== undefined && request.format !== 'go-sev-guest') fail('usage', '--out-dir belongs to --format go-sev-guest (one check.Config per file); other formats write one file: use --out');
  if (a['out-dir'] !== undefined && a.out !== undefined) fail('usage', '--out and --out-dir are alternatives');
  const d: LaunchDescription = a.apeip ? { ...d0, vcpus: [1] } : d0;
  const opened = openLaunch(d);
  for (const w of opened.warnings) io.err(`warning: ${w}\n`);
  const launch = opened.launch;
  const sw = sweep(launch, referenceSpace(d, launch));
  if (sw.skipped.length) for (const s of sw.skipped) io.err(`warning: skipped ${s.config}: ${s.reason}\n`);
  if (sw.results.length === 0) throw sw.skipped[0]?.error ?? new Error('no configuration of the matrix can launch');
  const out = referenceValuesText(sw.results, request, { kind: launch.kind, ...(launch.apResetEip !== undefined ? { apResetEip: launch.apResetEip } : {}) },
    request.format === 'json' ? launchProvenance(d, opened) : undefined);
  if (out.configs) {
    const dir = a['out-dir'];
    if (dir !== undefined) {
      writeGoSevGuestDirectory(dir, out.configs, io.cwd);
      io.out(`wrote ${out.configs.length} config${out.configs.length === 1 ? '' : 's'} to ${dir}\n`);
      return 0;
    }
    if (a.out !== undefined && a.out !== '-') {
      checkGoSevGuestOutFile(a.out, out.configs.length);
      writeOutput(args, io, a.out, out.configs[0]!.text, '--out');
      return 0;
    }
  }
  printNotes(out.notes, io);
  writeOutput(args, io, a.out ?? '-', out.text, '--out');
  return 0;
}

// ---- id-block ----

interface IdBlockArgs { measurement: string; 'id-key': string; 'author-key'?: string; 'family-id'?: string; 'image-id'?: string; 'guest-svn': string; policy: string; json: boolean }

export function runIdBlockCommand(args: CommandArgs, io: CliIO): number {
  return runIdBlock(byFlag(args) as unknown as IdBlockArgs, io);
}

export function runIdBlock(a: IdBlockArgs, io: CliIO): number {
  const ld = parseDigestString(a.measurement, '--measurement');
  const guestSvn = Number(parseUnsigned(a['guest-svn'], '--guest-svn', 0xffffffffn));
  const policy = parseUnsigned(a.policy, '--policy');
  const familyId = a['family-id'] ? fromHex(a['family-id'], '--family-id', 16) : undefined;
  const imageId = a['image-id'] ? fromHex(a['image-id'], '--image-id', 16) : undefined;
  const idKey = loadP384PrivateKey(readInputFile(a['id-key'], '--id-key', io.cwd, 'key'), `--id-key ${a['id-key']}`);
  const authorKey = a['author-key'] !== undefined ? loadP384PrivateKey(readInputFile(a['author-key'], '--author-key', io.cwd, 'key'), `--author-key ${a['author-key']}`) : undefined;
  const signed = signIdBlock({ ld, ...(familyId ? { familyId } : {}), ...(imageId ? { imageId } : {}), guestSvn, policy }, idKey, authorKey);
  const out = {
    idBlock: toBase64(signed.idBlock), idAuth: toBase64(signed.idAuth),
    idKeyDigest: toHex(signed.idKeyDigest), idKeyDigestBase64: toBase64(signed.idKeyDigest),
    ...(signed.authorKeyDigest ? { authorKeyDigest: toHex(signed.authorKeyDigest), authorKeyDigestBase64: toBase64(signed.authorKeyDigest) } : {}),
  };
  if (a.json) io.out(toJson({ format: FORMATS.idBlock, ...out }));
  else {
    io.out(`id-block: ${out.idBlock}\nid-auth: ${out.idAuth}\nid-key-digest: ${out.idKeyDigest}\n${signed.authorKeyDigest ? `author-key-digest: ${out.authorKeyDigest}\n` : ''}`);
    io.err(`use with QEMU: -object sev-snp-guest,...,id-block=<id-block>,id-auth=<id-auth>${authorKey ? ',author-key-enabled=on' : ''}\n`);
  }
  return 0;
}

