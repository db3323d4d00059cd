/** Every JSON format the tool writes validates against the schema the package ships for it. */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { captureIO, runCli } from '../src/cli/main.js';
import { FORMATS } from '../src/formats.js';
import { buildReport } from '../src/attestation/report.js';
import { fromHex } from '../src/bytes.js';
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

/** A command run in `cwd` that must exit with `want` (1 = mismatch or drift); its stdout parsed as JSON. */
async function json(cwd: string, want: number, ...args: string[]): Promise<Record<string, unknown>> {
  const io = captureIO(cwd);
  const rc = await runCli(args, io);
  expect(rc, io.stderr).toBe(want);
  return JSON.parse(io.stdout) as Record<string, unknown>;
}

/** Whether a schema accepts a value (for the refusal checks). */
const accepts = (schema: string, value: unknown): boolean => ajv.getSchema(schema)!(value) as boolean;
/** A copy of a JSON value with one change made to it. */
function edited<T>(value: T, edit: (copy: Record<string, any>) => void): Record<string, unknown> {
  const copy = structuredClone(value) as Record<string, any>;
  edit(copy);
  return copy;
}

const OVMF = ['--mode', 'snp', '--vcpus', '2', '--vcpu-type', 'EPYC-v4', '--ovmf', 'ovmf/OVMF-synthetic-amdsev.fd', '--kernel', 'ovmf/vmlinuz-standin.bin', '--append', 'console=ttyS0'];

describe('shipped JSON schemas', () => {
  it('there is one schema per format this tool writes, and every schema compiles', () => {
    const names = readdirSync(schemaDir);
    for (const id of Object.values(FORMATS)) {
      const name = `${id.slice('vmfw-measure/'.length, id.indexOf('@'))}.schema.json`;
      expect(names, id).toContain(name);
    }
    for (const f of names) expect(ajv.getSchema(f), f).toBeTypeOf('function');
  });
  it('ovmf --json and its launch log', async () => {
    check('ovmf-result.schema.json', JSON.parse(await cli('ovmf', ...OVMF, '--json')));
    check('ovmf-result.schema.json', JSON.parse(await cli('ovmf', ...OVMF, '--json', '--output-format', 'base64')));
    const logDir = mkdtempSync(join(tmpdir(), 'vmfw-schema-log-'));
    await cli('ovmf', ...OVMF, '--log', join(logDir, 'launch.jsonl'));
    const log = readFileSync(join(logDir, 'launch.jsonl'), 'utf8').trim().split('\n');
    rmSync(logDir, { recursive: true, force: true });
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
    expect(await runCli(['lock', '--json'], io), io.stderr).toBe(0);
    check('lock-result.schema.json', JSON.parse(io.stdout));
    check('lock.schema.json', JSON.parse(readFileSync(join(tmp, 'vmfw-measure.lock.json'), 'utf8')));
    check('reference-values.schema.json', JSON.parse(await cli('reference-values', ...OVMF.filter((a) => a !== '--mode' && a !== 'snp').map((a) => (a === '2' ? '1-3' : a)))));
  });

  it('a schema rejects what it should in every format added for issue 14 (a wrong type, a missing field)', () => {
    const report = { format: FORMATS.report };
    expect(accepts('report.schema.json', report)).toBe(false);
    expect(accepts('diff-result.schema.json', { format: FORMATS.diffResult, identical: true, stepsA: 1, stepsB: 1 })).toBe(true);
    expect(accepts('diff-result.schema.json', { format: FORMATS.diffResult, identical: false, stepsA: 1, stepsB: 1 })).toBe(false);
    expect(accepts('diff-result.schema.json', { format: FORMATS.diffResult, identical: 'yes', stepsA: 1, stepsB: 1 })).toBe(false);
    expect(accepts('regions-encode.schema.json', { format: FORMATS.regionsEncode, structGpa: null, structSize: 40, regionsAddr: '0x2000', regionsCount: 0, sources: [] })).toBe(true);
    expect(accepts('regions-encode.schema.json', { format: FORMATS.regionsEncode, structGpa: null, structSize: 40, regionsAddr: 8192, regionsCount: 0, sources: [] })).toBe(false);
    expect(accepts('regions-encode.schema.json', { format: FORMATS.regionsEncode, structGpa: null, structSize: 48, regionsAddr: '0x2000', regionsCount: 0, sources: [] })).toBe(false);
    expect(accepts('check.schema.json', { format: FORMATS.check, result: 'match', updated: false, config: 'c', lock: 'l', notes: [], launches: [] })).toBe(true);
    expect(accepts('check.schema.json', { format: FORMATS.check, result: 'ok', updated: false, config: 'c', lock: 'l', notes: [], launches: [] })).toBe(false);
    expect(accepts('check.schema.json', { format: FORMATS.check, result: 'match', config: 'c', lock: 'l', notes: [], launches: [] })).toBe(false);
  });
});

