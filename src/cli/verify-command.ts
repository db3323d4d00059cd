/** `vmfw-measure verify`: check a report's measurement and fields against expected values, reference values or launch inputs. */
import { fail } from '../errors.js';
import { FORMATS } from '../formats.js';
import { bytesEqual, fromHex, hex64, parseUnsigned, toHex } from '../bytes.js';
import { measurePlanParallel } from '../node/parallel.js';
import { compareLogs, formatComparison, parseLog } from '../attestation/log-diff.js';
import { describeMatch, describeMismatch, matchReferences, referenceResultJson, refusedReferences, type MatchContext, type ReferenceMatch, type ReferenceSet } from '../attestation/reference-reader.js';
import { isDirectory, readInputFile } from '../node/files.js';
import { readReferenceValuesPath } from '../node/reference-files.js';
import { EXIT_MISMATCH } from './exit-codes.js';
import { LogCollector, toJson, writeOutput, byFlag, engineOptions } from './common.js';
import { hasLaunchInput, launchFromArgs } from './launch-args.js';
import { openLaunchAsync, singleConfig } from '../launch/build.js';
import type { CommandArgs } from './commands.js';
import type { CliIO } from './io.js';
import { loadReport } from './attest-common.js';
import { decodeDigest } from '../attestation/digest-encoding.js';

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
  | { kind: 'reference-values'; set: ReferenceSet; matches: ReferenceMatch[]; ctx: MatchContext };

export async function runVerify(a: VerifyArgs, args: CommandArgs, io: CliIO): Promise<number> {
  const report = loadReport(a.report, io);
  const sources = [a.expected !== undefined, a['reference-values'] !== undefined, hasLaunchInput(args)].filter(Boolean).length;
  if (sources !== 1) fail('usage', 'give the expected measurement one way: --expected DIGEST (repeat or comma-separate), --reference-values FILE|DIR, or launch inputs (--ovmf, --manifest or --igvm)');
  let expected: Expected;
  let computedLog: LogCollector | undefined;
  let config: Record<string, unknown> | undefined;
  if (a.expected !== undefined) {
    expected = { kind: 'digests', digests: a.expected.map((e, i) => decodeDigest(e, `--expected[${i}]`)) };
  } else if (a['reference-values'] !== undefined) {
    const set = await loadReferenceSet(a['reference-values'], io);
    for (const n of set.notes) io.err(`note: ${n}\n`);
    // Entries accept the report as their consumer would: expiry (the reader judged it at the clock's now) and go-sev-guest's policy rule.
    const ctx: MatchContext = { reportPolicy: report.policy.value };
    expected = { kind: 'reference-values', set, matches: matchReferences(set, report.measurement, ctx), ctx };
  } else {
    const d = launchFromArgs(args, io);
    const opened = await openLaunchAsync(d);
    for (const w of opened.warnings) io.err(`warning: ${w}\n`);
    const launch = opened.launch;
    const c = singleConfig(d, launch);
    computedLog = a.log !== undefined || a['expected-log'] !== undefined ? new LogCollector() : undefined;
    const eo = engineOptions(io, { log: computedLog, maxSteps: d.maxSteps, label: 'measuring' });
    expected = { kind: 'digests', digests: [(await measurePlanParallel(launch.plan(c), eo.options).finally(eo.done)).digest] };
    if (computedLog && a.log !== undefined) writeOutput(args, io, a.log, computedLog.text(), '--log');
    // snp:svsm measures sev_features 0x1 whatever was given (with a warning): report what was measured.
    config = { kind: launch.kind, vcpus: c.vcpus, profile: c.profile.name, era: c.profile.era, vcpuType: c.vcpuType ?? null, vcpuSignature: c.vcpuSignature ?? null, guestFeatures: launch.kind === 'ovmf' && !launch.usesGuestFeatures ? 0x1n : c.guestFeatures };
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
      ...(refs ? { referenceValues: referenceResultJson(refs.set, refs.matches, refusedReferences(refs.set, report.measurement, refs.ctx)) } : {}),
      ...(config ? { config } : {}), ...(diff ? { logDiff: diff } : {}), signatureChecked: false,
    }));
  } else {
    for (const c of checks) {
      if (c.ok) {
        io.out(`${c.check}: match (${c.actual})\n`);
        if (c === measurement && refs) io.out(describeMatch(refs.set, refs.matches));
      } else if (c === measurement && refs) {
        io.out(`${c.check}: MISMATCH\n${describeMismatch(refs.set, report.measurement, refs.ctx)}`);
      } else {
        io.out(`${c.check}: MISMATCH\n  expected: ${c.expected}\n  actual:   ${c.actual}\n`);
      }
    }
    if (diff) io.out(diff);
    io.err('note: the report signature is not checked here; verify it against the VCEK/VLEK chain\n');
  }
  return ok ? 0 : EXIT_MISMATCH;
}
