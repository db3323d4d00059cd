#!/usr/bin/env node
// The CLI lives in dist/ (compiled from src/ by `npm run build`, which `npm ci` runs via `prepare`).
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (e) {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist')) {
    process.stderr.write('error[usage]: vmfw-measure is not built yet: run `npm run build` (or `npm ci`) in the package folder first\n');
    process.exit(2);
  }
  throw e;
}
await cli.main();
