/** Help text, rendered from the command declarations and the option vocabulary. */
import { OPTIONS, VALUE_ALIASES, type OptionGroup } from '../options/table.js';
import { isListOption, type CommandOption } from './argv.js';
import { COMMANDS, type CommandDef } from './commands.js';

const GROUP_ORDER: readonly OptionGroup[] = ['OVMF launch', 'Region-list launch', 'IGVM launch', 'Guest configuration', 'Attestation', 'Encoding', 'Output', 'General'];

function wrap(text: string, width: number, indent: number): string {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) { lines.push(line); line = w; } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

function optionLine(c: CommandDef, o: CommandOption): [string, string] {
  const d = o.decl;
  const names = [d.short ? `-${d.short}, ` : '', `--${d.name}`, d.kind === 'flag' ? '' : ` ${d.metavar ?? 'VALUE'}`].join('');
  const dflt = 'default' in o ? o.default : d.default;
  const notes = [
    o.required ? 'required' : '',
    dflt !== undefined ? `default: ${dflt}` : '',
    d.choices ? `values: ${d.choices.join(', ')}` : '',
    isListOption(c, d) ? (d.split || (c.matrix && d.matrix) ? 'repeatable, comma-separated' : 'repeatable') : '',
    d.aliases?.length ? `alias: ${d.aliases.map((a) => `--${a}`).join(', ')}` : '',
    d.io === 'file' ? '- reads stdin' : d.io === 'output' ? '- writes stdout' : '',
  ].filter(Boolean);
  return [names, `${o.describe ?? d.describe}${notes.length ? ` [${notes.join('; ')}]` : ''}`];
}

export function commandHelp(c: CommandDef): string {
  const out: string[] = [`Usage: vmfw-measure ${c.usage}`, '', c.describe];
  const rows = c.options.map((o) => ({ group: o.decl.group, line: optionLine(c, o) }));
  const aliasRows = VALUE_ALIASES.filter((a) => c.options.some((o) => o.decl.name === a.option)).map((a) => ({ group: OPTIONS.find((d) => d.name === a.option)!.group, line: [`--${a.name}`, a.describe] as [string, string] }));
  const all = [...rows, ...aliasRows];
  const width = Math.min(34, Math.max(...all.map((r) => r.line[0].length)) + 2);
  for (const g of GROUP_ORDER) {
    const inGroup = all.filter((r) => r.group === g);
    if (!inGroup.length) continue;
    out.push('', `${g} options:`);
    for (const r of inGroup) {
      const left = `  ${r.line[0]}`;
      const pad = left.length >= width + 2 ? `\n${' '.repeat(width + 2)}` : ' '.repeat(width + 2 - left.length);
      out.push(`${left}${pad}${wrap(r.line[1], 100 - width, width + 2)}`);
    }
  }
  if (c.epilog) out.push('', wrap(c.epilog, 100, 0));
  out.push('', 'Examples:', ...c.examples.map((e) => `  ${e}`));
  return `${out.join('\n')}\n`;
}

export function topLevelHelp(version: string): string {
  const width = Math.max(...COMMANDS.map((c) => c.path.length));
  return [
    `vmfw-measure ${version}: AMD SEV-SNP launch digests for OVMF launches, vmfwupdate region lists and IGVM images`,
    '',
    'Usage: vmfw-measure <command> [options]       (vmfw-measure help <command> for its options)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.path.padEnd(width)}  ${c.describe}`),
    `  ${'help [COMMAND]'.padEnd(width)}  this text, or a command's options`,
    `  ${'completion'.padEnd(width)}  print a bash/zsh completion script (source it from your shell profile)`,
    '',
    'Options: -h/--help, -V/--version, --debug (stack traces of errors), -q/--quiet (no warnings)',
    'Exit status: 0 ok, 1 mismatch, 2 bad input or usage, 3 bug, 4 no digest (disabled update)',
    '',
    'Examples:',
    '  vmfw-measure ovmf --mode snp --vcpus 4 --vcpu-type EPYC-Milan --ovmf OVMF.fd',
    '  vmfw-measure regions update.json --json',
    '  vmfw-measure verify report.bin --reference-values reference-values.json',
  ].join('\n') + '\n';
}
