/**
 * `vmfw-measure ovmf`: classic OVMF launches with sev-snp-measure's option names and values,
 * so scripts can switch tools without edits. Prints only the digest unless --json is given.
 */
import type { Argv } from 'yargs';
import { fail } from '../errors.js';
import { fromHex, toHex } from '../bytes.js';
import { measurePlan } from '../engine.js';
import { defaultSuite } from '../hash/suite.js';
import { cpuSignature, resolveVcpuType, VCPU_TYPE_NAMES } from '../cpu.js';
import { resolveProfile, resolveVmsaGpa, PROFILES, type VmmProfile } from '../profiles.js';
import { parseFirmware, FOUR_GIB, type FirmwareLayout } from '../ovmf/firmware.js';
import { cmdlineHash, type DirectBootHashes } from '../ovmf/kernel-hashes.js';
import {
  buildLegacySvsmPlan, buildOvmfHashPlan, buildSnpOvmfPlan, sevEsLaunchDigest, sevLaunchDigest,
  MAX_VCPUS, imageSha256, imageSize, type BuiltPlan, type FirmwareImage, type UnknownSectionPolicy,
} from '../ovmf/launch.js';
import { fileWindow } from '../node/file-extent.js';
import { parseMetadataJson } from '../ovmf/metadata-json.js';
import { fileSize, isStdin, readInputFile, sha256File, writeFileAtomic } from '../node/files.js';
import { formatDigest, LogCollector, oneOf, optInt, optU64, toJson, type OutputFormat } from './common.js';
import type { CliIO } from './io.js';
import type { CommandSpec } from './spec.js';

export type Mode = 'snp' | 'snp:ovmf-hash' | 'snp:svsm' | 'sev' | 'seves';

const MODE_ALIASES: Readonly<Record<string, Mode>> = {
  'snp': 'snp', 'sev-snp': 'snp', 'snp:ovmf-hash': 'snp:ovmf-hash', 'snp:svsm': 'snp:svsm', 'sev-snp:svsm': 'snp:svsm',
  'sev': 'sev', 'seves': 'seves', 'sev-es': 'seves',
};

export function parseMode(text: string): Mode {
  const m = MODE_ALIASES[text.trim().toLowerCase()];
  if (!m) fail('usage', `--mode: unknown mode ${JSON.stringify(text)}; use snp, snp:ovmf-hash, snp:svsm, sev or seves`);
  return m;
}

export interface OvmfArgs {
  mode: string;
  vcpus?: string; 'vcpu-type'?: string; 'vcpu-sig'?: string;
  'vcpu-family'?: string; 'vcpu-model'?: string; 'vcpu-stepping'?: string;
  'vmm-type': string; 'vmm-era'?: string; product?: string; 'vmsa-gpa'?: string;
  ovmf?: string; metadata?: string;
  kernel?: string; initrd?: string; append?: string;
  'kernel-sha256'?: string; 'initrd-sha256'?: string; 'append-sha256'?: string;
  'guest-features': string; 'snp-ovmf-hash'?: string; 'output-format': string;
  'dump-vmsa': boolean; svsm?: string; 'vars-size'?: string; 'vars-file'?: string;
  json: boolean; log?: string; 'unknown-sections': string; verbose: boolean;
}

