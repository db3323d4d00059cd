/** Attestation workflows: report, verify, identify, diff, reference-values and id-block. */
import { fail } from '../errors.js';
import { bytesEqual, fromBase64, fromHex, hex64, parseUnsigned, toBase64, toHex } from '../bytes.js';
import { measurePlanParallel } from '../node/parallel.js';
import { parseReport, type AttestationReport, type TcbVersion } from '../attestation/report.js';
import { compareLogs, formatComparison, parseLog } from '../attestation/log-diff.js';
import { orderByHostCpu, resultKey, sweep, type ConfigResult } from '../attestation/launch-space.js';
import {
  contrastEntries, goSevGuestPolicies, measurementSet, trusteeMessage, type DigestEncoding,
} from '../attestation/reference-values.js';
import { loadP384PrivateKey, signIdBlock } from '../node/id-sign.js';
import { readInputFile, writeFileAtomic } from '../node/files.js';
import { parseJsonExact } from '../json-exact.js';
import { EXIT_MISMATCH } from './exit-codes.js';
import { LogCollector, oneOf, toJson, writeOutput, byFlag } from './common.js';
import { hasLaunchInput, launchFromArgs, launchValues } from './launch-args.js';
import { openLaunch, searchSpace, singleConfig } from '../launch/build.js';
import { describeLaunch, parseCounts, type LaunchDescription } from '../launch/description.js';
import { openInput } from '../node/inputs.js';
import { isLockDocument, lockDigests } from '../ci/lock.js';
import { runReferenceValuesFromLock } from './ci-commands.js';
import type { CommandArgs } from './commands.js';
import type { CliIO } from './io.js';

// ---- report ----

function tcbJson(t: TcbVersion): Record<string, unknown> {
  return { raw: hex64(t.raw), ...(t.fmc !== undefined ? { fmc: t.fmc } : {}), bootloader: t.bootloader, tee: t.tee, snp: t.snp, microcode: t.microcode };
}

