// vmfw-measure benchmark: every figure is a ratio against a baseline measured in the same run.
// Usage: npm run bench [-- --quick] [-- --out FILE]
import { spawnSync } from 'node:child_process';
import { createHash, hash as oneShot, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSyntheticImage } from '../dist/conformance/recipes.js';
import { parseFirmware } from '../dist/ovmf/firmware.js';
import { buildSnpOvmfPlan } from '../dist/ovmf/launch.js';
import { measurePlan } from '../dist/engine.js';
import { resolveProfile } from '../dist/profiles.js';
import { ovmfLaunch, sweep } from '../dist/attestation/launch-space.js';
import { VCPU_TYPE_NAMES, resolveVcpuType } from '../dist/cpu.js';
import { parseManifest, manifestRegionSpecs, resolveLaunch } from '../dist/regions/manifest.js';
import { replayRegions } from '../dist/regions/replay.js';
import { EMPTY_MEMORY } from '../dist/regions/memory.js';
import { fileWindow } from '../dist/node/file-extent.js';
import { measurePlanParallel } from '../dist/node/parallel.js';
import { readFileSync } from 'node:fs';
import { sha256File } from '../dist/node/files.js';
import { cmdlineHash } from '../dist/ovmf/kernel-hashes.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const outArg = process.argv.indexOf('--out');
const outFile = outArg > 0 ? process.argv[outArg + 1] : join(root, 'bench', 'results.json');
const MiB = 1 << 20;
const work = mkdtempSync(join(tmpdir(), 'vmfw-bench-'));
const cli = join(root, 'bin', 'vmfw-measure.js');
const child = join(root, 'bench', 'child.mjs');

function writeRandomFile(path, size) {
  const fd = openSync(path, 'w');
  const chunk = randomBytes(4 * MiB);
  for (let o = 0; o < size; o += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, size - o));
  closeSync(fd);
}