export function ovmfOptions(y: Argv): Argv<OvmfArgs> {
  return y
    .option('mode', { type: 'string', demandOption: true, describe: 'snp | snp:ovmf-hash | snp:svsm | sev | seves' })
    .option('vcpus', { type: 'string', describe: 'number of guest vCPUs' })
    .option('vcpu-type', { type: 'string', describe: `QEMU vCPU model (${VCPU_TYPE_NAMES.join(', ')})` })
    .option('vcpu-sig', { type: 'string', describe: 'guest vCPU signature (CPUID Fn0000_0001_EAX)' })
    .option('vcpu-family', { type: 'string', describe: 'guest vCPU family (with --vcpu-model and --vcpu-stepping)' })
    .option('vcpu-model', { type: 'string', describe: 'guest vCPU model' })
    .option('vcpu-stepping', { type: 'string', describe: 'guest vCPU stepping' })
    .option('vmm-type', { type: 'string', default: 'QEMU', alias: 'profile', describe: 'VMM profile: QEMU, ec2 or gce (any case)' })
    .option('vmm-era', { type: 'string', describe: 'profile era: qemu init2 (default) | pre-init2; ec2 rdx-0x600 (default) | rdx-0' })
    .option('product', { type: 'string', describe: 'GCE product for the VMSA GPA: milan (default) | genoa' })
    .option('vmsa-gpa', { type: 'string', describe: 'override the VMSA GPA (default 0xfffffffff000, the KVM value)' })
    .option('ovmf', { type: 'string', describe: 'OVMF firmware file (the combined OVMF.fd QEMU loads)' })
    .option('metadata', { type: 'string', describe: 'metadata-only JSON instead of --ovmf (sev-snp-measure-go format)' })
    .option('kernel', { type: 'string', describe: 'kernel file for measured direct boot' })
    .option('initrd', { type: 'string', describe: 'initrd file (use with --kernel)' })
    .option('append', { type: 'string', describe: 'kernel command line (use with --kernel)' })
    .option('kernel-sha256', { type: 'string', describe: 'precomputed SHA-256 of the kernel instead of --kernel' })
    .option('initrd-sha256', { type: 'string', describe: 'precomputed SHA-256 of the initrd instead of --initrd' })
    .option('append-sha256', { type: 'string', describe: 'precomputed SHA-256 of the command line plus its NUL, instead of --append' })
    .option('guest-features', { type: 'string', default: '0x1', describe: 'VMSA sev_features (0x1 on current hosts, 0x21 on Linux 6.6-era hosts)' })
    .option('snp-ovmf-hash', { type: 'string', describe: 'precomputed firmware digest (output of --mode snp:ovmf-hash)' })
    .option('output-format', { type: 'string', default: 'hex', describe: 'hex | base64' })
    .option('dump-vmsa', { type: 'boolean', default: false, describe: 'write the measured VMSAs to vmsa<N>.bin' })
    .option('svsm', { type: 'string', describe: 'legacy COCONUT-SVSM image (snp:svsm mode)' })
    .option('vars-size', { type: 'string', describe: 'OVMF_VARS size in bytes (snp:svsm mode)' })
    .option('vars-file', { type: 'string', describe: 'OVMF_VARS file, for its size (snp:svsm mode)' })
    .option('unknown-sections', { type: 'string', default: 'error', describe: 'unknown SEV metadata section types: error | zero (QEMU measures them as ZERO)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the digest and the inputs that determined it as JSON' })
    .option('log', { type: 'string', describe: 'write the launch log (JSON Lines) to FILE' })
    .option('verbose', { type: 'boolean', default: false, alias: 'v', describe: 'print "Calculated <MODE> guest measurement: ..."' })
    .conflicts('vars-size', 'vars-file')
    .conflicts('ovmf', 'metadata') as unknown as Argv<OvmfArgs>;
}

export interface ResolvedVcpu { signature: bigint; source: string; name?: string }

export function resolveSignature(a: OvmfArgs, profile: VmmProfile, mode: Mode): ResolvedVcpu | undefined {
  if (a['vcpu-family'] !== undefined) {
    if (a['vcpu-model'] === undefined || a['vcpu-stepping'] === undefined) {
      fail('usage', '--vcpu-family needs --vcpu-model and --vcpu-stepping');
    }
    const fms = {
      family: optInt(a['vcpu-family'], '--vcpu-family', 0xffff)!,
      model: optInt(a['vcpu-model'], '--vcpu-model', 0xffff)!,
      stepping: optInt(a['vcpu-stepping'], '--vcpu-stepping', 0xffff)!,
    };
    return { signature: BigInt(cpuSignature(fms)), source: `family ${fms.family} model ${fms.model} stepping ${fms.stepping}` };
  }
  if (a['vcpu-sig'] !== undefined) return { signature: optU64(a['vcpu-sig'], '--vcpu-sig')!, source: 'explicit' };
  if (a['vcpu-type'] !== undefined) {
    const t = resolveVcpuType(a['vcpu-type']);
    return { signature: BigInt(t.signature), source: 'type', name: t.name };
  }
  if (profile.usesVcpuSignature && mode !== 'sev') {
    fail('usage', `missing --vcpu-type or --vcpu-sig or --vcpu-family in guest mode '${mode}'`);
  }
  return undefined;
}

