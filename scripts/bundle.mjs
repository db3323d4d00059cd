// Bundles the built command line (dist/cli/main.js, from tsc) into dist/bundle/ with esbuild:
// ES modules with code splitting, so every module the entry imports lazily (each command) becomes
// its own file and a run loads its command's file plus the chunks it shares, a handful of files
// instead of ~70. bin/vmfw-measure.js runs the bundle when it is newer than tsc's output.
// Measured effect and the command that reproduces it: docs/performance.md.
//
// Run by `npm run build` after tsc. Without esbuild (an install without dev dependencies) it
// says so and leaves the module tree as the CLI. Works from whatever entry dist/cli/main.js is:
// esbuild follows its static and dynamic imports.
import { existsSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Left to Node's own loader: yargs locates its locale files relative to its own module, which a
 * bundle would move. It is loaded only when a command needs it.
 */
export const EXTERNAL = ['yargs', 'yargs/*'];

/** Bundles `entry` (JavaScript or TypeScript) into `outdir`, replacing it. Returns the file count and bytes. */
export async function bundle(esbuild, entry, outdir) {
  rmSync(outdir, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: [entry],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    external: EXTERNAL,
    // Minified (about a third less to parse at every start); keepNames keeps --debug stack traces readable.
    minify: true,
    keepNames: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.values(result.metafile.outputs);
  return { files: outputs.length, bytes: outputs.reduce((n, o) => n + o.bytes, 0) };
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
  const { files, bytes } = await bundle(esbuild, entry, outdir);
  console.log(`bundle: ${relative(root, entry)} -> ${relative(root, outdir)}/ (${files} files, ${(bytes / 1024).toFixed(0)} KiB)`);
}