describe('attestation and CI outputs validate against their schemas', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmfw-schema-attest-'));
  const ex = (...p: string[]): string => join(REPO, 'examples', ...p);
  const fw = ex('ovmf', 'OVMF-synthetic-amdsev.fd');
  const launch = ['--ovmf', fw, '--vcpu-type', 'EPYC-v4'];

  it('report --json for report versions 2, 3 (Genoa) and 5 (Turin: FMC bytes, mitigation vectors)', async () => {
    const m = fromHex('ab'.repeat(48), 'm');
    const cases = [
      { version: 2, measurement: m },
      { version: 3, measurement: m, policy: 0xb0000n, cpuid: { family: 0x19, model: 0x11, stepping: 1 }, authorKeyDigest: new Uint8Array(48).fill(7), currentVersion: { major: 1, minor: 55, build: 21 } },
      { version: 5, measurement: m, cpuid: { family: 0x1a, model: 0x02, stepping: 0 }, policy: 0x1_0000_0000_30000n },
    ];
    const docs = [];
    for (const [i, fields] of cases.entries()) {
      writeFileSync(join(dir, `r${i}.bin`), buildReport(fields));
      const doc = await json(dir, 0, 'report', `r${i}.bin`, '--json');
      check('report.schema.json', doc);
      docs.push(doc);
    }
    expect(docs[0]!['cpuid']).toBeNull();
    expect(docs[2]).toHaveProperty('launchMitigationVector');
    expect((docs[2]!['currentTcb'] as Record<string, unknown>)['fmc']).toBe(0);
    const r = docs[1]!;
    expect(accepts('report.schema.json', edited(r, (c) => { c['measurement'] = c['measurement'].slice(2); }))).toBe(false);
    expect(accepts('report.schema.json', edited(r, (c) => { c['guestSvn'] = '0'; }))).toBe(false);
    expect(accepts('report.schema.json', edited(r, (c) => { delete c['policy']['debug']; }))).toBe(false);
    expect(accepts('report.schema.json', edited(r, (c) => { delete c['launchTcb']; }))).toBe(false);
    expect(accepts('report.schema.json', edited(docs[2]!, (c) => { delete c['currentMitigationVector']; }))).toBe(false);
  });

  it('verify --json: expected digests, reference values (match and mismatch), a lock, launch inputs with a log diff', async () => {
    const two = (await cli('ovmf', '--mode', 'snp', '--vcpus', '2', ...launch)).trim();
    writeFileSync(join(dir, 'two.bin'), buildReport({ measurement: fromHex(two, 'd', 48), hostData: new Uint8Array(32).fill(1) }));
    const expected = await json(dir, 0, 'verify', '--report', 'two.bin', '--expected', two, '--host-data', '01'.repeat(32), '--forbid-debug', '--policy', '0x30000', '--json');
    check('verify-result.schema.json', expected);
    expect((expected['checks'] as unknown[]).length).toBe(4);
    writeFileSync(join(dir, 'rv.json'), await cli('reference-values', '--vcpus', '1-3', ...launch));
    const matched = await json(dir, 0, 'verify', '--report', 'two.bin', '--reference-values', 'rv.json', '--json');
    check('verify-result.schema.json', matched);
    expect(matched['referenceValues']).toMatchObject({ format: 'vmfw-measure measurement set', matched: [{ position: 'measurements[1]', digest: two }] });
    writeFileSync(join(dir, 'rv1.json'), await cli('reference-values', '--vcpus', '1', ...launch));
    const missed = await json(dir, 1, 'verify', '--report', 'two.bin', '--reference-values', 'rv1.json', '--json');
    check('verify-result.schema.json', missed);
    expect(missed['referenceValues']).toMatchObject({ matched: [], candidates: [{ position: 'measurements[0]' }] });
    writeFileSync(join(dir, 'op-expired.json'), JSON.stringify([{ name: 'snp_launch_measurement', expiration: '2020-01-01T00:00:00Z', value: [two] }]));
    const expired = await json(dir, 1, 'verify', '--report', 'two.bin', '--reference-values', 'op-expired.json', '--json');
    check('verify-result.schema.json', expired);
    expect(expired['referenceValues']).toMatchObject({ matched: [], candidates: [{ expired: true }], refused: [{ position: '[0].value[0]', expired: true, reason: expect.stringMatching(/^expired/) as unknown }] });
    writeFileSync(join(dir, 'apeip.json'), await cli('reference-values', '--vcpus', '1', '--ovmf', fw, '--vcpu-type', 'EPYC-Genoa', '--product', 'genoa', '--format', 'contrast', '--apeip'));
    const genoa2 = (await cli('ovmf', '--mode', 'snp', '--vcpus', '2', '--ovmf', fw, '--vcpu-type', 'EPYC-Genoa')).trim();
    writeFileSync(join(dir, 'genoa2.bin'), buildReport({ measurement: fromHex(genoa2, 'd', 48) }));
    const extended = await json(dir, 0, 'verify', '--report', 'genoa2.bin', '--reference-values', 'apeip.json', '--json');
    check('verify-result.schema.json', extended);
    expect(extended['referenceValues']).toMatchObject({ format: 'Contrast ReferenceValues', matched: [{ vcpus: 2, apeip: expect.stringMatching(/^[0-9a-f]{8}$/) as unknown }] });
    writeFileSync(join(dir, 'vmfw-measure.json'), JSON.stringify({ launches: { web: { kind: 'ovmf', ovmf: fw, vcpus: '2', vcpuType: 'EPYC-v4' } } }));
    expect((await json(dir, 0, 'lock', '--json'))['configurations']).toBe(1);
    check('verify-result.schema.json', await json(dir, 0, 'verify', '--report', 'two.bin', '--reference-values', 'vmfw-measure.lock.json', '--json'));
    await cli('ovmf', '--mode', 'snp', '--vcpus', '3', ...launch, '--log', join(dir, 'three.jsonl'));
    const viaLaunch = await json(dir, 1, 'verify', '--report', 'two.bin', '--vcpus', '2', '--ovmf', fw, '--vcpu-type', 'EPYC-Milan', '--expected-log', 'three.jsonl', '--json');
    check('verify-result.schema.json', viaLaunch);
    expect(viaLaunch).toMatchObject({ result: 'mismatch', config: { kind: 'ovmf', vcpus: 2, vcpuType: 'EPYC-Milan' }, logDiff: expect.stringContaining('first difference') as unknown });
    expect(accepts('verify-result.schema.json', edited(expected, (c) => { c['checks'][0]['ok'] = false; }))).toBe(false);
    expect(accepts('verify-result.schema.json', edited(expected, (c) => { c['signatureChecked'] = true; }))).toBe(false);
    expect(accepts('verify-result.schema.json', edited(matched, (c) => { delete c['referenceValues']['matched'][0]['digest']; }))).toBe(false);
  });

  it('identify --json, with a match and without', async () => {
    const hit = await json(dir, 0, 'identify', '--report', 'two.bin', '--ovmf', fw, '--vcpus', '1-3', '--vcpu-type', 'EPYC-v4,EPYC-Milan', '--vmm-type', 'qemu', '--json');
    check('identify-result.schema.json', hit);
    expect(hit['matches']).toEqual([{ vcpus: 2, vcpuType: 'EPYC-v4', vcpuSignature: expect.stringMatching(/^0x/) as unknown, guestFeatures: '0x1', profile: 'qemu', era: 'init2' }]);
    const miss = await json(dir, 1, 'identify', '--measurement', 'cd'.repeat(48), '--ovmf', fw, '--vcpus', '1-2', '--vcpu-type', 'EPYC-v4', '--vmm-type', 'ec2', '--json');
    check('identify-result.schema.json', miss);
    expect(accepts('identify-result.schema.json', edited(hit, (c) => { c['matches'][0]['vcpus'] = '2'; }))).toBe(false);
    expect(accepts('identify-result.schema.json', edited(hit, (c) => { delete c['searched']['configurations']; }))).toBe(false);
  });

  it('check --json, with every digest equal and with drift', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'vmfw-schema-check-'));
    try {
      copyFileSync(fw, join(cwd, 'fw.fd'));
      writeFileSync(join(cwd, 'cmdline.txt'), 'unused');
      const config = (append: string, vcpus: string): string => JSON.stringify({ launches: { web: { kind: 'ovmf', ovmf: 'fw.fd', append, kernelSha256: '00'.repeat(32), vcpus, vcpuType: 'EPYC-Milan' } } });
      writeFileSync(join(cwd, 'vmfw-measure.json'), config('a', '1-2'));
      expect(await runCli(['lock'], captureIO(cwd))).toBe(0);
      const same = await json(cwd, 0, 'check', '--json', '--github=false');
      check('check.schema.json', same);
      expect(same['result']).toBe('match');
      writeFileSync(join(cwd, 'vmfw-measure.json'), config('b', '2-3'));
      const drift = await json(cwd, 1, 'check', '--json', '--github=false');
      check('check.schema.json', drift);
      const statuses = ((drift['launches'] as { configurations: { status: string }[] }[])[0]!.configurations).map((c) => c.status);
      expect(statuses).toEqual(['changed', 'added', 'removed']);
      expect(accepts('check.schema.json', edited(drift, (c) => { delete c['launches'][0]['configurations'][0]['divergence']; }))).toBe(false);
      expect(accepts('check.schema.json', edited(drift, (c) => { c['launches'][0]['inputs'][0]['old'] = { text: 'a' }; }))).toBe(false);
    } finally { rmSync(cwd, { recursive: true, force: true }); }
  });

  it('diff --json: identical, a differing step, a missing step', async () => {
    await cli('ovmf', '--mode', 'snp', '--vcpus', '2', '--vmm-type', 'gce', '--ovmf', fw, '--log', join(dir, 'gce.jsonl'));
    await cli('ovmf', '--mode', 'snp', '--vcpus', '2', ...launch, '--log', join(dir, 'two.jsonl'));
    check('diff-result.schema.json', await json(dir, 0, 'diff', 'three.jsonl', 'three.jsonl', '--json'));
    const differ = await json(dir, 1, 'diff', 'two.jsonl', 'gce.jsonl', '--json');
    check('diff-result.schema.json', differ);
    expect(differ['first']).toMatchObject({ fields: ['pageType'] });
    const missing = await json(dir, 1, 'diff', 'three.jsonl', 'two.jsonl', '--json');
    check('diff-result.schema.json', missing);
    expect(missing['first']).toMatchObject({ fields: ['missing-in-b'] });
    expect(missing['first']).not.toHaveProperty('b');
    expect(accepts('diff-result.schema.json', edited(differ, (c) => { c['first']['fields'] = ['size']; }))).toBe(false);
    expect(accepts('diff-result.schema.json', edited(differ, (c) => { delete c['first']['a']['digest']; }))).toBe(false);
  });

  it('regions encode (stdout), with and without a memory image', async () => {
    const withMemory = await json(ex('regions'), 0, 'regions', 'encode', 'uki-update.json', '--struct-out', join(dir, 's.bin'), '--regions-out', join(dir, 'r.bin'), '--memory-out', join(dir, 'm.img'));
    check('regions-encode.schema.json', withMemory);
    expect(withMemory).toMatchObject({ structGpa: '0x1000', structSize: 40, regionsAddr: '0x2000', regionsCount: 8 });
    const packed = await json(ex('regions'), 0, 'regions', 'encode', 'uki-update.json', '--struct-out', join(dir, 's36.bin'), '--struct-size', '36');
    check('regions-encode.schema.json', packed);
    expect(packed).toMatchObject({ structGpa: null, structSize: 36 });
    expect(accepts('regions-encode.schema.json', edited(withMemory, (c) => { c['sources'][0]['src'] = 12288; }))).toBe(false);
  });

  it('id-block --json, with and without an author key', async () => {
    for (const [name, type] of [['id.pem', 'pkcs8'], ['author.pem', 'sec1']] as const) {
      writeFileSync(join(dir, name), generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ format: 'pem', type }));
    }
    const idOnly = await json(dir, 0, 'id-block', '--measurement', 'cd'.repeat(48), '--id-key', 'id.pem', '--json');
    check('id-block.schema.json', idOnly);
    expect(idOnly).not.toHaveProperty('authorKeyDigest');
    const both = await json(dir, 0, 'id-block', '--measurement', 'cd'.repeat(48), '--id-key', 'id.pem', '--author-key', 'author.pem', '--json');
    check('id-block.schema.json', both);
    expect(accepts('id-block.schema.json', edited(both, (c) => { delete c['authorKeyDigestBase64']; }))).toBe(false);
    expect(accepts('id-block.schema.json', edited(both, (c) => { c['idBlock'] = c['idBlock'].slice(4); }))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('format identifiers', () => {
  const files = (d: string): string[] => readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
  it('are written only through FORMATS: no format id literal in src/ outside src/formats.ts', () => {
    const src = files(join(REPO, 'src'));
    expect(src.length).toBeGreaterThan(50);
    const found: string[] = [];
    for (const f of src) {
      if (f === join(REPO, 'src', 'formats.ts')) continue;
      const text = readFileSync(f, 'utf8');
      // A quoted 'vmfw-measure/...', any versioned id however quoted, or one built in a template;
      // `vmfw-measure/node` (the entry point, in comments) is none of these.
      for (const m of text.matchAll(/['"]vmfw-measure\/|vmfw-measure\/[\w-]*(?:@|\$\{)/g)) found.push(`${relative(REPO, f)}: ${text.slice(m.index, m.index + 40)}`);
    }
    expect(found).toEqual([]);
  });
  it('follow one pattern, each used once, each named in CHANGELOG.md', () => {
    const ids = Object.values(FORMATS);
    expect(new Set(ids).size).toBe(ids.length);
    const changelog = readFileSync(join(REPO, 'CHANGELOG.md'), 'utf8');
    for (const id of ids) {
      expect(id).toMatch(/^vmfw-measure\/[a-z-]+@[1-9][0-9]*$/);
      expect(changelog, id).toContain(`\`${id}\``);
    }
  });
});


describe('the region-list manifest schema', () => {
  it('accepts the bundled manifests and what from-ovmf and decode write, and rejects a wrong one', async () => {
    for (const f of readdirSync(join(REPO, 'examples', 'regions')).filter((n) => n.endsWith('.json'))) {
      check('manifest.schema.json', JSON.parse(readFileSync(join(REPO, 'examples', 'regions', f), 'utf8')));
    }
    check('manifest.schema.json', JSON.parse(await cli('regions', 'from-ovmf', ...OVMF)));
    const validate = ajv.getSchema('manifest.schema.json')!;
    expect(validate({ regions: [{ dst: '0x1000', flags: ['COPY', 'NOPE'] }] })).toBe(false);
    expect(validate({ regions: [{ dst: -1, flags: 1 }] })).toBe(false);
  });
});
