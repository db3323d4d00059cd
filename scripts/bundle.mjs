// Bundles the built command line (dist/cli/main.js, from tsc) into dist/bundle/ with esbuild: one
// self-contained file per command word (`cmd/ovmf.js`, `cmd/regions.js`, ...) holding everything
// that command can reach and nothing of the other commands, plus `main.js` for the rest (--version,
// --help, help, unknown words), which holds no command module. bin/vmfw-measure.cjs loads the file
// for argv's first word. A run thus loads one file: module loading costs about 0.7 ms per file
// here, and code a run never calls about 2.5 ms per 100 KB (it is still parsed), so neither a
// shared-chunk split (19-27 files a run) nor one file for every command (300 KB) is as fast.
//
// Each file is a script whose value is a CommonJS module function, `(function (exports, require,
// module, __filename, __dirname) {...})`, which the launcher compiles with node:vm and a V8 code
// cache (`<file>.cache`, written here by one representative run of the command): Node 20 has no
// compile cache for ES modules, and the ES module loader itself costs about 5 ms a run. The cache
// is only an optimisation: V8 refuses one that does not match the source or the node binary, and
// the file is compiled as usual. Measured effect and the command that reproduces it:
// docs/performance.md.
//
// Each process loads exactly one bundle, so every module exists once in it (one MeasureError
// class, one stdout sink). A command word whose bundle lacks a module it needs is a build bug;
// the stub put in its place says so instead of running another command's code.
//
// Run by `npm run build` after tsc. Without esbuild (an install without dev dependencies) it
// says so and leaves the module tree as the CLI. Works from dist/cli/main.js or src/cli/main.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Left to Node's own loader: yargs locates its locale files relative to its own module, which a
 * bundle would move. It is loaded only when a command needs it.
 */
export const EXTERNAL = ['yargs', 'yargs/*'];

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20.19',
  external: EXTERNAL,
  // Minified (about a third less to parse at every start); keepNames keeps --debug stack traces readable.
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
};

/** The command table's module, beside the entry (commands.js or commands.ts). */
function commandTableOf(entry) {
  const ext = entry.endsWith('.ts') ? '.ts' : '.js';
  return join(dirname(entry), `commands${ext}`);
}

/**
 * Which modules each command word's commands load: the command table is bundled on its own with
 * its dynamic imports left in place, imported, and each `run`'s import specifier read back.
 * Returns word -> specifiers (as written in the table, e.g. './ovmf-command.js').
 */
