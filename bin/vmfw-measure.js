#!/usr/bin/env node
// Runs the bundled CLI (dist/bundle/, written by `npm run build`: a file per command plus shared
// chunks, faster to load than the module tree) unless tsc's output is newer than the bundle, in
// which case it runs the module tree itself. VMFW_BUNDLE=0 forces the module tree.
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const tree = new URL('../dist/cli/main.js', import.meta.url);
const bundle = new URL('../dist/bundle/main.js', import.meta.url);

function entry() {
  if (process.env.VMFW_BUNDLE === '0') return tree;
  let built;
  try { built = statSync(bundle).mtimeMs; } catch { return tree; }
  try { return statSync(tree).mtimeMs > built ? tree : bundle; } catch { return bundle; }
}

let cli;
try {
  cli = await import(entry().href);
} catch (e) {
  // Only a module of this package's dist/ missing means "not built"; a missing dependency is another story.
  const dist = fileURLToPath(new URL('../dist/', import.meta.url));
  const missing = e && e.code === 'ERR_MODULE_NOT_FOUND' ? /Cannot find module '([^']+)'/.exec(String(e.message))?.[1] : undefined;
  if (missing !== undefined && missing.startsWith(dist)) {
    process.stderr.write('error[usage]: vmfw-measure is not built yet: run `npm run build` (or `npm ci`) in the package folder first\n');
    process.exit(2);
  }
  throw e;
}
await cli.main();
