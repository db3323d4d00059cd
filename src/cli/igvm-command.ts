/** `vmfw-measure igvm FILE` (SNP launch digest of an IGVM image) and `igvm inspect FILE`. */
import type { Argv } from 'yargs';
import { fail } from '../errors.js';
import { hex64, toHex } from '../bytes.js';
import { measurePlanParallel } from '../node/parallel.js';
import { resolveVcpuType } from '../cpu.js';
import { decodePolicy } from '../snp/policy.js';
import { parseIgvm, type IgvmFile } from '../igvm/parse.js';
import { IGVM_SEMANTICS, igvmmeasureCheckKvm, measureIgvm, type ApVmsaPolicy, type IgvmMeasureOptions, type IgvmSemantics } from '../igvm/measure.js';
import { describeIgvm, formatIgvmText } from '../igvm/inspect.js';
import { isStdin, readInputFile } from '../node/files.js';
import { fileWindow } from '../node/file-extent.js';
import { sourceSha256 } from '../ovmf/firmware.js';
import { formatDigest, LogCollector, oneOf, optInt, optU64, toJson, type OutputFormat } from './common.js';
import type { CliIO } from './io.js';
import type { CommandSpec } from './spec.js';

export interface IgvmArgs {
  file: string; vcpus: string; semantics: string; 'native-zero': boolean; 'ap-vmsa': string;
  'vcpu-type'?: string; 'vcpu-sig'?: string; 'vmm-era': string; 'file-order': boolean; 'check-kvm': boolean;
  'output-format': string; json: boolean; log?: string;
}

export function igvmMeasureOptions(a: Pick<IgvmArgs, 'vcpus' | 'semantics' | 'native-zero' | 'ap-vmsa' | 'vcpu-type' | 'vcpu-sig' | 'vmm-era' | 'file-order'>): IgvmMeasureOptions {
  const semantics = oneOf(a.semantics, '--semantics', IGVM_SEMANTICS) as IgvmSemantics;
  const sig = a['vcpu-sig'] !== undefined ? optU64(a['vcpu-sig'], '--vcpu-sig') : a['vcpu-type'] !== undefined ? BigInt(resolveVcpuType(a['vcpu-type']).signature) : undefined;
  if (semantics !== 'qemu' && (a.vcpus !== '1' || a['file-order'])) fail('usage', `--vcpus and --file-order describe QEMU's loader; --semantics ${semantics} measures only what the file contains`);
  if (semantics !== 'igvmmeasure' && a['native-zero']) fail('usage', '--native-zero is an igvmmeasure option (use --semantics igvmmeasure)');
  return {
    semantics,
    vcpus: optInt(a.vcpus, '--vcpus', 65536)!,
    apVmsa: oneOf(a['ap-vmsa'], '--ap-vmsa', ['reset', 'bsp', 'none'] as const) as ApVmsaPolicy,
    ...(sig !== undefined ? { vcpuSignature: sig } : {}),
    deferRegions: !a['file-order'],
    era: oneOf(a['vmm-era'], '--vmm-era', ['init2', 'pre-init2'] as const),
    nativeZero: a['native-zero'],
  };
}

export function igvmOptions(y: Argv): Argv {
  return y
    .option('vcpus', { type: 'string', default: '1', describe: 'qemu: vCPU count; KVM measures one VMSA per vCPU' })
    .option('semantics', { type: 'string', default: 'qemu', describe: 'qemu (what QEMU/KVM launch) | igvm-crate (microsoft/igvm) | igvmmeasure (COCONUT)' })
    .option('native-zero', { type: 'boolean', default: false, describe: 'igvmmeasure: measure data-less pages as the SNP ZERO type' })
    .option('ap-vmsa', { type: 'string', default: 'reset', describe: 'qemu: VMSA of vCPUs without a VP context: reset (QEMU/KVM reset state) | bsp (copy of vCPU 0) | none' })
    .option('vcpu-type', { type: 'string', describe: 'qemu: the -cpu model, for reset-state VMSAs (rdx)' })
    .option('vcpu-sig', { type: 'string', describe: 'qemu: the vCPU signature instead of --vcpu-type' })
    .option('vmm-era', { type: 'string', default: 'init2', describe: 'qemu: init2 (MXCSR 0x1F80, FCW 0x37F in reset-state VMSAs) | pre-init2' })
    .option('file-order', { type: 'boolean', default: false, describe: 'qemu: issue page regions in file order instead of when QEMU does (for comparison)' });
}