export function directBootHashes(a: OvmfArgs, io: CliIO): DirectBootHashes | undefined {
  if (a.kernel === '' && a['kernel-sha256'] === undefined) {
    // sev-snp-measure treats an empty --kernel as "no kernel" and then ignores --initrd and --append.
    if (a.initrd || a.append) io.err('warning: an empty --kernel means no measured direct boot (as in sev-snp-measure); --initrd and --append are ignored\n');
    return undefined;
  }
  const hasKernel = a.kernel !== undefined || a['kernel-sha256'] !== undefined;
  if (a.kernel !== undefined && a['kernel-sha256'] !== undefined) fail('usage', '--kernel and --kernel-sha256 are alternatives');
  if (a.initrd !== undefined && a['initrd-sha256'] !== undefined) fail('usage', '--initrd and --initrd-sha256 are alternatives');
  if (a.append !== undefined && a['append-sha256'] !== undefined) fail('usage', '--append and --append-sha256 are alternatives');
  if (!hasKernel) {
    if (a.initrd || a['initrd-sha256'] !== undefined) fail('usage', '--kernel required when using --initrd');
    if (a.append || a['append-sha256'] !== undefined) fail('usage', '--kernel required when using --append');
    return undefined;
  }
  const sha = (v: string, flag: string): Uint8Array => fromHex(v, flag, 32);
  const kernel = a['kernel-sha256'] !== undefined ? sha(a['kernel-sha256'], '--kernel-sha256') : sha256File(a.kernel!, '--kernel', io.cwd);
  // As the reference does, an empty --initrd value means no initrd.
  const initrd = a['initrd-sha256'] !== undefined ? sha(a['initrd-sha256'], '--initrd-sha256')
    : a.initrd ? sha256File(a.initrd, '--initrd', io.cwd) : defaultSuite.sha256(new Uint8Array(0));
  const cmdline = a['append-sha256'] !== undefined ? sha(a['append-sha256'], '--append-sha256') : cmdlineHash(a.append);
  return { kernel, initrd, cmdline };
}

/** A firmware file, read on demand (only its tables are parsed up front); stdin is read whole. */
export function loadFirmware(path: string, what: string, io: CliIO): FirmwareImage {
  if (isStdin(path)) {
    const bytes = readInputFile(path, what, io.cwd);
    return { bytes, info: parseFirmware(bytes, what) };
  }
  const w = fileWindow(path, what, io.cwd);
  const source = { length: w.length, read: (o: number, n: number) => { const b = new Uint8Array(n); w.read(o, b); return b; } };
  return { info: parseFirmware(source, what), file: { size: w.length, path: w.file!.path, read: (o, into) => w.read(o, into) } };
}

function describeImage(path: string, image: FirmwareImage): Record<string, unknown> {
  return { path, size: imageSize(image), sha256: toHex(imageSha256(image)) };
}

export interface OvmfResult {
  mode: Mode;
  digest: Uint8Array;
  json: Record<string, unknown>;
  warnings: string[];
}

