/**
 * `vmfw-measure regions`: replay a vmfwupdate region list (manifest or binary capture) and
 * print the launch digest after the update; plus from-ovmf, encode and decode.
 */
import type { Argv } from 'yargs';
import { closeSync, ftruncateSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fail } from '../errors.js';
import { hex64, toHex } from '../bytes.js';
import { measurePlanParallel } from '../node/parallel.js';
import {
  CAPABILITY_IGVM_IMAGES, REGION_FLAGS, RULES_VERSION, decodeRegionArray, decodeStruct, encodeRegionArray, encodeStruct,
  STRUCT_SIZE_NATURAL, STRUCT_SIZE_PACKED, type RegionDescriptor, type VmfwupdateStruct,
} from '../regions/format.js';
import type { GuestMemory } from '../regions/memory.js';
import {
  formatManifest, manifestRegionSpecs, parseFirmwareMetadata, parseMeasuredZero, resolveLaunch,
  type LaunchSettings, type Manifest, type ManifestRegion, type ManifestSource,
} from '../regions/manifest.js';
import { replayRegions, replayUpdate, type ReplayOutcome } from '../regions/replay.js';
import { ovmfRegionList } from '../regions/from-ovmf.js';
import { guestMemoryFromFiles } from '../node/file-extent.js';
import { readInputFile, writeFileAtomic } from '../node/files.js';
import { formatDigest, LogCollector, oneOf, optInt, optU64, toJson, type OutputFormat } from './common.js';
import { directBootHashes, loadFirmware, ovmfOptions, parseMode, resolveSignature, type OvmfArgs } from './ovmf-command.js';
import { resolveProfile } from '../profiles.js';
import type { CliIO } from './io.js';
import { loadManifest } from './manifest-input.js';
import type { CommandSpec } from './spec.js';

import { EXIT_NO_DIGEST } from './exit-codes.js';

interface LaunchArgs {
  vcpus?: string; 'vmm-type'?: string; 'vmm-era'?: string; 'vcpu-type'?: string; 'vcpu-sig'?: string;
  'guest-features'?: string; 'ap-reset-eip'?: string; 'measured-zero'?: string; 'firmware-metadata'?: string;
}
interface MemoryArgs { struct?: string; 'struct-at'?: string; 'struct-size': string; memory?: string; extent?: string[] }
interface RegionsArgs extends LaunchArgs, MemoryArgs {
  manifest?: string; 'output-format': string; json: boolean; log?: string;
}

function launchOptions(y: Argv): Argv {
  return y
    .option('vcpus', { type: 'string', describe: 'vCPU count (overrides launch.vcpus)' })
    .option('vmm-type', { type: 'string', alias: 'profile', describe: 'VMM profile qemu | ec2 | gce (any case)' })
    .option('vmm-era', { type: 'string', describe: 'profile era (qemu: init2 | pre-init2; ec2: rdx-0x600 | rdx-0)' })
    .option('vcpu-type', { type: 'string', describe: 'QEMU vCPU model name' })
    .option('vcpu-sig', { type: 'string', describe: 'vCPU signature (CPUID Fn0000_0001_EAX)' })
    .option('guest-features', { type: 'string', describe: 'VMSA sev_features (default 0x1)' })
    .option('ap-reset-eip', { type: 'string', describe: 'AP reset EIP (default: from the firmware region\'s SEV-ES reset block)' })
    .option('measured-zero', { type: 'string', describe: 'ZERO+MEASURE pages: native (ZERO type, default) | normal (NORMAL page of zeros)' })
    .option('firmware-metadata', { type: 'string', describe: 'none (default) | ovmf (append the firmware region\'s SEV metadata sections)' });
}

function memoryOptions(y: Argv): Argv {
  return y
    .option('struct', { type: 'string', describe: 'struct vmfwupdate as captured (40 or 36 bytes)' })
    .option('struct-at', { type: 'string', describe: 'read struct vmfwupdate from guest memory at this GPA' })
    .option('struct-size', { type: 'string', default: '40', describe: 'size of the struct read with --struct-at: 40 (natural) or 36 (packed)' })
    .option('memory', { type: 'string', describe: 'raw guest-memory image (byte N = GPA N) holding the array and COPY sources' })
    .option('extent', { type: 'string', array: true, describe: 'GPA=FILE: guest memory populated from FILE at GPA (repeatable)' })
    .conflicts('struct', 'struct-at');
}

