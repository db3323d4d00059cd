/** Reading a region-list manifest from the command line (regions, verify, identify, reference-values). */
import { dirname, resolve } from 'node:path';
import { parseManifest, type FileOpener, type Manifest } from '../regions/manifest.js';
import { openerIn } from '../node/inputs.js';
import { recordIn } from './launch-args.js';
import { isStdin, readInputFile } from '../node/files.js';
import type { CliIO } from './io.js';

export interface LoadedManifest {
  readonly manifest: Manifest;
  /** Opens the manifest's file sources, relative to the manifest's folder (the cwd for stdin). */
  readonly open: FileOpener;
}

export function loadManifest(path: string, what: string, io: CliIO): LoadedManifest {
  const text = new TextDecoder().decode(readInputFile(path, what, io.cwd, 'manifest'));
  const baseDir = isStdin(path) ? io.cwd : dirname(resolve(io.cwd, path));
  return { manifest: parseManifest(text, `manifest ${path}`), open: openerIn(baseDir, recordIn(io)) };
}
