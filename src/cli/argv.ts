/**
 * The command-line grammar, driven by the option vocabulary (src/options/table.ts):
 *
 * - `--name value` and `--name=value`; the value is kept exactly as the shell passed it (no quote
 *   stripping: `--append="a"` arrives as `--append="a"` only if the shell kept the quotes).
 * - A value may be anything, `-` and `--` included, except the spelling of another option of the
 *   command (`--append --kernel x` is refused: write `--append=--kernel`), so a forgotten value
 *   never swallows the next option silently.
 * - A value option given twice is refused; list options collect every value, repeated or (where
 *   the option splits) comma-separated.
 * - Flags take no value (`--json`, or `--json=true|false`); there is no `--no-X` negation.
 * - A lone `--` ends the options; everything after it is positional.
 * - Unknown options get a did-you-mean; there are no prefix abbreviations (`--kern` is ambiguous
 *   between `--kernel` and `--kernel-sha256`).
 */
import { fail } from '../errors.js';
import { OPTIONS, VALUE_ALIASES, optionKey, type OptionDecl } from '../options/table.js';
import { didYouMean } from '../options/suggest.js';

export { didYouMean };

export type ArgValue = string | readonly string[] | boolean | undefined;

export interface CommandOption {
  readonly decl: OptionDecl;
  /** Command-specific default (the command line spelling), overriding the vocabulary's. */
  readonly default?: string | undefined;
  readonly describe?: string;
  readonly required?: boolean;
}

export interface PositionalDecl {
  /** Placeholder in usage: REPORT. */
  readonly metavar: string;
  /** The option this positional fills (`verify REPORT` = `verify --report REPORT`). */
  readonly option: string;
  readonly required: boolean;
}

export interface CommandShape {
  readonly path: string;
  readonly options: readonly CommandOption[];
  readonly positionals: readonly PositionalDecl[];
  /** Options marked `matrix` take lists in this command. */
  readonly matrix?: boolean;
  /** The command's usage line (`diff LOG_A LOG_B [--json]`), quoted when an argument is missing. */
  readonly usage?: string;
}

export interface ParsedArgs {
  /** Values by camelCase key, defaults filled in. */
  readonly values: Record<string, ArgValue>;
  /** Keys given on the command line (not defaults). */
  readonly given: ReadonlySet<string>;
  /** Keys whose value is the command's own default (where it narrows the vocabulary's). */
  readonly commandDefaults: ReadonlySet<string>;
}

export function isListOption(c: CommandShape, d: OptionDecl): boolean {
  return d.kind === 'list' || (c.matrix === true && d.matrix === true);
}

function splits(c: CommandShape, d: OptionDecl): boolean {
  return d.split === true || (c.matrix === true && d.matrix === true);
}

function lookup(c: CommandShape, name: string): CommandOption | undefined {
  for (const opt of c.options) {
    if (opt.decl.name === name || opt.decl.aliases?.includes(name)) return opt;
  }
  return undefined;
}

function lookupShort(c: CommandShape, letter: string): CommandOption | undefined {
  return c.options.find((opt) => opt.decl.short === letter);
}

function allNames(c: CommandShape): string[] {
  return c.options.flatMap((opt) => [opt.decl.name, ...(opt.decl.aliases ?? [])]);
}

function unknownOption(c: CommandShape, spelled: string, name: string): never {
  const known = OPTIONS.some((d) => d.name === name || d.aliases?.includes(name)) || VALUE_ALIASES.some((a) => a.name === name);
  if (known) fail('usage', `${c.path}: ${spelled} is not an option of this command (see vmfw-measure ${c.path} --help)`);
  const guess = didYouMean(name, allNames(c));
  fail('usage', `${c.path}: unknown option ${spelled}${guess ? `; did you mean --${guess}?` : ''} (see vmfw-measure ${c.path} --help)`);
}

/** Whether an argument is the spelling of one of the command's options. */
function looksLikeOption(c: CommandShape, arg: string): boolean {
  if (arg.startsWith('--') && arg.length > 2) {
    const name = arg.slice(2).split('=')[0]!;
    return lookup(c, name) !== undefined || VALUE_ALIASES.some((a) => a.name === name);
  }
  return /^-[a-zA-Z]$/.test(arg) && lookupShort(c, arg[1]!) !== undefined;
}

const TRUE_WORDS = new Set(['true', '1', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'no']);

