/**
 * The OVMF half of the launch description: firmware images over sources, measured direct boot,
 * and the classic `ovmf` command's modes (SNP plans; SEV and SEV-ES digests). Apart from build.ts
 * so the `ovmf` command loads no region-list or IGVM code.
 */
import { fail } from '../errors.js';
import { toHex } from '../bytes.js';
import { defaultSuite, sha256Of, type HashSuite } from '../hash/suite.js';
import { KVM_VMSA_GPA, checkModelledProfiles, resolveProfile, resolveVmsaGpa } from '../profiles.js';
import { parseFirmware, firmwareGpa, type FirmwareLayout } from '../ovmf/firmware.js';
import { cmdlineHash, type DirectBootHashes } from '../ovmf/kernel-hashes.js';
import {
  buildLegacySvsmPlan, buildOvmfHashPlan, buildSnpOvmfPlan, sevEsLaunchDigest, sevLaunchDigest, imageSha256, imageSize,
  type BuiltPlan, type FirmwareImage,
} from '../ovmf/launch.js';
import { parseMetadataJson } from '../ovmf/metadata-json.js';
import type { GuestMemory } from '../regions/memory.js';
import { readAll, readText, type LaunchDescription, type Source, optionSpelling } from './description.js';

/** What building a launch may use beyond its description: the hash suite, guest memory, how options are spelled in messages. */
export interface BuildContext {
  readonly hashes?: HashSuite;
  /** Guest memory for region lists whose COPY sources are not in the manifest. */
  readonly memory?: GuestMemory;
  readonly spell?: (key: string) => string;
}

/** A firmware image over a source: bytes in memory, or read on demand (and by worker threads) from a file. */
export function firmwareImage(s: Source, what: string): FirmwareImage {
  if (s.bytes) return { bytes: s.bytes, info: parseFirmware(s.bytes, what) };
  if (!s.file) {
    const bytes = readAll(s);
    return { bytes, info: parseFirmware(bytes, what) };
  }
  const info = parseFirmware({ length: s.length, read: (o, n) => { const b = new Uint8Array(n); s.read(o, b); return b; } }, what);
  return { info, file: { size: s.length, path: s.file.path, ...(s.file.identity ? { identity: s.file.identity } : {}), read: (o, into) => s.read(o, into) } };
}

export function sourceSha256(s: Source, hashes: HashSuite): Uint8Array {
  return sha256Of(s, hashes);
}

export interface DirectBoot { readonly hashes?: DirectBootHashes; readonly warnings: readonly string[] }

/** The kernel-hashes inputs; `hashes` is undefined without measured direct boot (sev-snp-measure's rules). */
export function directBoot(d: LaunchDescription, ctx: BuildContext = {}): DirectBoot {
  const spell = ctx.spell ?? optionSpelling;
  const hashes = ctx.hashes ?? defaultSuite;
  const warnings: string[] = [];
  if (d.kernel === null && d.kernelSha256 === undefined) {
    if (d.initrd || d.append) warnings.push(`an empty ${spell('kernel')} means no measured direct boot (as in sev-snp-measure); ${spell('initrd')} and ${spell('append')} are ignored`);
    return { warnings };
  }
  if (d.kernel !== undefined && d.kernelSha256 !== undefined) fail('usage', `${spell('kernel')} and ${spell('kernelSha256')} are alternatives`);
  if (d.initrd !== undefined && d.initrdSha256 !== undefined) fail('usage', `${spell('initrd')} and ${spell('initrdSha256')} are alternatives`);
  if (d.append !== undefined && d.appendSha256 !== undefined) fail('usage', `${spell('append')} and ${spell('appendSha256')} are alternatives`);
  const hasKernel = d.kernel !== undefined || d.kernelSha256 !== undefined;
  if (!hasKernel) {
    if (d.initrd || d.initrdSha256 !== undefined) fail('usage', `${spell('kernel')} required when using ${spell('initrd')}`);
    if (d.append || d.appendSha256 !== undefined) fail('usage', `${spell('kernel')} required when using ${spell('append')}`);
    return { warnings };
  }
  return {
    warnings,
    hashes: {
      kernel: d.kernelSha256 ?? sourceSha256(d.kernel!, hashes),
      initrd: d.initrdSha256 ?? (d.initrd ? sourceSha256(d.initrd, hashes) : hashes.sha256(new Uint8Array(0))),
      cmdline: d.appendSha256 ?? cmdlineHash(d.append, hashes),
    },
  };
}

