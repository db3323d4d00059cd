/** Launch names and option aliases in the CI config and the library: own properties, one vocabulary. */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lib from '../src/index.js';
import { cliIn, REPO } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vmfw-ci-names-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
copyFileSync(join(REPO, 'examples', 'ovmf', 'OVMF-synthetic-amdsev.fd'), join(dir, 'fw.fd'));
const launch = { kind: 'ovmf', ovmf: 'fw.fd', vcpus: '1', vcpuType: 'EPYC-v4' };

const run = cliIn(dir);

describe('launch names', () => {
  it.each(['constructor', 'toString', 'hasOwnProperty'])('a launch named %s is drift like any other name, never a crash', async (name) => {
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ launches: { web: launch } }));
    expect((await run('lock', 'c.json')).rc).toBe(0);
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ launches: { [name]: launch } }));
    const r = await run('check', 'c.json');
    expect(r.rc, r.err).toBe(1);
    expect(r.out).toContain(`launch ${name} (ovmf): in the config but not in the lock`);
    expect((await run('check', 'c.json', '--update')).rc).toBe(0);
    expect((await run('check', 'c.json')).rc).toBe(0);
  });
  it('a lock that names a launch __proto__ is refused, not silently dropped', async () => {
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ launches: { web: launch } }));
    expect((await run('lock', 'p.json')).rc).toBe(0);
    const lock = readFileSync(join(dir, 'p.lock.json'), 'utf8');
    writeFileSync(join(dir, 'p.lock.json'), lock.replace('"launches": {', `"launches": {\n    "__proto__": ${JSON.stringify(JSON.parse(lock).launches.web)},`));
    const r = await run('check', 'p.json');
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(/^error\[lock\]: .*__proto__: not a launch name/);
  });
});

describe('the --profile alias is one vocabulary too', () => {
  it('the library and the CI config take profile as vmmType', async () => {
    const fw = new Uint8Array(readFileSync(join(dir, 'fw.fd')));
    const a = await lib.measureOvmf({ ovmf: fw, vcpus: 1, profile: 'ec2' });
    const b = await lib.measureOvmf({ ovmf: fw, vcpus: 1, vmmType: 'ec2' });
    expect(a.digest).toBe(b.digest);
    await expect(lib.measureOvmf({ ovmf: fw, vcpus: 1, profile: 'ec2', vmmType: 'ec2' })).rejects.toMatchObject({ code: 'usage' });
    writeFileSync(join(dir, 'alias.json'), JSON.stringify({ launches: { web: { kind: 'ovmf', ovmf: 'fw.fd', vcpus: '1', profile: 'ec2' } } }));
    const r = await run('lock', 'alias.json');
    expect(r.rc, r.err).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'alias.lock.json'), 'utf8')).launches.web.configurations[0].digest).toBe(b.digest);
  });
});
