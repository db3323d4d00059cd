#!/usr/bin/env node
// Runs the conformance runner from tsc's output (dist/conformance/, written by `npm run build`);
// before a build that is a one-line error, not a module-resolution stack trace.
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));

let cli;
try {
  cli = await import('../dist/conformance/cli.js');
} catch (e) {
  // Only a module of this package's dist/ missing means "not built"; a missing dependency is another story.
  const missing = e && e.code === 'ERR_MODULE_NOT_FOUND' ? /Cannot find module '([^']+)'/.exec(String(e.message))?.[1] : undefined;
  if (missing !== undefined && missing.startsWith(dist)) {
    process.stderr.write('error[usage]: vmfw-measure-conformance is not built yet: run `npm run build` (or `npm ci`) in the package folder first\n');
    process.exit(2);
  }
  throw e;
}
process.exitCode = await cli.main(process.argv.slice(2));