function launchOverrides(a: LaunchArgs): LaunchSettings {
  const s: LaunchSettings = {};
  if (a.vcpus !== undefined) s.vcpus = optInt(a.vcpus, '--vcpus', 65536)!;
  if (a['vmm-type'] !== undefined) s.profile = resolveProfile(a['vmm-type']).name;
  if (a['vmm-era'] !== undefined) s.era = a['vmm-era'];
  if (a['vcpu-type'] !== undefined) s.vcpuType = a['vcpu-type'];
  if (a['vcpu-sig'] !== undefined) s.vcpuSignature = optU64(a['vcpu-sig'], '--vcpu-sig')!;
  if (a['guest-features'] !== undefined) s.guestFeatures = optU64(a['guest-features'], '--guest-features')!;
  if (a['ap-reset-eip'] !== undefined) s.apResetEip = optInt(a['ap-reset-eip'], '--ap-reset-eip', 0xffffffff)!;
  if (a['measured-zero'] !== undefined) s.measuredZero = parseMeasuredZero(a['measured-zero'].toLowerCase(), '--measured-zero');
  if (a['firmware-metadata'] !== undefined) s.firmwareMetadata = parseFirmwareMetadata(a['firmware-metadata'].toLowerCase(), '--firmware-metadata');
  return s;
}

function guestMemory(a: MemoryArgs, io: CliIO): GuestMemory {
  return guestMemoryFromFiles(a.memory, a.extent, io.cwd);
}

function structSize(a: MemoryArgs): 40 | 36 {
  const n = optInt(a['struct-size'], '--struct-size', 64)!;
  if (n !== STRUCT_SIZE_NATURAL && n !== STRUCT_SIZE_PACKED) fail('struct-size', `--struct-size ${n}: expected 40 (natural) or 36 (packed)`);
  return n;
}

function capturedStruct(a: MemoryArgs, memory: GuestMemory, io: CliIO): VmfwupdateStruct {
  if (a.struct !== undefined) return decodeStruct(readInputFile(a.struct, '--struct', io.cwd), `--struct ${a.struct}`);
  const gpa = optU64(a['struct-at'], '--struct-at')!;
  const size = structSize(a);
  if (!memory.covers(gpa, BigInt(size))) fail('struct-range', `struct vmfwupdate (${size} bytes) is not available in the supplied memory at ${hex64(gpa)}`);
  const buf = new Uint8Array(size);
  memory.read(gpa, buf);
  return decodeStruct(buf);
}


interface Replayed { outcome: ReplayOutcome; settings: LaunchSettings }

function replayFromArgs(a: RegionsArgs, io: CliIO): Replayed {
  const memory = guestMemory(a, io);
  const overrides = launchOverrides(a);
  if (a.manifest !== undefined) {
    if (a.struct !== undefined || a['struct-at'] !== undefined) fail('usage', 'give a manifest or a captured struct (--struct/--struct-at), not both');
    const { manifest, open } = loadManifest(a.manifest, 'manifest', io);
    const { launch, settings } = resolveLaunch(manifest.launch, overrides);
    if (((manifest.struct?.control ?? 0) & 1) !== 0) return { outcome: { outcome: 'disabled' }, settings };
    const regions = manifestRegionSpecs(manifest, open);
    const caps = manifest.struct?.capabilities;
    return { outcome: replayRegions({ ...(caps !== undefined ? { capabilities: caps } : {}), regions, memory, launch }), settings };
  }
  if (a.struct === undefined && a['struct-at'] === undefined) fail('usage', 'give a manifest, or a captured struct with --struct FILE or --struct-at GPA (and --memory/--extent)');
  const struct = capturedStruct(a, memory, io);
  const { launch, settings } = resolveLaunch({}, overrides);
  return { outcome: replayUpdate({ struct, memory, launch }), settings };
}