export function reportJson(r: AttestationReport): Record<string, unknown> {
  const { warnings, ...policy } = r.policy;
  return {
    version: r.version, guestSvn: r.guestSvn,
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
  return parseReport(readInputFile(path, 'report', io.cwd), `report ${path}`);
}

export function runReportCommand(args: CommandArgs, io: CliIO): number {
  return runReport({ file: String(args.values['report']), json: args.values['json'] === true }, io);
}

export function runReport(a: { file: string; json: boolean }, io: CliIO): number {
  const r = loadReport(a.file, io);
  if (a.json) { io.out(toJson(reportJson(r))); return 0; }
  const p = r.policy;
  const flags = [p.smt && 'SMT', p.migrateMa && 'MIGRATE_MA', p.debug && 'DEBUG', p.singleSocket && 'SINGLE_SOCKET', p.cxlAllow && 'CXL_ALLOW', p.memAes256Xts && 'AES_256_XTS', p.raplDis && 'RAPL_DIS', p.ciphertextHiding && 'CIPHERTEXT_HIDING'].filter(Boolean).join(' ');
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

/** Digests from our measurement set, a Trustee registration message, or a plain JSON list. */
export function referenceDigests(text: string, what: string): Uint8Array[] {
  const doc = parseJsonExact(text, what, 'reference-values');
  if (isLockDocument(doc)) return lockDigests(doc, what);
  const fromList = (v: unknown): Uint8Array[] => {
    if (!Array.isArray(v)) fail('reference-values', `${what}: expected a list of digests`);
    return v.map((d, i) => parseDigestString(String(d), `${what}[${i}]`));
  };
  if (Array.isArray(doc)) return fromList(doc);
  const o = doc as Record<string, unknown>;
  if (o && Array.isArray(o['measurements'])) return fromList((o['measurements'] as { digest: unknown }[]).map((m) => m.digest));
  if (o && typeof o['payload'] === 'string') {
    const inner = parseJsonExact(new TextDecoder().decode(fromBase64(o['payload'], `${what} payload`)), `${what} payload`, 'reference-values') as Record<string, unknown>;
    return fromList(inner['snp_launch_measurement']);
  }
  if (o && Array.isArray(o['snp_launch_measurement'])) return fromList(o['snp_launch_measurement']);
  return fail('reference-values', `${what}: not a measurement set, a Trustee message or a list of digests`);
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

export async function runVerify(a: VerifyArgs, args: CommandArgs, io: CliIO): Promise<number> {
  const report = loadReport(a.report, io);
  const sources = [a.expected !== undefined, a['reference-values'] !== undefined, hasLaunchInput(args)].filter(Boolean).length;
  if (sources !== 1) fail('usage', 'give the expected measurement one way: --expected HEX..., --reference-values FILE, or launch inputs (--ovmf, --manifest or --igvm)');
  let expected: Uint8Array[];
  let computedLog: LogCollector | undefined;
  let config: Record<string, unknown> | undefined;
  if (a.expected !== undefined) expected = a.expected.map((e, i) => parseDigestString(e, `--expected[${i}]`));
  else if (a['reference-values'] !== undefined) {
    const path = a['reference-values'];
    expected = referenceDigests(new TextDecoder().decode(readInputFile(path, '--reference-values', io.cwd)), `--reference-values ${path}`);
  } else {
    const d = launchFromArgs(args, io);
    const opened = openLaunch(d);
    for (const w of opened.warnings) io.err(`warning: ${w}\n`);
    const launch = opened.launch;
    const c = singleConfig(d, launch);
    computedLog = a.log !== undefined || a['expected-log'] !== undefined ? new LogCollector() : undefined;
    expected = [(await measurePlanParallel(launch.plan(c), { ...(computedLog ? { onStep: computedLog.onStep } : {}), ...(d.maxSteps !== undefined ? { maxSteps: d.maxSteps } : {}) })).digest];
    if (computedLog && a.log !== undefined) computedLog.write(a.log, io);
    config = { kind: launch.kind, vcpus: c.vcpus, profile: c.profile.name, era: c.profile.era, vcpuType: c.vcpuType ?? null, vcpuSignature: c.vcpuSignature ?? null, guestFeatures: c.guestFeatures };
  }
  if (expected.length === 0) fail('reference-values', 'no expected measurement was given');
  const match = expected.find((e) => bytesEqual(e, report.measurement));
  const checks: Check[] = [{
    check: 'measurement', ok: match !== undefined,
    expected: match ? toHex(match) : expected.map(toHex).join(' | '), actual: toHex(report.measurement),
  }];
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
    const want = parseLog(new TextDecoder().decode(readInputFile(a['expected-log'], '--expected-log', io.cwd)), a['expected-log']);
    const have = parseLog(computedLog.lines.join('\n'), 'computed launch');
    diff = formatComparison(compareLogs(want, have), 'expected log', 'these inputs');
  }
  if (a.json) {
    io.out(toJson({ result: ok ? 'match' : 'mismatch', checks, ...(config ? { config } : {}), ...(diff ? { logDiff: diff } : {}), signatureChecked: false }));
  } else {
    for (const c of checks) {
      io.out(c.ok ? `${c.check}: match (${c.actual})\n` : `${c.check}: MISMATCH\n  expected: ${c.expected}\n  actual:   ${c.actual}\n`);
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
  return runIdentify(byFlag(args) as unknown as IdentifyArgs, launchFromArgs(args, io), io);
}

export function runIdentify(a: IdentifyArgs, d: LaunchDescription, io: CliIO): number {
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
    io.out(toJson({ measurement: toHex(target), matches: matches.map(resultJson), searched }));
  } else if (matches.length) {
    io.out(`${matches.length} matching configuration${matches.length === 1 ? '' : 's'} for ${toHex(target)}:\n`);
    for (const m of matches) io.out(`  ${resultKey(m)}${m.vcpuSignature !== null ? ` sig ${hex64(m.vcpuSignature)}` : ''}\n`);
    if (ordered.note) io.err(`note: ${ordered.note}\n`);
  } else {
    io.out(`no configuration in the searched space matches ${toHex(target)}\n`);
    io.out(`searched ${sw.evaluated} configurations: vCPUs ${searched.vcpus}; vCPU types ${space.vcpuTypes.map((t) => t.name).join(', ')}; guest features ${searched.guestFeatures.join(', ')}; profiles ${searched.profiles.join(', ')}\n`);
    if (sw.skipped.length) io.out(`skipped ${sw.skipped.length} (e.g. ${sw.skipped[0]!.config}: ${sw.skipped[0]!.reason})\n`);
  }
  return matches.length ? 0 : EXIT_MISMATCH;
}

// ---- diff ----

export function runDiffCommand(args: CommandArgs, io: CliIO): number {
  return runDiff({ a: String(args.values['logA']), b: String(args.values['logB']), json: args.values['json'] === true }, io);
}

export function runDiff(a: { a: string; b: string; json: boolean }, io: CliIO): number {
  const la = parseLog(new TextDecoder().decode(readInputFile(a.a, 'log A', io.cwd)), a.a);
  const lb = parseLog(new TextDecoder().decode(readInputFile(a.b, 'log B', io.cwd)), a.b);
  const c = compareLogs(la, lb);
  io.out(a.json ? toJson(c) : formatComparison(c, a.a, a.b));
  return c.identical ? 0 : EXIT_MISMATCH;
}

// ---- reference-values ----

interface RefArgs { format: string; encoding: string; matrix?: string; out?: string; 'out-dir'?: string; policy?: string; apeip: boolean }

/** Matrix file keys: the option keys, plus the names earlier versions used. */
const MATRIX_ALIASES: Readonly<Record<string, string>> = { vcpuTypes: 'vcpuType', vcpuSignatures: 'vcpuSig', profiles: 'vmmType' };
const MATRIX_KEYS = ['vcpus', 'vcpuType', 'vcpuSig', 'vmmType', 'vmmEra', 'guestFeatures'];

/** The launch values with a --matrix file's lists filled in where the command line gave none. */
function matrixValues(args: CommandArgs, io: CliIO): Record<string, unknown> {
  const values = launchValues(args);
  const path = args.values['matrix'];
  if (typeof path !== 'string') return values;
  const doc = parseJsonExact(new TextDecoder().decode(readInputFile(path, '--matrix', io.cwd)), `--matrix ${path}`, 'reference-values') as Record<string, unknown>;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('reference-values', `--matrix ${path}: expected an object`);
  for (const [k0, v] of Object.entries(doc)) {
    const k = Object.hasOwn(MATRIX_ALIASES, k0) ? MATRIX_ALIASES[k0]! : k0;
    if (!MATRIX_KEYS.includes(k)) fail('reference-values', `--matrix ${path}: unknown key ${JSON.stringify(k0)} (known: ${MATRIX_KEYS.join(', ')})`);
    if (values[k] === undefined) values[k] = v;
  }
  return values;
}

export function runReferenceValuesCommand(args: CommandArgs, io: CliIO): number {
  if (args.values['fromLock'] !== undefined) return runReferenceValuesFromLock(args, io);
  const a = byFlag(args) as unknown as RefArgs;
  const d = describeLaunch(matrixValues(args, io), { open: (value, key, what) => openInput(value, what, io.cwd, key) });
  return runReferenceValues(a, d, args, io);
}

export function runReferenceValues(a: RefArgs, d0: LaunchDescription, args: CommandArgs, io: CliIO): number {
  const format = oneOf(a.format, '--format', ['json', 'trustee', 'go-sev-guest', 'contrast'] as const);
  if (a.apeip && format !== 'contrast') fail('usage', '--apeip belongs to --format contrast');
  const d: LaunchDescription = a.apeip ? { ...d0, vcpus: [1] } : d0;
  if (d.vcpus === undefined) fail('usage', 'missing --vcpus (a count, a list or ranges such as 1-8,16) or a --matrix with vcpus');
  const opened = openLaunch(d);
  for (const w of opened.warnings) io.err(`warning: ${w}\n`);
  const launch = opened.launch;
  const space = searchSpace(d, { vcpus: [], features: [0x1n] });
  const profiles = d.profiles ?? [launch.profiles[0]!];
  if (profiles.some((p) => p.usesVcpuSignature) && d.vcpuTypes === undefined && launch.kind !== 'igvm') {
    fail('usage', 'the qemu profile measures the vCPU model: give --vcpu-type (or --vcpu-sig), lists allowed');
  }
  const sw = sweep(launch, { ...space, profiles });
  if (sw.skipped.length) for (const s of sw.skipped) io.err(`warning: skipped ${s.config}: ${s.reason}\n`);
  if (sw.results.length === 0) throw sw.skipped[0]?.error ?? new Error('no configuration of the matrix can launch');
  const source = { launch: launch.kind, tool: 'vmfw-measure' };
  let text: string;
  switch (format) {
    case 'json': text = toJson(measurementSet(sw.results, oneOf(a.encoding, '--encoding', ['hex', '0xhex', 'base64', 'base64url'] as const) as DigestEncoding, source)); break;
    case 'trustee': text = `${JSON.stringify(trusteeMessage(sw.results, oneOf(a.encoding, '--encoding', ['hex', 'base64'] as const)))}\n`; break;
    case 'go-sev-guest': {
      const policy = args.given.has('policy') && a.policy !== undefined ? parseUnsigned(a.policy, '--policy') : undefined;
      if (a['out-dir'] !== undefined) {
        sw.results.forEach((r) => writeFileAtomic(`${a['out-dir']}/${r.profile}-${r.era}-${r.vcpuType ?? 'any'}-gf${r.guestFeatures === null ? 'file' : r.guestFeatures.toString(16)}-v${r.vcpus}.textproto`, goSevGuestPolicies([r], policy), io.cwd));
        io.out(`wrote ${sw.results.length} policies to ${a['out-dir']}\n`);
        return 0;
      }
      text = goSevGuestPolicies(sw.results, policy);
      break;
    }
    case 'contrast': {
      if (a.apeip && !launch.apResetEip) fail('usage', '--apeip needs a launch whose firmware names an AP reset EIP (an OVMF launch)');
      text = toJson({ snp: contrastEntries(sw.results, a.apeip ? launch.apResetEip : undefined) });
      break;
    }
  }
  writeOutput(a.out ?? '-', text, io);
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
  const idKey = loadP384PrivateKey(readInputFile(a['id-key'], '--id-key', io.cwd), `--id-key ${a['id-key']}`);
  const authorKey = a['author-key'] !== undefined ? loadP384PrivateKey(readInputFile(a['author-key'], '--author-key', io.cwd), `--author-key ${a['author-key']}`) : undefined;
  const signed = signIdBlock({ ld, ...(familyId ? { familyId } : {}), ...(imageId ? { imageId } : {}), guestSvn, policy }, idKey, authorKey);
  const out = {
    idBlock: toBase64(signed.idBlock), idAuth: toBase64(signed.idAuth),
    idKeyDigest: toHex(signed.idKeyDigest), idKeyDigestBase64: toBase64(signed.idKeyDigest),
    ...(signed.authorKeyDigest ? { authorKeyDigest: toHex(signed.authorKeyDigest), authorKeyDigestBase64: toBase64(signed.authorKeyDigest) } : {}),
  };
  if (a.json) io.out(toJson(out));
  else {
    io.out(`id-block: ${out.idBlock}\nid-auth: ${out.idAuth}\nid-key-digest: ${out.idKeyDigest}\n${signed.authorKeyDigest ? `author-key-digest: ${out.authorKeyDigest}\n` : ''}`);
    io.err(`use with QEMU: -object sev-snp-guest,...,id-block=<id-block>,id-auth=<id-auth>${authorKey ? ',author-key-enabled=on' : ''}\n`);
  }
  return 0;
}

