/**
 * What `identify` says when nothing matches: what that means, which inputs it took as given (it
 * varies only the configuration: vCPU count and model, guest features, VMM profile), the space it
 * searched, and the commands that find the differing launch step. Pure text; the CLI prints it.
 */
import { toHex } from '../bytes.js';
import { hostProductLine } from './report.js';

export type LaunchKind = 'ovmf' | 'regions' | 'igvm';

export interface NoMatchContext {
  readonly measurement: Uint8Array;
  readonly launch: LaunchKind;
  /**
   * Profiles searched whose VMSA GPA depends on the host CPU product, with the products that move
   * it, when no --product or --vmsa-gpa was given: those GPAs were not tried.
   */
  readonly untriedProducts?: readonly { readonly profile: string; readonly products: readonly string[] }[];
  /**
   * The inputs as given (a path, or the command line in quotes); null: not given. OVMF launches
   * list firmware, kernel, initrd, cmdline, svsm; region lists the manifest; IGVM the file.
   */
  readonly fixed: Readonly<Partial<Record<'firmware' | 'kernel' | 'initrd' | 'cmdline' | 'svsm' | 'manifest' | 'igvm', string | null>>>;
  readonly searched: {
    readonly configurations: number;
    /** e.g. "1..256 (256 counts)". */
    readonly vcpus: string;
    readonly vcpuTypes: readonly string[];
    readonly guestFeatures: readonly string[];
    readonly profiles: readonly string[];
    readonly skipped: number;
  };
  /** Options that narrowed the space below identify's defaults (e.g. ["--vcpus", "--vcpu-type"]). */
  readonly narrowedBy?: readonly string[];
  /** The report, when identify was given one. */
  readonly report?: { readonly path?: string; readonly version: number; readonly cpuid?: { readonly family: number; readonly model: number; readonly stepping: number } };
  /** The launch input options as the user gave them, for the suggested commands. */
  readonly inputArgs?: string;
}

const ROWS: Readonly<Record<LaunchKind, readonly [key: keyof NoMatchContext['fixed'], label: string][]>> = {
  ovmf: [['firmware', 'firmware'], ['kernel', 'kernel'], ['initrd', 'initrd'], ['cmdline', 'cmdline'], ['svsm', 'SVSM']],
  regions: [['manifest', 'region list'], ['firmware', 'firmware'], ['kernel', 'kernel'], ['initrd', 'initrd'], ['cmdline', 'cmdline']],
  igvm: [['igvm', 'IGVM file'], ['svsm', 'SVSM']],
};

const INSIDE: Readonly<Record<LaunchKind, string>> = {
  ovmf: '',
  regions: 'firmware, kernel, initrd and cmdline are whatever the region list copies and measures',
  igvm: 'firmware, kernel, initrd, cmdline and any SVSM are whatever the IGVM file carries',
};

/** "the report comes from a Genoa host (...)" for v3+ reports; what v2 reports cannot say. */
export function hostCpuSentence(report: NoMatchContext['report']): string | undefined {
  if (!report) return undefined;
  if (!report.cpuid) return `the report (version ${report.version}) does not name its host CPU (reports carry it from version 3)`;
  const c = report.cpuid;
  const line = hostProductLine(c);
  const fms = `CPUID family 0x${c.family.toString(16)} model 0x${c.model.toString(16)} stepping ${c.stepping}`;
  return line
    ? `the report comes from an AMD EPYC ${line} host (${fms}); QEMU's matching vCPU model is EPYC-${line}, though the guest may use any other`
    : `the report's host CPU (${fms}) is not an SEV-SNP product line this tool knows (Milan, Genoa, Turin)`;
}

export function explainNoMatch(ctx: NoMatchContext): string {
  const s = ctx.searched;
  const out: string[] = [
    `no configuration in the searched space matches ${toHex(ctx.measurement)}`,
    '',
    `searched ${s.configurations} configuration${s.configurations === 1 ? '' : 's'}${s.skipped ? ` (${s.skipped} skipped: they cannot launch)` : ''}:`,
    `  vCPU counts     ${s.vcpus}`,
    `  vCPU types      ${s.vcpuTypes.join(', ')}`,
    `  guest features  ${s.guestFeatures.join(', ')}`,
    `  VMM profiles    ${s.profiles.join(', ')}`,
  ];
  const host = hostCpuSentence(ctx.report);
  if (host) out.push(host);
  out.push('', 'identify varies only the configuration above. It took these inputs as given; if any of them differs by a single byte from what the VM was launched with, no configuration can match:');
  for (const [key, label] of ROWS[ctx.launch]) {
    const v = ctx.fixed[key];
    if (v === undefined && !(ctx.launch === 'ovmf' || key === ROWS[ctx.launch][0]![0])) continue;
    out.push(`  ${label.padEnd(12)}${v ?? 'none'}`);
  }
  if (INSIDE[ctx.launch]) out.push(`  (${INSIDE[ctx.launch]})`);
  const cause = ctx.launch === 'ovmf'
    ? 'Common causes: another firmware build, a kernel, initrd or command line that differs (one character of the command line is enough), an SVSM, or a host VMM that launches differently from every profile searched.'
    : 'Common causes: different region or file contents, or a host VMM that launches differently from every profile searched.';
  out.push(cause, '', 'what to try next:');
  if (ctx.narrowedBy && ctx.narrowedBy.length) {
    const many = ctx.narrowedBy.length > 1;
    out.push(`  - widen the search: ${ctx.narrowedBy.join(', ')} limited it; without ${many ? 'them' : 'it'} identify searches its full default space`);
  }
  for (const u of ctx.untriedProducts ?? []) {
    out.push(`  - under ${u.profile}, ${u.products.join(' and ')} hosts put the VMSAs at another GPA, which this search did not try: add --product ${u.products[0]}`);
  }
  const report = ctx.report?.path ?? 'REPORT';
  const inputs = ctx.inputArgs ?? '<the same launch inputs>';
  out.push(
    '  - measure the configuration you expect and compare it, step by step, with the launch log your build recorded:',
    `      vmfw-measure verify --report ${report} ${inputs} --vcpus N --vcpu-type TYPE --expected-log BUILD.log`,
    '    it prints the first launch step that differs and what that step measures (firmware page, metadata section, kernel hashes, region, VMSA)',
    '  - or write the launch log of these inputs and compare two logs yourself:',
    `      vmfw-measure verify --report ${report} ${inputs} --vcpus N --vcpu-type TYPE --log THESE.log`,
    '      vmfw-measure diff BUILD.log THESE.log',
  );
  return `${out.join('\n')}\n`;
}
