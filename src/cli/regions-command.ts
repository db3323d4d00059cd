/**
 * `vmfw-measure regions`: replay a vmfwupdate region list (manifest or binary capture) and
 * print the launch digest after the update; plus from-ovmf, encode and decode.
 */
import { basename, dirname, relative, resolve } from 'node:path';
import { fail } from '../errors.js';
import { hex64, toHex } from '../bytes.js';
import { FORMATS } from '../formats.js';
import { measurePlanParallel } from '../node/parallel.js';
import {
  CAPABILITY_IGVM_IMAGES, REGION_FLAGS, RULES_VERSION, decodeRegionArray, decodeStruct, encodeRegionArray, encodeStruct,
  STRUCT_SIZE_NATURAL, STRUCT_SIZE_PACKED, type RegionDescriptor, type VmfwupdateStruct,
} from '../regions/format.js';
import type { GuestMemory } from '../regions/memory.js';
import {
  formatManifest, manifestRegionSpecs, parseManifest, resolveLaunch,
  type LaunchSettings, type Manifest, type ManifestRegion, type ManifestSource,
} from '../regions/manifest.js';
import { REPLAY_VMSA_GPA, replayRegions, replayUpdate, type ReplayOutcome } from '../regions/replay.js';
import { ovmfRegionList } from '../regions/from-ovmf.js';
import { guestMemoryFromFiles } from '../node/file-extent.js';
import { recordIn } from './launch-args.js';
import { readInputFile } from '../node/files.js';
import { formatDigest, LogCollector, oneOf, optInt, optU64, Outputs, toJson, writeOutput, type OutputFormat, byFlag, engineOptions } from './common.js';
import { resolveProfile, resolveVmsaGpa } from '../profiles.js';
import { directBoot, firmwareImage, ovmfModePlan } from '../launch/build.js';
import { readText, type LaunchDescription } from '../launch/description.js';
import { launchFromArgs } from './launch-args.js';
import type { CommandArgs } from './commands.js';
import type { CliIO } from './io.js';
import { loadManifest } from './manifest-input.js';

import { EXIT_NO_DIGEST } from './exit-codes.js';

interface LaunchArgs {
  vcpus?: string; 'vmm-type'?: string; 'vmm-era'?: string; 'vcpu-type'?: string; 'vcpu-sig'?: string;
  'guest-features'?: string; 'ap-reset-eip'?: string; 'measured-zero'?: string; 'firmware-metadata'?: string;
}
interface MemoryArgs { struct?: string; 'struct-at'?: string; 'struct-size': string; memory?: string; extent?: string[] }
interface RegionsArgs extends LaunchArgs, MemoryArgs {
  manifest?: string; 'output-format': string; json: boolean; log?: string;
}

function launchOverrides(d: LaunchDescription): LaunchSettings {
  const s: LaunchSettings = {};
  const one = <T>(list: readonly T[] | undefined, flag: string): T | undefined => {
    if (list && list.length !== 1) fail('usage', `give one value for ${flag}`);
    return list?.[0];
  };
  const vcpus = one(d.vcpus, '--vcpus');
  if (vcpus !== undefined) s.vcpus = vcpus;
  const profile = one(d.profiles, '--vmm-type');
  if (profile) { s.profile = profile.name; s.era = profile.era; }
  const type = one(d.vcpuTypes, '--vcpu-type');
  if (type) {
    if (type.name.startsWith('sig ') || type.name.startsWith('family ')) s.vcpuSignature = type.signature;
    else s.vcpuType = type.name;
  }
  const gf = one(d.guestFeatures, '--guest-features');
  if (gf !== undefined) s.guestFeatures = gf;
  if (d.apResetEip !== undefined) s.apResetEip = d.apResetEip;
  if (d.measuredZero !== undefined) s.measuredZero = d.measuredZero;
  if (d.firmwareMetadata !== undefined) s.firmwareMetadata = d.firmwareMetadata;
  return s;
}

