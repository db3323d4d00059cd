/**
 * Outputs: files the CLI writes (logs, manifests, encoded structs, reference values, VMSAs) and
 * standard output. Node only. The rules (docs/robustness.md, "Outputs"):
 * - `-`, /dev/stdout and /dev/fd/1 mean standard output; /dev/stderr and /dev/fd/N that descriptor;
 * - a regular file (or a new one) is replaced atomically: written to a temporary file beside it,
 *   then renamed over it, keeping its permission bits; an error never leaves a truncated file;
 * - a symlink is written through to its target (the link stays a link);
 * - a FIFO or character device (/dev/null, a terminal) is opened and written directly;
 * - nothing that is not a regular file is ever replaced: directories, block devices and sockets are refused;
 * - an output never names an input (same device and inode, or the same path), nor another output;
 * - several outputs of one command are written all or none: every target is checked, every
 *   temporary file written, and only then are they renamed into place;
 * - temporary names stay within NAME_MAX (255 bytes) whatever the target's name.
 * Standard output is written through a StdoutSink, which turns EPIPE into a quiet stop and ENOSPC
 * or a closed descriptor into an `output` error the CLI reports.
 */
import {
  accessSync, closeSync, chmodSync, constants, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, realpathSync, renameSync, statSync, unlinkSync, writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { MeasureError, fail } from '../errors.js';
import { isStdin } from './input.js';

export interface OutputSpec {
  readonly path: string;
  readonly data: string | Uint8Array;
  /** How the output is named in messages: its option (`--log`) or a description. */
  readonly what: string;
}

/** An input the outputs must not overwrite: a path, or a path with the option that named it. */
export type InputRef = string | { readonly path: string; readonly what: string };

export interface WriteOutputsOptions {
  /** Directory relative paths resolve against (default: the process's). */
  readonly cwd?: string;
  /** The command's input files: an output naming one of them is refused before anything is written. */
  readonly inputs?: readonly InputRef[];
  /** Where `-` and /dev/stdout go (default: the process's shared StdoutSink). */
  readonly stdout?: { write(data: string | Uint8Array): unknown };
}

/** Linux NAME_MAX: the longest name of one directory entry, in bytes. */
export const NAME_MAX = 255;
const MAX_SYMLINK_HOPS = 40;

type Target =
  | { readonly kind: 'stdout' }
  | { readonly kind: 'fd'; readonly fd: number }
  /** A regular file to replace (st set) or create (st undefined), at its real path. */
  | { readonly kind: 'file'; readonly path: string; readonly st?: Stats }
  /** A FIFO or character device, opened and written in place. */
  | { readonly kind: 'direct'; readonly path: string; readonly st: Stats };

const FD_PATH = /^\/(?:dev\/fd|proc\/self\/fd)\/(\d+)$/;

function special(path: string): Target | undefined {
  if (path === '/dev/stdout') return { kind: 'stdout' };
  if (path === '/dev/stderr') return { kind: 'fd', fd: 2 };
  const m = FD_PATH.exec(path);
  if (!m) return undefined;
  const fd = Number(m[1]);
  return fd === 1 ? { kind: 'stdout' } : { kind: 'fd', fd };
}

function outputFail(o: OutputSpec, why: string): never {
  return fail('output', `${o.what}: cannot write ${isStdin(o.path) ? 'standard output' : o.path}: ${why}`);
}

/** Follows symlinks one hop at a time (so a link to /dev/stdout is seen) and classifies the target. */
function classify(o: OutputSpec, cwd: string): Target {
  if (isStdin(o.path)) return { kind: 'stdout' };
  let p = resolve(cwd, o.path);
  for (let hop = 0; ; hop++) {
    const s = special(p);
    if (s) {
      if (s.kind === 'fd') {
        try { fstatSync(s.fd); } catch { outputFail(o, `descriptor ${s.fd} is not open`); }
      }
      return s;
    }
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') return outputFail(o, (e as Error).message);
      // A new file (possibly the target of a dangling link): its directory must exist.
      let dir: Stats;
      try { dir = statSync(dirname(p)); } catch { return outputFail(o, `directory ${dirname(p)} does not exist`); }
      if (!dir.isDirectory()) return outputFail(o, `${dirname(p)} is not a directory`);
      // The directory's real path, so two spellings of one new file compare equal.
      return { kind: 'file', path: join(realpathSync(dirname(p)), basename(p)) };
    }
    if (st.isSymbolicLink()) {
      if (hop >= MAX_SYMLINK_HOPS) return outputFail(o, 'too many levels of symbolic links');
      p = resolve(dirname(p), readlinkSync(p));
      continue;
    }
    if (st.isFile()) {
      // Replacing by rename needs only the directory's permission; a file the user made read-only stays so.
      try { accessSync(p, constants.W_OK); } catch { return outputFail(o, 'the file is not writable'); }
      return { kind: 'file', path: p, st };
    }
    if (st.isFIFO() || st.isCharacterDevice()) return { kind: 'direct', path: p, st };
    if (st.isDirectory()) return outputFail(o, 'it is a directory');
    return outputFail(o, `it is a ${st.isBlockDevice() ? 'block device' : 'socket'}; outputs go to regular files, FIFOs and character devices only`);
  }
}

