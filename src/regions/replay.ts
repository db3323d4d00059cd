/**
 * Replays a vmfwupdate region list against the SEV-SNP launch model under the rules
 * vmfwupdate-snp/1 (docs/spec/regions.md): validation, then one launch plan of
 * the regions in array order, the firmware's metadata sections (optional), and the VMSAs.
 */
import { MeasureError, fail } from '../errors.js';
import { hex64 } from '../bytes.js';
import { PAGE_SIZE, PageType } from '../snp/page-info.js';
import type { FileRef, LaunchPlan, LaunchRun, PageSpans, RunContents } from '../plan.js';
import { KVM_VMSA_GPA, RESET_VECTOR_EIP, type VmmProfile } from '../profiles.js';
import { parseFirmware, type ByteSource, type FirmwareInfo } from '../ovmf/firmware.js';
import { kernelHashesPage, metadataRuns, vmsaPagesFor, vmsaRuns, MAX_VCPUS, type UnknownSectionPolicy } from '../ovmf/launch.js';
import type { DirectBootHashes } from '../ovmf/kernel-hashes.js';
import {
  CAPABILITY_IGVM_IMAGES, CONTROL_DISABLE, KNOWN_FLAGS_MASK, MAX_REGIONS, REGION_ENTRY_SIZE, REGION_FLAGS as F,
  decodeRegionArray, flagNames, type RegionDescriptor, type VmfwupdateStruct,
} from './format.js';
import type { GuestMemory } from './memory.js';
import { parseIgvm } from '../igvm/parse.js';
import { measureIgvm, type ApVmsaPolicy } from '../igvm/measure.js';

const GPA_LIMIT = 1n << 52n;
const FOUR_GIB = 1n << 32n;
/** Every profile of vmfwupdate-snp/1 launches VMSAs at KVM's GPA. */
export const REPLAY_VMSA_GPA = KVM_VMSA_GPA;

/** Bytes a manifest supplies for a region instead of guest memory at `src`. */
export interface RegionData {
  readonly length: number;
  readonly describe: string;
  read(offset: number, into: Uint8Array): void;
  /** Set when the bytes are a window of a file on disk (lets worker threads read them directly). */
  readonly file?: FileRef;
}

/** One region of a list: its descriptor and where its bytes come from (data, kernel hashes, or nothing). */
export interface RegionSpec extends RegionDescriptor {
  readonly data?: RegionData;
  /**
   * A kernel-hashes page built from these hashes and the firmware region's hash-table location.
   * With firmwareMetadata "ovmf" it fills the firmware's SNP_KERNEL_HASHES section, in metadata order.
   */
  readonly kernelHashes?: DirectBootHashes;
  /** A source shorter than `size` is padded with zeros instead of being an error. */
  readonly padZero?: boolean;
}

export type MeasuredZero = 'native' | 'normal';
export type FirmwareMetadataMode = 'none' | 'ovmf';

/** The launch configuration a region-list replay measures under (vCPUs, profile, signature, features...). */
export interface ReplayLaunch {
  readonly vcpus: number;
  readonly profile: VmmProfile;
  readonly vcpuSignature: bigint;
  readonly guestFeatures: bigint;
  /** Explicit AP reset EIP; null takes it from the firmware region's SEV-ES reset block. */
  readonly apResetEip: number | null;
  readonly measuredZero: MeasuredZero;
  readonly firmwareMetadata: FirmwareMetadataMode;
  readonly unknownSections?: UnknownSectionPolicy;
  /** With an IGVM_IMAGE region: how vCPUs without a VP context are measured (default 'reset'). */
  readonly igvmApVmsa?: ApVmsaPolicy;
}

/** A region list to replay: the regions (with their sources), guest memory for COPY sources read at `src`, capabilities, and the launch settings. */
export interface ReplayInput {
  /** The struct's capabilities, when a struct is given (manifests may have none). */
  readonly capabilities?: bigint;
  readonly regions: readonly RegionSpec[];
  readonly memory: GuestMemory;
  readonly launch: ReplayLaunch;
}

/** A replayed region list that launches: its plan and VMSA pages, and where the firmware region and AP reset EIP came from. */
export interface ReplayedLaunch {
  readonly outcome: 'launch';
  readonly plan: LaunchPlan;
  readonly vmsaPages: readonly Uint8Array[];
  readonly launchSteps: number;
  /** Index of the firmware region (COPY + MEASURE ending at 4 GiB), if any. */
  readonly firmwareRegion?: number;
  readonly apResetEip?: number;
  readonly apResetEipSource: 'explicit' | 'firmware' | 'none';
}

