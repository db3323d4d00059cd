/**
 * The measurement inputs that verify, identify and reference-values share: an OVMF firmware (or
 * its metadata), a region-list manifest, or an IGVM file, plus the configuration options, which
 * identify and reference-values also accept as lists (`--vcpus 1-8,16`, `--vcpu-type a,b`).
 */
import type { Argv } from 'yargs';
import { fail } from '../errors.js';
import { fromHex, parseUnsigned } from '../bytes.js';
import { cpuSignature, resolveVcpuType } from '../cpu.js';
import { resolveProfile, type VmmProfile } from '../profiles.js';
import { firmwareGpa } from '../ovmf/firmware.js';
import { parseMetadataJson } from '../ovmf/metadata-json.js';
import { manifestRegionSpecs, parseFirmwareMetadata, parseMeasuredZero } from '../regions/manifest.js';
import { parseIgvm } from '../igvm/parse.js';
import { IGVM_SEMANTICS, type ApVmsaPolicy, type IgvmSemantics } from '../igvm/measure.js';
import { igvmLaunch, ovmfLaunch, regionsLaunch, ALL_PROFILES, distinctVcpuTypes, type ConfigurableLaunch, type LaunchConfig, type SearchSpace, type VcpuTypeChoice } from '../attestation/launch-space.js';
import { guestMemoryFromFiles } from '../node/file-extent.js';
import { readInputFile } from '../node/files.js';
import { directBootHashes, loadFirmware, type OvmfArgs } from './ovmf-command.js';
import { imageSize } from '../ovmf/launch.js';
import { oneOf } from './common.js';
import type { CliIO } from './io.js';
import { loadManifest } from './manifest-input.js';

export interface LaunchInputArgs {
  ovmf?: string; metadata?: string; 'snp-ovmf-hash'?: string; kernel?: string; initrd?: string; append?: string;
  'kernel-sha256'?: string; 'initrd-sha256'?: string; 'append-sha256'?: string; 'unknown-sections': string; product?: string;
  manifest?: string; memory?: string; extent?: string[]; 'ap-reset-eip'?: string; 'measured-zero'?: string; 'firmware-metadata'?: string;
  igvm?: string; semantics: string; 'ap-vmsa': string; 'native-zero': boolean; 'file-order': boolean;
  vcpus?: string; 'vcpu-type'?: string; 'vcpu-sig'?: string; 'vcpu-family'?: string; 'vcpu-model'?: string; 'vcpu-stepping'?: string;
  'vmm-type'?: string; 'vmm-era'?: string; 'guest-features'?: string;
}

export function launchInputOptions(y: Argv): Argv {
  return y
    .group(['ovmf', 'metadata', 'snp-ovmf-hash', 'kernel', 'initrd', 'append', 'kernel-sha256', 'initrd-sha256', 'append-sha256', 'unknown-sections', 'product'], 'OVMF launch (as the ovmf command, mode snp):')
    .option('ovmf', { type: 'string', describe: 'OVMF firmware file' })
    .option('metadata', { type: 'string', describe: 'metadata-only JSON instead of --ovmf' })
    .option('snp-ovmf-hash', { type: 'string', describe: 'precomputed firmware digest' })
    .option('kernel', { type: 'string' }).option('initrd', { type: 'string' }).option('append', { type: 'string' })
    .option('kernel-sha256', { type: 'string' }).option('initrd-sha256', { type: 'string' }).option('append-sha256', { type: 'string' })
    .option('unknown-sections', { type: 'string', default: 'error', describe: 'error | zero' })
    .option('product', { type: 'string', describe: 'GCE product for the VMSA GPA: milan | genoa' })
    .group(['manifest', 'memory', 'extent', 'ap-reset-eip', 'measured-zero', 'firmware-metadata'], 'Region-list launch:')
    .option('manifest', { type: 'string', describe: 'vmfwupdate region-list manifest' })
    .option('memory', { type: 'string', describe: 'raw guest-memory image for regions without a source' })
    .option('extent', { type: 'string', array: true, describe: 'GPA=FILE guest memory (repeatable)' })
    .option('ap-reset-eip', { type: 'string' }).option('measured-zero', { type: 'string' }).option('firmware-metadata', { type: 'string' })
    .group(['igvm', 'semantics', 'ap-vmsa', 'native-zero', 'file-order'], 'IGVM launch:')
    .option('igvm', { type: 'string', describe: 'IGVM file' })
    .option('semantics', { type: 'string', default: 'qemu', describe: 'qemu | igvm-crate | igvmmeasure' })
    .option('ap-vmsa', { type: 'string', default: 'reset', describe: 'reset | bsp | none' })
    .option('native-zero', { type: 'boolean', default: false })
    .option('file-order', { type: 'boolean', default: false })
    .group(['vcpus', 'vcpu-type', 'vcpu-sig', 'vcpu-family', 'vcpu-model', 'vcpu-stepping', 'vmm-type', 'vmm-era', 'guest-features'], 'Configuration:')
    .option('vcpus', { type: 'string', describe: 'vCPU count (identify/reference-values: list or ranges, e.g. 1-8,16)' })
    .option('vcpu-type', { type: 'string', describe: 'QEMU vCPU model (lists: comma-separated)' })
    .option('vcpu-sig', { type: 'string', describe: 'vCPU signature (lists: comma-separated)' })
    .option('vcpu-family', { type: 'string' }).option('vcpu-model', { type: 'string' }).option('vcpu-stepping', { type: 'string' })
    .option('vmm-type', { type: 'string', alias: 'profile', describe: 'qemu | ec2 | gce (lists: comma-separated; profile:era selects an era)' })
    .option('vmm-era', { type: 'string', describe: 'profile era (single profile only)' })
    .option('guest-features', { type: 'string', describe: 'VMSA sev_features (lists: comma-separated)' });
}