/** Computes an `ovmf` invocation's result; separated from printing so other commands can reuse it. */
export function computeOvmf(a: OvmfArgs, io: CliIO, log?: LogCollector): OvmfResult & { vmsaPages: readonly Uint8Array[] } {
  const mode = parseMode(a.mode);
  const profile = resolveProfile(a['vmm-type'], a['vmm-era']);
  const unknownSections = oneOf(a['unknown-sections'], '--unknown-sections', ['error', 'zero'] as const) as UnknownSectionPolicy;
  const guestFeatures = optU64(a['guest-features'], '--guest-features')!;
  const inputs: Record<string, unknown> = { mode, profile: profile.name, era: profile.era };
  const warnings: string[] = [];

  if (a.metadata !== undefined && mode !== 'snp') fail('usage', '--metadata works with --mode snp only');
  if (a.ovmf === undefined && a.metadata === undefined) fail('usage', 'missing --ovmf (or --metadata for a metadata-only snp launch)');
  if (a['snp-ovmf-hash'] !== undefined && mode !== 'snp') fail('usage', '--snp-ovmf-hash works with --mode snp only');
  if (a.log !== undefined && !mode.startsWith('snp')) fail('usage', '--log is for SNP modes; SEV and SEV-ES digests have no per-page log');
  if (a['dump-vmsa'] && (mode === 'sev' || mode === 'snp:ovmf-hash')) fail('usage', `--dump-vmsa is not available in mode ${mode}`);
  if (mode !== 'snp:svsm' && (a.svsm !== undefined || a['vars-size'] !== undefined || a['vars-file'] !== undefined)) {
    fail('usage', '--svsm, --vars-size and --vars-file belong to --mode snp:svsm');
  }

  if (mode === 'snp:ovmf-hash') {
    const fw = loadFirmware(a.ovmf!, '--ovmf', io);
    const built = buildOvmfHashPlan(fw);
    const r = measurePlan(built.plan, log ? { onStep: log.onStep } : {});
    inputs['firmware'] = describeImage(a.ovmf!, fw);
    return { mode, digest: r.digest, json: { inputs, steps: r.steps, stepsByType: r.stepsByType }, warnings, vmsaPages: [] };
  }

  if (a.vcpus === undefined && mode !== 'sev') fail('usage', `missing --vcpus N in guest mode '${mode}'`);
  const vcpus = a.vcpus === undefined ? 0 : optInt(a.vcpus, '--vcpus', MAX_VCPUS)!;
  if (mode !== 'sev') inputs['vcpus'] = vcpus;
  const vcpu = mode === 'sev' ? undefined : resolveSignature(a, profile, mode);
  const signature = vcpu?.signature ?? 0n;
  if (vcpu && profile.usesVcpuSignature) {
    inputs['vcpuSignature'] = signature;
    if (vcpu.name) inputs['vcpuType'] = vcpu.name;
  }
  const directBoot = directBootHashes(a, io);
  if (directBoot) {
    inputs['kernelSha256'] = toHex(directBoot.kernel);
    inputs['initrdSha256'] = toHex(directBoot.initrd);
    inputs['cmdlineSha256'] = toHex(directBoot.cmdline);
  }

  if (mode === 'sev' || mode === 'seves') {
    const fw = loadFirmware(a.ovmf!, '--ovmf', io);
    inputs['firmware'] = describeImage(a.ovmf!, fw);
    if (mode === 'sev') {
      return { mode, digest: sevLaunchDigest({ firmware: fw, ...(directBoot ? { directBoot } : {}) }), json: { inputs }, warnings, vmsaPages: [] };
    }
    const r = sevEsLaunchDigest({ firmware: fw, vcpus, profile, vcpuSignature: signature, ...(directBoot ? { directBoot } : {}) });
    return { mode, digest: r.digest, json: { inputs }, warnings, vmsaPages: r.vmsaPages };
  }

  let built: BuiltPlan;
  if (mode === 'snp:svsm') {
    if (profile.name !== 'qemu') fail('profile', `snp:svsm mode is only defined for QEMU, not ${profile.name}`);
    if (directBoot) fail('usage', 'snp:svsm mode does not measure a kernel; drop --kernel/--initrd/--append');
    if (a.svsm === undefined) fail('usage', 'snp:svsm mode requires --svsm');
    const varsSize = a['vars-file'] !== undefined ? fileSize(a['vars-file'], '--vars-file', io.cwd) : optInt(a['vars-size'], '--vars-size', FOUR_GIB);
    if (!varsSize) fail('usage', 'snp:svsm mode requires --vars-size or --vars-file');
    const ovmf = loadFirmware(a.ovmf!, '--ovmf', io);
    const svsm = loadFirmware(a.svsm, '--svsm', io);
    inputs['firmware'] = describeImage(a.ovmf!, ovmf);
    inputs['svsm'] = { ...describeImage(a.svsm, svsm), varsSize };
    inputs['guestFeatures'] = 0x1n;
    built = buildLegacySvsmPlan({ ovmf, svsm, varsSize, vcpus, vcpuSignature: signature, unknownSections });
  } else {
    let firmware: FirmwareImage | null = null;
    let layout: FirmwareLayout;
    let seed: Uint8Array | undefined;
    if (a.metadata !== undefined) {
      const text = new TextDecoder().decode(readInputFile(a.metadata, '--metadata', io.cwd));
      const md = parseMetadataJson(text, `--metadata ${a.metadata}`);
      layout = md.layout;
      seed = md.ovmfHash;
      if (a['snp-ovmf-hash'] !== undefined) fail('usage', '--metadata already carries OVMFHash; drop --snp-ovmf-hash');
      inputs['metadata'] = a.metadata;
    } else {
      firmware = loadFirmware(a.ovmf!, '--ovmf', io);
      layout = firmware.info;
      inputs['firmware'] = describeImage(a.ovmf!, firmware);
      if (a['snp-ovmf-hash'] !== undefined) seed = fromHex(a['snp-ovmf-hash'], '--snp-ovmf-hash', 48, 'seed');
    }
    if (seed) inputs['seed'] = toHex(seed);
    inputs['guestFeatures'] = guestFeatures;
    const vmsaGpa = a['vmsa-gpa'] !== undefined ? optU64(a['vmsa-gpa'], '--vmsa-gpa')! : resolveVmsaGpa(profile, a.product);
    if (vmsaGpa % 4096n !== 0n) fail('bad-number', `--vmsa-gpa 0x${vmsaGpa.toString(16)} is not page aligned`);
    inputs['vmsaGpa'] = vmsaGpa;
    built = buildSnpOvmfPlan({
      firmware, layout, ...(seed ? { seed } : {}), vcpus, profile, vcpuSignature: signature, guestFeatures,
      ...(directBoot ? { directBoot } : {}), unknownSections, vmsaGpa,
    });
  }
  warnings.push(...built.warnings);
  const r = measurePlan(built.plan, log ? { onStep: log.onStep } : {});
  return { mode, digest: r.digest, json: { inputs, steps: r.steps, stepsByType: r.stepsByType }, warnings, vmsaPages: built.vmsaPages };
}

