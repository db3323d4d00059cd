/** `vmfw-measure identify`: the configurations of a launch that explain a measurement, or why none does. */
import { optionFlag } from '../options/table.js';
import { fail } from '../errors.js';
import { FORMATS } from '../formats.js';
import { bytesEqual, hex64, toHex } from '../bytes.js';
import { orderByHostCpu, resultKey, sweep, type ConfigResult } from '../attestation/launch-space.js';
import { explainNoMatch, type NoMatchContext } from '../attestation/explain.js';
import { isStdin } from '../node/input.js';
import { EXIT_MISMATCH } from './exit-codes.js';
import { toJson, byFlag } from './common.js';
import { launchFromArgs } from './launch-args.js';
import { openLaunchAsync, searchSpace } from '../launch/build.js';
import { LAUNCH_KEYS, parseCounts, type LaunchDescription, type Source } from '../launch/description.js';
import type { CommandArgs } from './commands.js';
import type { CliIO } from './io.js';
import { loadReport } from './attest-common.js';
import { decodeDigest } from '../attestation/digest-encoding.js';
import type { VmmProfile } from '../profiles.js';

interface IdentifyArgs { report?: string; measurement?: string; json: boolean }

function resultJson(r: ConfigResult): Record<string, unknown> {
  return {
    vcpus: r.vcpus, vcpuType: r.vcpuType, vcpuSignature: r.vcpuSignature === null ? null : hex64(r.vcpuSignature),
    guestFeatures: r.guestFeatures === null ? null : hex64(r.guestFeatures), profile: r.profile, era: r.era,
  };
}

export function runIdentifyCommand(args: CommandArgs, io: CliIO): Promise<number> {
  return runIdentify(byFlag(args) as unknown as IdentifyArgs, launchFromArgs(args, io), io, args);
}

/** The configuration options identify searches over: given, they narrow its default space. */
const NARROWING_KEYS = ['vcpus', 'vcpuType', 'vcpuSig', 'vcpuFamily', 'vmmType', 'vmmEra'];
/** Launch keys that are configuration, not inputs: the suggested commands give one of each instead. */
const CONFIGURATION_KEYS = new Set([...NARROWING_KEYS, 'vcpuModel', 'vcpuStepping', 'guestFeatures']);

const kebab = optionFlag;

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

/** Searched profiles whose VMSA GPA depends on the product (profile data), with the products that move it from the default. */
function untriedProducts(profiles: readonly VmmProfile[]): { profile: string; products: string[] }[] {
  const seen = new Map<string, string[]>();
  for (const p of profiles) {
    const moved = Object.entries(p.vmsaGpa).filter(([k, gpa]) => k !== 'default' && gpa !== p.vmsaGpa['default']).map(([k]) => k);
    if (moved.length && !seen.has(p.name)) seen.set(p.name, moved);
  }
  return [...seen].map(([profile, products]) => ({ profile, products }));
}

export async function runIdentify(a: IdentifyArgs, d: LaunchDescription, io: CliIO, args?: CommandArgs): Promise<number> {
  if ((a.report === undefined) === (a.measurement === undefined)) fail('usage', 'give --report FILE or --measurement HEX');
  const report = a.report !== undefined ? loadReport(a.report, io) : undefined;
  const target = report ? report.measurement : decodeDigest(a.measurement!, '--measurement');
  const opened = await openLaunchAsync(d);
  for (const w of opened.warnings) io.err(`warning: ${w}\n`);
  const launch = opened.launch;
  const space0 = searchSpace(d, { vcpus: parseCounts('1-256', 'vcpus'), features: [0x1n, 0x21n], addFeatures: true }, launch);
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
      // Only OVMF launches place their VMSAs by profile and product (a region list puts them at
      // the KVM GPA for every product), and only profiles the launch ran under count.
      untriedProducts: launch.kind === 'ovmf' && d.product === undefined && d.vmsaGpa === undefined ? untriedProducts(space.profiles.filter((p) => launch.profiles.some((q) => q.name === p.name))) : [],
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
