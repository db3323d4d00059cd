/** `vmfw-measure igvm FILE` (SNP launch digest of an IGVM image) and `igvm inspect FILE`. */
import { fail } from '../errors.js';
import { hex64, toHex } from '../bytes.js';
import { FORMATS } from '../formats.js';
import { measurePlanParallel } from '../node/parallel.js';
import { decodePolicy } from '../snp/policy.js';
import { parseIgvm, type IgvmFile } from '../igvm/parse.js';
import { igvmProfiles, parseIgvmSource } from '../launch/igvm-launch.js';
import { checkModelledProfiles } from '../profiles.js';
import { igvmmeasureCheckKvm, measureIgvm, type IgvmMeasureOptions } from '../igvm/measure.js';
import { describeIgvm, formatIgvmText } from '../igvm/inspect.js';
import { isStdin, readInputFile } from '../node/files.js';
import { fileWindow } from '../node/file-extent.js';
import { sourceSha256 } from '../ovmf/firmware.js';
import { formatDigest, oneOf, LogCollector, toJson, writeOutput, type OutputFormat, engineOptions } from './common.js';
import type { CliIO } from './io.js';
import type { CommandArgs } from './commands.js';
import { optionSpelling, type LaunchDescription } from '../launch/description.js';
import { launchFromArgs } from './launch-args.js';

/** IGVM measuring options from the launch description (shared with launch-update). */
export function igvmMeasureOptions(d: LaunchDescription, given: ReadonlySet<string>): IgvmMeasureOptions {
  const semantics = d.semantics ?? 'qemu';
  if (semantics !== 'qemu' && (given.has('vcpus') || d.fileOrder)) fail('usage', `--vcpus and --file-order describe QEMU's loader; --semantics ${semantics} measures only what the file contains`);
  if (semantics !== 'igvmmeasure' && d.measuredZero === 'native') fail('usage', '--measured-zero native (--native-zero) is an igvmmeasure option (use --semantics igvmmeasure)');
  const one = <T>(list: readonly T[] | undefined, flag: string): T | undefined => {
    if (list && list.length !== 1) fail('usage', `give one value for ${flag}`);
    return list?.[0];
  };
  const profile = one(d.profiles, '--vmm-type');
  if (profile) checkModelledProfiles([profile], igvmProfiles(semantics), 'IGVM launches are', optionSpelling);
  const type = one(d.vcpuTypes, '--vcpu-type');
  return {
    semantics,
    vcpus: one(d.vcpus, '--vcpus') ?? 1,
    apVmsa: d.apVmsa ?? 'reset',
    ...(type ? { vcpuSignature: type.signature } : {}),
    deferRegions: !(d.fileOrder ?? false),
    era: profile?.era === 'pre-init2' ? 'pre-init2' : 'init2',
    nativeZero: d.measuredZero === 'native',
  };
}

/** Parses an IGVM file read on demand (stdin is read whole): page data is read when it is measured. */
export function loadIgvm(path: string, io: CliIO): IgvmFile {
  if (isStdin(path)) return parseIgvm(readInputFile(path, 'IGVM file', io.cwd, 'igvm'));
  const w = fileWindow(path, 'IGVM file', io.cwd);
  return parseIgvm({ length: w.length, read: (o, n) => { const b = new Uint8Array(n); w.read(o, b); return b; } });
}

export function idBlockStatus(ld: Uint8Array | undefined, digest: Uint8Array): 'absent' | 'match' | 'mismatch' {
  if (!ld) return 'absent';
  return toHex(ld) === toHex(digest) ? 'match' : 'mismatch';
}

export async function runIgvmCommand(args: CommandArgs, io: CliIO): Promise<number> {
  const a = args.values;
  const format = oneOf(String(a['outputFormat']), '--output-format', ['hex', 'base64'] as const) as OutputFormat;
  const path = String(a['igvm']);
  const d = launchFromArgs(args, io);
  // The file as the launch description opened it: standard input can be read only once.
  const file = parseIgvmSource(d.igvm!);
  const opts = igvmMeasureOptions(d, args.given);
  const m = measureIgvm(file, opts);
  const log = a['log'] !== undefined ? new LogCollector() : undefined;
  const eo = engineOptions(io, { log, maxSteps: d.maxSteps, label: 'measuring' });
  const r = await measurePlanParallel(m.plan, eo.options).finally(eo.done);
  if (log) writeOutput(args, io, String(a['log']), log.text(), '--log');
  for (const w of m.warnings) io.err(`warning: ${w}\n`);
  const idStatus = idBlockStatus(m.idBlockLd, r.digest);
  if (idStatus === 'mismatch') io.err('warning: the file\'s SNP_ID_BLOCK expects a different launch digest; the firmware would refuse this launch (BAD_MEASUREMENT)\n');
  const digest = formatDigest(r.digest, format);
  if (a['json'] === true) {
    io.out(toJson({
      format: FORMATS.igvmResult, digest, encoding: format, semantics: m.semantics,
      file: { path, size: file.source.length, sha256: toHex(sourceSha256(file.source)) },
      ...(m.semantics === 'qemu' ? { vcpus: opts.vcpus, apVmsa: opts.apVmsa, vcpuSignature: opts.vcpuSignature ?? null, era: opts.era, regionOrder: opts.deferRegions ? 'qemu' : 'file' } : {}),
      ...(m.semantics === 'igvmmeasure' ? { nativeZero: opts.nativeZero } : {}),
      platform: { mask: hex64(m.platform.mask), sharedGpaBoundary: hex64(m.platform.sharedGpaBoundary), highestVtl: m.platform.highestVtl },
      guestPolicy: m.guestPolicy === undefined ? null : { ...decodePolicy(m.guestPolicy), value: hex64(m.guestPolicy) },
      idBlock: m.idBlockLd === undefined ? null : { ld: toHex(m.idBlockLd), status: idStatus },
      ...(a['checkKvm'] === true ? { checkKvm: igvmmeasureCheckKvm(file) } : {}),
      steps: r.steps, stepsByType: r.stepsByType, warnings: m.warnings,
    }));
  } else {
    io.out(`${digest}\n`);
    if (a['checkKvm'] === true) {
      const c = igvmmeasureCheckKvm(file);
      io.err(`check-kvm: ${c.result}${c.message ? ` (${c.message})` : ''}\n`);
    }
  }
  return 0;
}

export function runInspectCommand(args: CommandArgs, io: CliIO): number {
  const a = { file: String(args.values['igvm']), json: args.values['json'] === true };
  const file = loadIgvm(a.file, io);
  io.out(a.json ? toJson({ format: FORMATS.igvmInspect, ...describeIgvm(file) }) : formatIgvmText(file));
  return 0;
}