export function ovmfSeedAndLayout(d: LaunchDescription, spell: (k: string) => string): { firmware: FirmwareImage | null; layout: FirmwareLayout; seed?: Uint8Array; inputs: Record<string, unknown> } {
  if (d.metadata) {
    if (d.snpOvmfHash) fail('usage', `${spell('metadata')} already carries OVMFHash; drop ${spell('snpOvmfHash')}`);
    if (d.ovmf) fail('usage', `${spell('ovmf')} and ${spell('metadata')} are alternatives: the metadata replaces the firmware (and its OVMFHash the firmware's pages)`);
    const md = parseMetadataJson(readText(d.metadata), `${spell('metadata')} ${d.metadata.describe}`);
    return { firmware: null, layout: md.layout, seed: md.ovmfHash, inputs: { metadata: d.metadata.describe } };
  }
  const firmware = firmwareImage(d.ovmf!, spell('ovmf'));
  if (!d.snpOvmfHash) firmwareGpa(imageSize(firmware), spell('ovmf'));
  return { firmware, layout: firmware.info, ...(d.snpOvmfHash ? { seed: d.snpOvmfHash } : {}), inputs: {} };
}

// ---- the classic `ovmf` command's modes ----

export interface OvmfModeResult {
  readonly mode: LaunchDescription['mode'] & string;
  readonly digest: Uint8Array;
  readonly inputs: Record<string, unknown>;
  readonly built?: BuiltPlan;
  readonly vmsaPages: readonly Uint8Array[];
  readonly warnings: readonly string[];
}

function describeImage(s: Source, image: FirmwareImage, hashes: HashSuite, withSha: boolean): Record<string, unknown> {
  return { path: s.describe, size: imageSize(image), ...(withSha ? { sha256: toHex(imageSha256(image, hashes)) } : {}) };
}

/**
 * Refuses what a pre-IGVM COCONUT-SVSM launch (mode snp:svsm) does not read: it is modelled for
 * QEMU (era init2) only, puts its VMSAs at the KVM GPA and starts from the firmware's own pages.
 * It forces sev_features 0x1: other guest features are a warning, not an error, because
 * sev-snp-measure takes them there and ignores them (its own test passes 0x21).
 */
export function checkSvsmSettings(d: LaunchDescription, spell: (k: string) => string): string[] {
  checkModelledProfiles(d.profiles ?? [], [resolveProfile('qemu')], 'snp:svsm mode is', spell);
  if (d.vmsaGpa !== undefined && d.vmsaGpa !== KVM_VMSA_GPA) fail('usage', `${spell('vmsaGpa')}: snp:svsm mode puts the VMSAs at the KVM GPA 0x${KVM_VMSA_GPA.toString(16)}`);
  if (d.metadata || d.snpOvmfHash) fail('usage', `snp:svsm mode measures the firmware's own pages: drop ${spell(d.metadata ? 'metadata' : 'snpOvmfHash')}`);
  const other = d.guestFeatures?.filter((f) => f !== 0x1n) ?? [];
  return other.length ? [`${spell('guestFeatures')} ${other.map((f) => `0x${f.toString(16)}`).join(', ')} is not measured: snp:svsm mode forces sev_features 0x1 (as sev-snp-measure does)`] : [];
}

/**
 * The plan (SNP modes) or digest (SEV, SEV-ES) of an `ovmf` invocation. `describeInputs` adds the
 * firmware SHA-256 to the inputs (it costs a pass over the file, so only --json asks for it).
 */