function guestMemory(a: MemoryArgs, io: CliIO): GuestMemory {
  return guestMemoryFromFiles(a.memory, a.extent, io.cwd, recordIn(io));
}

function structSize(a: MemoryArgs): 40 | 36 {
  const n = optInt(a['struct-size'], '--struct-size', 64)!;
  if (n !== STRUCT_SIZE_NATURAL && n !== STRUCT_SIZE_PACKED) fail('struct-size', `--struct-size ${n}: expected 40 (natural) or 36 (packed)`);
  return n;
}

/** The captured struct vmfwupdate: from --struct FILE, or read from guest memory at --struct-at. */
function capturedStruct(a: MemoryArgs, memory: GuestMemory, io: CliIO, given: ReadonlySet<string>): VmfwupdateStruct {
  if (a.struct !== undefined) {
    if (a['struct-at'] !== undefined) fail('usage', '--struct and --struct-at are alternatives: the struct comes from a file or from guest memory');
    const bytes = readInputFile(a.struct, '--struct', io.cwd, 'struct');
    // --struct-size says how much to read from memory; a file's size is its own, and must agree when both are given.
    if (given.has('structSize') && bytes.length !== structSize(a)) fail('struct-size', `--struct-size ${structSize(a)}, but --struct ${a.struct} has ${bytes.length} bytes`);
    return decodeStruct(bytes, `--struct ${a.struct}`);
  }
  const gpa = optU64(a['struct-at'], '--struct-at')!;
  const size = structSize(a);
  if (!memory.covers(gpa, BigInt(size))) fail('struct-range', `struct vmfwupdate (${size} bytes) is not available in the supplied memory at ${hex64(gpa)}`);
  const buf = new Uint8Array(size);
  memory.read(gpa, buf);
  return decodeStruct(buf);
}


interface Replayed { outcome: ReplayOutcome; settings: LaunchSettings }

function replayFromArgs(a: RegionsArgs, d: LaunchDescription, io: CliIO, given: ReadonlySet<string>): Replayed {
  const memory = guestMemory(a, io);
  const overrides = launchOverrides(d);
  if (d.manifest !== undefined) {
    if (a.struct !== undefined || a['struct-at'] !== undefined) fail('usage', 'give a manifest or a captured struct (--struct/--struct-at), not both');
    // The manifest as the launch description opened it: standard input can be read only once.
    const manifest = parseManifest(readText(d.manifest), `manifest ${d.manifest.describe}`);
    const open = d.manifest.relative!;
    const { launch, settings } = resolveLaunch(manifest.launch, overrides);
    if (((manifest.struct?.control ?? 0) & 1) !== 0) return { outcome: { outcome: 'disabled' }, settings };
    const regions = manifestRegionSpecs(manifest, open);
    const caps = manifest.struct?.capabilities;
    return { outcome: replayRegions({ ...(caps !== undefined ? { capabilities: caps } : {}), regions, memory, launch }), settings };
  }
  if (a.struct === undefined && a['struct-at'] === undefined) fail('usage', 'give a manifest, or a captured struct with --struct FILE or --struct-at GPA (and --memory/--extent)');
  const struct = capturedStruct(a, memory, io, given);
  const { launch, settings } = resolveLaunch({}, overrides);
  return { outcome: replayUpdate({ struct, memory, launch }), settings };
}

