/**
 * The CI loop (docs/ci.md) in a temporary folder holding the bundled examples: lock, check, change
 * each kind of input and see check name it and the first checkpoint where the launch diverges,
 * --update, --github, --json, the lock as a reference-value source, and bad configs.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport } from '../src/attestation/report.js';
import { fromHex } from '../src/bytes.js';
import { jsonKeys } from '../src/json-exact.js';
import { launchLine, parseCiConfig } from '../src/ci/config.js';
import { computeLaunch } from '../src/ci/compute.js';
import { planCheckpoints } from '../src/ci/checkpoints.js';
import { openLaunch } from '../src/launch/open.js';
import { describeLaunch } from '../src/launch/description.js';
import { openInput } from '../src/node/inputs.js';
import { resolveProfile } from '../src/profiles.js';
import { resolveVcpuType } from '../src/cpu.js';
import { cliIn, REPO } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vmfw-ci-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
for (const sub of ['ovmf', 'regions', 'igvm']) cpSync(join(REPO, 'examples', sub), join(dir, sub), { recursive: true });

const CONFIG = {
  launches: {
    web: {
      kind: 'ovmf', ovmf: 'ovmf/OVMF-synthetic-amdsev.fd', kernel: 'ovmf/vmlinuz-standin.bin', initrd: 'ovmf/initrd-standin.bin',
      append: 'console=ttyS0', vcpus: '1-3', vcpuType: ['EPYC-Milan'], vmmType: ['qemu', 'ec2:rdx-0'],
    },
    update: { kind: 'regions', manifest: 'regions/uki-update.json', vcpus: '2' },
    svsm: { kind: 'igvm', igvm: 'igvm/example.igvm', semantics: 'qemu', vcpus: '1,2', vcpuType: 'EPYC-v4' },
  },
};
const CONFIG_PATH = join(dir, 'vmfw-measure.json');
const LOCK_PATH = join(dir, 'vmfw-measure.lock.json');
const writeConfig = (c: unknown): void => writeFileSync(CONFIG_PATH, `${JSON.stringify(c, null, 2)}\n`);
writeConfig(CONFIG);

const GITHUB_VARS = ['GITHUB_ACTIONS', 'GITHUB_STEP_SUMMARY', 'GITHUB_WORKSPACE'];
beforeEach(() => { for (const v of GITHUB_VARS) delete process.env[v]; });

const run = cliIn(dir);

/** Changes a file for the duration of `body`, then restores it. */
async function withChanged(path: string, change: (b: Buffer) => Buffer | string, body: () => Promise<void>): Promise<void> {
  const full = join(dir, path);
  const before = readFileSync(full);
  writeFileSync(full, change(Buffer.from(before)));
  try { await body(); } finally { writeFileSync(full, before); }
}

interface LockDoc { launches: Record<string, { inputs: Record<string, { sha256: string }>; configurations: { vcpus: number; vmmType: string; digest: string; checkpoints: { group: string }[] }[] }>; tool: { version: string } }
const readLock = (): LockDoc => JSON.parse(readFileSync(LOCK_PATH, 'utf8')) as LockDoc;

