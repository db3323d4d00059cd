/** Runs `vmfwupdate-regions-vectors/1` files (vectors/regions-README.md). */
import { fail, isMeasureError } from '../errors.js';
import { fromHex, parseUnsigned, toHex } from '../bytes.js';
import { measurePlan } from '../engine.js';
import { resolveProfile } from '../profiles.js';
import { resolveVcpuType } from '../cpu.js';
import { decodeStruct, type VmfwupdateStruct } from '../regions/format.js';
import { ExtentMemory, bytesExtent, type GuestMemory, type MemoryExtent } from '../regions/memory.js';
import { replayUpdate, type MeasuredZero, type FirmwareMetadataMode, type RegionSpec, type ReplayLaunch } from '../regions/replay.js';
import { buildSyntheticImage, readStream, type SynthImage } from './recipes.js';

type Hex = string;
interface ExtentJson { gpa: Hex; label?: string; length?: number; hex?: string; synthImage?: SynthImage }
export interface RegionVector {
  id: string;
  kind: 'valid' | 'error';
  input: {
    struct: { fields?: Record<string, Hex | number>; hex?: string; gpa?: Hex; size?: number };
    regions?: { size: Hex; src_addr: Hex; dst_addr: Hex; flags: Hex }[];
    memory: { kind: 'extents' | 'raw-image'; size?: Hex; extents: ExtentJson[] };
    launch: {
      vcpus: number; profile: string; vcpuSignature?: Hex; vcpuType?: string; guestFeatures: Hex;
      apResetEip: Hex | null; measuredZero: MeasuredZero; firmwareMetadata: FirmwareMetadataMode;
    };
  };
  expected: { digest?: string; launchSteps?: number; error?: string; region?: number; regions?: [number, number] };
}

const u64 = (v: Hex | number, what: string): bigint => parseUnsigned(v, what);

function vectorMemory(m: RegionVector['input']['memory']): GuestMemory {
  const extents: MemoryExtent[] = m.extents.map((e, i): MemoryExtent => {
    const gpa = u64(e.gpa, `extent ${i} gpa`);
    if (e.hex !== undefined) return bytesExtent(gpa, fromHex(e.hex, `extent ${i}`), `extent ${i}`);
    if (e.synthImage) return bytesExtent(gpa, buildSyntheticImage(e.synthImage), `synthetic image ${e.synthImage.name}`);
    if (e.label !== undefined && e.length !== undefined) {
      const label = e.label;
      return { gpa, length: e.length, describe: `stream ${label}`, read: (o, into) => readStream(label, o, into) };
    }
    return fail('conformance', `extent ${i}: unknown extent form`);
  });
  return new ExtentMemory(extents, m.kind === 'raw-image' ? u64(m.size ?? '0x0', 'raw image size') : undefined);
}

function vectorStruct(s: RegionVector['input']['struct'], memory: GuestMemory): VmfwupdateStruct {
  if (s.fields) {
    const f = s.fields;
    return {
      capabilities: u64(f['capabilities'] ?? 0, 'capabilities'), firmwareSize: u64(f['firmware_size'] ?? 0, 'firmware_size'),
      opaqueAddr: u64(f['opaque_addr'] ?? 0, 'opaque_addr'), regionsAddr: u64(f['regions_addr'] ?? 0, 'regions_addr'),
      regionsCount: Number(f['regions_count'] ?? 0), control: Number(f['control'] ?? 0),
    };
  }
  if (s.hex !== undefined) return decodeStruct(fromHex(s.hex, 'struct hex'));
  const gpa = u64(s.gpa ?? '0x0', 'struct gpa');
  const size = s.size ?? 40;
  if (!memory.covers(gpa, BigInt(size))) fail('struct-range', `struct vmfwupdate is not available at ${s.gpa} (${size} bytes)`);
  const buf = new Uint8Array(size);
  memory.read(gpa, buf);
  return decodeStruct(buf);
}

function vectorLaunch(l: RegionVector['input']['launch']): ReplayLaunch {
  const signature = l.vcpuSignature !== undefined ? u64(l.vcpuSignature, 'vcpuSignature')
    : l.vcpuType !== undefined ? BigInt(resolveVcpuType(l.vcpuType).signature) : 0n;
  return {
    vcpus: l.vcpus, profile: resolveProfile(l.profile), vcpuSignature: signature, guestFeatures: u64(l.guestFeatures, 'guestFeatures'),
    apResetEip: l.apResetEip === null ? null : Number(parseUnsigned(l.apResetEip, 'apResetEip', 0xffffffffn)),
    measuredZero: l.measuredZero, firmwareMetadata: l.firmwareMetadata,
  };
}

/** Runs one vector; returns what it produced in the vector's own terms. */
export function runRegionVector(v: RegionVector): { digest?: string; launchSteps?: number; error?: string; region?: number; regions?: [number, number]; message?: string } {
  try {
    const memory = vectorMemory(v.input.memory);
    const struct = vectorStruct(v.input.struct, memory);
    const regions: RegionSpec[] | undefined = v.input.regions?.map((r, i) => ({
      size: u64(r.size, `region ${i} size`), src: u64(r.src_addr, `region ${i} src_addr`),
      dst: u64(r.dst_addr, `region ${i} dst_addr`), flags: u64(r.flags, `region ${i} flags`),
    }));
    const outcome = replayUpdate({ struct, ...(regions ? { regions } : {}), memory, launch: vectorLaunch(v.input.launch) });
    if (outcome.outcome === 'disabled') return { error: 'disabled' };
    const r = measurePlan(outcome.plan);
    return { digest: toHex(r.digest), launchSteps: r.steps };
  } catch (e) {
    if (!isMeasureError(e)) throw e;
    return {
      error: e.code, message: e.message,
      ...(e.details.region !== undefined ? { region: e.details.region } : {}),
      ...(e.details.regions ? { regions: [e.details.regions[0], e.details.regions[1]] as [number, number] } : {}),
    };
  }
}

export function regionVectorMatches(v: RegionVector, got: ReturnType<typeof runRegionVector>): boolean {
  const x = v.expected;
  if (x.digest !== undefined) return got.digest === x.digest && got.launchSteps === x.launchSteps;
  if (got.error !== x.error) return false;
  if (x.region !== undefined && got.region !== x.region) return false;
  if (x.regions && (got.regions?.[0] !== x.regions[0] || got.regions?.[1] !== x.regions[1])) return false;
  return true;
}

export function describeRegionResult(r: { digest?: string; launchSteps?: number; error?: string; region?: number; regions?: [number, number]; message?: string }): string {
  if (r.digest !== undefined) return `digest ${r.digest}, ${r.launchSteps} steps`;
  const where = r.regions ? ` regions ${r.regions.join(',')}` : r.region !== undefined ? ` region ${r.region}` : '';
  return `error ${r.error}${where}${r.message ? ` (${r.message})` : ''}`;
}