/** `.NAME.PID-RAND.tmp` beside the target, with NAME cut so the whole stays within NAME_MAX bytes. */
export function temporaryName(target: string): string {
  // node:crypto loaded here, not at import: it brings Node's stream modules (about 3 ms), which
  // a run that writes no file never needs.
  const suffix = `.${process.pid}-${process.getBuiltinModule('node:crypto').randomBytes(4).toString('hex')}.tmp`;
  let name = basename(target);
  const room = NAME_MAX - 1 - Buffer.byteLength(suffix);
  if (Buffer.byteLength(name) > room) {
    // Cut at a character boundary: drop whole code points until the UTF-8 fits.
    const chars = Array.from(name);
    while (Buffer.byteLength(chars.join('')) > room) chars.pop();
    name = chars.join('');
  }
  return resolve(dirname(target), `.${name}${suffix}`);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** writeSync until every byte is written, waiting out EAGAIN on non-blocking descriptors. */
function writeAll(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let done = 0;
  for (let waited = 0; done < bytes.length;) {
    try {
      done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') { Atomics.wait(sleeper, 0, 0, Math.min(50, 1 + waited++)); continue; }
      throw e;
    }
  }
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

function inputStats(inputs: readonly InputRef[], cwd: string): { what: string; path: string; full: string; st: Stats }[] {
  const out: { what: string; path: string; full: string; st: Stats }[] = [];
  for (const i of inputs) {
    const path = typeof i === 'string' ? i : i.path;
    const what = typeof i === 'string' ? 'an input' : `input ${i.what}`;
    if (isStdin(path)) continue;
    const full = resolve(cwd, path);
    try { out.push({ what, path, full, st: statSync(full) }); } catch { /* a missing input cannot be overwritten */ }
  }
  return out;
}

/**
 * Writes every output, or none of the regular files among them: all targets are checked first
 * (kind, directory, clobbering an input or each other), then every temporary file is written,
 * then FIFOs and devices are written, and only then are the temporary files renamed into place.
 * Failures are `output` errors naming the option and path; temporary files are removed.
 */
export function writeOutputs(outputs: readonly OutputSpec[], options: WriteOutputsOptions = {}): void {
  const cwd = options.cwd ?? process.cwd();
  const targets = outputs.map((o) => classify(o, cwd));
  const inputs = inputStats(options.inputs ?? [], cwd);
  // Clobbering: an output onto an input, or two outputs onto one file.
  targets.forEach((t, i) => {
    const o = outputs[i]!;
    if (t.kind === 'file' || t.kind === 'direct') {
      if (t.st && t.st.isFile()) {
        const hit = inputs.find((inp) => sameFile(inp.st, t.st!));
        if (hit) outputFail(o, `it is ${hit.what} (${hit.path}); an output never overwrites an input`);
      }
      for (let j = 0; j < i; j++) {
        const u = targets[j]!;
        if ((u.kind === 'file' || u.kind === 'direct') && (u.path === t.path || (u.st && t.st && u.st.isFile() && sameFile(u.st, t.st)))) {
          outputFail(o, `${outputs[j]!.what} writes the same file`);
        }
      }
    } else if (t.kind === 'stdout' || t.kind === 'fd') {
      for (let j = 0; j < i; j++) {
        const u = targets[j]!;
        if (u.kind === t.kind && (t.kind === 'stdout' || (u.kind === 'fd' && u.fd === t.fd))) outputFail(o, `${outputs[j]!.what} writes there too`);
      }
    }
  });

  const temps: (string | undefined)[] = targets.map(() => undefined);
  const cleanup = (): void => {
    for (const t of temps) if (t !== undefined) { try { unlinkSync(t); } catch { /* already gone */ } }
  };
  try {
    // 1. Temporary files beside each regular target.
    targets.forEach((t, i) => {
      if (t.kind !== 'file') return;
      const o = outputs[i]!;
      const tmp = temporaryName(t.path);
      let fd: number;
      try {
        fd = openSync(tmp, 'wx', t.st ? t.st.mode & 0o7777 : 0o666);
      } catch (e) {
        return outputFail(o, `cannot create a temporary file in ${dirname(t.path)}: ${(e as Error).message}`);
      }
      temps[i] = tmp;
      try {
        writeAll(fd, o.data);
        if (t.st) chmodSync(tmp, t.st.mode & 0o7777); // openSync's mode is filtered by the umask
      } catch (e) {
        outputFail(o, (e as Error).message);
      } finally {
        closeSync(fd);
      }
    });
    // 2. Streams and devices, written in place.
    targets.forEach((t, i) => {
      const o = outputs[i]!;
      try {
        if (t.kind === 'stdout') {
          if (options.stdout) options.stdout.write(o.data);
          else {
            const sink = processStdout();
            sink.write(o.data);
            if (sink.flush() === 'closed' || sink.status === 'failed') throw sink.error!;
          }
        }
        else if (t.kind === 'fd') writeAll(t.fd, o.data);
        else if (t.kind === 'direct') {
          const fd = openSync(t.path, 'w');
          try { writeAll(fd, o.data); } finally { closeSync(fd); }
        }
      } catch (e) {
        if (e instanceof MeasureError) throw e;
        outputFail(o, (e as Error).message);
      }
    });
    // 3. Every regular file at once.
    targets.forEach((t, i) => {
      if (t.kind !== 'file') return;
      try {
        renameSync(temps[i]!, t.path);
        temps[i] = undefined;
      } catch (e) {
        const done = outputs.filter((_o, j) => j < i && targets[j]!.kind === 'file').map((x) => x.what);
        outputFail(outputs[i]!, `${(e as Error).message}${done.length ? ` (already written: ${done.join(', ')})` : ''}`);
      }
    });
  } finally {
    cleanup();
  }
}

/** One output: writeOutputs([{ path, data, what }], options). */
export function writeOutput(path: string, data: string | Uint8Array, what: string, options: WriteOutputsOptions = {}): void {
  writeOutputs([{ path, data, what }], options);
}

export type SinkStatus = 'ok' | 'broken-pipe' | 'closed' | 'failed';

/** O_ACCMODE bits of /proc/self/fdinfo's "flags" and /dev/null's device number. */
const O_ACCMODE = 3;
const O_RDWR = 2;
const DEV_NULL_RDEV = 0x103;

/**
 * True when descriptor `fd` looks like a standard descriptor the process was started without:
 * Node reopens a closed 0, 1 or 2 as /dev/null read-write before any JavaScript runs, where a shell's
 * `>/dev/null` opens it write-only. (Python's subprocess.DEVNULL and Node's stdio 'ignore' also give
 * /dev/null read-write, and read as closed too.) Linux only; elsewhere false.
 */
export function looksClosed(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice() || st.rdev !== DEV_NULL_RDEV) return false;
    const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    const m = /^flags:\s*([0-7]+)$/m.exec(info);
    return m !== null && (parseInt(m[1]!, 8) & O_ACCMODE) === O_RDWR;
  } catch {
    return false;
  }
}

