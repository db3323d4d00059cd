/**
 * The Node edge of the launch description: option values that name files become sources. A
 * regular file is read on demand, except a manifest or metadata file (parsed whole); those, `-`,
 * FIFOs and /dev/null are read whole within their kind's limit (node/input.ts); devices are
 * refused. A manifest's own file sources resolve relative to the manifest's folder.
 */
import { dirname, resolve } from 'node:path';
import { fail } from '../errors.js';
import { bytesSource, type Source } from '../launch/description.js';
import { fileWindow } from './file-extent.js';
import { isStdin, readInput, statInput, type InputKind } from './input.js';
import type { FileOpener } from '../regions/manifest.js';

/** Called with the absolute path of every file opened, so a command's outputs can avoid them. */
export type RecordInput = (fullPath: string) => void;

/** Opens a file relative to a folder, for the files a manifest or config names. */
export function openerIn(folder: string, record?: RecordInput): FileOpener {
  return (p, what, offset, length) => {
    const w = fileWindow(p, what, folder, offset, length);
    record?.(resolve(folder, p));
    return w;
  };
}

/** Kinds of input that are parsed whole (JSON), so read whole within their limit. */
const READ_WHOLE: ReadonlySet<InputKind> = new Set(['manifest', 'metadata']);

/** The input kind (and so the size limit) of each file option. */
const KINDS: Readonly<Record<string, InputKind>> = {
  ovmf: 'firmware', svsm: 'firmware', metadata: 'metadata', kernel: 'kernel', initrd: 'kernel', varsFile: 'any',
  manifest: 'manifest', igvm: 'igvm',
};

/** A file option's value as a source: a path (relative to `cwd`), `-` for stdin, or bytes. */
export function openInput(value: unknown, what: string, cwd: string, key?: string, record?: RecordInput): Source {
  if (value instanceof Uint8Array) return bytesSource(value, what, openerIn(cwd, record));
  if (typeof value !== 'string') return fail('usage', `${what}: expected a file path`);
  if (value === '') fail('usage', `${what}: the file name is empty`);
  const kind = (key !== undefined && Object.hasOwn(KINDS, key) ? KINDS[key] : undefined) ?? 'any';
  if (isStdin(value)) return bytesSource(readInput('-', { what, kind, cwd }), 'stdin', openerIn(cwd, record));
  const { st } = statInput(value, what, cwd);
  record?.(resolve(cwd, value));
  const relative = openerIn(dirname(resolve(cwd, value)), record);
  // A manifest or metadata file is parsed whole: read it within its kind's limit, never by window.
  if (!st.isFile() || READ_WHOLE.has(kind)) return bytesSource(readInput(value, { what, kind, cwd }), value, relative);
  const w = fileWindow(value, what, cwd);
  return { length: w.length, describe: value, read: (o, into) => w.read(o, into), ...(w.file ? { file: w.file } : {}), relative };
}