export async function runRegions(a: RegionsArgs, d: LaunchDescription, args: CommandArgs, io: CliIO): Promise<number> {
  const format = oneOf(a['output-format'], '--output-format', ['hex', 'base64'] as const) as OutputFormat;
  const { outcome, settings } = replayFromArgs(a, d, io, args.given);
  if (outcome.outcome === 'disabled') {
    if (a.json) io.out(toJson({ format: FORMATS.regionsResult, rules: RULES_VERSION, outcome: 'disabled' }));
    io.err('update disabled: control.DISABLE is set, so the VMM ignores the update and the next launch is unchanged (no digest)\n');
    return EXIT_NO_DIGEST;
  }
  const log = a.log !== undefined ? new LogCollector() : undefined;
  const eo = engineOptions(io, { log, maxSteps: d.maxSteps, label: 'measuring' });
  const r = await measurePlanParallel(outcome.plan, eo.options).finally(eo.done);
  if (log) writeOutput(args, io, a.log!, log.text(), '--log');
  const digest = formatDigest(r.digest, format);
  if (a.json) {
    io.out(toJson({
      format: FORMATS.regionsResult, digest, encoding: format, rules: RULES_VERSION, outcome: 'launch',
      launch: {
        ...settings, profile: settings.profile ?? 'qemu', guestFeatures: settings.guestFeatures ?? 0x1n,
        measuredZero: settings.measuredZero ?? 'native', firmwareMetadata: settings.firmwareMetadata ?? 'none',
        apResetEip: outcome.apResetEip === undefined ? null : hex64(outcome.apResetEip), apResetEipSource: outcome.apResetEipSource,
      },
      firmwareRegion: outcome.firmwareRegion ?? null,
      steps: r.steps, stepsByType: r.stepsByType,
    }));
  } else {
    io.out(`${digest}\n`);
  }
  return 0;
}

// ---- from-ovmf ----

export function runFromOvmfCommand(a: CommandArgs, io: CliIO): number {
  const d = launchFromArgs(a, io);
  if (d.mode !== 'snp') fail('usage', `--mode ${d.mode} has no region-list equivalent; from-ovmf covers plain snp launches`);
  if (d.snpOvmfHash || d.metadata) fail('usage', 'from-ovmf needs the firmware bytes (a region list copies them); drop --snp-ovmf-hash / --metadata');
  if (!d.ovmf) fail('usage', 'missing --ovmf');
  const ovmfPath = String(a.values['ovmf']);
  if (ovmfPath === '-') fail('usage', 'from-ovmf writes the firmware path into the manifest; give a file, not stdin');
  const r = ovmfModePlan(d);
  const profile = d.profiles?.[0] ?? resolveProfile('qemu');
  const vmsaGpa = d.vmsaGpa ?? resolveVmsaGpa(profile, d.product, true);
  if (vmsaGpa !== REPLAY_VMSA_GPA) {
    const why = d.vmsaGpa !== undefined ? '--vmsa-gpa' : `--vmm-type ${profile.name} --product ${d.product}`;
    fail('usage', `this launch puts its VMSAs at ${hex64(vmsaGpa)} (${why}), and a region list (rules ${RULES_VERSION}) puts them at ${hex64(REPLAY_VMSA_GPA)}: no manifest gives this launch's digest`);
  }
  const type = d.vcpuTypes?.[0];
  const boot = directBoot(d).hashes;
  const out = a.values['out'] as string | undefined;
  const outDir = out !== undefined && out !== '-' ? dirname(resolve(io.cwd, out)) : io.cwd;
  const manifest = ovmfRegionList({
    firmwarePath: relative(outDir, resolve(io.cwd, ovmfPath)) || basename(ovmfPath),
    firmware: firmwareImage(d.ovmf, '--ovmf'), profile, vcpus: Number(r.inputs['vcpus']),
    ...(type ? (type.name.startsWith('sig ') || type.name.startsWith('family ') ? { vcpuSignature: type.signature } : { vcpuType: type.name }) : {}),
    guestFeatures: d.guestFeatures?.[0] ?? 0x1n,
    ...(boot ? { directBoot: boot } : {}),
    unknownSections: d.unknownSections ?? 'error',
  });
  writeOutput(a, io, out ?? '-', formatManifest(manifest), '--out');
  return 0;
}

// ---- encode ----

interface EncodeArgs {
  manifest: string; 'struct-out'?: string; 'regions-out'?: string; 'memory-out'?: string;
  'struct-size': string; 'struct-gpa': string; 'regions-addr': string; 'staging-base'?: string;
}