export function parseArgv(c: CommandShape, argv: readonly string[]): ParsedArgs & { positionals: string[] } {
  const values: Record<string, ArgValue> = Object.create(null) as Record<string, ArgValue>;
  const given = new Set<string>();
  const commandDefaults = new Set<string>();
  const positionals: string[] = [];
  const set = (opt: CommandOption, spelled: string, raw: string | boolean): void => {
    const d = opt.decl;
    const key = optionKey(d.name);
    if (d.kind === 'flag') {
      if (given.has(key)) fail('usage', `${c.path}: --${d.name} is given twice`);
      values[key] = raw;
    } else if (isListOption(c, d)) {
      const parts = splits(c, d) ? String(raw).split(',').map((s) => s.trim()) : [String(raw)];
      if (parts.some((p) => p === '')) fail('usage', `${c.path}: ${spelled} has an empty entry in ${JSON.stringify(raw)}`);
      values[key] = [...((given.has(key) ? values[key] : []) as string[]), ...parts];
    } else {
      if (given.has(key)) fail('usage', `${c.path}: --${d.name} takes one value but is given twice (${JSON.stringify(values[key])} and ${JSON.stringify(raw)})`);
      values[key] = raw;
    }
    given.add(key);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { positionals.push(...argv.slice(i + 1)); break; }
    let opt: CommandOption | undefined;
    let spelled = arg;
    let inline: string | undefined;
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      spelled = `--${name}`;
      if (eq >= 0) inline = arg.slice(eq + 1);
      opt = lookup(c, name);
      if (!opt) {
        const alias = VALUE_ALIASES.find((a) => a.name === name);
        const target = alias ? lookup(c, alias.option) : undefined;
        if (alias && target) {
          if (inline !== undefined && !TRUE_WORDS.has(inline.toLowerCase())) fail('usage', `${c.path}: --${name} is a flag: give it alone (or =true), not ${JSON.stringify(inline)}`);
          set(target, spelled, alias.value);
          continue;
        }
        unknownOption(c, spelled, name);
      }
    } else if (/^-[a-zA-Z]$/.test(arg)) {
      opt = lookupShort(c, arg[1]!);
      if (!opt) fail('usage', `${c.path}: unknown option ${arg} (see vmfw-measure ${c.path} --help)`);
    } else if (/^-[a-zA-Z]/.test(arg) && !/^-\d/.test(arg)) {
      fail('usage', `${c.path}: unknown option ${arg}${(() => { const g = didYouMean(arg.replace(/^-+/, ''), allNames(c)); return g ? `; did you mean --${g}?` : ''; })()}`);
    } else {
      positionals.push(arg);
      continue;
    }
    const d = opt.decl;
    if (d.kind === 'flag') {
      if (inline === undefined) set(opt, spelled, true);
      else if (TRUE_WORDS.has(inline.toLowerCase())) set(opt, spelled, true);
      else if (FALSE_WORDS.has(inline.toLowerCase())) set(opt, spelled, false);
      else fail('usage', `${c.path}: ${spelled} is a flag: give it alone, or =true or =false, not ${JSON.stringify(inline)}`);
      continue;
    }
    if (inline === undefined) {
      const next = argv[i + 1];
      if (next === undefined || looksLikeOption(c, next)) {
        fail('usage', `${c.path}: ${spelled} needs a value${next !== undefined ? ` (to pass the text ${JSON.stringify(next)}, write ${spelled}=${next})` : ''}`);
      }
      inline = next;
      i++;
    }
    set(opt, spelled, inline);
  }

  if (positionals.length > c.positionals.length) {
    fail('usage', `${c.path}: unexpected argument ${JSON.stringify(positionals[c.positionals.length])}`);
  }
  c.positionals.forEach((p, i) => {
    const value = positionals[i];
    const opt = lookup(c, p.option)!;
    const key = optionKey(p.option);
    if (value !== undefined) {
      if (given.has(key)) fail('usage', `${c.path}: ${p.metavar} is given both as an argument and as --${p.option}`);
      set(opt, p.metavar, value);
    } else if (p.required && !given.has(key) && values['help'] !== true && values['version'] !== true) {
      fail('usage', `${c.path}: missing ${p.metavar} (usage: vmfw-measure ${c.usage ?? `${c.path} ${p.metavar} ...`}; see vmfw-measure ${c.path} --help)`);
    }
  });
  // Standard input can be read once: two inputs named `-` would leave the second one empty.
  const stdinNames = new Set(['-', '/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);
  const fromStdin = c.options.filter((o) => o.decl.io === 'file' && stdinNames.has(String(values[optionKey(o.decl.name)]))).map((o) => `--${o.decl.name}`);
  if (fromStdin.length > 1) fail('usage', `${c.path}: standard input can feed one input, but ${fromStdin.join(' and ')} all read it`);

  for (const opt of c.options) {
    const key = optionKey(opt.decl.name);
    if (given.has(key)) continue;
    const dflt = 'default' in opt ? opt.default : opt.decl.default;
    if (opt.decl.kind === 'flag') values[key] = false;
    else if (dflt !== undefined) values[key] = isListOption(c, opt.decl) ? (splits(c, opt.decl) ? dflt.split(',') : [dflt]) : dflt;
    if (dflt !== undefined && 'default' in opt) commandDefaults.add(key);
  }
  for (const opt of c.options) {
    const key = optionKey(opt.decl.name);
    if (opt.required && !given.has(key) && values['help'] !== true && values['version'] !== true) {
      const pos = c.positionals.find((p) => p.option === opt.decl.name);
      fail('usage', `${c.path}: missing ${pos ? `${pos.metavar} (or --${opt.decl.name})` : `--${opt.decl.name}`} (see vmfw-measure ${c.path} --help)`);
    }
  }
  return { values, given, commandDefaults, positionals };
}
