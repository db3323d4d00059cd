/** Every JSON format the tool writes validates against the schema the package ships for it. */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { captureIO, runCli } from '../src/cli/main.js';
import { FORMATS } from '../src/formats.js';
import { REPO } from './helpers.js';

const schemaDir = join(REPO, 'schemas');
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
for (const f of readdirSync(schemaDir)) ajv.addSchema(JSON.parse(readFileSync(join(schemaDir, f), 'utf8')) as object, f);

function check(schema: string, value: unknown): void {
  const validate = ajv.getSchema(schema);
  if (!validate) throw new Error(`no schema ${schema}`);
  const ok = validate(value);
  expect(ok, JSON.stringify(validate.errors)).toBe(true);
}

async function cli(...args: string[]): Promise<string> {
  const io = captureIO(join(REPO, 'examples'));
  const rc = await runCli(args, io);
  expect([0, 4], io.stderr).toContain(rc);
  return io.stdout;
}

const OVMF = ['--mode', 'snp', '--vcpus', '2', '--vcpu-type', 'EPYC-v4', '--ovmf', 'ovmf/OVMF-synthetic-amdsev.fd', '--kernel', 'ovmf/vmlinuz-standin.bin', '--append', 'console=ttyS0'];

describe('shipped JSON schemas', () => {
  it('there is one schema per format this tool writes, and every schema compiles', () => {
    const names = readdirSync(schemaDir);
    for (const id of Object.values(FORMATS)) {
      const name = `${id.slice('vmfw-measure/'.length, id.indexOf('@'))}.schema.json`;
      expect(names, id).toContain(name);
    }
  });
  it('ovmf --json and its launch log', async () => {
    check('ovmf-result.schema.json', JSON.parse(await cli('ovmf', ...OVMF, '--json')));
    check('ovmf-result.schema.json', JSON.parse(await cli('ovmf', ...OVMF, '--json', '--output-format', 'base64')));
    const log = (await cli('ovmf', ...OVMF, '--log', '-')).trim().split('\n').slice(0, -1);
    expect(log.length).toBeGreaterThan(20);
    for (const line of log) check('launch-log.schema.json', JSON.parse(line));
  });
  it('a schema rejects what it should (a bad digest, a missing field)', () => {
    const validate = ajv.getSchema('launch-log.schema.json')!;
    expect(validate({ format: FORMATS.launchLog, step: 0, origin: { kind: 'x' }, page: 0, pageType: 'NORMAL', gpa: '0x0', contents: '0'.repeat(96), digest: 'zz' })).toBe(false);
    expect(ajv.getSchema('ovmf-result.schema.json')!({ format: FORMATS.ovmfResult, digest: 'ab'.repeat(48) })).toBe(false);
  });
  it('regions --json (launch and disabled), igvm --json, igvm inspect --json', async () => {
    check('regions-result.schema.json', JSON.parse(await cli('regions', 'regions/uki-update.json', '--json')));
    check('igvm-result.schema.json', JSON.parse(await cli('igvm', 'igvm/example.igvm', '--json')));
    check('igvm-inspect.schema.json', JSON.parse(await cli('igvm', 'inspect', 'igvm/example.igvm', '--json')));
  });
  it('launch-update --json and reference-values --format json', async () => {
    check('launch-update-result.schema.json', JSON.parse(await cli('launch-update', '--struct-at', '0x1000', '--memory', 'igvm/launch-update-guest.img', '--json')));
    const { mkdtempSync, writeFileSync, copyFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const tmp = mkdtempSync(join(tmpdir(), 'vmfw-schema-'));
    copyFileSync(join(REPO, 'examples', 'ovmf', 'OVMF-synthetic-amdsev.fd'), join(tmp, 'fw.fd'));
    copyFileSync(join(REPO, 'examples', 'igvm', 'example.igvm'), join(tmp, 'x.igvm'));
    writeFileSync(join(tmp, 'vmfw-measure.json'), JSON.stringify({ launches: { web: { kind: 'ovmf', ovmf: 'fw.fd', append: 'a', kernelSha256: '00'.repeat(32), vcpus: '1-2', vcpuType: 'EPYC-Milan' }, svsm: { kind: 'igvm', igvm: 'x.igvm', vcpus: 1 } } }));
    const io = captureIO(tmp);
    expect(await runCli(['lock'], io), io.stderr).toBe(0);
    check('lock.schema.json', JSON.parse(readFileSync(join(tmp, 'vmfw-measure.lock.json'), 'utf8')));
    check('reference-values.schema.json', JSON.parse(await cli('reference-values', ...OVMF.filter((a) => a !== '--mode' && a !== 'snp').map((a) => (a === '2' ? '1-3' : a)))));
  });
});