/** What a whole update does: launches with a plan, or nothing when the control struct sets DISABLE. */
export type ReplayOutcome = ReplayedLaunch | { readonly outcome: 'disabled' };

const has = (flags: bigint, bit: bigint): boolean => (flags & bit) !== 0n;

/** A region enters the launch when it has MEASURE, VALIDATE, SEV_CPUID or SEV_SECRETS. */
export function entersLaunch(flags: bigint): boolean {
  return (flags & (F.MEASURE | F.VALIDATE | F.SEV_CPUID | F.SEV_SECRETS)) !== 0n && !has(flags, F.IGVM_IMAGE | F.IGVM_PARAM);
}

function isIgvm(flags: bigint): boolean { return has(flags, F.IGVM_IMAGE | F.IGVM_PARAM); }

function regionLabel(i: number, r: RegionDescriptor): string {
  return `region ${i} (${flagNames(r.flags).join('+') || 'no flags'}, dst ${hex64(r.dst)}, size ${hex64(r.size)})`;
}

function sourceAvailable(r: RegionSpec, memory: GuestMemory): boolean {
  if (r.data) return r.padZero || BigInt(r.data.length) >= r.size;
  return memory.covers(r.src, r.size);
}

/** Rules 1-6 and 8 for one region, in array order. */
function validateRegion(i: number, r: RegionSpec, input: ReplayInput, seenImage: boolean): void {
  const f = r.flags;
  const at = regionLabel(i, r);
  const d = { region: i };
  const reserved = f & ~KNOWN_FLAGS_MASK;
  if (reserved !== 0n) fail('reserved-flag', `${at}: reserved flag bits ${hex64(reserved)} are set`, { ...d, field: 'flags' });
  if (has(f, F.COPY) && has(f, F.ZERO)) fail('copy-and-zero', `${at}: COPY and ZERO together`, { ...d, field: 'flags' });
  if (isIgvm(f)) {
    const other = f & ~(F.IGVM_IMAGE | F.IGVM_PARAM | F.COPY);
    if (other !== 0n || !has(f, F.COPY) || (has(f, F.IGVM_IMAGE) && has(f, F.IGVM_PARAM))) {
      fail('igvm-flags', `${at}: IGVM_IMAGE and IGVM_PARAM take COPY and nothing else`, { ...d, field: 'flags' });
    }
    if (has(f, F.IGVM_PARAM) && !seenImage) fail('igvm-param-orphan', `${at}: IGVM_PARAM without an earlier IGVM_IMAGE region`, d);
    if (has(f, F.IGVM_IMAGE) && input.capabilities !== undefined && !has(input.capabilities, CAPABILITY_IGVM_IMAGES)) {
      fail('igvm-capability', `${at}: IGVM_IMAGE but the struct's capabilities ${hex64(input.capabilities)} lack IGVM_IMAGES (bit 1)`, d);
    }
  } else {
    if (has(f, F.MEASURE) && !has(f, F.COPY | F.ZERO)) fail('measure-without-source', `${at}: MEASURE without COPY or ZERO leaves the contents undefined`, { ...d, field: 'flags' });
    const special = has(f, F.SEV_CPUID | F.SEV_SECRETS);
    if (has(f, F.SEV_CPUID) && has(f, F.SEV_SECRETS)) fail('cpuid-and-secrets', `${at}: SEV_CPUID and SEV_SECRETS together`, { ...d, field: 'flags' });
    if (special && has(f, F.MEASURE)) fail('special-with-measure', `${at}: SEV_CPUID/SEV_SECRETS pages are never measured; drop MEASURE`, { ...d, field: 'flags' });
    if (special && has(f, F.ZERO)) fail('special-with-zero', `${at}: SEV_CPUID/SEV_SECRETS pages take COPY or nothing, never ZERO`, { ...d, field: 'flags' });
    if (special && r.size !== BigInt(PAGE_SIZE)) fail('special-size', `${at}: SEV_CPUID/SEV_SECRETS regions are exactly one page (4096 bytes)`, { ...d, field: 'size' });
    if (entersLaunch(f)) {
      if (r.size === 0n) fail('size-zero', `${at}: size is 0`, { ...d, field: 'size' });
      if (r.size % 4096n !== 0n) fail('unaligned', `${at}: size is not a multiple of 4096`, { ...d, field: 'size' });
      if (r.dst % 4096n !== 0n) fail('unaligned', `${at}: dst is not a multiple of 4096`, { ...d, field: 'dst' });
    }
    if (r.dst + r.size > GPA_LIMIT) fail('gpa-range', `${at}: ends at ${hex64(r.dst + r.size)}, above 2^52`, { ...d, field: 'dst' });
  }
  if (has(f, F.COPY) && !sourceAvailable(r, input.memory)) {
    const from = r.data ? `its ${r.data.describe} (${r.data.length} bytes)` : `guest memory [${hex64(r.src)}, ${hex64(r.src + r.size)})`;
    fail('source-missing', `${at}: COPY source ${from} does not hold ${hex64(r.size)} bytes`, { ...d, field: 'src' });
  }
}