export async function runRegions(a: RegionsArgs, io: CliIO): Promise<number> {
  const format = oneOf(a['output-format'], '--output-format', ['hex', 'base64'] as const) as OutputFormat;
  const { outcome, settings } = replayFromArgs(a, io);
  if (outcome.outcome === 'disabled') {
    if (a.json) io.out(toJson({ rules: RULES_VERSION, outcome: 'disabled' }));
    io.err('update disabled: control.DISABLE is set, so the VMM ignores the update and the next launch is unchanged (no digest)\n');
    return EXIT_NO_DIGEST;
  }
  const log = a.log !== undefined ? new LogCollector() : undefined;
  const r = await measurePlanParallel(outcome.plan, log ? { onStep: log.onStep } : {});
  if (log) log.write(a.log!, io);
  const digest = formatDigest(r.digest, format);
  if (a.json) {
    io.out(toJson({
      digest, format, rules: RULES_VERSION,
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

interface FromOvmfArgs extends OvmfArgs { out?: string }

export function runFromOvmf(a: FromOvmfArgs, io: CliIO): number {
  const mode = parseMode(a.mode);
  if (mode !== 'snp') fail('usage', `--mode ${mode} has no region-list equivalent; from-ovmf covers plain snp launches`);
  if (a['snp-ovmf-hash'] !== undefined || a.metadata !== undefined) fail('usage', 'from-ovmf needs the firmware bytes (a region list copies them); drop --snp-ovmf-hash / --metadata');
  if (a.ovmf === undefined) fail('usage', 'missing --ovmf');
  if (a.vcpus === undefined) fail('usage', 'missing --vcpus N');
  const profile = resolveProfile(a['vmm-type'], a['vmm-era']);
  const vcpu = resolveSignature(a, profile, mode);
  const firmware = loadFirmware(a.ovmf, '--ovmf', io);
  const directBoot = directBootHashes(a, io);
  const outDir = a.out !== undefined ? dirname(resolve(io.cwd, a.out)) : io.cwd;
  const manifest = ovmfRegionList({
    firmwarePath: relative(outDir, resolve(io.cwd, a.ovmf)) || basename(a.ovmf),
    firmware, profile, vcpus: optInt(a.vcpus, '--vcpus', 65536)!,
    ...(vcpu?.name !== undefined ? { vcpuType: vcpu.name } : vcpu ? { vcpuSignature: vcpu.signature } : {}),
    guestFeatures: optU64(a['guest-features'], '--guest-features')!,
    ...(directBoot ? { directBoot } : {}),
    unknownSections: oneOf(a['unknown-sections'], '--unknown-sections', ['error', 'zero'] as const),
  });
  const text = formatManifest(manifest);
  if (a.out !== undefined) writeFileAtomic(a.out, text, io.cwd);
  else io.out(text);
  return 0;
}

// ---- encode ----

interface EncodeArgs {
  manifest: string; 'struct-out'?: string; 'regions-out'?: string; 'memory-out'?: string;
  'struct-size': string; 'struct-gpa': string; 'regions-addr': string; 'staging-base'?: string;
}

const alignUp = (v: bigint, a: bigint): bigint => (v + a - 1n) / a * a;

/** Writes a sparse raw memory image: only the placed ranges hold data. */
function writeMemoryImage(path: string, pieces: { gpa: bigint; write(fd: number): void; length: bigint }[], io: CliIO): void {
  const full = resolve(io.cwd, path);
  const tmp = join(dirname(full), `.${basename(full)}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    let end = 0n;
    for (const p of pieces) { p.write(fd); if (p.gpa + p.length > end) end = p.gpa + p.length; }
    ftruncateSync(fd, Number(end));
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, full);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try { unlinkSync(tmp); } catch { /* nothing to clean */ }
    if ((e as Error).name === 'MeasureError') throw e;
    fail('output', `cannot write ${path}: ${(e as Error).message}`);
  }
}

export function runEncode(a: EncodeArgs, io: CliIO): number {
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
  const placed: { gpa: bigint; length: bigint; write(fd: number): void }[] = [];
  const descriptors: RegionDescriptor[] = manifest.regions.map((r, i) => {
    const spec = specs[i]!;
    let src = r.src;
    if (spec.data) {
      src ??= (() => { const s = next; next = alignUp(next + spec.size, 0x1000n); return s; })();
      const data = spec.data;
      const at = src;
      placed.push({
        gpa: at, length: BigInt(data.length),
        write(fd) {
          const chunk = new Uint8Array(Math.min(1 << 20, Math.max(1, data.length)));
          for (let o = 0; o < data.length; o += chunk.length) {
            const part = chunk.subarray(0, Math.min(chunk.length, data.length - o));
            data.read(o, part);
            writeSync(fd, part, 0, part.length, Number(at) + o);
          }
        },
      });
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
  if (a['struct-out']) writeFileAtomic(a['struct-out'], structBytes, io.cwd);
  if (a['regions-out']) writeFileAtomic(a['regions-out'], arrayBytes, io.cwd);
  if (a['memory-out']) {
    placed.push({ gpa: structGpa, length: BigInt(size), write: (fd) => { writeSync(fd, structBytes, 0, size, Number(structGpa)); } });
    placed.push({ gpa: regionsAddr, length: BigInt(arrayBytes.length), write: (fd) => { writeSync(fd, arrayBytes, 0, arrayBytes.length, Number(regionsAddr)); } });
    const end = placed.reduce((m, p) => (p.gpa + p.length > m ? p.gpa + p.length : m), 0n);
    if (end > BigInt(Number.MAX_SAFE_INTEGER)) fail('usage', 'the memory image would be larger than a file can be; lower the src addresses');
    writeMemoryImage(a['memory-out'], placed, io);
  }
  io.out(toJson({
    structGpa: a['memory-out'] ? structGpa : null, structSize: size, regionsAddr, regionsCount: count,
    sources: descriptors.map((d, i) => ({ region: i, src: d.src })),
  }));
  return 0;
}

// ---- decode ----

interface DecodeArgs extends LaunchArgs, MemoryArgs { out?: string; 'inline-limit': string }

export function runDecode(a: DecodeArgs, io: CliIO): number {
  const memory = guestMemory(a, io);
  if (a.struct === undefined && a['struct-at'] === undefined) fail('usage', 'decode needs --struct FILE or --struct-at GPA');
  const struct = capturedStruct(a, memory, io);
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
    rules: RULES_VERSION, launch: launchOverrides(a),
    struct: { capabilities: struct.capabilities, firmwareSize: struct.firmwareSize, opaqueAddr: struct.opaqueAddr, control: struct.control },
    regions,
  };
  const text = formatManifest(manifest);
  if (a.out !== undefined) writeFileAtomic(a.out, text, io.cwd);
  else io.out(text);
  return 0;
}

// ---- registration ----

const replayOptions = (s: Argv): Argv => launchOptions(memoryOptions(s))
  .option('output-format', { type: 'string', default: 'hex', describe: 'hex | base64' })
  .option('json', { type: 'boolean', default: false, describe: 'digest, rules version, launch settings and step counts as JSON' })
  .option('log', { type: 'string', describe: 'write the launch log (JSON Lines) to FILE' });

export const COMMANDS: readonly CommandSpec[] = [
  {
    path: 'regions', describe: 'launch digest after a vmfwupdate region-list update (rules vmfwupdate-snp/1)',
    usage: 'regions [MANIFEST | --struct FILE | --struct-at GPA] [--memory IMG] [--extent GPA=FILE ...] [options]',
    positionals: [{ name: 'manifest', required: false }], options: replayOptions,
    run: (a, io) => runRegions(a as unknown as RegionsArgs, io),
  },
  {
    path: 'regions from-ovmf', describe: 'write the region list equivalent to an OVMF launch (same options as `ovmf`)',
    usage: 'regions from-ovmf --mode snp --ovmf OVMF.fd [ovmf options] [--out FILE]', positionals: [],
    options: (s) => ovmfOptions(s).option('out', { type: 'string', describe: 'write the manifest to FILE (default: stdout)' }),
    run: (a, io) => runFromOvmf(a as unknown as FromOvmfArgs, io),
  },
  {
    path: 'regions encode', describe: 'write the binary struct vmfwupdate, region array and (optionally) a memory image',
    usage: 'regions encode MANIFEST [--struct-out F] [--regions-out F] [--memory-out F]', positionals: [{ name: 'manifest', required: true }],
    options: (s) => s
      .option('struct-out', { type: 'string', describe: 'struct vmfwupdate bytes' })
      .option('regions-out', { type: 'string', describe: 'region array bytes' })
      .option('memory-out', { type: 'string', describe: 'sparse raw memory image holding struct, array and COPY sources' })
      .option('struct-size', { type: 'string', default: '40', describe: '40 (natural) or 36 (packed)' })
      .option('struct-gpa', { type: 'string', default: '0x1000', describe: 'where the struct sits in the memory image' })
      .option('regions-addr', { type: 'string', default: '0x2000', describe: 'regions_addr: where the array sits' })
      .option('staging-base', { type: 'string', describe: 'first src address for COPY sources without src (default: after the array)' }),
    run: (a, io) => runEncode(a as unknown as EncodeArgs, io),
  },
  {
    path: 'regions decode', describe: 'decode a captured struct and region array into a manifest',
    usage: 'regions decode (--struct FILE | --struct-at GPA) [--memory IMG] [--extent GPA=FILE ...] [--out FILE]', positionals: [],
    options: (s) => launchOptions(memoryOptions(s))
      .option('out', { type: 'string', describe: 'write the manifest to FILE (default: stdout)' })
      .option('inline-limit', { type: 'string', default: '1048576', describe: 'largest COPY source written inline as hex when sources come from extents' }),
    run: (a, io) => runDecode(a as unknown as DecodeArgs, io),
  },
];