/** Parses an IGVM file read on demand (stdin is read whole): page data is read when it is measured. */
export function loadIgvm(path: string, io: CliIO): IgvmFile {
  if (isStdin(path)) return parseIgvm(readInputFile(path, 'IGVM file', io.cwd));
  const w = fileWindow(path, 'IGVM file', io.cwd);
  return parseIgvm({ length: w.length, read: (o, n) => { const b = new Uint8Array(n); w.read(o, b); return b; } });
}

export function idBlockStatus(ld: Uint8Array | undefined, digest: Uint8Array): 'absent' | 'match' | 'mismatch' {
  if (!ld) return 'absent';
  return toHex(ld) === toHex(digest) ? 'match' : 'mismatch';
}

export async function runIgvm(a: IgvmArgs, io: CliIO): Promise<number> {
  const format = oneOf(a['output-format'], '--output-format', ['hex', 'base64'] as const) as OutputFormat;
  const file = loadIgvm(a.file, io);
  const opts = igvmMeasureOptions(a);
  const m = measureIgvm(file, opts);
  const log = a.log !== undefined ? new LogCollector() : undefined;
  const r = await measurePlanParallel(m.plan, log ? { onStep: log.onStep } : {});
  if (log) log.write(a.log!, io);
  for (const w of m.warnings) io.err(`warning: ${w}\n`);
  const idStatus = idBlockStatus(m.idBlockLd, r.digest);
  if (idStatus === 'mismatch') io.err('warning: the file\'s SNP_ID_BLOCK expects a different launch digest; the firmware would refuse this launch (BAD_MEASUREMENT)\n');
  const digest = formatDigest(r.digest, format);
  if (a.json) {
    io.out(toJson({
      digest, format, semantics: m.semantics,
      file: { path: a.file, size: file.source.length, sha256: toHex(sourceSha256(file.source)) },
      ...(m.semantics === 'qemu' ? { vcpus: opts.vcpus, apVmsa: opts.apVmsa, vcpuSignature: opts.vcpuSignature ?? null, era: opts.era, regionOrder: opts.deferRegions ? 'qemu' : 'file' } : {}),
      ...(m.semantics === 'igvmmeasure' ? { nativeZero: opts.nativeZero } : {}),
      platform: { mask: hex64(m.platform.mask), sharedGpaBoundary: hex64(m.platform.sharedGpaBoundary), highestVtl: m.platform.highestVtl },
      guestPolicy: m.guestPolicy === undefined ? null : { ...decodePolicy(m.guestPolicy), value: hex64(m.guestPolicy) },
      idBlock: m.idBlockLd === undefined ? null : { ld: toHex(m.idBlockLd), status: idStatus },
      ...(a['check-kvm'] ? { checkKvm: igvmmeasureCheckKvm(file) } : {}),
      steps: r.steps, stepsByType: r.stepsByType, warnings: m.warnings,
    }));
  } else {
    io.out(`${digest}\n`);
    if (a['check-kvm']) {
      const c = igvmmeasureCheckKvm(file);
      io.err(`check-kvm: ${c.result}${c.message ? ` (${c.message})` : ''}\n`);
    }
  }
  return 0;
}

export function runInspect(a: { file: string; json: boolean }, io: CliIO): number {
  const file = loadIgvm(a.file, io);
  io.out(a.json ? toJson(describeIgvm(file)) : formatIgvmText(file));
  return 0;
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    path: 'igvm', describe: 'SNP launch digest of an IGVM image (qemu, igvm-crate or igvmmeasure semantics)',
    usage: 'igvm FILE [--vcpus N] [--semantics qemu|igvm-crate|igvmmeasure] [options]', positionals: [{ name: 'file', required: true }],
    options: (s) => igvmOptions(s)
      .option('check-kvm', { type: 'boolean', default: false, describe: 'also report igvmmeasure --check-kvm consistency checks' })
      .option('output-format', { type: 'string', default: 'hex', describe: 'hex | base64' })
      .option('json', { type: 'boolean', default: false, describe: 'digest, semantics, policy, ID block and step counts as JSON' })
      .option('log', { type: 'string', describe: 'write the launch log (JSON Lines) to FILE' }),
    run: (a, io) => runIgvm(a as unknown as IgvmArgs, io),
  },
  {
    path: 'igvm inspect', describe: 'list the headers and directives of an IGVM file (type, GPA, flags, sizes, data digests)',
    usage: 'igvm inspect FILE [--json]', positionals: [{ name: 'file', required: true }],
    options: (s) => s.option('json', { type: 'boolean', default: false, describe: 'as JSON' }),
    run: (a, io) => runInspect(a as unknown as { file: string; json: boolean }, io),
  },
];