export function hasLaunchInput(a: LaunchInputArgs): boolean {
  return a.ovmf !== undefined || a.metadata !== undefined || a.manifest !== undefined || a.igvm !== undefined;
}

/** Loads the one launch the arguments describe, as a function of its configuration. */
export function loadLaunch(a: LaunchInputArgs, io: CliIO): ConfigurableLaunch {
  const given = [a.ovmf !== undefined || a.metadata !== undefined, a.manifest !== undefined, a.igvm !== undefined].filter(Boolean).length;
  if (given !== 1) fail('usage', 'give exactly one launch: --ovmf (or --metadata), --manifest or --igvm');
  if (a.igvm !== undefined) {
    return igvmLaunch(parseIgvm(readInputFile(a.igvm, '--igvm', io.cwd)), {
      semantics: oneOf(a.semantics, '--semantics', IGVM_SEMANTICS) as IgvmSemantics,
      apVmsa: oneOf(a['ap-vmsa'], '--ap-vmsa', ['reset', 'bsp', 'none'] as const) as ApVmsaPolicy,
      deferRegions: !a['file-order'], nativeZero: a['native-zero'],
    });
  }
  if (a.manifest !== undefined) {
    const { manifest, open } = loadManifest(a.manifest, '--manifest', io);
    const settings = { ...manifest.launch };
    if (a['ap-reset-eip'] !== undefined) settings.apResetEip = Number(parseUnsigned(a['ap-reset-eip'], '--ap-reset-eip', 0xffffffffn));
    if (a['measured-zero'] !== undefined) settings.measuredZero = parseMeasuredZero(a['measured-zero'], '--measured-zero');
    if (a['firmware-metadata'] !== undefined) settings.firmwareMetadata = parseFirmwareMetadata(a['firmware-metadata'], '--firmware-metadata');
    return regionsLaunch({
      regions: manifestRegionSpecs(manifest, open),
      memory: guestMemoryFromFiles(a.memory, a.extent, io.cwd),
      ...(manifest.struct?.capabilities !== undefined ? { capabilities: manifest.struct.capabilities } : {}),
      settings,
    });
  }
  const directBoot = directBootHashes(a as unknown as OvmfArgs, io);
  const unknownSections = oneOf(a['unknown-sections'], '--unknown-sections', ['error', 'zero'] as const);
  if (a.metadata !== undefined) {
    const md = parseMetadataJson(new TextDecoder().decode(readInputFile(a.metadata, '--metadata', io.cwd)), `--metadata ${a.metadata}`);
    return ovmfLaunch({ firmware: null, layout: md.layout, seed: md.ovmfHash, ...(directBoot ? { directBoot } : {}), unknownSections, ...(a.product ? { product: a.product } : {}) });
  }
  const firmware = loadFirmware(a.ovmf!, '--ovmf', io);
  if (a['snp-ovmf-hash'] === undefined) firmwareGpa(imageSize(firmware), '--ovmf');
  const seed = a['snp-ovmf-hash'] !== undefined ? fromHex(a['snp-ovmf-hash'], '--snp-ovmf-hash', 48, 'seed') : undefined;
  return ovmfLaunch({ firmware, layout: firmware.info, ...(seed ? { seed } : {}), ...(directBoot ? { directBoot } : {}), unknownSections, ...(a.product ? { product: a.product } : {}) });
}

/** Counts like "1-8,16,32". */
export function parseCounts(text: string, flag: string, max = 65536): number[] {
  const out: number[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\w+)\s*-\s*(\w+)$/.exec(part);
    const lo = Number(parseUnsigned(m ? m[1]! : part, flag, BigInt(max)));
    const hi = m ? Number(parseUnsigned(m[2]!, flag, BigInt(max))) : lo;
    if (hi < lo) fail('usage', `${flag}: range ${part} runs backwards`);
    if (out.length + (hi - lo + 1) > max) fail('usage', `${flag}: more than ${max} counts`);
    for (let n = lo; n <= hi; n++) out.push(n);
  }
  if (out.length === 0) fail('usage', `${flag}: no counts given`);
  return out;
}