interface Interval { index: number; start: bigint; end: bigint }

function firstOverlapInPrefix(intervals: readonly Interval[], k: number): boolean {
  const sorted = intervals.slice(0, k).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  let maxEnd = -1n;
  for (const iv of sorted) {
    if (iv.start < maxEnd) return true;
    if (iv.end > maxEnd) maxEnd = iv.end;
  }
  return false;
}

/** The overlapping pair with the smallest b, then the smallest a < b; O(n log^2 n). */
function findOverlap(intervals: readonly Interval[]): [Interval, Interval] | null {
  if (!firstOverlapInPrefix(intervals, intervals.length)) return null;
  let lo = 2, hi = intervals.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (firstOverlapInPrefix(intervals, mid)) hi = mid; else lo = mid + 1;
  }
  const b = intervals[lo - 1]!;
  const a = intervals.slice(0, lo - 1).find((x) => x.start < b.end && b.start < x.end)!;
  return [a, b];
}

/** Reads region bytes [offset, offset + into.length) into `into`: its source, zero padding, or guest memory at src. */
function readRegion(r: RegionSpec, memory: GuestMemory, offset: number, into: Uint8Array): void {
  if (r.data) {
    const avail = Math.max(0, Math.min(into.length, r.data.length - offset));
    if (avail > 0) r.data.read(offset, into.subarray(0, avail));
    if (avail < into.length) into.fill(0, avail);
  } else {
    memory.read(r.src + BigInt(offset), into);
  }
}

function regionSource(r: RegionSpec, memory: GuestMemory): ByteSource {
  const size = Number(r.size);
  return {
    length: size,
    ...(r.data && r.data.length < size ? { dataLength: r.data.length } : {}),
    read(offset, length) {
      const out = new Uint8Array(length);
      readRegion(r, memory, offset, out);
      return out;
    },
  };
}

/**
 * The region's pages that are zeros without being stored: the padding after a short source, or
 * holes of guest memory. They are folded with a constant digest, never read.
 */
function regionSpans(r: RegionSpec, memory: GuestMemory): PageSpans | undefined {
  if (r.data) {
    if (BigInt(r.data.length) >= r.size) return undefined;
    const dataPages = Math.ceil(r.data.length / PAGE_SIZE);
    return (first, count) => (first >= dataPages ? { zero: true, pages: count } : { zero: false, pages: Math.min(count, dataPages - first) });
  }
  const span = memory.span?.bind(memory);
  if (!span) return undefined;
  return (first, count) => {
    const s = span(r.src + BigInt(first) * 4096n, BigInt(count) * 4096n);
    // A page is zero only when all of it lies in a hole; one that touches data is read.
    if (s.hole && s.length >= 4096n) return { zero: true, pages: Number(s.length / 4096n) };
    return { zero: false, pages: Math.min(count, Math.max(1, Number((s.hole ? 0n : s.length + 4095n) / 4096n))) };
  };
}

function regionContents(r: RegionSpec, memory: GuestMemory): RunContents {
  // A file window at least as long as the region can be read by workers directly.
  const file = r.data?.file && r.data.length >= Number(r.size) ? { file: r.data.file } : {};
  const spans = regionSpans(r, memory);
  return {
    kind: 'reader',
    describe: r.data ? r.data.describe : `guest memory at ${hex64(r.src)}`,
    read: (first, count, into) => readRegion(r, memory, first * PAGE_SIZE, into.subarray(0, count * PAGE_SIZE)),
    ...file,
    ...(spans ? { spans } : {}),
  };
}