async function commandModules(esbuild, entry) {
  const tmp = mkdtempSync(join(tmpdir(), 'vmfw-bundle-'));
  try {
    const outfile = join(tmp, 'commands.mjs');
    await esbuild.build({
      ...common, format: 'esm', minify: false, entryPoints: [commandTableOf(entry)], outfile,
      plugins: [{ name: 'keep-dynamic', setup(b) { b.onResolve({ filter: /.*/ }, (a) => (a.kind === 'dynamic-import' ? { path: a.path, external: true } : undefined)); } }],
    });
    // In a plain node process: a test runner importing it would rewrite import() in the source.
    const listing = spawnSync(process.execPath, ['--input-type=module', '-e',
      `const { COMMANDS } = await import(${JSON.stringify(pathToFileURL(outfile).href)}); process.stdout.write(JSON.stringify(COMMANDS.map((c) => [c.path, String(c.run)])));`,
    ], { encoding: 'utf8' });
    if (listing.status !== 0) throw new Error(`bundle: cannot list the commands: ${listing.stderr}`);
    const words = new Map();
    for (const [path, run] of JSON.parse(listing.stdout)) {
      const specs = [...run.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
      if (specs.length === 0) throw new Error(`bundle: cannot tell which module command "${path}" loads (its run has no import(...))`);
      const word = path.split(' ')[0];
      if (!words.has(word)) words.set(word, new Set());
      for (const s of specs) words.get(word).add(s);
    }
    return words;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** esbuild plugin: the command table's dynamic imports in `stubbed` become a module that throws. */
function stubCommands(table, stubbed) {
  return {
    name: 'stub-other-commands',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (a) => (a.kind === 'dynamic-import' && a.importer === table && stubbed.has(a.path) ? { path: a.path, namespace: 'vmfw-stub' } : undefined));
      b.onLoad({ filter: /.*/, namespace: 'vmfw-stub' }, (a) => ({
        contents: `throw new Error(${JSON.stringify(`this bundle of vmfw-measure has no ${a.path} (it belongs to another command's bundle); run \`npm run build\` again`)});`,
        loader: 'js',
      }));
    },
  };
}

/** The text that wraps a CommonJS bundle into a script whose value is its module function (bin/vmfw-measure.cjs runs it). */
export const MODULE_FUNCTION = ['(function (exports, require, module, __filename, __dirname) {', '\n})'];

/**
 * The run that warms each bundle's code cache up: a representative command on the repository's
 * examples (relative to the repository), else `<word> --help`. The cache holds what V8 compiled
 * during the run, so a run like it compiles next to nothing.
 */
const WARM_UP = {
  ovmf: ['ovmf', '--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-v4', '--ovmf', 'examples/ovmf/OVMF-synthetic-amdsev.fd'],
  'reference-values': ['reference-values', '--ovmf', 'examples/ovmf/OVMF-synthetic-amdsev.fd', '--vcpus', '1-4', '--vcpu-type', 'EPYC-v4'],
  identify: ['identify', '--measurement', '00'.repeat(48), '--ovmf', 'examples/ovmf/OVMF-synthetic-amdsev.fd', '--vcpus', '1-2'],
  regions: ['regions', 'examples/regions/uki-update.json'],
};

/** Writes `<file>.cache` from one run of the bundle `file` with `args` (output discarded; exit status ignored). */
function warmUp(file, args, cwd) {
  const runner = `const fs = require('node:fs'), vm = require('node:vm'), path = require('node:path'), { createRequire } = require('node:module');
const file = ${JSON.stringify(file)};
const script = new vm.Script(fs.readFileSync(file, 'utf8'), { filename: file });
const mod = { exports: {} };
script.runInThisContext()(mod.exports, createRequire(file), mod, file, path.dirname(file));
Promise.resolve(mod.exports.main()).finally(() => fs.writeFileSync(file + '.cache', script.createCachedData()));`;
  const dir = mkdtempSync(join(tmpdir(), 'vmfw-warm-'));
  try {
    const warm = join(dir, 'warm.cjs');
    writeFileSync(warm, runner);
    spawnSync(process.execPath, [warm, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return existsSync(`${file}.cache`);
}

/**
 * Bundles `entry` (JavaScript or TypeScript) into `outdir`, replacing it: `main.js` and
 * `cmd/<word>.js` per command word, each with its code cache. Returns the words, the file count
 * and the bytes written.
 */
export async function bundle(esbuild, entry, outdir) {
  rmSync(outdir, { recursive: true, force: true });
  const words = await commandModules(esbuild, entry);
  const table = commandTableOf(entry);
  const all = new Set([...words.values()].flatMap((s) => [...s]));
  const targets = [
    { outfile: join(outdir, 'main.js'), stubbed: all },
    ...[...words].map(([word, specs]) => ({ outfile: join(outdir, 'cmd', `${word}.js`), stubbed: new Set([...all].filter((s) => !specs.has(s))) })),
  ];
  let bytes = 0;
  await Promise.all(targets.map(async (t) => {
    const r = await esbuild.build({ ...common, entryPoints: [entry], outfile: t.outfile, metafile: true, plugins: [stubCommands(table, t.stubbed)] });
    bytes += Object.values(r.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
    writeFileSync(t.outfile, `${MODULE_FUNCTION[0]}${readFileSync(t.outfile, 'utf8')}${MODULE_FUNCTION[1]}`);
  }));
  let cached = 0;
  for (const t of targets) {
    const word = basename(t.outfile, '.js');
    const args = t.outfile.endsWith(join('cmd', `${word}.js`)) ? WARM_UP[word] ?? [word, '--help'] : ['--help'];
    const examples = args.some((a) => a.startsWith('examples/')) && !existsSync(join(root, 'examples')) ? [word, '--help'] : args;
    if (warmUp(t.outfile, examples, root)) cached++;
  }
  return { words: [...words.keys()], files: targets.length, cached, bytes };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const entry = join(root, 'dist', 'cli', 'main.js');
  const outdir = join(root, 'dist', 'bundle');
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    console.log('bundle: esbuild is not installed; the CLI runs from dist/ module by module');
    process.exit(0);
  }
  if (!existsSync(entry)) {
    console.error(`bundle: ${relative(root, entry)} does not exist; run tsc first`);
    process.exit(1);
  }
  const { files, cached, bytes } = await bundle(esbuild, entry, outdir);
  console.log(`bundle: ${relative(root, entry)} -> ${relative(root, outdir)}/ (${files} files, one per command word plus main.js, ${(bytes / 1024).toFixed(0)} KiB; ${cached} code caches)`);
}
