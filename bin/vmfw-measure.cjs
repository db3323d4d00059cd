#!/usr/bin/env node
'use strict';
// Runs the bundled CLI (dist/bundle/, written by `npm run build`): the file for the command word
// (`cmd/ovmf.js` for `vmfw-measure ovmf ...`; one file per word, faster to load than the module
// tree), else `main.js` (--version, help, unknown words). A bundle file is a CommonJS module
// function compiled here with its V8 code cache (scripts/bundle.mjs says why). This launcher is
// CommonJS itself: an ES module entry costs about 7 ms more a run (the ES module loader).
// It runs tsc's module tree instead when that is newer than the bundle, for shell completion
// (yargs is an ES module, loaded on demand), and with VMFW_BUNDLE=0.
const { readFileSync, statSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

const dist = join(__dirname, '..', 'dist');
const tree = join(dist, 'cli', 'main.js');

/** Modification time, or undefined when the file is missing. */
function mtime(path) {
  try { return statSync(path).mtimeMs; } catch { return undefined; }
}

function entry() {
  const word = process.argv[2];
  if (process.env.VMFW_BUNDLE === '0' || word === 'completion' || word === '--get-yargs-completions') return tree;
  let bundle = word !== undefined && /^[a-z][a-z0-9-]*$/.test(word) ? join(dist, 'bundle', 'cmd', `${word}.js`) : undefined;
  let built = bundle && mtime(bundle);
  if (built === undefined) {
    bundle = join(dist, 'bundle', 'main.js');
    built = mtime(bundle);
    if (built === undefined) return tree;
  }
  return (mtime(tree) ?? 0) > built ? tree : bundle;
}

/** A bundle file's module: its function compiled with the code cache beside it (when V8 accepts it) and run. */
function loadBundle(filename) {
  let cachedData;
  try { cachedData = readFileSync(`${filename}.cache`); } catch { /* no cache: compiled as usual */ }
  const script = new Script(readFileSync(filename, 'utf8'), { filename, ...(cachedData ? { cachedData } : {}) });
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(filename), mod, filename, dirname(filename));
  return mod.exports;
}

async function run() {
  const from = entry();
  let cli;
  try {
    cli = from === tree ? await import(pathToFileURL(tree).href) : loadBundle(from);
  } catch (e) {
    // Only a module of this package's dist/ missing means "not built"; a missing dependency is another story.
    const missing = e && e.code === 'ERR_MODULE_NOT_FOUND' ? /Cannot find module '([^']+)'/.exec(String(e.message))?.[1] : undefined;
    if (missing !== undefined && missing.startsWith(dist)) {
      process.stderr.write('error[usage]: vmfw-measure is not built yet: run `npm run build` (or `npm ci`) in the package folder first\n');
      process.exit(2);
    }
    throw e;
  }
  await cli.main();
}

run().catch((e) => { process.exitCode = 3; process.stderr.write(`${e && e.stack ? e.stack : e}\n`); });
