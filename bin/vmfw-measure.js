#!/usr/bin/env node
// Runs the bundled CLI (dist/bundle/, written by `npm run build`: a file per command plus shared
// chunks, faster to load than the module tree) unless tsc's output is newer than the bundle, in
// which case it runs the module tree itself. VMFW_BUNDLE=0 forces the module tree.
import { statSync } from 'node:fs';

const tree = new URL('../dist/cli/main.js', import.meta.url);
const bundle = new URL('../dist/bundle/main.js', import.meta.url);

function entry() {
  if (process.env.VMFW_BUNDLE === '0') return tree;
  let built;
  try { built = statSync(bundle).mtimeMs; } catch { return tree; }
  try { return statSync(tree).mtimeMs > built ? tree : bundle; } catch { return bundle; }
}

const { main } = await import(entry().href);
await main();