const list = (v: string | undefined): string[] | undefined => v?.split(',').map((s) => s.trim()).filter(Boolean);

export function profilesFrom(a: LaunchInputArgs, all: readonly VmmProfile[]): VmmProfile[] {
  const names = list(a['vmm-type']);
  if (!names) return [...all];
  if (a['vmm-era'] !== undefined && names.length !== 1) fail('usage', '--vmm-era goes with a single --vmm-type; write profile:era in lists');
  return names.map((n) => {
    const [name, era] = n.split(':');
    return resolveProfile(name!, era ?? a['vmm-era']);
  });
}

export function vcpuTypesFrom(a: LaunchInputArgs): VcpuTypeChoice[] | undefined {
  if (a['vcpu-family'] !== undefined) {
    if (a['vcpu-model'] === undefined || a['vcpu-stepping'] === undefined) fail('usage', '--vcpu-family needs --vcpu-model and --vcpu-stepping');
    const fms = { family: Number(parseUnsigned(a['vcpu-family'], '--vcpu-family', 0xffffn)), model: Number(parseUnsigned(a['vcpu-model'], '--vcpu-model', 0xffffn)), stepping: Number(parseUnsigned(a['vcpu-stepping'], '--vcpu-stepping', 0xffffn)) };
    return [{ name: `family ${fms.family} model ${fms.model} stepping ${fms.stepping}`, signature: BigInt(cpuSignature(fms)), aliases: [] }];
  }
  const sigs = list(a['vcpu-sig']);
  if (sigs) return sigs.map((s) => ({ name: `sig ${s}`, signature: parseUnsigned(s, '--vcpu-sig'), aliases: [] }));
  const types = list(a['vcpu-type']);
  if (types) return types.map((t) => { const r = resolveVcpuType(t); return { name: r.name, signature: BigInt(r.signature), aliases: [] }; });
  return undefined;
}

export function featuresFrom(a: LaunchInputArgs): bigint[] | undefined {
  return list(a['guest-features'])?.map((f) => parseUnsigned(f, '--guest-features'));
}

/** The single configuration verify measures. */
export function singleConfig(a: LaunchInputArgs, launch: ConfigurableLaunch): LaunchConfig {
  const d = launch.defaults ?? {};
  if (a.vcpus === undefined && d.vcpus === undefined) fail('usage', 'missing --vcpus N');
  const vcpus = a.vcpus !== undefined ? Number(parseUnsigned(a.vcpus, '--vcpus', 65536n)) : d.vcpus!;
  const profiles = a['vmm-type'] !== undefined || a['vmm-era'] !== undefined || !d.profile ? profilesFrom(a, [launch.profiles[0]!]) : [d.profile];
  if (profiles.length !== 1) fail('usage', 'verify measures one configuration: give one --vmm-type');
  const profile = profiles[0]!;
  const types = vcpuTypesFrom(a);
  if (types && types.length !== 1) fail('usage', 'verify measures one configuration: give one --vcpu-type or --vcpu-sig');
  const signature = types?.[0]?.signature ?? d.vcpuSignature;
  if (signature === undefined && profile.usesVcpuSignature && launch.kind !== 'igvm') {
    fail('usage', `missing --vcpu-type or --vcpu-sig or --vcpu-family for profile ${profile.name}`);
  }
  const features = featuresFrom(a);
  if (features && features.length !== 1) fail('usage', 'verify measures one configuration: give one --guest-features');
  const typeName = types?.[0]?.name ?? (types ? undefined : d.vcpuType);
  return {
    vcpus, profile, ...(signature !== undefined ? { vcpuSignature: signature } : {}), ...(typeName ? { vcpuType: typeName } : {}),
    guestFeatures: features?.[0] ?? d.guestFeatures ?? 0x1n,
  };
}

/** The search space from the options; defaults are the broad space `identify` searches. */
export function searchSpace(a: LaunchInputArgs, defaults: { vcpus: number[]; features: bigint[] }): SearchSpace {
  const extra = featuresFrom(a);
  return {
    vcpus: a.vcpus !== undefined ? parseCounts(a.vcpus, '--vcpus') : defaults.vcpus,
    vcpuTypes: vcpuTypesFrom(a) ?? distinctVcpuTypes(),
    guestFeatures: extra ? [...new Set([...defaults.features, ...extra])] : defaults.features,
    profiles: profilesFrom(a, ALL_PROFILES),
  };
}