function regionRun(i: number, r: RegionSpec, input: ReplayInput): LaunchRun {
  const f = r.flags;
  const origin = { kind: 'region', index: i, detail: flagNames(f).join('+') };
  const pages = Number(r.size / 4096n);
  if (has(f, F.SEV_SECRETS)) return { pageType: PageType.Secrets, gpa: r.dst, pages: 1, contents: { kind: 'none' }, origin };
  if (has(f, F.SEV_CPUID)) return { pageType: PageType.Cpuid, gpa: r.dst, pages: 1, contents: { kind: 'none' }, origin };
  if (has(f, F.MEASURE) && has(f, F.COPY)) return { pageType: PageType.Normal, gpa: r.dst, pages, contents: regionContents(r, input.memory), origin };
  if (has(f, F.MEASURE) && has(f, F.ZERO)) {
    return input.launch.measuredZero === 'normal'
      ? { pageType: PageType.Normal, gpa: r.dst, pages, contents: { kind: 'zero-pages' }, origin }
      : { pageType: PageType.Zero, gpa: r.dst, pages, contents: { kind: 'none' }, origin };
  }
  return { pageType: PageType.Unmeasured, gpa: r.dst, pages, contents: { kind: 'none' }, origin };
}

/**
 * Resolves a kernelHashes region into a page of bytes, laid out by the firmware region's tables
 * (the hash table's offset in its page comes from the firmware's footer table).
 */
function withKernelHashesPages(input: ReplayInput): { input: ReplayInput; page?: Uint8Array; region?: number } {
  const idx = input.regions.flatMap((r, i) => (r.kernelHashes ? [i] : []));
  if (idx.length === 0) return { input };
  if (idx.length > 1) fail('manifest', `regions[${idx[1]}]: only one kernelHashes region per launch`, { region: idx[1]! });
  const i = idx[0]!;
  const r = input.regions[i]!;
  if (r.size !== 4096n || (r.flags & ~(F.COPY | F.MEASURE | F.VALIDATE)) !== 0n || !has(r.flags, F.COPY) || !has(r.flags, F.MEASURE)) {
    fail('manifest', `regions[${i}]: a kernelHashes source fills one COPY + MEASURE page (size 0x1000)`, { region: i });
  }
  const fw = findFirmwareRegion(input.regions);
  if (fw === undefined) fail('no-firmware-region', `regions[${i}]: a kernelHashes page is laid out by the firmware; the list needs a firmware region (COPY + MEASURE ending at 4 GiB)`, { region: i });
  const info = parseFirmware(regionSource(input.regions[fw]!, input.memory), `firmware region ${fw}`);
  const page = kernelHashesPage(info, r.kernelHashes!, `firmware region ${fw}`);
  const regions = input.regions.map((x, j) => (j === i ? { ...x, data: { length: page.length, describe: 'kernel hashes', read: (o: number, into: Uint8Array) => into.set(page.subarray(o, o + into.length)) } } : x));
  return { input: { ...input, regions }, page, region: i };
}

/** The firmware region: COPY + MEASURE (VALIDATE allowed) ending exactly at 4 GiB. */
export function findFirmwareRegion(regions: readonly RegionDescriptor[]): number | undefined {
  const i = regions.findIndex((r) => entersLaunch(r.flags) && has(r.flags, F.COPY) && has(r.flags, F.MEASURE)
    && (r.flags & ~(F.COPY | F.MEASURE | F.VALIDATE)) === 0n && r.dst + r.size === FOUR_GIB);
  return i < 0 ? undefined : i;
}

