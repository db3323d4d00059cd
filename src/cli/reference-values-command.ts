/** `vmfw-measure reference-values`: reference values over a configuration matrix, in the format each verifier reads. */
import { fail } from '../errors.js';
import { sha256WhileRead } from '../hash/suite.js';
import { parseUnsigned } from '../bytes.js';
import { sweep } from '../attestation/launch-space.js';
import { checkGoSevGuestOutFile } from '../attestation/go-sev-guest.js';
import { checkReferenceRequest, referenceValuesText } from '../attestation/reference-formats.js';
import { launchProvenance } from '../launch/provenance.js';
import { readInputFile } from '../node/files.js';
import { parseJsonExact } from '../json-exact.js';
import { writeOutput, byFlag } from './common.js';
import { launchValues, recordIn } from './launch-args.js';
import { openLaunchAsync, referenceSpace } from '../launch/build.js';
import { describeLaunch, type LaunchDescription } from '../launch/description.js';
import { openInput } from '../node/inputs.js';
import { MATRIX_KEYS, resolveMatrixAliases } from '../launch/matrix.js';
import type { CommandArgs } from './commands.js';
import type { CliIO } from './io.js';

interface RefArgs { format: string; encoding: string; matrix?: string; out?: string; 'out-dir'?: string; policy: string; apeip: boolean; expires?: string }


/** The launch values with a --matrix file's lists filled in where the command line gave none. */
function matrixValues(args: CommandArgs, io: CliIO): Record<string, unknown> {
  const values = launchValues(args);
  const path = args.values['matrix'];
  if (typeof path !== 'string') return values;
  const doc = parseJsonExact(new TextDecoder().decode(readInputFile(path, '--matrix', io.cwd, 'matrix')), `--matrix ${path}`, 'reference-values') as Record<string, unknown>;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('reference-values', `--matrix ${path}: expected an object`);
  const lists = resolveMatrixAliases(doc, `--matrix ${path}`, 'reference-values');
  for (const [k, v] of Object.entries(lists)) {
    if (!MATRIX_KEYS.includes(k)) fail('reference-values', `--matrix ${path}: unknown key ${JSON.stringify(k)} (known: ${MATRIX_KEYS.join(', ')})`);
    if (values[k] === undefined) values[k] = v;
  }
  return values;
}

export async function runReferenceValuesCommand(args: CommandArgs, io: CliIO): Promise<number> {
  // The lock reader loads only for --from-lock.
  if (args.values['fromLock'] !== undefined) return (await import('./reference-values-from-lock.js')).runReferenceValuesFromLock(args, io);
  const a = byFlag(args) as unknown as RefArgs;
  const d = describeLaunch(matrixValues(args, io), { open: (value, key, what) => openInput(value, what, io.cwd, key, recordIn(io)) });
  return runReferenceValues(a, d, args, io);
}

/** The notes a format returns go to stderr as they are ("note: ..." / "warning: ..."). */
function printNotes(lines: readonly string[], io: CliIO): void {
  for (const l of lines) io.err(`${l}\n`);
}

export async function runReferenceValues(a: RefArgs, d0: LaunchDescription, args: CommandArgs, io: CliIO): Promise<number> {
  // Refuse what the output could not carry before measuring anything.
  const request = checkReferenceRequest({
    format: a.format, ...(args.given.has('encoding') ? { encoding: a.encoding } : {}), policy: parseUnsigned(a.policy, '--policy'),
    ...(a.expires !== undefined ? { expires: a.expires } : {}), apeip: a.apeip, ...(d0.product !== undefined ? { product: d0.product } : {}),
  });
  if (a['out-dir'] !== undefined && request.format !== 'go-sev-guest') fail('usage', '--out-dir belongs to --format go-sev-guest (one check.Config per file); other formats write one file: use --out');
  if (a['out-dir'] !== undefined && a.out !== undefined) fail('usage', '--out and --out-dir are alternatives');
  // Measuring reads the firmware whole and in order: the provenance SHA-256 of --format json comes from that read.
  const d1: LaunchDescription = request.format === 'json' && d0.ovmf ? { ...d0, ovmf: sha256WhileRead(d0.ovmf) } : d0;
  const d: LaunchDescription = a.apeip ? { ...d1, vcpus: [1] } : d1;
  const opened = await openLaunchAsync(d);
  for (const w of opened.warnings) io.err(`warning: ${w}\n`);
  const launch = opened.launch;
  const sw = sweep(launch, referenceSpace(d, launch));
  if (sw.skipped.length) for (const s of sw.skipped) io.err(`warning: skipped ${s.config}: ${s.reason}\n`);
  if (sw.results.length === 0) throw sw.skipped[0]?.error ?? new Error('no configuration of the matrix can launch');
  const out = referenceValuesText(sw.results, request, { kind: launch.kind, ...(launch.apResetEip !== undefined ? { apResetEip: launch.apResetEip } : {}) },
    request.format === 'json' ? launchProvenance(d, opened) : undefined);
  if (out.configs) {
    const dir = a['out-dir'];
    if (dir !== undefined) {
      // Loaded only here: the module also holds the reader of every reference-value format.
      const { writeGoSevGuestDirectory } = await import('../node/reference-files.js');
      writeGoSevGuestDirectory(dir, out.configs, io.cwd);
      io.out(`wrote ${out.configs.length} config${out.configs.length === 1 ? '' : 's'} to ${dir}\n`);
      return 0;
    }
    if (a.out !== undefined && a.out !== '-') {
      checkGoSevGuestOutFile(a.out, out.configs.length);
      writeOutput(args, io, a.out, out.configs[0]!.text, '--out');
      return 0;
    }
  }
  printNotes(out.notes, io);
  writeOutput(args, io, a.out ?? '-', out.text, '--out');
  return 0;
}
