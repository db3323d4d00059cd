#!/usr/bin/env node
/**
 * Builds the static page into web/dist: index.html, styles.css and app.js (the worker's code
 * is inlined into app.js and started from a blob: URL). Classic scripts and a blob worker keep
 * the page working when opened straight from disk (file://), where module scripts and
 * file-URL workers are refused; every path is relative, so any static server works too.
 *
 *   node web/build.mjs [--dev]     (--dev: no minification, inline source maps)
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = dirname(fileURLToPath(import.meta.url));
const SRC = resolve(WEB, '..', 'src');
export const DIST = join(WEB, 'dist');

/** The library's platform-neutral modules only (src/hash/suite.ts defaults to @noble/hashes). */
const platformNeutral = {
  name: 'platform-neutral',
  setup(b) {
    // Nothing the page runs may reach Node's modules; fail the build rather than ship a broken page.
    b.onResolve({ filter: /^node:/ }, (args) => ({ errors: [{ text: `${args.path} imported by ${args.importer}: the page must stay platform-neutral` }] }));
  },
};

const common = {
  bundle: true, format: 'iife', platform: 'browser', target: ['chrome109', 'firefox115', 'safari16'],
  plugins: [platformNeutral], logLevel: 'warning', legalComments: 'none',
};

export async function buildSite({ dev = false } = {}) {
  const started = Date.now();
  const opts = { ...common, minify: !dev, sourcemap: dev ? 'inline' : false };
  const worker = await build({ ...opts, entryPoints: [join(WEB, 'src', 'worker.ts')], write: false });
  const workerSource = worker.outputFiles[0].text;
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(DIST, { recursive: true });
  await build({
    ...opts, entryPoints: [join(WEB, 'src', 'main.ts')], outfile: join(DIST, 'app.js'),
    define: { WORKER_SOURCE: JSON.stringify(workerSource) },
  });
  for (const f of ['index.html', 'styles.css']) copyFileSync(join(WEB, f), join(DIST, f));
  const size = (f) => statSync(join(DIST, f)).size;
  return { dir: DIST, ms: Date.now() - started, bytes: { 'app.js': size('app.js'), worker: workerSource.length, 'styles.css': size('styles.css'), 'index.html': size('index.html') } };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await buildSite({ dev: process.argv.includes('--dev') });
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`built ${r.dir} in ${r.ms} ms: app.js ${kib(r.bytes['app.js'])} (worker ${kib(r.bytes.worker)} inside), styles.css ${kib(r.bytes['styles.css'])}, index.html ${kib(r.bytes['index.html'])}`);
  console.log(`open ${join(r.dir, 'index.html')} in a browser, or serve the folder: node web/serve.mjs`);
}
