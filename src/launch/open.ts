/**
 * openLaunch: the one launch a description names, any kind, synchronously. It loads every kind's
 * module; the CLI uses openLaunchAsync (launch/build.ts), which loads only the kind it opens.
 */
import { launchKind, optionSpelling, type LaunchDescription } from './description.js';
import { openOvmfLaunch, type BuildContext, type OpenedLaunch } from './build.js';
import { openIgvmLaunch } from './igvm-launch.js';
import { openRegionsLaunch } from './regions-launch.js';

/** The one launch a description names, as a function of its configuration. */
export function openLaunch(d: LaunchDescription, ctx: BuildContext = {}): OpenedLaunch {
  switch (launchKind(d, ctx.spell ?? optionSpelling)) {
    case 'igvm': return openIgvmLaunch(d);
    case 'regions': return openRegionsLaunch(d, ctx);
    default: return openOvmfLaunch(d, ctx);
  }
}