export interface StdoutSinkOptions {
  /** Descriptor to write (default 1). */
  readonly fd?: number;
  /** Bytes kept before a write is issued (default 64 KiB); flush() writes the rest. */
  readonly bufferBytes?: number;
  /** Treat /dev/null opened read-write as a closed descriptor (default true; see looksClosed). */
  readonly detectClosed?: boolean;
}

/**
 * Standard output for a command, written synchronously in order. Its status says what the CLI
 * must do when the command ends:
 * - 'ok': nothing to do;
 * - 'broken-pipe': the reader went away (EPIPE, e.g. `| head -c1`): print nothing more and exit
 *   with the status the command reached (a verify verdict stands);
 * - 'closed' or 'failed': the output is lost (a closed descriptor, ENOSPC on /dev/full, EIO...):
 *   report `error` (an `output` MeasureError) and exit 2.
 * After the first problem every further write is dropped.
 */
export class StdoutSink {
  private readonly fd: number;
  private readonly limit: number;
  private readonly detectClosed: boolean;
  private pending: (string | Uint8Array)[] = [];
  private pendingBytes = 0;
  private checked = false;
  private state: SinkStatus = 'ok';
  private failure: MeasureError | undefined;
  private written = 0;

  constructor(options: StdoutSinkOptions = {}) {
    this.fd = options.fd ?? 1;
    this.limit = options.bufferBytes ?? 64 * 1024;
    this.detectClosed = options.detectClosed ?? true;
  }

  get status(): SinkStatus { return this.state; }
  /** The `output` error to report when the status is 'closed' or 'failed'. */
  get error(): MeasureError | undefined { return this.failure; }
  /** Bytes actually written so far. */
  get bytesWritten(): number { return this.written; }

  write(data: string | Uint8Array): SinkStatus {
    if (this.state !== 'ok' || data.length === 0) return this.state;
    this.pending.push(data);
    this.pendingBytes += typeof data === 'string' ? data.length : data.length;
    return this.pendingBytes >= this.limit ? this.flush() : this.state;
  }

  flush(): SinkStatus {
    if (this.state !== 'ok' || this.pending.length === 0) return this.state;
    const name = this.fd === 1 ? 'standard output' : `descriptor ${this.fd}`;
    if (!this.checked) {
      this.checked = true;
      if (this.detectClosed && looksClosed(this.fd)) {
        this.pending = [];
        this.state = 'closed';
        this.failure = new MeasureError('output', `${name} is closed; the command's output was not written`);
        return this.state;
      }
    }
    const chunks = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const bytes = Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c)));
    try {
      writeAll(this.fd, bytes);
      this.written += bytes.length;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') {
        this.state = 'broken-pipe';
      } else {
        this.state = code === 'EBADF' ? 'closed' : 'failed';
        this.failure = new MeasureError('output', `${name}: ${(e as Error).message}`);
      }
    }
    return this.state;
  }
}

let shared: StdoutSink | undefined;
/** The process's standard output sink (created on first use). */
export function processStdout(): StdoutSink {
  shared ??= new StdoutSink();
  return shared;
}
