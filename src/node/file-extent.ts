/** Guest-memory extents and region data backed by files, read on demand (never whole). */
import { resolve } from 'node:path';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { fail } from '../errors.js';
import { isStdin, statInput } from './input.js';
import { EMPTY_MEMORY, ExtentMemory, type GuestMemory, type MemoryExtent } from '../regions/memory.js';
import { parseUnsigned } from '../bytes.js';
import type { RegionData } from '../regions/replay.js';

/** A readable window [offset, offset + length) of a file. */
export function fileWindow(path: string, what: string, cwd: string, offset = 0, length?: number): RegionData {
  if (isStdin(path)) fail('usage', `${what}: standard input cannot be read at random offsets; save it to a file first`);
  const { full, st } = statInput(path, what, cwd, true);
  const size = st.size;
  if (offset > size) fail('manifest', `${what}: offset 0x${offset.toString(16)} is past the end of ${path} (${size} bytes)`);
  const len = length ?? size - offset;
  if (offset + len > size) fail('manifest', `${what}: ${path} has ${size} bytes; offset 0x${offset.toString(16)} + length 0x${len.toString(16)} runs past its end`);
  // Each read opens the path again: it must still be the file measured so far.
  const identity = { dev: st.dev, ino: st.ino };
  return {
    length: len,
    file: { path: full, offset, identity },
    describe: `${path}${offset ? `@0x${offset.toString(16)}` : ''}`,
    read(o, into) {
      let fd: number | undefined;
      try {
        fd = openSync(full, 'r');
        const now = fstatSync(fd);
        if (now.dev !== identity.dev || now.ino !== identity.ino) fail('file-read', `${what}: ${path} was replaced while being read (another file has its name now)`);
        let done = 0;
        while (done < into.length) {
          const n = readSync(fd, into, done, into.length - done, offset + o + done);
          if (n === 0) fail('file-read', `${what}: ${path} ended early (was it truncated while reading?)`);
          done += n;
        }
      } catch (e) {
        if ((e as Error).name === 'MeasureError') throw e;
        fail('file-read', `${what}: cannot read ${path}: ${(e as Error).message}`);
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    },
  };
}

export function fileExtent(gpa: bigint, path: string, what: string, cwd: string, offset = 0, length?: number): MemoryExtent {
  const w = fileWindow(path, what, cwd, offset, length);
  return { gpa, length: w.length, describe: w.describe, read: (o, into) => w.read(o, into) };
}

/** Guest memory from the CLI's --memory IMG (a raw image at GPA 0) and --extent GPA=FILE options. */
export function guestMemoryFromFiles(memory: string | undefined, extents: readonly string[] | undefined, cwd: string, record?: (fullPath: string) => void): GuestMemory {
  const list: MemoryExtent[] = [];
  if (memory !== undefined) { list.push(fileExtent(0n, memory, '--memory', cwd)); record?.(resolve(cwd, memory)); }
  for (const spec of extents ?? []) {
    const m = /^([^=]+)=(.+)$/.exec(spec);
    if (!m) fail('memory', `--extent ${JSON.stringify(spec)}: expected GPA=FILE`);
    list.push(fileExtent(parseUnsigned(m[1]!, '--extent GPA'), m[2]!, `--extent ${m[1]}`, cwd));
    record?.(resolve(cwd, m[2]!));
  }
  return list.length ? new ExtentMemory(list) : EMPTY_MEMORY;
}