/** Validates a region list and builds its launch plan (docs/spec/regions.md#validation; DISABLE is the caller's). */
export function replayRegions(input0: ReplayInput): ReplayedLaunch {
  if (input0.regions.length > MAX_REGIONS) fail('too-many-regions', `${input0.regions.length} regions; at most ${MAX_REGIONS}`);
  const built = withKernelHashesPages(input0);
  const input = built.input;
  const { regions, launch } = input;
  let seenImage = false;
  regions.forEach((r, i) => {
    validateRegion(i, r, input, seenImage);
    if (has(r.flags, F.IGVM_IMAGE)) seenImage = true;
  });
  const launched: Interval[] = [];
  regions.forEach((r, i) => { if (entersLaunch(r.flags)) launched.push({ index: i, start: r.dst, end: r.dst + r.size }); });
  const pair = findOverlap(launched);
  if (pair) {
    const [a, b] = pair;
    fail('overlap', `${regionLabel(a.index, regions[a.index]!)} and ${regionLabel(b.index, regions[b.index]!)} share pages; SNP launch-updates a page only once`, { regions: [a.index, b.index] });
  }
  const onVmsa = launched.find((iv) => iv.start <= REPLAY_VMSA_GPA && REPLAY_VMSA_GPA < iv.end);
  if (onVmsa) fail('vmsa-overlap', `${regionLabel(onVmsa.index, regions[onVmsa.index]!)} covers the VMSA page ${hex64(REPLAY_VMSA_GPA)}`, { region: onVmsa.index });
  if (!Number.isSafeInteger(launch.vcpus) || launch.vcpus < 1 || launch.vcpus > MAX_VCPUS) {
    fail('vcpus', `vcpus ${launch.vcpus} is out of range (1 to ${MAX_VCPUS})`, { field: 'vcpus' });
  }
  const images = regions.flatMap((r, i) => (has(r.flags, F.IGVM_IMAGE) ? [i] : []));
  if (images.length > 1) fail('igvm-unsupported', `regions ${images[0]} and ${images[1]}: one launch executes one IGVM image`, { region: images[1]! });
  const igvmIndex = images[0];
  let igvm: ReturnType<typeof measureIgvm> | undefined;
  if (igvmIndex !== undefined) {
    if (launch.profile.name !== 'qemu') fail('profile', `region ${igvmIndex}: IGVM images are executed by QEMU's loader; use profile qemu, not ${launch.profile.name}`, { region: igvmIndex });
    const r = regions[igvmIndex]!;
    if (r.size > 1n << 32n) fail('igvm-unsupported', `region ${igvmIndex}: an IGVM image of ${hex64(r.size)} bytes is larger than the format allows`, { region: igvmIndex });
    // Parsed in place: the fixed header is checked before anything else is read, and page data
    // is read when measured, so a declared size (up to 4 GiB) is never allocated.
    try {
      igvm = measureIgvm(parseIgvm(regionSource(r, input.memory)), {
        semantics: 'qemu', vcpus: launch.vcpus, vcpuSignature: launch.vcpuSignature, apVmsa: launch.igvmApVmsa ?? 'reset',
        era: launch.profile.era === 'pre-init2' ? 'pre-init2' : 'init2',
      });
    } catch (e) {
      if (!(e instanceof MeasureError)) throw e;
      throw new MeasureError(e.code, `region ${igvmIndex} (IGVM image): ${e.message}`, { ...e.details, region: igvmIndex });
    }
  }

  const fwIndex = findFirmwareRegion(regions);
  let firmware: FirmwareInfo | undefined;
  const firmwareInfo = (): FirmwareInfo | undefined => {
    if (fwIndex === undefined) return undefined;
    firmware ??= parseFirmware(regionSource(regions[fwIndex]!, input.memory), `firmware region ${fwIndex}`);
    return firmware;
  };

  let apResetEip: number | undefined;
  let apResetEipSource: ReplayedLaunch['apResetEipSource'] = 'none';
  if (launch.apResetEip !== null) {
    apResetEip = launch.apResetEip;
    apResetEipSource = 'explicit';
  } else if (launch.vcpus > 1 && !igvm) {
    const eip = firmwareInfo()?.resetEip;
    if (eip) { apResetEip = eip; apResetEipSource = 'firmware'; }
  }
  if (launch.vcpus > 1 && !apResetEip && !igvm) {
    const why = fwIndex === undefined ? 'there is no firmware region (COPY + MEASURE ending at 4 GiB)' : `firmware region ${fwIndex} has no SEV-ES reset block (or its EIP is 0)`;
    fail('no-ap-eip', `${launch.vcpus} vCPUs need an AP reset EIP: apResetEip is not given and ${why}`, { field: 'apResetEip' });
  }

  // An IGVM image is executed in place: its page directives at its position in the array; its
  // VMSAs (KVM measures them at launch finish) replace the profile's.
  const igvmPages = igvm ? igvm.plan.runs.filter((r) => r.pageType !== PageType.Vmsa).map((r) => ({ ...r, origin: { ...r.origin, detail: `region ${igvmIndex} IGVM ${r.origin.detail ?? ''}`.trim() } })) : [];
  const inMetadata = launch.firmwareMetadata === 'ovmf' ? built.region : undefined;
  const runs: LaunchRun[] = regions.flatMap((r, i) => (i === inMetadata ? [] : entersLaunch(r.flags) ? [regionRun(i, r, input)] : i === igvmIndex ? igvmPages : []));
  if (launch.firmwareMetadata === 'ovmf') {
    const info = firmwareInfo();
    if (!info) fail('no-firmware-region', 'firmwareMetadata "ovmf" needs a firmware region (COPY + MEASURE ending exactly at 4 GiB)', { field: 'firmwareMetadata' });
    const meta = metadataRuns(info.sections ?? [], launch.profile, built.page, launch.unknownSections ?? 'error', `firmware region ${fwIndex}`);
    for (const m of meta) {
      const end = m.gpa + BigInt(m.pages) * 4096n;
      // The kernelHashes region is this metadata section's contents, not a second update of its page.
      if (built.region !== undefined && m.origin.detail === 'SNP_KERNEL_HASHES') {
        if (regions[built.region]!.dst !== m.gpa) fail('metadata-overlap', `regions[${built.region}]: the kernelHashes page must sit at the firmware's SNP_KERNEL_HASHES section (${hex64(m.gpa)})`, { region: built.region });
        continue;
      }
      const hit = launched.find((iv) => iv.start < end && m.gpa < iv.end);
      if (hit) {
        fail('metadata-overlap', `firmware metadata section ${m.origin.index} (${m.origin.detail}) at ${hex64(m.gpa)} overlaps ${regionLabel(hit.index, regions[hit.index]!)}`, { region: hit.index });
      }
    }
    runs.push(...meta);
  }
  let vmsaPages: readonly Uint8Array[];
  if (igvm) {
    vmsaPages = igvm.vmsaPages;
    runs.push(...igvm.plan.runs.filter((r) => r.pageType === PageType.Vmsa));
  } else {
    vmsaPages = vmsaPagesFor(launch.vcpus, {
      template: launch.profile.vmsa, bspEip: RESET_VECTOR_EIP, apEip: apResetEip, vcpuSignature: launch.vcpuSignature, sevFeatures: launch.guestFeatures,
    });
    runs.push(...vmsaRuns(vmsaPages, REPLAY_VMSA_GPA));
  }
  const launchSteps = runs.reduce((n, r) => n + r.pages, 0);
  return {
    outcome: 'launch', plan: { runs }, vmsaPages, launchSteps,
    ...(fwIndex === undefined ? {} : { firmwareRegion: fwIndex }),
    ...(apResetEip === undefined ? {} : { apResetEip }),
    apResetEipSource,
  };
}