const alignUp = (v: bigint, a: bigint): bigint => (v + a - 1n) / a * a;

/** Largest memory image `encode --memory-out` builds (it is written whole, with the other outputs, all or none). */
const MAX_MEMORY_IMAGE = 1 << 30;

/** A raw memory image holding the placed ranges (zeros elsewhere). */
function memoryImage(pieces: readonly { gpa: bigint; length: bigint; fill(into: Uint8Array): void }[]): Uint8Array {
  const end = pieces.reduce((m, p) => (p.gpa + p.length > m ? p.gpa + p.length : m), 0n);
  if (end > BigInt(MAX_MEMORY_IMAGE)) fail('usage', `--memory-out: the image would end at 0x${end.toString(16)}, past the ${MAX_MEMORY_IMAGE >> 20} MiB this tool writes; lower the src addresses (--staging-base, --struct-gpa, --regions-addr)`);
  const image = new Uint8Array(Number(end));
  for (const p of pieces) p.fill(image.subarray(Number(p.gpa), Number(p.gpa + p.length)));
  return image;
}

export function runEncode(a: EncodeArgs, args: CommandArgs, io: CliIO): number {
  const { manifest, open } = loadManifest(a.manifest, 'manifest', io);
  if (!a['struct-out'] && !a['regions-out'] && !a['memory-out']) fail('usage', 'encode needs --struct-out, --regions-out and/or --memory-out');
  const size = structSize({ 'struct-size': a['struct-size'] });
  const structGpa = optU64(a['struct-gpa'], '--struct-gpa')!;
  const regionsAddr = optU64(a['regions-addr'], '--regions-addr')!;
  const count = manifest.regions.length;
  const arrayEnd = regionsAddr + BigInt(count * 32);
  if (structGpa < arrayEnd && regionsAddr < structGpa + BigInt(size)) fail('usage', '--struct-gpa and --regions-addr overlap');
  let next = optU64(a['staging-base'], '--staging-base') ?? alignUp(arrayEnd > structGpa + BigInt(size) ? arrayEnd : structGpa + BigInt(size), 0x1000n);
  const specs = manifestRegionSpecs(manifest, open);
  const placed: { gpa: bigint; length: bigint; fill(into: Uint8Array): void }[] = [];
  const descriptors: RegionDescriptor[] = manifest.regions.map((r, i) => {
    const spec = specs[i]!;
    let src = r.src;
    if (spec.data) {
      src ??= (() => { const s = next; next = alignUp(next + spec.size, 0x1000n); return s; })();
      const data = spec.data;
      const at = src;
      placed.push({ gpa: at, length: BigInt(data.length), fill: (into) => data.read(0, into) });
    } else if ((r.flags & REGION_FLAGS.COPY) !== 0n && a['memory-out']) {
      fail('manifest', `regions[${i}]: COPY without a source cannot be encoded into a memory image`, { region: i });
    }
    return { size: spec.size, src: src ?? 0n, dst: r.dst, flags: r.flags };
  });
  const hasIgvm = manifest.regions.some((r) => (r.flags & REGION_FLAGS.IGVM_IMAGE) !== 0n);
  const struct: VmfwupdateStruct = {
    capabilities: manifest.struct?.capabilities ?? (hasIgvm ? CAPABILITY_IGVM_IMAGES : 0n),
    firmwareSize: manifest.struct?.firmwareSize ?? 0n, opaqueAddr: manifest.struct?.opaqueAddr ?? 0n,
    regionsAddr, regionsCount: count, control: manifest.struct?.control ?? 0,
  };
  const structBytes = encodeStruct(struct, size);
  const arrayBytes = encodeRegionArray(descriptors);
  const outputs = new Outputs(args, io);
  if (a['struct-out']) outputs.add(a['struct-out'], structBytes, '--struct-out');
  if (a['regions-out']) outputs.add(a['regions-out'], arrayBytes, '--regions-out');
  if (a['memory-out']) {
    placed.push({ gpa: structGpa, length: BigInt(size), fill: (into) => into.set(structBytes) });
    placed.push({ gpa: regionsAddr, length: BigInt(arrayBytes.length), fill: (into) => into.set(arrayBytes) });
    outputs.add(a['memory-out'], memoryImage(placed), '--memory-out');
  }
  outputs.commit();
  io.out(toJson({
    format: FORMATS.regionsEncode,
    structGpa: a['memory-out'] ? structGpa : null, structSize: size, regionsAddr, regionsCount: count,
    sources: descriptors.map((d, i) => ({ region: i, src: d.src })),
  }));
  return 0;
}

