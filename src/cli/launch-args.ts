/** The command line's launch options as a launch description (files opened at this edge). */
import { describeLaunch, LAUNCH_KEYS, type LaunchDescription } from '../launch/description.js';
import { openInput } from '../node/inputs.js';
import type { CommandArgs } from './commands.js';
import type { CliIO } from './io.js';

/**
 * The launch keys given on the command line, plus the command's own defaults. The vocabulary's
 * defaults are applied where the launch is built, so a manifest's launch settings still count.
 */
export function launchValues(a: CommandArgs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of LAUNCH_KEYS) {
    if ((a.given.has(k) || a.commandDefaults.has(k)) && a.values[k] !== undefined) out[k] = a.values[k];
  }
  return out;
}

export function launchFromArgs(a: CommandArgs, io: CliIO): LaunchDescription {
  return describeLaunch(launchValues(a), { open: (value, key, what) => openInput(value, what, io.cwd, key, recordIn(io)) });
}

export function hasLaunchInput(a: CommandArgs): boolean {
  return ['ovmf', 'metadata', 'manifest', 'igvm'].some((k) => a.given.has(k));
}

/** Records the files a command reads on its io, so its outputs never replace one. */
export function recordIn(io: CliIO): (fullPath: string) => void {
  return (p) => { io.opened?.add(p); };
}
