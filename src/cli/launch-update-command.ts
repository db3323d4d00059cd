/** `vmfw-measure launch-update`: the digest of the launch(es) after a vm-launch-update write. */
import { fail } from '../errors.js';
import { hex64 } from '../bytes.js';
import { FORMATS } from '../formats.js';
import { measurePlan } from '../engine.js';
import { parseIgvm } from '../igvm/parse.js';
import { measureIgvm } from '../igvm/measure.js';
import {
  STATUS_NAMES, VM_LAUNCHUPDATE_STRUCT_SIZE, decodeVmLaunchUpdate, launchSchedule, type ImageSource,
} from '../launch-update/model.js';
import { guestMemoryFromFiles } from '../node/file-extent.js';
import { recordIn } from './launch-args.js';
import { readInputFile } from '../node/files.js';
import { formatDigest, oneOf, optInt, optU64, toJson, type OutputFormat, byFlag, engineOptions } from './common.js';
import { igvmMeasureOptions, loadIgvm } from './igvm-command.js';
import { launchFromArgs } from './launch-args.js';
import type { CliIO } from './io.js';
import type { CommandArgs } from './commands.js';

interface LaunchUpdateArgs {
  struct?: string; 'struct-at'?: string; memory?: string; extent?: string[]; 'host-igvm'?: string;
  'not-igvm-init': boolean; resets: string; 'qemu-same-write-disable': boolean; 'output-format': string; json: boolean;
}

export function runLaunchUpdateCommand(args: CommandArgs, io: CliIO): number {
  const a = byFlag(args) as unknown as LaunchUpdateArgs;
  const d0 = launchFromArgs(args, io);
  const format = oneOf(a['output-format'], '--output-format', ['hex', 'base64'] as const) as OutputFormat;
  const memory = guestMemoryFromFiles(a.memory, a.extent, io.cwd, recordIn(io));
  let raw: Uint8Array;
  if (a.struct !== undefined && a['struct-at'] !== undefined) fail('usage', '--struct and --struct-at are alternatives: the struct comes from a file or from guest memory');
  if (a.struct !== undefined) raw = readInputFile(a.struct, '--struct', io.cwd, 'struct');
  else if (a['struct-at'] !== undefined) {
    const gpa = optU64(a['struct-at'], '--struct-at')!;
    if (!memory.covers(gpa, BigInt(VM_LAUNCHUPDATE_STRUCT_SIZE))) fail('launch-update', `the ${VM_LAUNCHUPDATE_STRUCT_SIZE}-byte struct is not in the supplied memory at ${hex64(gpa)}`);
    raw = new Uint8Array(VM_LAUNCHUPDATE_STRUCT_SIZE);
    memory.read(gpa, raw);
  } else return fail('usage', 'give --struct FILE or --struct-at GPA');
  const s = decodeVmLaunchUpdate(raw);
  if (a['not-igvm-init']) {
    fail('launch-update-not-igvm', 'the VM was not started from IGVM: QEMU sets status NOT_IGVM_INIT (2) and the write has no effect; the next launch is the same firmware launch as before');
  }
  const resets = optInt(a.resets, '--resets', 1024)!;
  if (resets < 1) fail('bad-number', '--resets must be at least 1');
  const schedule = launchSchedule(s, { resets, qemuSameWriteDisable: a['qemu-same-write-disable'] });
  const opts = igvmMeasureOptions({ ...d0, semantics: 'qemu' }, args.given);
  const digests = new Map<ImageSource, string>();
  const digestOf = (src: ImageSource): string => {
    let d = digests.get(src);
    if (d) return d;
    let file;
    if (src === 'guest') {
      if (s.imageSize > 0xffffffffn || !memory.covers(s.imageAddr, s.imageSize) || s.imageSize === 0n) {
        fail('launch-update', `the IGVM image [${hex64(s.imageAddr)}, ${hex64(s.imageAddr + s.imageSize)}) is not in the supplied memory (QEMU: LOAD_FAIL)`);
      }
      // Read from guest memory on demand, like any IGVM file.
      file = parseIgvm({ length: Number(s.imageSize), read: (o, n) => { const b = new Uint8Array(n); memory.read(s.imageAddr + BigInt(o), b); return b; } });
    } else {
      if (a['host-igvm'] === undefined) fail('usage', 'a launch reverts to the host\'s original IGVM: give it with --host-igvm FILE');
      file = loadIgvm(a['host-igvm'], io);
    }
    const m = measureIgvm(file, opts);
    for (const w of m.warnings) io.err(`warning: ${src} IGVM: ${w}\n`);
    const eo = engineOptions(io, { maxSteps: d0.maxSteps, label: `launch ${src}` });
    try { d = formatDigest(measurePlan(m.plan, eo.options).digest, format); } finally { eo.done(); }
    digests.set(src, d);
    return d;
  };
  const launches = schedule.launches.map((src, i) => ({ launch: i + 1, image: src, digest: digestOf(src) }));
  for (const n of schedule.notes) io.err(`note: ${n}\n`);
  if (a.json) {
    io.out(toJson({
      format: FORMATS.launchUpdateResult,
      struct: {
        version: s.version, status: STATUS_NAMES[s.status] ?? s.status, capabilities: s.capabilities, control: s.control,
        imageAddr: s.imageAddr, imageSize: s.imageSize, opaqueAddr: s.opaqueAddr, opaqueSize: s.opaqueSize,
      },
      row: schedule.row, updatesLocked: schedule.updatesLocked, vcpus: opts.vcpus, launches, notes: schedule.notes,
    }));
  } else {
    // One line per launch, the same shape for one reset as for several.
    for (const l of launches) io.out(`launch ${l.launch}: ${l.image} ${l.digest}\n`);
  }
  return 0;
}

