/**
 * `vmfw-measure ovmf`: classic OVMF launches with sev-snp-measure's option names and values,
 * so scripts can switch tools without edits. Prints only the digest unless --json is given.
 */
import { fail } from '../errors.js';
import { measurePlan } from '../engine.js';
import { FORMATS } from '../formats.js';
import { ovmfModePlan } from '../launch/ovmf.js';
import { formatDigest, oneOf, LogCollector, Outputs, toJson, type OutputFormat, engineOptions } from './common.js';
import { launchFromArgs } from './launch-args.js';
import type { CommandArgs } from './commands.js';
import type { CliIO } from './io.js';

const MODE_NAMES: Readonly<Record<string, string>> = {
  'snp': 'SEV_SNP', 'snp:ovmf-hash': 'SEV_SNP', 'snp:svsm': 'SEV_SNP_SVSM', 'sev': 'SEV', 'seves': 'SEV_ES',
};

export function run(a: CommandArgs, io: CliIO): number {
  const v = a.values;
  const format = oneOf(String(v['outputFormat']), '--output-format', ['hex', 'base64'] as const) as OutputFormat;
  const d = launchFromArgs(a, io);
  const log = v['log'] !== undefined ? new LogCollector() : undefined;
  const mode = d.mode!;
  if (log && !mode.startsWith('snp')) return usage('--log is for SNP modes; SEV and SEV-ES digests have no per-page log');
  if (v['dumpVmsa'] === true && (mode === 'sev' || mode === 'snp:ovmf-hash')) return usage(`--dump-vmsa is not available in mode ${mode}`);
  const r = ovmfModePlan(d, { describeInputs: v['json'] === true });
  const eo = engineOptions(io, { log, maxSteps: d.maxSteps, label: 'measuring' });
  let measured;
  try { measured = r.built ? measurePlan(r.built.plan, eo.options) : undefined; } finally { eo.done(); }
  const digest = measured?.digest ?? r.digest;
  for (const w of r.warnings) io.err(`warning: ${w}\n`);
  const outputs = new Outputs(a, io);
  if (log) outputs.add(String(v['log']), log.text(), '--log');
  if (v['dumpVmsa'] === true) r.vmsaPages.forEach((p, i) => outputs.add(`vmsa${i}.bin`, p, '--dump-vmsa'));
  outputs.commit();
  // sev-snp-measure prints the firmware digest as bare hex whatever --output-format and -v say.
  if (mode === 'snp:ovmf-hash' && v['json'] !== true) { io.out(`${formatDigest(digest, 'hex')}\n`); return 0; }
  const text = formatDigest(digest, format);
  if (v['json'] === true) {
    io.out(toJson({
      format: FORMATS.ovmfResult, digest: text, encoding: format, inputs: r.inputs,
      ...(measured ? { steps: measured.steps, stepsByType: measured.stepsByType } : {}), warnings: r.warnings,
    }));
  } else if (v['verbose'] === true) {
    io.out(`Calculated ${MODE_NAMES[mode]} guest measurement: ${text}\n`);
  } else {
    io.out(`${text}\n`);
  }
  return 0;
}

function usage(message: string): never {
  return fail('usage', message);
}