describe('lock', () => {
  it('writes the lock beside the config; each digest equals the one its command prints', async () => {
    const r = await run('lock');
    expect(r.rc, r.err).toBe(0);
    expect(r.out).toBe('wrote vmfw-measure.lock.json: 3 launches, 9 configurations\n');
    const lock = readLock();
    expect(Object.keys(lock.launches)).toEqual(['svsm', 'update', 'web']);
    const web = lock.launches['web']!.configurations;
    expect(web.map((c) => `${c.vmmType}:${c.vcpus}`)).toEqual(['qemu:1', 'qemu:2', 'qemu:3', 'ec2:1', 'ec2:2', 'ec2:3']);
    const boot = ['--ovmf', 'ovmf/OVMF-synthetic-amdsev.fd', '--kernel', 'ovmf/vmlinuz-standin.bin', '--initrd', 'ovmf/initrd-standin.bin', '--append', 'console=ttyS0'];
    for (const n of [1, 2, 3]) {
      expect(web[n - 1]!.digest).toBe((await run('ovmf', '--mode', 'snp', '--vcpus', String(n), '--vcpu-type', 'EPYC-Milan', ...boot)).out.trim());
      expect(web[n + 2]!.digest).toBe((await run('ovmf', '--mode', 'snp', '--vcpus', String(n), '--vmm-type', 'ec2', '--vmm-era', 'rdx-0', ...boot)).out.trim());
    }
    expect(lock.launches['update']!.configurations[0]!.digest).toBe((await run('regions', 'regions/uki-update.json', '--vcpus', '2')).out.trim());
    for (const [i, n] of [[0, 1], [1, 2]] as const) {
      expect(lock.launches['svsm']!.configurations[i]!.digest).toBe((await run('igvm', 'igvm/example.igvm', '--vcpus', String(n), '--vcpu-type', 'EPYC-v4')).out.trim());
    }
    expect(web[0]!.checkpoints.map((c) => c.group)).toEqual([
      'firmware', 'metadata 0 SNP_SEC_MEM', 'metadata 1 SNP_SEC_MEM', 'metadata 2 SNP_SECRETS', 'metadata 3 CPUID', 'metadata 4 SVSM_CAA',
      'kernel-hashes 5 SNP_KERNEL_HASHES', 'metadata 6 SNP_SEC_MEM', 'vmsa 0 BSP',
    ]);
    expect(lock.launches['svsm']!.configurations[1]!.checkpoints.map((c) => c.group)).toContain('igvm 8-17 PAGE_DATA NORMAL');
    expect(Object.keys(lock.launches['update']!.inputs)).toEqual(['manifest', 'manifest.regions[0]', 'manifest.regions[6]']);
  });
  it('is deterministic: a second lock is byte for byte the same, 2-space JSON with a trailing newline', async () => {
    const first = readFileSync(LOCK_PATH, 'utf8');
    expect((await run('lock', 'vmfw-measure.json')).rc).toBe(0);
    expect(readFileSync(LOCK_PATH, 'utf8')).toBe(first);
    expect(first.endsWith('}\n')).toBe(true);
    expect(first).toMatch(/^\{\n {2}"format": "vmfw-measure\/lock@1",\n {2}"tool"/);
    expect(first).not.toMatch(/20\d\d-\d\d-\d\dT/);
  });
});

describe('check', () => {
  it('passes (exit 0) when nothing changed', async () => {
    const r = await run('check');
    expect(r.rc, r.err).toBe(0);
    expect(r.out).toBe('vmfw-measure.lock.json: 3 launches, 9 configurations: every digest matches\n');
  });

  it('a firmware byte: every launch that measures it drifts, at the firmware or region 0', async () => {
    await withChanged('ovmf/OVMF-synthetic-amdsev.fd', (b) => { b.writeUInt8(b.readUInt8(0x100) ^ 1, 0x100); return b; }, async () => {
      const r = await run('check');
      expect(r.rc).toBe(1);
      expect(r.out).toMatch(/launch web \(ovmf\): 6 of 6 configurations drifted/);
      expect(r.out).toMatch(/input ovmf changed: sha256 [0-9a-f]{16}… -> [0-9a-f]{16}… \(ovmf\/OVMF-synthetic-amdsev.fd, 65536 bytes\)/);
      expect(r.out).toMatch(/first divergence at checkpoint 0 \(step 0\): firmware: ovmf changed/);
      expect(r.out).toMatch(/launch update \(regions\)[\s\S]*input manifest.regions\[0\] changed[\s\S]*region 0 COPY\+MEASURE: manifest.regions\[0\] changed/);
      expect(r.out).not.toMatch(/launch svsm/);
    });
  });
  it.each([
    ['kernel', 'ovmf/vmlinuz-standin.bin'],
    ['initrd', 'ovmf/initrd-standin.bin'],
  ])('the %s: drift at the kernel-hashes page, naming it', async (name, file) => {
    await withChanged(file, (b) => Buffer.concat([b, Buffer.from([0])]), async () => {
      const r = await run('check');
      expect(r.rc).toBe(1);
      expect(r.out).toMatch(new RegExp(`input ${name} changed: sha256 .*bytes\\)`));
      expect(r.out).toMatch(new RegExp(`first divergence at checkpoint 6 \\(step 31\\): kernel-hashes 5 SNP_KERNEL_HASHES: ${name} changed`));
      expect(r.out).toMatch(/launch web/);
      expect(r.out).not.toMatch(/launch (svsm|update)/);
    });
  });
  it('the command line: old and new text, drift at the kernel-hashes page', async () => {
    writeConfig({ launches: { ...CONFIG.launches, web: { ...CONFIG.launches.web, append: 'console=hvc0' } } });
    try {
      const r = await run('check');
      expect(r.rc).toBe(1);
      expect(r.out).toContain('input cmdline changed: "console=ttyS0" -> "console=hvc0"');
      expect(r.out).toMatch(/kernel-hashes 5 SNP_KERNEL_HASHES: cmdline changed/);
    } finally { writeConfig(CONFIG); }
  });
  it('a manifest: a comment alone is a note (digests equal); a region change is drift at that region', async () => {
    await withChanged('regions/uki-update.json', (b) => b.toString().replace('SNP_SEC_MEM', 'secure memory'), async () => {
      const r = await run('check');
      expect(r.rc, r.out).toBe(0);
      expect(r.err).toMatch(/note: launch update: manifest changed but every digest is the same/);
    });
    await withChanged('regions/uki-update.json', (b) => b.toString().replace('"size": "0x3000"', '"size": "0x2000"'), async () => {
      const r = await run('check');
      expect(r.rc).toBe(1);
      expect(r.out).toMatch(/input manifest changed/);
      expect(r.out).toMatch(/first divergence at checkpoint 2 \(step 25\): region 2 ZERO\+MEASURE: manifest changed/);
    });
  });
  it('an IGVM page: drift at its directive group', async () => {
    await withChanged('igvm/example.igvm', (b) => { b.writeUInt8(b.readUInt8(0x1238 + 5) ^ 1, 0x1238 + 5); return b; }, async () => {
      const r = await run('check');
      expect(r.rc).toBe(1);
      expect(r.out).toMatch(/launch svsm \(igvm\): 2 of 2 configurations drifted/);
      expect(r.out).toMatch(/first divergence at checkpoint 3 \(step 3\): igvm 8-17 PAGE_DATA NORMAL: igvm changed/);
    });
  });
  it('a vCPU list: configurations added and removed, with the option change', async () => {
    writeConfig({ launches: { ...CONFIG.launches, web: { ...CONFIG.launches.web, vcpus: '2-4' } } });
    try {
      const r = await run('check');
      expect(r.rc).toBe(1);
      expect(r.out).toMatch(/configuration added: vcpus=4 EPYC-Milan qemu\/init2 features=0x1: [0-9a-f]{96} \(option vcpus changed: "1-3" -> "2-4"\)/);
      expect(r.out).toMatch(/configuration removed: vcpus=1 ec2\/rdx-0 features=0x1: was [0-9a-f]{96}/);
      expect(r.out).not.toMatch(/vcpus=2 EPYC-Milan qemu\/init2 features=0x1:/);
    } finally { writeConfig(CONFIG); }
  });
  it('launches in the config but not the lock, and the reverse, are drift', async () => {
    const { svsm: _svsm, ...rest } = CONFIG.launches;
    writeConfig({ launches: { ...rest, fw: { kind: 'regions', manifest: 'regions/firmware-update.json' } } });
    try {
      const r = await run('check');
      expect(r.rc).toBe(1);
      expect(r.out).toContain('launch fw (regions): in the config but not in the lock (1 configuration)');
      expect(r.out).toContain('launch svsm (igvm): in the lock but not in the config');
    } finally { writeConfig(CONFIG); }
  });
  it('--update rewrites the lock; check passes again; a plain lock restores the original', async () => {
    const original = readFileSync(LOCK_PATH, 'utf8');
    writeConfig({ launches: { ...CONFIG.launches, web: { ...CONFIG.launches.web, append: 'quiet' } } });
    try {
      const u = await run('check', '--update');
      expect(u.rc).toBe(0);
      expect(u.out).toMatch(/cmdline changed[\s\S]*vmfw-measure.lock.json updated/);
      expect(readLock().launches['web']!.inputs['append']).toEqual({ text: 'quiet', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown });
      expect((await run('check')).rc).toBe(0);
    } finally { writeConfig(CONFIG); }
    expect((await run('check')).rc).toBe(1);
    expect((await run('lock')).rc).toBe(0);
    expect(readFileSync(LOCK_PATH, 'utf8')).toBe(original);
  });
  it('a different tool version alone is a note, not drift', async () => {
    const original = readFileSync(LOCK_PATH, 'utf8');
    writeFileSync(LOCK_PATH, original.replace(/"version": "[^"]+"/, '"version": "0.0.1"'));
    try {
      const r = await run('check');
      expect(r.rc).toBe(0);
      expect(r.err).toMatch(/note: the lock was written by vmfw-measure 0\.0\.1; this is vmfw-measure .* \(a version change alone is not drift\)/);
    } finally { writeFileSync(LOCK_PATH, original); }
  });
});

describe('check for machines', () => {
  it('GITHUB_ACTIONS=true: ::error annotations on the launch line, and a Markdown table in the step summary', async () => {
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, '# earlier step\n');
    process.env['GITHUB_ACTIONS'] = 'true';
    process.env['GITHUB_STEP_SUMMARY'] = summary;
    process.env['GITHUB_WORKSPACE'] = dir;
    writeConfig({ launches: { ...CONFIG.launches, web: { ...CONFIG.launches.web, append: 'console=hvc0' } } });
    try {
      const r = await run('check');
      expect(r.rc).toBe(1);
      const webLine = readFileSync(CONFIG_PATH, 'utf8').split('\n').findIndex((l) => l.includes('"web"')) + 1;
      expect(r.out).toContain(`::error file=vmfw-measure.json,line=${webLine},title=vmfw-measure%3A launch web drifted::launch web: 6 of 6 configurations drifted. first divergence (vcpus=1 EPYC-Milan qemu/init2 features=0x1): kernel-hashes 5 SNP_KERNEL_HASHES: cmdline changed. inputs: cmdline changed: "console=ttyS0" -> "console=hvc0"`);
      const md = readFileSync(summary, 'utf8');
      expect(md.startsWith('# earlier step\n### vmfw-measure check: drift in 1 of 3 launches')).toBe(true);
      expect(md).toContain('| launch | configuration | change | lock | now | first divergence |');
      expect(md).toMatch(/\| web \| vcpus=2 EPYC-Milan qemu\/init2 features=0x1 \| changed \| `[0-9a-f]{16}…` \| `[0-9a-f]{16}…` \| kernel-hashes 5 SNP_KERNEL_HASHES: cmdline changed \|/);
      const off = await run('check', '--github=false');
      expect(off.out).not.toContain('::error');
    } finally { writeConfig(CONFIG); }
  });
  it('--json: the drift as data, one object on stdout', async () => {
    await withChanged('ovmf/initrd-standin.bin', (b) => Buffer.concat([b, Buffer.from('x')]), async () => {
      const r = await run('check', '--json', '--github');
      expect(r.rc).toBe(1);
      const doc = JSON.parse(r.out) as { format: string; result: string; launches: { name: string; status: string; inputs: { key: string; change: string }[]; configurations: { status: string; divergence?: { checkpoint: number; group: string; explanation: string } }[] }[] };
      expect(doc.format).toBe('vmfw-measure/check@1');
      expect(doc.result).toBe('drift');
      const web = doc.launches.find((l) => l.name === 'web')!;
      expect(web.status).toBe('drift');
      expect(web.inputs).toEqual([expect.objectContaining({ key: 'initrd', change: 'changed' })]);
      expect(web.configurations[0]!.divergence).toEqual(expect.objectContaining({ checkpoint: 6, group: 'kernel-hashes 5 SNP_KERNEL_HASHES', explanation: 'kernel-hashes 5 SNP_KERNEL_HASHES: initrd changed' }));
      expect(doc.launches.filter((l) => l.status === 'unchanged').map((l) => l.name)).toEqual(['svsm', 'update']);
      expect(r.err).toContain('::error file=');
    });
  });
});

describe('the lock as a reference-value source', () => {
  it('verify --reference-values LOCK matches any configuration it records, and only those', async () => {
    const digest = readLock().launches['svsm']!.configurations[1]!.digest;
    writeFileSync(join(dir, 'report.bin'), buildReport({ measurement: fromHex(digest, 'd', 48) }));
    const ok = await run('verify', 'report.bin', '--reference-values', 'vmfw-measure.lock.json');
    expect(ok.rc, ok.err).toBe(0);
    expect(ok.out).toContain(`measurement: match (${digest})`);
    writeFileSync(join(dir, 'other.bin'), buildReport({ measurement: new Uint8Array(48).fill(7) }));
    expect((await run('verify', 'other.bin', '--reference-values', 'vmfw-measure.lock.json')).rc).toBe(1);
  });
  it('reference-values --from-lock prints the measurement set of every configuration', async () => {
    const lock = readLock();
    const r = await run('reference-values', '--from-lock', 'vmfw-measure.lock.json');
    expect(r.rc, r.err).toBe(0);
    const set = JSON.parse(r.out) as { format: string; measurements: { digest: string; vcpus: number; profile: string }[] };
    expect(set.format).toBe('vmfw-measure/reference-values@1');
    const all = Object.keys(lock.launches).sort().flatMap((n) => lock.launches[n]!.configurations.map((c) => c.digest));
    expect(set.measurements.map((m) => m.digest)).toEqual(all);
    const t = await run('reference-values', '--from-lock', 'vmfw-measure.lock.json', '--format', 'trustee');
    const payload = JSON.parse(Buffer.from((JSON.parse(t.out) as { payload: string }).payload, 'base64').toString()) as { snp_launch_measurement: string[] };
    expect(payload.snp_launch_measurement).toEqual([...new Set(all)]);
    const mixed = await run('reference-values', '--from-lock', 'vmfw-measure.lock.json', '--vcpus', '2');
    expect(mixed.rc).toBe(2);
    expect(mixed.err).toMatch(/--from-lock takes launches and configurations from the lock; drop --vcpus/);
  });
});

describe('bad input (exit 2)', () => {
  const badConfig = async (launch: Record<string, unknown>, pattern: RegExp, code = 'ci-config'): Promise<void> => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ launches: { web: launch } }));
    const r = await run('check', 'bad.json');
    expect(r.rc, r.out).toBe(2);
    expect(r.err).toMatch(new RegExp(`^error\\[${code}\\]: `));
    expect(r.err).toMatch(pattern);
  };
  it('an unknown key, with a did-you-mean naming launches.NAME.key', async () => {
    await badConfig({ ...CONFIG.launches.web, vcpu_type: 'EPYC' }, /bad\.json: launches\.web\.vcpu_type is not an option of an? ovmf launch; did you mean vcpuType\?/);
    await badConfig({ ...CONFIG.launches.web, kernal: 'x' }, /launches\.web\.kernal .*did you mean kernel\?/);
  });
  it('a key of another kind, a misspelt kind, a kind without its input', async () => {
    await badConfig({ ...CONFIG.launches.web, manifest: 'regions/uki-update.json' }, /launches\.web\.manifest is an option of a regions launch, but launches\.web\.kind is "ovmf"/);
    await badConfig({ ...CONFIG.launches.web, kind: 'ovfm' }, /launches\.web\.kind: "ovfm" is not one of ovmf, regions, igvm; did you mean ovmf\?/);
    await badConfig({ kind: 'igvm', manifest: 'regions/uki-update.json' }, /launches\.web\.manifest is an option of a regions launch/);
    await badConfig({ kind: 'igvm', vcpus: 1 }, /a igvm launch needs launches\.web\.igvm/);
  });
  it('a missing file names the launch and key', async () => {
    await badConfig({ ...CONFIG.launches.web, kernel: 'ovmf/nope.bin' }, /^error\[file-missing\]: launches\.web\.kernel: ovmf\/nope\.bin does not exist\n$/, 'file-missing');
  });
  it('a bad value names launches.NAME.key', async () => {
    await badConfig({ ...CONFIG.launches.web, vcpus: '4-1' }, /launches\.web\.vcpus: range 4-1 runs backwards/, 'usage');
  });
  it('a repeated key is refused, not silently the last', async () => {
    writeFileSync(join(dir, 'dup.json'), '{"launches": {"web": {"kind": "ovmf", "ovmf": "a.fd", "vcpus": 1, "vcpus": 2}}}');
    const r = await run('lock', 'dup.json');
    expect(r.rc).toBe(2);
    expect(r.err).toMatch(/^error\[json-duplicate-key\]: dup.json: key "vcpus" appears twice/);
    expect(existsSync(join(dir, 'dup.lock.json'))).toBe(false);
  });
  it('check without a lock says how to write one', async () => {
    writeFileSync(join(dir, 'fresh.json'), JSON.stringify({ launches: { svsm: CONFIG.launches.svsm } }));
    const r = await run('check', 'fresh.json');
    expect(r.rc).toBe(2);
    expect(r.err).toBe('error[lock]: fresh.lock.json does not exist; write it with: vmfw-measure lock fresh.json\n');
    expect((await run('check', 'fresh.json', '--update')).rc).toBe(0);
    expect((await run('check', 'fresh.json')).rc).toBe(0);
  });
  it('a lock of another format, or with a malformed digest, is refused naming the field', async () => {
    writeFileSync(join(dir, 'fresh.lock.json'), '{"format": "something-else"}');
    expect((await run('check', 'fresh.json')).err).toMatch(/error\[lock\]: fresh\.lock\.json: not a vmfw-measure lock/);
    expect((await run('check', 'fresh.json', '--update')).rc).toBe(0);
    const text = readFileSync(join(dir, 'fresh.lock.json'), 'utf8');
    writeFileSync(join(dir, 'fresh.lock.json'), text.replace(/"digest": "[0-9a-f]{96}"/, '"digest": "abc"'));
    expect((await run('check', 'fresh.json')).err).toMatch(/error\[lock\]: fresh\.lock\.json\.launches\.svsm\.configurations\[0\]\.digest: expected 96 lowercase hex digits/);
  });
});

