/** A region list with a kernelHashes source in the CI lock: its kernel, initrd and command line are inputs. */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliIn, REPO } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vmfw-ci-kh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
cpSync(join(REPO, 'examples'), dir, { recursive: true });
writeFileSync(join(dir, 'vmfw-measure.json'), JSON.stringify({ launches: { update: { kind: 'regions', manifest: 'regions/kernel-update.json' } } }));

const run = cliIn(dir);

describe('kernelHashes inputs in the lock', () => {
  it('records them, and check names the one that changed and the page it fills', async () => {
    expect((await run('lock')).rc).toBe(0);
    const lock = JSON.parse(readFileSync(join(dir, 'vmfw-measure.lock.json'), 'utf8')) as { launches: { update: { inputs: Record<string, { path?: string; text?: string }> } } };
    expect(Object.keys(lock.launches.update.inputs).sort()).toEqual(['manifest', 'manifest.regions[0]', 'manifest.regions[1].append', 'manifest.regions[1].initrd', 'manifest.regions[1].kernel']);
    appendFileSync(join(dir, 'ovmf', 'initrd-standin.bin'), 'x');
    const r = await run('check');
    expect(r.rc).toBe(1);
    expect(r.out).toContain('manifest.regions[1].initrd');
    expect(r.out).toMatch(/kernel-hashes \d+ SNP_KERNEL_HASHES: manifest\.regions\[1\]\.initrd changed/);
    expect((await run('check', '--update')).rc).toBe(0);
    const m = readFileSync(join(dir, 'regions', 'kernel-update.json'), 'utf8');
    writeFileSync(join(dir, 'regions', 'kernel-update.json'), m.replace('"append": "console=ttyS0"', '"append": "console=ttyS1"'));
    const c = await run('check');
    expect(c.rc).toBe(1);
    expect(c.out).toContain('console=ttyS0');
    expect(c.out).toContain('console=ttyS1');
    expect(c.out).toMatch(/manifest\.regions\[1\] cmdline changed/);
  });
});

describe('reference-values provenance for a region list', () => {
  it('names every file and the command line the manifest brings in', async () => {
    const { createHash } = await import('node:crypto');
    const sha = (f: string): string => createHash('sha256').update(readFileSync(join(dir, f))).digest('hex');
    const r = await run('reference-values', '--manifest', 'regions/uki-update.json');
    expect(r.rc, r.err).toBe(0);
    const inputs = (JSON.parse(r.out) as { provenance: { inputs: { role: string; path?: string; sha256: string }[] } }).provenance.inputs;
    expect(inputs).toContainEqual({ role: 'region-source', path: '../ovmf/OVMF-synthetic-amdsev.fd', sha256: sha('ovmf/OVMF-synthetic-amdsev.fd') });
    expect(inputs).toContainEqual({ role: 'region-source', path: 'kernel-hashes.page', sha256: sha('regions/kernel-hashes.page') });
    const k = await run('reference-values', '--manifest', 'regions/kernel-update.json');
    const kin = (JSON.parse(k.out) as { provenance: { inputs: { role: string; path?: string; sha256: string }[] } }).provenance.inputs;
    expect(kin.map((i) => i.role)).toEqual(['kernel', 'initrd', 'cmdline', 'manifest', 'region-source']);
    expect(kin[0]).toEqual({ role: 'kernel', path: '../ovmf/vmlinuz-standin.bin', sha256: sha('ovmf/vmlinuz-standin.bin') });
  });
});