// ---- decode ----

interface DecodeArgs extends MemoryArgs { out?: string; 'inline-limit': string }

export function runDecode(a: DecodeArgs, launch: LaunchSettings, args: CommandArgs, io: CliIO): number {
  const memory = guestMemory(a, io);
  if (a.struct === undefined && a['struct-at'] === undefined) fail('usage', 'decode needs --struct FILE or --struct-at GPA');
  const struct = capturedStruct(a, memory, io, args.given);
  if (struct.regionsCount > 0 && a.memory === undefined && (a.extent ?? []).length === 0) {
    fail('usage', `the region array (${struct.regionsCount} entries at ${hex64(struct.regionsAddr)}) is in guest memory: give it with --memory IMG or --extent GPA=FILE`);
  }
  if (!memory.covers(struct.regionsAddr, BigInt(struct.regionsCount * 32))) {
    fail('region-array-range', `the region array of ${struct.regionsCount} entries at ${hex64(struct.regionsAddr)} runs past the supplied memory`);
  }
  const arr = new Uint8Array(struct.regionsCount * 32);
  memory.read(struct.regionsAddr, arr);
  const outDir = a.out !== undefined ? dirname(resolve(io.cwd, a.out)) : io.cwd;
  const inlineLimit = optInt(a['inline-limit'], '--inline-limit', 1 << 30)!;
  const regions: ManifestRegion[] = decodeRegionArray(arr, struct.regionsCount).map((d, i) => {
    const base: ManifestRegion = { dst: d.dst, size: d.size, flags: d.flags, src: d.src };
    if ((d.flags & REGION_FLAGS.COPY) === 0n || !memory.covers(d.src, d.size)) return base;
    let source: ManifestSource;
    if (a.memory !== undefined && a.extent === undefined) {
      source = { file: relative(outDir, resolve(io.cwd, a.memory)), offset: d.src, length: d.size };
    } else if (d.size <= BigInt(inlineLimit)) {
      const bytes = new Uint8Array(Number(d.size));
      memory.read(d.src, bytes);
      source = { hex: toHex(bytes) };
    } else {
      return fail('usage', `region ${i}: its ${hex64(d.size)}-byte source is larger than --inline-limit; pass a single --memory image so the manifest can point into it`, { region: i });
    }
    return { ...base, source };
  });
  const manifest: Manifest = {
    rules: RULES_VERSION, launch,
    struct: { capabilities: struct.capabilities, firmwareSize: struct.firmwareSize, opaqueAddr: struct.opaqueAddr, control: struct.control },
    regions,
  };
  writeOutput(args, io, a.out ?? '-', formatManifest(manifest), '--out');
  return 0;
}


// ---- entry points: the parsed options, in this module's own shape ----


export function runRegionsCommand(a: CommandArgs, io: CliIO): Promise<number> {
  return runRegions(byFlag(a) as unknown as RegionsArgs, launchFromArgs(a, io), a, io);
}

export function runEncodeCommand(a: CommandArgs, io: CliIO): number {
  return runEncode(byFlag(a) as unknown as EncodeArgs, a, io);
}

export function runDecodeCommand(a: CommandArgs, io: CliIO): number {
  return runDecode(byFlag(a) as unknown as DecodeArgs, launchOverrides(launchFromArgs(a, io)), a, io);
}