/** The baseline the issue names: node:crypto on one thread, page contents then the PAGE_INFO chain. */
function hashOnlyBaseline(path, size) {
  const fd = openSync(path, 'r');
  const buf = new Uint8Array(MiB);
  const info = new Uint8Array(0x70);
  let ld = new Uint8Array(48);
  const t = process.hrtime.bigint();
  for (let o = 0; o < size; o += MiB) {
    readSync(fd, buf, 0, MiB, o);
    for (let p = 0; p < MiB; p += 4096) {
      info.set(ld, 0);
      info.set(oneShot('sha384', buf.subarray(p, p + 4096), 'buffer'), 0x30);
      ld = oneShot('sha384', info, 'buffer');
    }
  }
  closeSync(fd);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function sha256Only(path, size) {
  const fd = openSync(path, 'r');
  const buf = new Uint8Array(MiB);
  const h = createHash('sha256');
  const t = process.hrtime.bigint();
  for (let o = 0; o < size; o += MiB) { const n = readSync(fd, buf, 0, MiB, o); h.update(buf.subarray(0, n)); }
  h.digest();
  closeSync(fd);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function runChild(args) {
  const r = spawnSync(process.execPath, [child, ...args], { cwd: work, encoding: 'utf8', maxBuffer: 64 * MiB });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  const res = JSON.parse(r.stdout.trim().split('\n').at(-1));
  if (res.rc !== 0) throw new Error(`command failed: ${res.err}`);
  return res;
}

function wall(args, reps) {
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: work, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const best = (n, f) => Math.min(...Array.from({ length: n }, f));
const results = [];
const report = (name, value, baseline, ratio, target, extra = {}) => {
  results.push({ name, value, baseline, ratio: Number(ratio.toFixed(3)), target, ...extra });
  console.log(`${name.padEnd(58)} ${value.padStart(12)}  vs ${baseline.padStart(12)}  ratio ${ratio.toFixed(2).padStart(5)}  target ${target}`);
};

try {
  const fw = buildSyntheticImage({ name: 'bench-2m', label: 'bench-2m', size: 2 * MiB, reset_eip: 0x80b004,
    sections: [{ gpa: 0x800000, size: 0x9000, type: 1 }, { gpa: 0x80a000, size: 0x3000, type: 1 }, { gpa: 0x80d000, size: 0x1000, type: 2 }, { gpa: 0x80e000, size: 0x1000, type: 3 }, { gpa: 0x80f000, size: 0x1000, type: 4 }, { gpa: 0x810000, size: 0x1000, type: 16 }, { gpa: 0x811000, size: 0xf000, type: 1 }],
    metadata_offset_from_end: 0x1000, hash_table: { gpa: 0x810c00, size: 0x400 }, footer_entries: ['sev_metadata', 'sev_hash_table', 'sev_es_reset'], sha256: '' });
  writeFileSync(join(work, 'fw.fd'), fw);
  writeFileSync(join(work, 'kernel.bin'), randomBytes(8 * MiB));
  console.log(`vmfw-measure benchmark (${quick ? 'quick' : 'full'}), node ${process.version}, work dir ${work}\n`);

  // 1 and 2: NORMAL pages from a file, one region.
  for (const [label, size, reps] of [['256 MiB', 256 * MiB, quick ? 1 : 3], ['1 GiB', 1024 * MiB, 1]]) {
    if (quick && size > 256 * MiB) continue;
    const file = join(work, `data-${size}.bin`);
    writeRandomFile(file, size);
    writeFileSync(join(work, `m-${size}.json`), JSON.stringify({ launch: { vcpus: 1, vcpuType: 'EPYC-v4' }, regions: [{ dst: '0x100000000', flags: ['COPY', 'MEASURE'], source: { file } }] }));
    const base = best(reps, () => hashOnlyBaseline(file, size));
    // The measurement itself, in process: manifest, replay, plan, hashing (workers included).
    let tool = Infinity;
    for (let i = 0; i < reps; i++) {
      const t = process.hrtime.bigint();
      const m = parseManifest(readFileSync(join(work, `m-${size}.json`), 'utf8'));
      const { launch } = resolveLaunch(m.launch);
      const plan = replayRegions({ regions: manifestRegionSpecs(m, (p, w, o, l) => fileWindow(p, w, work, o, l)), memory: EMPTY_MEMORY, launch }).plan;
      await measurePlanParallel(plan);
      tool = Math.min(tool, Number(process.hrtime.bigint() - t) / 1e6);
    }
    // The CLI end to end, for its wall time and peak memory.
    const cliRun = runChild(['regions', `m-${size}.json`]);
    const rss = cliRun.maxRssKiB / 1024;
    report(`${label} NORMAL pages (regions COPY+MEASURE, best of ${reps})`, `${tool.toFixed(0)} ms`, `${base.toFixed(0)} ms`, tool / base, '<= 0.60',
      { peakRssMiB: Number(rss.toFixed(1)), cliMs: Number(cliRun.ms.toFixed(0)) });
    console.log(`${''.padEnd(58)} CLI ${cliRun.ms.toFixed(0)} ms, peak RSS ${rss.toFixed(1)} MiB${size > 256 * MiB ? ' (target < 200 MiB)' : ''}`);
    rmSync(file);
  }

  // 3: the CLI end to end on a 2 MiB firmware with 4 vCPUs vs node start + the hashing work.
  const info = parseFirmware(fw);
  const plan = buildSnpOvmfPlan({ firmware: { bytes: fw, info }, layout: info, vcpus: 4, profile: resolveProfile('qemu'), vcpuSignature: 0x800f12n, guestFeatures: 1n }).plan;
  const hashing = best(20, () => { const t = process.hrtime.bigint(); measurePlan(plan); return Number(process.hrtime.bigint() - t) / 1e6; });
  const nodeStart = wall(['-e', '0'], quick ? 5 : 15);
  const cliTime = wall([cli, 'ovmf', '--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-v4', '--ovmf', 'fw.fd'], quick ? 5 : 15);
  report('CLI: ovmf, 2 MiB firmware, 4 vCPUs (median wall)', `${cliTime.toFixed(0)} ms`, `${(nodeStart + hashing).toFixed(0)} ms`, cliTime / (nodeStart + hashing), '<= 1.10',
    { nodeStartMs: Number(nodeStart.toFixed(1)), hashingMs: Number(hashing.toFixed(1)) });
  console.log(`${''.padEnd(58)} (node -e 0: ${nodeStart.toFixed(0)} ms, hashing: ${hashing.toFixed(1)} ms)`);

  // 4: identify's search: vCPUs 1..256 x all vCPU types x 4 guest features x 3 profiles.
  const launch = ovmfLaunch({ firmware: { bytes: fw, info }, layout: info });
  const space = {
    vcpus: Array.from({ length: 256 }, (_, i) => i + 1),
    vcpuTypes: VCPU_TYPE_NAMES.map((n) => ({ name: n, signature: BigInt(resolveVcpuType(n).signature), aliases: [] })),
    guestFeatures: [0x1n, 0x21n, 0x3n, 0x23n],
    profiles: [resolveProfile('qemu'), resolveProfile('ec2'), resolveProfile('gce')],
  };
  let configs = 0;
  const sweepMs = best(quick ? 1 : 3, () => { const t = process.hrtime.bigint(); configs = sweep(launch, space).evaluated; return Number(process.hrtime.bigint() - t) / 1e6; });
  const oneConfig = hashing;
  report(`identify sweep: ${configs} digests`, `${sweepMs.toFixed(0)} ms`, `${(oneConfig * configs).toFixed(0)} ms`, sweepMs / (oneConfig * configs), '< 2000 ms total', { configurations: configs, totalMs: Number(sweepMs.toFixed(0)) });
  console.log(`${''.padEnd(58)} (baseline: each digest measured from scratch)`);

  // 5: measured direct boot with a 256 MiB initrd.
  const initrd = join(work, 'initrd.bin');
  const isize = quick ? 64 * MiB : 256 * MiB;
  writeRandomFile(initrd, isize);
  const shaMs = best(3, () => sha256Only(initrd, isize));
  // The measurement in process: hashes of kernel, initrd and command line, then the launch.
  const bootMs = best(3, () => {
    const t = process.hrtime.bigint();
    const directBoot = { kernel: sha256File('kernel.bin', 'kernel', work), initrd: sha256File(initrd, 'initrd', work), cmdline: cmdlineHash('console=ttyS0') };
    measurePlan(buildSnpOvmfPlan({ firmware: { bytes: fw, info }, layout: info, vcpus: 1, profile: resolveProfile('qemu'), vcpuSignature: 0x800f12n, guestFeatures: 1n, directBoot }).plan);
    return Number(process.hrtime.bigint() - t) / 1e6;
  });
  const boot = runChild(['ovmf', '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--ovmf', 'fw.fd', '--kernel', 'kernel.bin', '--initrd', initrd, '--append', 'console=ttyS0']);
  const bootRss = boot.maxRssKiB / 1024;
  report(`direct boot, ${isize / MiB} MiB initrd + 8 MiB kernel`, `${bootMs.toFixed(0)} ms`, `${shaMs.toFixed(0)} ms`, bootMs / shaMs, '<= 1.10', { peakRssMiB: Number(bootRss.toFixed(1)), cliMs: Number(boot.ms.toFixed(0)) });
  console.log(`${''.padEnd(58)} CLI ${boot.ms.toFixed(0)} ms, peak RSS ${bootRss.toFixed(1)} MiB (target < 100 MiB)`);

  writeFileSync(outFile, `${JSON.stringify({ node: process.version, quick, date: new Date().toISOString(), results }, null, 2)}\n`);
  console.log(`\nwrote ${outFile}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
