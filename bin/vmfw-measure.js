#!/usr/bin/env node
// Runs the bundled CLI (dist/bundle/, written by `npm run build`): the file for the command word
// (`cmd/ovmf.js` for `vmfw-measure ovmf ...`; one file per word, faster to load than the module
// tree or shared chunks), else `main.js` (--version, help, completion, unknown words). It runs
// tsc's module tree instead when that is newer than the bundle; VMFW_BUNDLE=0 forces the tree.
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const tree = new URL('../dist/cli/main.js', import.meta.url);

/** Modification time, or undefined when the file is missing. */
function mtime(url) {
  try { return statSync(url).mtimeMs; } catch { return undefined; }
}

function entry() {
  if (process.env.VMFW_BUNDLE === '0') return tree;
  const word = process.argv[2];
  const own = word !== undefined && /^[a-z][a-z0-9-]*$/.test(word) ? new URL(`../dist/bundle/cmd/${word}.js`, import.meta.url) : undefined;
  let bundle = own;
  let built = own && mtime(own);
  if (built === undefined) {
    bundle = new URL('../dist/bundle/main.js', import.meta.url);
    built = mtime(bundle);
    if (built === undefined) return tree;
  }
  return (mtime(tree) ?? 0) > built ? tree : bundle;
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