export interface UpdateInput {
  readonly struct: VmfwupdateStruct;
  /** The region list when it is given directly (manifest or decoded fields); otherwise read at regions_addr. */
  readonly regions?: readonly RegionSpec[];
  readonly memory: GuestMemory;
  readonly launch: ReplayLaunch;
}

/** The whole update: DISABLE first, then the region array (from memory unless given), then the replay. */
export function replayUpdate(input: UpdateInput): ReplayOutcome {
  const s = input.struct;
  if ((s.control & CONTROL_DISABLE) !== 0) return { outcome: 'disabled' };
  let regions = input.regions;
  if (!regions) {
    if (s.regionsCount > MAX_REGIONS) fail('too-many-regions', `regions_count ${s.regionsCount} is above ${MAX_REGIONS}`, { field: 'regions_count' });
    const bytes = BigInt(s.regionsCount * REGION_ENTRY_SIZE);
    if (!input.memory.covers(s.regionsAddr, bytes)) {
      fail('region-array-range', `the region array of ${s.regionsCount} entries at ${hex64(s.regionsAddr)} runs past the available memory`, { field: 'regions_addr' });
    }
    const buf = new Uint8Array(Number(bytes));
    input.memory.read(s.regionsAddr, buf);
    regions = decodeRegionArray(buf, s.regionsCount);
  } else if (regions.length > MAX_REGIONS || s.regionsCount > MAX_REGIONS) {
    fail('too-many-regions', `${Math.max(regions.length, s.regionsCount)} regions; at most ${MAX_REGIONS}`, { field: 'regions_count' });
  }
  return replayRegions({ capabilities: s.capabilities, regions, memory: input.memory, launch: input.launch });
}