const MODE_NAMES: Record<Mode, string> = {
  'snp': 'SEV_SNP', 'snp:ovmf-hash': 'SEV_SNP', 'snp:svsm': 'SEV_SNP_SVSM', 'sev': 'SEV', 'seves': 'SEV_ES',
};

export function runOvmf(a: OvmfArgs, io: CliIO): number {
  const format = oneOf(a['output-format'], '--output-format', ['hex', 'base64'] as const) as OutputFormat;
  const log = a.log !== undefined ? new LogCollector() : undefined;
  const r = computeOvmf(a, io, log);
  for (const w of r.warnings) io.err(`warning: ${w}\n`);
  if (a['dump-vmsa']) r.vmsaPages.forEach((p, i) => writeFileAtomic(`vmsa${i}.bin`, p, io.cwd));
  if (log) log.write(a.log!, io);
  const text = formatDigest(r.digest, format);
  if (a.json) {
    io.out(toJson({ digest: text, format, ...r.json, warnings: r.warnings }));
  } else if (a.verbose) {
    io.out(`Calculated ${MODE_NAMES[r.mode]} guest measurement: ${text}\n`);
  } else {
    io.out(`${text}\n`);
  }
  return 0;
}

export const OVMF_PROFILES_HELP = Object.entries(PROFILES)
  .map(([name, f]) => `${name}: eras ${Object.keys(f.eras).join(', ')} (default ${f.defaultEra})`).join('; ');

export const COMMANDS: readonly CommandSpec[] = [{
  path: 'ovmf', describe: 'launch digest of a classic OVMF launch (sev-snp-measure compatible options)',
  usage: 'ovmf --mode MODE --ovmf OVMF.fd [options]', positionals: [],
  options: (y) => ovmfOptions(y).epilog(`Profiles: ${OVMF_PROFILES_HELP}`),
  run: (a, io) => runOvmf(a as unknown as OvmfArgs, io),
}];
