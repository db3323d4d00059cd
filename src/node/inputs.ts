/**
 * The Node edge of the launch description: option values that name files become sources. A path is
 * read on demand (never whole unless small); `-` is standard input, read whole; a manifest's own
 * file sources resolve relative to the manifest's folder.
 */
import { dirname, resolve } from 'node:path';
import { fail } from '../errors.js';
import { bytesSource, type Source } from '../launch/description.js';
import { fileWindow } from './file-extent.js';
import { isStdin, readInputFile } from './files.js';
import type { FileOpener } from '../regions/manifest.js';

/** Opens a file relative to a folder, for the files a manifest or config names. */
export function openerIn(folder: string): FileOpener {
  return (p, what, offset, length) => fileWindow(p, what, folder, offset, length);
}

/** A file option's value as a source: a path (relative to `cwd`), `-` for stdin, or bytes. */
export function openInput(value: unknown, what: string, cwd: string): Source {
  if (value instanceof Uint8Array) return bytesSource(value, what, openerIn(cwd));
  if (typeof value !== 'string') return fail('usage', `${what}: expected a file path`);
  if (value === '') fail('usage', `${what}: the file name is empty`);
  if (isStdin(value)) return bytesSource(readInputFile('-', what, cwd), 'stdin', openerIn(cwd));
  const w = fileWindow(value, what, cwd);
  return {
    length: w.length, describe: value, read: (o, into) => w.read(o, into),
    ...(w.file ? { file: w.file } : {}),
    relative: openerIn(dirname(resolve(cwd, value))),
  };
}