export function ovmfModePlan(d: LaunchDescription, ctx: BuildContext & { describeInputs?: boolean } = {}): OvmfModeResult {
  const spell = ctx.spell ?? optionSpelling;
  const hashes = ctx.hashes ?? defaultSuite;
  const withSha = ctx.describeInputs ?? false;
  const mode = d.mode ?? fail('usage', `missing ${spell('mode')}`);
  const profile = d.profiles?.[0] ?? resolveProfile('qemu');
  if (d.profiles && d.profiles.length > 1) fail('usage', `give one ${spell('vmmType')}`);
  const inputs: Record<string, unknown> = { mode, profile: profile.name, era: profile.era };
  if (d.metadata && mode !== 'snp') fail('usage', `${spell('metadata')} works with ${spell('mode')} snp only`);
  if (!d.ovmf && !d.metadata) fail('usage', `missing ${spell('ovmf')} (or ${spell('metadata')} for a metadata-only snp launch)`);
  if (d.snpOvmfHash && mode !== 'snp') fail('usage', `${spell('snpOvmfHash')} works with ${spell('mode')} snp only`);
  if (mode !== 'snp:svsm' && (d.svsm || d.varsSize !== undefined)) fail('usage', `${spell('svsm')}, ${spell('varsSize')} and ${spell('varsFile')} belong to ${spell('mode')} snp:svsm`);

  if (mode === 'snp:ovmf-hash') {
    const fw = firmwareImage(d.ovmf!, spell('ovmf'));
    inputs['firmware'] = describeImage(d.ovmf!, fw, hashes, withSha);
    return { mode, digest: new Uint8Array(0), inputs, built: buildOvmfHashPlan(fw), vmsaPages: [], warnings: [] };
  }
  if (d.vcpus === undefined && mode !== 'sev') fail('usage', `missing ${spell('vcpus')} N in guest mode '${mode}'`);
  if (d.vcpus && d.vcpus.length > 1) fail('usage', `give one ${spell('vcpus')} count`);
  const vcpus = d.vcpus?.[0] ?? 0;
  if (mode !== 'sev') inputs['vcpus'] = vcpus;
  if (d.vcpuTypes && d.vcpuTypes.length > 1) fail('usage', `give one ${spell('vcpuType')}`);
  const type = mode === 'sev' ? undefined : d.vcpuTypes?.[0];
  if (!type && mode !== 'sev' && profile.usesVcpuSignature) fail('usage', `missing ${spell('vcpuType')} or ${spell('vcpuSig')} or ${spell('vcpuFamily')} in guest mode '${mode}'`);
  const signature = type?.signature ?? 0n;
  if (type && profile.usesVcpuSignature) {
    inputs['vcpuSignature'] = signature;
    if (!type.name.startsWith('sig ') && !type.name.startsWith('family ')) inputs['vcpuType'] = type.name;
  }
  const boot0 = directBoot(d, ctx);
  const boot = boot0.hashes ? { hashes: boot0.hashes } : undefined;
  const warnings = [...boot0.warnings];
  if (boot) {
    inputs['kernelSha256'] = toHex(boot.hashes.kernel);
    inputs['initrdSha256'] = toHex(boot.hashes.initrd);
    inputs['cmdlineSha256'] = toHex(boot.hashes.cmdline);
  }
  const features = d.guestFeatures ?? [0x1n];
  if (features.length > 1) fail('usage', `give one ${spell('guestFeatures')}`);

  if (mode === 'sev' || mode === 'seves') {
    const fw = firmwareImage(d.ovmf!, spell('ovmf'));
    inputs['firmware'] = describeImage(d.ovmf!, fw, hashes, withSha);
    if (mode === 'sev') return { mode, digest: sevLaunchDigest({ firmware: fw, ...(boot ? { directBoot: boot.hashes } : {}) }, hashes), inputs, vmsaPages: [], warnings };
    const r = sevEsLaunchDigest({ firmware: fw, vcpus, profile, vcpuSignature: signature, ...(boot ? { directBoot: boot.hashes } : {}) }, hashes);
    return { mode, digest: r.digest, inputs, vmsaPages: r.vmsaPages, warnings };
  }
  if (vcpus === 0) warnings.push(`${spell('vcpus')} 0: the launch has no VMSA, so no vCPU can start; real launches have at least one`);

  let built: BuiltPlan;
  if (mode === 'snp:svsm') {
    warnings.push(...checkSvsmSettings(d, spell));
    if (boot) fail('usage', `snp:svsm mode does not measure a kernel; drop ${spell('kernel')}/${spell('initrd')}/${spell('append')}`);
    if (!d.svsm) fail('usage', `snp:svsm mode requires ${spell('svsm')}`);
    if (d.varsSize === undefined) fail('usage', `snp:svsm mode requires ${spell('varsSize')} or ${spell('varsFile')}`);
    const ovmf = firmwareImage(d.ovmf!, spell('ovmf'));
    const svsm = firmwareImage(d.svsm, spell('svsm'));
    inputs['firmware'] = describeImage(d.ovmf!, ovmf, hashes, withSha);
    inputs['svsm'] = { ...describeImage(d.svsm, svsm, hashes, withSha), varsSize: d.varsSize };
    inputs['guestFeatures'] = 0x1n;
    built = buildLegacySvsmPlan({ ovmf, svsm, varsSize: d.varsSize, vcpus, vcpuSignature: signature, unknownSections: d.unknownSections ?? 'error' });
  } else {
    const fw = ovmfSeedAndLayout(d, spell);
    Object.assign(inputs, fw.inputs);
    if (fw.firmware) inputs['firmware'] = describeImage(d.ovmf!, fw.firmware, hashes, withSha);
    if (fw.seed) inputs['seed'] = toHex(fw.seed);
    inputs['guestFeatures'] = features[0]!;
    const vmsaGpa = d.vmsaGpa ?? resolveVmsaGpa(profile, d.product, true);
    inputs['vmsaGpa'] = vmsaGpa;
    built = buildSnpOvmfPlan({
      firmware: fw.firmware, layout: fw.layout, ...(fw.seed ? { seed: fw.seed } : {}), vcpus, profile, vcpuSignature: signature,
      guestFeatures: features[0]!, ...(boot ? { directBoot: boot.hashes } : {}), unknownSections: d.unknownSections ?? 'error', vmsaGpa,
    });
  }
  warnings.push(...built.warnings);
  return { mode, digest: new Uint8Array(0), inputs, built, vmsaPages: built.vmsaPages, warnings };
}

