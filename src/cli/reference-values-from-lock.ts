/** `vmfw-measure reference-values --from-lock`: reference values from a lock file's digests, without the CI machinery. */
import { optionFlag } from '../options/table.js';
import { fail } from '../errors.js';
import { parseUnsigned } from '../bytes.js';
import { readInputFile } from '../node/files.js';
import { parseLock, lockResults } from '../ci/lock.js';
import { checkReferenceRequest, referenceValuesText } from '../attestation/reference-formats.js';
import { checkGoSevGuestOutFile } from '../attestation/go-sev-guest.js';
import { writeGoSevGuestDirectory } from '../node/reference-files.js';
import { EXIT_OK } from './exit-codes.js';
import { writeOutput } from './common.js';
import { launchValues } from './launch-args.js';
import type { CommandArgs } from './commands.js';
import type { CliIO } from './io.js';

const flag = optionFlag;

/**
 * `reference-values --from-lock FILE`: the reference values of every configuration a lock records,
 * written by the same writer as `reference-values` from a launch (attestation/reference-formats.ts),
 * with the same format options and the same refusals (contrast needs --product, trustee-operator
 * --expires). The lock holds digests, not launches: launch options, --matrix and --apeip (it needs
 * the firmware's AP reset EIP, which a lock does not record) are refused.
 */
export function runReferenceValuesFromLock(args: CommandArgs, io: CliIO): number {
  const path = String(args.values['fromLock']);
  // --product is a launch option, but here it only names Contrast's ProductName.
  const given = Object.keys(launchValues(args)).filter((k) => k !== 'product');
  if (given.length) fail('usage', `--from-lock takes launches and configurations from the lock; drop ${given.map(flag).join(', ')}`);
  if (args.given.has('matrix')) fail('usage', '--from-lock does not combine with --matrix');
  if (args.given.has('apeip')) fail('usage', '--from-lock does not combine with --apeip: the APEIP form needs the firmware\'s AP reset EIP, which a lock does not record');
  const str = (k: string): string | undefined => (typeof args.values[k] === 'string' ? args.values[k] : undefined);
  const product = args.given.has('product') ? str('product') : undefined;
  const expires = str('expires');
  const policy = str('policy');
  const request = checkReferenceRequest({
    format: str('format') ?? 'json',
    ...(args.given.has('encoding') ? { encoding: str('encoding') ?? '' } : {}),
    ...(policy !== undefined ? { policy: parseUnsigned(policy, '--policy') } : {}),
    ...(expires !== undefined ? { expires } : {}),
    ...(product !== undefined ? { product } : {}),
  });
  if (product !== undefined && request.format !== 'contrast') {
    fail('usage', '--product with --from-lock names Contrast\'s ProductName and belongs to --format contrast (the lock\'s digests are measured already)');
  }
  const out = str('out');
  const outDir = str('outDir');
  if (outDir !== undefined && request.format !== 'go-sev-guest') fail('usage', '--out-dir belongs to --format go-sev-guest (one check.Config per file); other formats write one file: use --out');
  if (outDir !== undefined && out !== undefined) fail('usage', '--out and --out-dir are alternatives');

  const lock = parseLock(new TextDecoder().decode(readInputFile(path, '--from-lock', io.cwd, 'reference-values')), `--from-lock ${path}`);
  const results = lockResults(lock);
  if (results.length === 0) fail('lock', `--from-lock ${path}: the lock records no configuration`);
  const source = { tool: lock.tool.name, toolVersion: lock.tool.version, lock: path, launches: Object.fromEntries(Object.keys(lock.launches).sort().map((n) => [n, lock.launches[n]!.kind])) };
  const written = referenceValuesText(results, request, { kind: 'lock', source });
  if (written.configs) {
    if (outDir !== undefined) {
      writeGoSevGuestDirectory(outDir, written.configs, io.cwd);
      io.out(`wrote ${written.configs.length} config${written.configs.length === 1 ? '' : 's'} to ${outDir}\n`);
      return EXIT_OK;
    }
    if (out !== undefined && out !== '-') {
      checkGoSevGuestOutFile(out, written.configs.length);
      writeOutput(args, io, out, written.configs[0]!.text, '--out');
      return EXIT_OK;
    }
  }
  for (const l of written.notes) io.err(`${l}\n`);
  writeOutput(args, io, out ?? '-', written.text, '--out');
  return EXIT_OK;
}
