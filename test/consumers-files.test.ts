/** The file helpers the go-sev-guest output and reader use: --out-dir is created, a directory is read as configs. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureOutputDirectory, isDirectory, readDirectoryTextFiles, writeFileAtomic } from '../src/node/files.js';
import { isMeasureError } from '../src/errors.js';
import { readReferenceValuesPath, writeGoSevGuestDirectory } from '../src/node/reference-files.js';
import { goSevGuestConfigs } from '../src/attestation/go-sev-guest.js';
import { matchReferences } from '../src/attestation/reference-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'vmfw-consumers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const codeOf = (f: () => unknown): string => { try { f(); return 'ok'; } catch (e) { if (isMeasureError(e)) return e.code; throw e; } };

describe('output directories', () => {
  it('--out-dir is created with its parents, and files can be written into it', () => {
    ensureOutputDirectory('a/b/c', dir);
    expect(statSync(join(dir, 'a/b/c')).isDirectory()).toBe(true);
    ensureOutputDirectory('a/b/c', dir); // existing: fine
    writeFileAtomic('a/b/c/x.textproto', 'policy {}\n', dir);
    expect(isDirectory('a/b/c', dir)).toBe(true);
    expect(isDirectory('a/b/c/x.textproto', dir)).toBe(false);
    expect(isDirectory('nope', dir)).toBe(false);
  });
  it('a file in the way is an output error', () => {
    writeFileSync(join(dir, 'file'), 'x');
    expect(codeOf(() => ensureOutputDirectory('file', dir))).toBe('output');
    expect(codeOf(() => ensureOutputDirectory('file/sub', dir))).toBe('output');
  });
  it('reads the regular files of a directory in name order, skipping subdirectories', () => {
    mkdirSync(join(dir, 'cfg/sub'), { recursive: true });
    writeFileSync(join(dir, 'cfg/b.textproto'), 'B');
    writeFileSync(join(dir, 'cfg/a.textproto'), 'A');
    expect(readDirectoryTextFiles('cfg', 'dir', dir)).toEqual([{ name: 'a.textproto', text: 'A' }, { name: 'b.textproto', text: 'B' }]);
    expect(codeOf(() => readDirectoryTextFiles('missing', 'dir', dir))).toBe('file-read');
  });
});

describe('reference-value files', () => {
  const digest = (n: number): Uint8Array => Uint8Array.from({ length: 48 }, (_, i) => (i + n) & 0xff);
  const results = [1, 2].map((n) => ({ vcpus: n, profile: 'qemu', era: 'init2', vcpuType: 'EPYC-v4', vcpuSignature: 0x800f12n, guestFeatures: 1n, digest: digest(n) }));
  it('--out-dir writes one .textproto per configuration into a created directory, and verify reads the directory back', () => {
    const paths = writeGoSevGuestDirectory('out/gsg', goSevGuestConfigs(results), dir);
    expect(paths).toEqual(['out/gsg/qemu-init2-EPYC-v4-gf1-v1.textproto', 'out/gsg/qemu-init2-EPYC-v4-gf1-v2.textproto']);
    const set = readReferenceValuesPath('out/gsg', dir);
    expect(matchReferences(set, digest(2)).map((m) => m.entry.position)).toEqual(['qemu-init2-EPYC-v4-gf1-v2.textproto']);
    expect(readReferenceValuesPath('out/gsg/qemu-init2-EPYC-v4-gf1-v1.textproto', dir).entries).toHaveLength(1);
  });
});
