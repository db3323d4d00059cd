/**
 * QEMU's vm-launch-update device (fw_cfg "etc/vmlaunchupdate", docs/spec/igvm.md#vm-launch-update): the guest
 * hands the host an IGVM image that the VM is relaunched from at the next reset. This module
 * decodes the 56-byte struct and works out which IGVM each of the next launches runs.
 */
import { fail } from '../errors.js';
import { hex64, readU16, readU64 } from '../bytes.js';

export const VM_LAUNCHUPDATE_STRUCT_SIZE = 56;
export const VM_LAUNCHUPDATE_VERSION = 1;
export const FORMAT_IGVM = 1n << 32n;
export const CTL_DISABLE = 1n << 0n;
export const CTL_HOST_IGVM = 1n << 1n;

export const STATUS_NAMES: Readonly<Record<number, string>> = { 0: 'SUCCESS', 1: 'LOAD_FAIL', 2: 'NOT_IGVM_INIT' };

export interface VmLaunchUpdate {
  readonly version: number;
  readonly status: number;
  readonly capabilities: bigint;
  readonly control: bigint;
  readonly imageAddr: bigint;
  readonly imageSize: bigint;
  readonly opaqueAddr: bigint;
  readonly opaqueSize: bigint;
}

export function decodeVmLaunchUpdate(b: Uint8Array, what = 'VMLaunchUpdate struct'): VmLaunchUpdate {
  if (b.length !== VM_LAUNCHUPDATE_STRUCT_SIZE) fail('launch-update', `${what} is ${b.length} bytes; the structure is ${VM_LAUNCHUPDATE_STRUCT_SIZE}`);
  const s: VmLaunchUpdate = {
    version: readU16(b, 0), status: readU16(b, 2), capabilities: readU64(b, 8), control: readU64(b, 0x10),
    imageAddr: readU64(b, 0x18), imageSize: readU64(b, 0x20), opaqueAddr: readU64(b, 0x28), opaqueSize: readU64(b, 0x30),
  };
  if (s.version !== VM_LAUNCHUPDATE_VERSION) fail('launch-update', `${what}: version ${s.version} at offset 0x0 is unknown (only ${VM_LAUNCHUPDATE_VERSION})`);
  const unknown = s.control & ~(FORMAT_IGVM | CTL_DISABLE | CTL_HOST_IGVM);
  if (unknown !== 0n) fail('launch-update', `${what}: control ${hex64(s.control)} has unknown bits ${hex64(unknown)} (offset 0x10); QEMU ignores such a write`);
  return s;
}

export type ImageSource = 'guest' | 'host';

export interface LaunchSchedule {
  /** Matrix row of the spec: A (permanent), B (permanent, locked), C (one reset), D (one reset, locked), or none. */
  readonly row: 'A' | 'B' | 'C' | 'D' | 'host-only' | 'no-change';
  /** Which IGVM each of the next launches runs, first the launch after the next reset. */
  readonly launches: readonly ImageSource[];
  /** Whether the guest can update again after this write. */
  readonly updatesLocked: boolean;
  readonly notes: readonly string[];
}

export interface ScheduleOptions {
  /** Number of launches to report (the next reset and those after it). */
  readonly resets: number;
  /**
   * Follow QEMU's code as read (hw/misc/vmlaunchupdate.c): a write with DISABLE only disables
   * and does not load the image in the same write. Default false: the documented A-D matrix.
   */
  readonly qemuSameWriteDisable?: boolean;
}

/** What the guest's write does to the next launches (the spec's control matrix). */
export function launchSchedule(s: VmLaunchUpdate, o: ScheduleOptions): LaunchSchedule {
  const disable = (s.control & CTL_DISABLE) !== 0n;
  const hostIgvm = (s.control & CTL_HOST_IGVM) !== 0n;
  const hasImage = s.imageAddr !== 0n || s.imageSize !== 0n;
  const notes: string[] = [];
  if (hasImage && (s.control & FORMAT_IGVM) === 0n) {
    fail('launch-update', `the struct gives an image (addr ${hex64(s.imageAddr)}, size ${hex64(s.imageSize)}) but control lacks FORMAT_IGVM (bit 32): QEMU answers LOAD_FAIL`);
  }
  if ((s.capabilities & FORMAT_IGVM) === 0n && s.capabilities !== 0n) notes.push('the host capabilities lack FORMAT_IGVM: a host that reports this would refuse the image');
  const n = o.resets;
  const all = (src: ImageSource): ImageSource[] => Array.from({ length: n }, () => src);
  const once = (): ImageSource[] => Array.from({ length: n }, (_, i) => (i === 0 ? 'guest' : 'host'));
  let loads = hasImage;
  if (loads && disable && o.qemuSameWriteDisable) {
    loads = false;
    notes.push('QEMU (as its code reads) only disables on a write with DISABLE: the image in the same write is not loaded; load first, then disable in a second write');
  }
  if (!loads) {
    if (hostIgvm) return { row: 'host-only', launches: all('host'), updatesLocked: disable, notes: [...notes, 'HOST_IGVM with no image: the next reset loads the original host IGVM'] };
    return { row: 'no-change', launches: all('host'), updatesLocked: disable, notes: [...notes, 'no image: the next launch is unchanged (the current IGVM; assumed to be the host\'s)'] };
  }
  if (hostIgvm) return { row: disable ? 'D' : 'C', launches: once(), updatesLocked: disable, notes };
  return { row: disable ? 'B' : 'A', launches: all('guest'), updatesLocked: disable, notes };
}