describe('pieces', () => {
  it('jsonKeys lists keys with their paths at any depth and ignores keys inside strings', () => {
    expect(jsonKeys('{"a": 1, "b": {"c": [1, {"d": 1}]}}').map((k) => `${k.path}/${k.key}`)).toEqual(['/a', '/b', 'b/c', 'b.c[1]/d']);
    expect(jsonKeys('{"a": "\\"x\\": 1"}').map((k) => k.key)).toEqual(['a']);
  });
  it('checkpoints extended from the longest launch equal those of each count\'s own plan, measured whole', () => {
    const open = (path: string, what: string) => openInput(path, what, dir);
    for (const [name, type] of [['web', 'EPYC-Milan'], ['svsm', 'EPYC-v4']] as const) {
      const { kind: _kind, ...rest } = CONFIG.launches[name];
      const values = { ...rest, vcpus: '1-3', vmmType: 'qemu' };
      const locked = computeLaunch({ name, kind: name === 'web' ? 'ovmf' : 'igvm', values }, { open });
      const launch = openLaunch(describeLaunch(values, { open: (v, _k, what) => open(v as string, what) })).launch;
      for (const n of [1, 2, 3]) {
        const plan = launch.plan({ vcpus: n, profile: resolveProfile('qemu'), vcpuSignature: BigInt(resolveVcpuType(type).signature), vcpuType: type, guestFeatures: 1n });
        expect(locked.configurations[n - 1]!.checkpoints, `${name} ${n}`).toEqual(planCheckpoints(plan));
      }
    }
  });
  it('guest features and repeated list entries: one configuration per distinct value, in sweep order', async () => {
    const { kind, ...web } = CONFIG.launches.web;
    writeFileSync(join(dir, 'gf.json'), JSON.stringify({ launches: { web: { kind, ...web, vcpus: 2, vmmType: 'qemu', vcpuType: ['EPYC-Milan', 'EPYC-Milan'], guestFeatures: '0x21,0x1,0x21' } } }));
    expect((await run('lock', 'gf.json')).rc).toBe(0);
    const configs = (JSON.parse(readFileSync(join(dir, 'gf.lock.json'), 'utf8')) as { launches: { web: { configurations: { guestFeatures: string; digest: string }[] } } }).launches.web.configurations;
    expect(configs.map((c) => c.guestFeatures)).toEqual(['0x21', '0x1']);
    const boot = ['--ovmf', web.ovmf, '--kernel', web.kernel, '--initrd', web.initrd, '--append', web.append];
    expect(configs[0]!.digest).toBe((await run('ovmf', '--mode', 'snp', '--vcpus', '2', '--vcpu-type', 'EPYC-Milan', '--guest-features', '0x21', ...boot)).out.trim());
    expect(configs[1]!.digest).toBe(readLock().launches['web']!.configurations[1]!.digest);
  });
  it('launchLine finds the launch key itself, not an equal option key of an earlier launch', () => {
    const text = '{"launches": {\n  "a": {"kind": "ovmf", "kernel": "k"},\n  "kernel": {"kind": "igvm", "igvm": "x"}\n}}';
    expect(launchLine(text, 'kernel')).toBe(3);
    expect(launchLine(text, 'a')).toBe(2);
    expect(launchLine(text, 'zzz')).toBeUndefined();
  });
  it('checkpoints of a count extended from a longer launch equal those of that count measured alone', async () => {
    writeFileSync(join(dir, 'one.json'), JSON.stringify({ launches: { web: { ...CONFIG.launches.web, vcpus: '2' }, svsm: { ...CONFIG.launches.svsm, vcpus: 2 } } }));
    expect((await run('lock', 'one.json')).rc).toBe(0);
    const one = JSON.parse(readFileSync(join(dir, 'one.lock.json'), 'utf8')) as LockDoc;
    const all = readLock();
    expect(one.launches['web']!.configurations[0]).toEqual(all.launches['web']!.configurations[1]);
    expect(one.launches['web']!.configurations[1]).toEqual(all.launches['web']!.configurations[4]);
    expect(one.launches['svsm']!.configurations[0]).toEqual(all.launches['svsm']!.configurations[1]);
  });
  it('the config is sorted by launch name and keeps the values as written', () => {
    const c = parseCiConfig(JSON.stringify({ launches: { b: { kind: 'igvm', igvm: 'x.igvm', vcpus: [1, '2-3'] }, a: { kind: 'regions', manifest: 'm.json' } } }), 'c.json');
    expect(c.launches.map((l) => [l.name, l.kind])).toEqual([['a', 'regions'], ['b', 'igvm']]);
    expect(c.launches[1]!.values).toEqual({ igvm: 'x.igvm', vcpus: [1, '2-3'] });
  });
});
