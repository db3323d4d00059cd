/**
 * Shell completion through yargs (loaded only here: it costs ~50 ms to import, which the other
 * commands never pay). The command and option lists come from the same declarations as the parser.
 */
import { COMMANDS } from './commands.js';
import type { CliIO } from './io.js';
import { fail } from '../errors.js';

/** The shells yargs writes a completion script for. */
const SHELLS = ['bash', 'zsh'];

export async function runCompletion(argv: readonly string[], io: CliIO): Promise<number> {
  // `completion zsh` names the shell; without it yargs goes by $SHELL (and $ZSH_NAME).
  const shell = argv[0] === 'completion' && argv[1] !== undefined && !argv[1].startsWith('-') ? argv[1] : undefined;
  if (shell !== undefined && !SHELLS.includes(shell)) fail('usage', `completion: ${JSON.stringify(shell)} is not a shell it writes a script for (${SHELLS.join(', ')})`);
  const saved = { SHELL: process.env['SHELL'], ZSH_NAME: process.env['ZSH_NAME'] };
  if (shell !== undefined) { process.env['SHELL'] = `/bin/${shell}`; delete process.env['ZSH_NAME']; }
  try {
    return await writeCompletion(argv, io);
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

async function writeCompletion(argv: readonly string[], io: CliIO): Promise<number> {
  // Imported here, not at the top: a bundle that inlines this module must not load yargs at start-up.
  const { default: yargs } = await import('yargs');
  let y = yargs([...argv]).scriptName('vmfw-measure').exitProcess(false).help(false).version(false)
    .completion('completion', 'print a completion script for bash or zsh');
  const top = [...new Set(COMMANDS.map((c) => c.path.split(' ')[0]!))];
  for (const name of top) {
    const subs = COMMANDS.filter((c) => c.path.split(' ')[0] === name);
    const main = subs.find((c) => c.path === name)!;
    y = y.command(name, main.describe, (cy) => {
      for (const s of subs) if (s !== main) cy.command(s.path.split(' ')[1]!, s.describe, (sy) => addOptions(sy, s));
      return addOptions(cy, main);
    });
  }
  let text = '';
  await y.parseAsync([...argv], {}, (_e, _p, output) => { text = output; });
  io.out(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  return 0;

  function addOptions<T>(cy: import('yargs').Argv<T>, c: (typeof COMMANDS)[number]): import('yargs').Argv<T> {
    for (const o of c.options) {
      cy = cy.option(o.decl.name, {
        describe: o.decl.describe, type: o.decl.kind === 'flag' ? 'boolean' : 'string',
        ...(o.decl.choices ? { choices: [...o.decl.choices] } : {}),
      }) as import('yargs').Argv<T>;
    }
    return cy;
  }
}
