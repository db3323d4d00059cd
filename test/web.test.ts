/**
 * The web page (web/) in real headless Chromium: Debian's `chromium` driven by puppeteer-core
 * (no browser download). The site is built here, opened from disk (file://, the hardest case:
 * classic scripts, a blob: worker) and once from the loopback server, and every digest is
 * compared with the command line's for the same inputs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { captureIO, runCli } from '../src/cli/main.js';
import { buildReport } from '../src/attestation/report.js';
import { fromHex, toHex } from '../src/bytes.js';
import { REPO } from './helpers.js';

const FIXTURES = join(REPO, 'vectors', 'fixtures');
import { parseFirmware } from '../src/ovmf/firmware.js';
import { buildSnpOvmfPlan } from '../src/ovmf/launch.js';
import { resolveProfile } from '../src/profiles.js';
import { measurePlan } from '../src/engine.js';
import { PAGE_TYPE_NAMES } from '../src/snp/page-info.js';
import { logLine } from '../src/formats.js';
import { optionByKey } from '../src/options/table.js';
import { REFERENCE_FORMATS } from '../src/attestation/reference-formats.js';
import { logChunks, runOfStep, type LogRun } from '../web/src/log-format.js';
import { breakThreshold, formatSize, layoutMap } from '../web/src/map-layout.js';
import { configure, measure, openLaunch, referenceValues, vcpuTable, type LaunchInput, type RefOptions, type Settings } from '../web/src/measure.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`SKIPPED web page tests: ${CHROMIUM} not found (apt-get install chromium; .ci/run installs it)`);

const SYNTH = join(REPO, 'examples', 'ovmf', 'OVMF-synthetic-amdsev.fd');
const DEBIAN = join(FIXTURES, 'debian-bookworm', 'OVMF.fd');
const dir = mkdtempSync(join(tmpdir(), 'vmfw-web-'));
const downloads = join(dir, 'downloads');

async function cliIn(cwd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const io = captureIO(cwd);
  const rc = await runCli(args, io);
  expect(rc, io.stderr).toBe(0);
  return io;
}
const cli = async (...args: string[]): Promise<string> => (await cliIn(dir, args)).stdout;

const HEX96 = /^[0-9a-f]{96}$/;

// Functions passed to page.evaluate run in the page; the project's type-check has no DOM
// library, so the few page globals they use are declared loosely here.
declare const document: any;
declare const window: any;
declare const Image: any;
declare const DataTransfer: any;
declare const DragEvent: any;
interface Field { value: string; dispatchEvent(e: Event): boolean }

/** The bundled firmware's 4-vCPU launch as the page's runs, with the engine's own log. */
function synthLaunch(): { runs: LogRun[]; lines: string[]; contents: Uint8Array; digests: Uint8Array } {
  const bytes = new Uint8Array(readFileSync(SYNTH));
  const info = parseFirmware(bytes);
  const { plan } = buildSnpOvmfPlan({ firmware: { bytes, info }, layout: info, vcpus: 4, profile: resolveProfile('qemu'), vcpuSignature: 0x800f12n, guestFeatures: 1n });
  let first = 0;
  const runs = plan.runs.map((r) => { const x = { origin: r.origin, pageType: PAGE_TYPE_NAMES[r.pageType], gpa: r.gpa, pages: r.pages, firstStep: first }; first += r.pages; return x; });
  const lines: string[] = [];
  const contents = new Uint8Array(first * 48), digests = new Uint8Array(first * 48);
  measurePlan(plan, { onStep: (r) => { lines.push(logLine(r)); contents.set(fromHex(r.contents, 'c'), r.step * 48); digests.set(fromHex(r.digest, 'd'), r.step * 48); } });
  return { runs, lines, contents, digests };
}

const OVMF_DIR = join(REPO, 'examples', 'ovmf');
const REGIONS_DIR = join(REPO, 'examples', 'regions');
const IGVM_DIR = join(REPO, 'examples', 'igvm');
/** A file as the page holds it: the browser gives its name (no folder) and its bytes. */
const named = (path: string): { name: string; bytes: Uint8Array } => ({ name: path.split('/').pop()!, bytes: new Uint8Array(readFileSync(path)) });
const REGION_SOURCES = new Map([['OVMF-synthetic-amdsev.fd', named(SYNTH).bytes], ['kernel-hashes.page', named(join(REGIONS_DIR, 'kernel-hashes.page')).bytes]]);

/** What the page computes for a launch, configuration and reference-values request. */
async function pageReferenceValues(input: LaunchInput, settings: Settings, range: string, o: RefOptions): Promise<{ text: string; notes: readonly string[]; filename: string }> {
  const opened = await openLaunch(input);
  const configured = configure(opened, settings);
  return referenceValues(opened, configured, range, o, await measure(opened, configured));
}

describe('web page modules (no browser needed)', () => {
  it('rebuilds the launch log line for line as the engine reports it', () => {
    const l = synthLaunch();
    expect(logChunks(l.runs, { contents: l.contents, digests: l.digests }, 7).join('')).toBe(`${l.lines.join('\n')}\n`);
    expect(runOfStep(l.runs, 0)).toBe(0);
    expect(runOfStep(l.runs, l.lines.length - 1)).toBe(l.runs.length - 1);
  });
  it('lays the memory map out to scale, cutting large gaps', () => {
    const { runs } = synthLaunch();
    const m = layoutMap(runs, { width: 1000, breakWidth: 30, minClusterWidth: 40 });
    // Metadata pages below 16 MiB, the firmware below 4 GiB, the VMSA page at 0xfffffffff000.
    expect(m.clusters.map((c) => c.start.toString(16))).toEqual(['900000', 'ffff0000', 'fffffffff000']);
    expect(m.breaks.map((b) => formatSize(b.gap))).toEqual(['3.99 GiB', '256 TiB']);
    expect(m.clusters.at(-1)!.x + m.clusters.at(-1)!.width).toBeCloseTo(1000, 6);
    // Four VMSAs at one GPA are one box; no box leaves its range.
    const vmsa = m.boxes.filter((b) => b.category === 'VMSA');
    expect(vmsa).toHaveLength(1);
    expect(vmsa[0]!.runs).toHaveLength(4);
    for (const b of m.boxes) {
      const c = m.clusters.find((k) => b.start >= k.start && b.end <= k.end)!;
      expect(b.x).toBeGreaterThanOrEqual(c.x - 1e-9);
      expect(b.x + b.width).toBeLessThanOrEqual(c.x + Math.max(c.width, 2) + 1e-9);
    }
    expect(breakThreshold(0n)).toBe(65536n);
    expect(layoutMap([], { width: 100 }).boxes).toEqual([]);
  });
  it('reuses the measured prefix for the per-vCPU table: the same digests as the library sweep', async () => {
    const igvm = new Uint8Array(readFileSync(join(REPO, 'examples', 'igvm', 'example.igvm')));
    const inputs: LaunchInput[] = [
      { kind: 'ovmf', files: { ovmf: named(SYNTH), kernel: named(join(OVMF_DIR, 'vmlinuz-standin.bin')) }, options: { append: 'console=ttyS0' } },
      { kind: 'regions', files: { manifest: named(join(REGIONS_DIR, 'uki-update.json')) }, sources: REGION_SOURCES },
      { kind: 'igvm', files: { igvm: { name: 'example.igvm', bytes: igvm } } },
    ];
    const counts = [1, 2, 3, 5, 8];
    for (const input of inputs) {
      const opened = await openLaunch(input);
      const config = configure(opened, { vcpus: '3', vcpuType: 'EPYC-Milan', vmmType: 'qemu', guestFeatures: '0x1' });
      const m = await measure(opened, config, { log: true });
      const seeded = vcpuTable(opened, config, counts, m).map((r) => [r.vcpus, toHex(r.digest)]);
      expect(seeded).toEqual(vcpuTable(opened, config, counts).map((r) => [r.vcpus, toHex(r.digest)]));
      expect(seeded[2]).toEqual([3, toHex(m.digest)]);
    }
  });
  it('offers the reference-value formats of the option vocabulary', () => {
    expect([...REFERENCE_FORMATS]).toEqual(optionByKey('format')!.choices);
  });

  it('writes reference values byte for byte as `reference-values` does, for every format and kind of launch', async () => {
    const settings: Settings = { vcpus: '2', vcpuType: 'EPYC-Genoa', vmmType: 'qemu', vmmEra: 'init2', guestFeatures: '0x1' };
    // The command line refuses --guest-features for an IGVM launch (the file brings its own); the
    // page disables that field for one, and the value it still holds changes nothing.
    const configOf = (kind: string): string[] => ['--vcpus', '1-4', '--vcpu-type', 'EPYC-Genoa', '--vmm-type', 'qemu', '--vmm-era', 'init2',
      ...(kind === 'igvm' ? [] : ['--guest-features', '0x1'])];
    // The CLI runs in each example's folder, so the paths it records are the file names the page has.
    const launches: { cwd: string; args: string[]; input: LaunchInput }[] = [
      {
        cwd: OVMF_DIR, args: ['--ovmf', 'OVMF-synthetic-amdsev.fd', '--kernel', 'vmlinuz-standin.bin', '--initrd', 'initrd-standin.bin', '--append', 'console=ttyS0', '--product', 'genoa'],
        input: { kind: 'ovmf', files: { ovmf: named(SYNTH), kernel: named(join(OVMF_DIR, 'vmlinuz-standin.bin')), initrd: named(join(OVMF_DIR, 'initrd-standin.bin')) }, options: { append: 'console=ttyS0', product: 'genoa' } },
      },
      {
        cwd: REGIONS_DIR, args: ['--manifest', 'uki-update.json', '--product', 'milan'],
        input: { kind: 'regions', files: { manifest: named(join(REGIONS_DIR, 'uki-update.json')) }, sources: REGION_SOURCES, options: { product: 'milan' } },
      },
      {
        cwd: IGVM_DIR, args: ['--igvm', 'example.igvm', '--product', 'genoa'],
        input: { kind: 'igvm', files: { igvm: named(join(IGVM_DIR, 'example.igvm')) }, options: { product: 'genoa' } },
      },
    ];
    const requests: [string[], RefOptions][] = [
      [[], { format: 'json' }],
      [['--format', 'json', '--encoding', 'base64url'], { format: 'json', encoding: 'base64url' }],
      [['--format', 'trustee', '--encoding', 'base64'], { format: 'trustee', encoding: 'base64' }],
      [['--format', 'trustee-sample'], { format: 'trustee-sample' }],
      [['--format', 'trustee-operator', '--expires', '2027-01-01T01:00:00+01:00'], { format: 'trustee-operator', expires: '2027-01-01T01:00:00+01:00' }],
      [['--format', 'go-sev-guest', '--policy', '0x70000'], { format: 'go-sev-guest', policy: 0x70000n }],
      [['--format', 'contrast'], { format: 'contrast' }],
    ];
    for (const l of launches) {
      for (const [extra, o] of requests) {
        const want = await cliIn(l.cwd, ['reference-values', ...l.args, ...configOf(l.input.kind), ...extra]);
        const got = await pageReferenceValues(l.input, settings, '1-4', o);
        expect(got.text, `${l.input.kind} ${o.format}`).toBe(want.stdout);
        expect(got.notes.map((n) => `${n}\n`).join(''), `${l.input.kind} ${o.format} notes`).toBe(want.stderr);
      }
    }
    // The json format's provenance names each input by the name the page was given it under.
    const ovmfJson = JSON.parse((await pageReferenceValues(launches[0]!.input, settings, '1-4', { format: 'json' })).text);
    expect(ovmfJson.provenance.inputs.map((i: { role: string; path?: string }) => `${i.role}:${i.path ?? ''}`)).toEqual(
      ['firmware:OVMF-synthetic-amdsev.fd', 'kernel:vmlinuz-standin.bin', 'initrd:initrd-standin.bin', 'cmdline:']);
    // Contrast's APEIP form: the 1-vCPU digest, whatever the range.
    const apeip = await cliIn(OVMF_DIR, ['reference-values', ...launches[0]!.args, ...configOf('ovmf'), '--format', 'contrast', '--apeip']);
    expect((await pageReferenceValues(launches[0]!.input, settings, '1-4', { format: 'contrast', apeip: true })).text).toBe(apeip.stdout);
  });

  it('refuses what the command line refuses, with its message', async () => {
    const input: LaunchInput = { kind: 'ovmf', files: { ovmf: named(SYNTH) } };
    const settings: Settings = { vcpus: '1', vcpuType: 'EPYC-v4', vmmType: 'qemu' };
    await expect(pageReferenceValues(input, settings, '1-2', { format: 'trustee-operator' })).rejects.toMatchObject({ code: 'usage', message: expect.stringContaining('needs --expires') });
    await expect(pageReferenceValues(input, settings, '1-2', { format: 'contrast' })).rejects.toMatchObject({ code: 'contrast-product' });
    await expect(pageReferenceValues(input, settings, '1-2', { format: 'go-sev-guest', policy: 0x10000n })).rejects.toMatchObject({ code: 'guest-policy' });
    const opened = await openLaunch(input);
    expect(() => configure(opened, { ...settings, vmmType: 'qemu:nope' })).toThrow(/nope/);
    expect(() => configure(opened, { ...settings, guestFeatures: 'x1' })).toThrow(/--guest-features/);
    await expect(openLaunch({ ...input, options: { unknownSections: 'maybe' } })).rejects.toMatchObject({ code: 'usage', message: expect.stringContaining('--unknown-sections') });
  });

  it('measures with the options the CLI takes: --vcpu-sig, --vmsa-gpa, --measured-zero, --firmware-metadata, --ap-reset-eip', async () => {
    const digest = async (input: LaunchInput, settings: Settings): Promise<string> => {
      const opened = await openLaunch(input);
      return toHex((await measure(opened, configure(opened, settings))).digest);
    };
    expect(await digest({ kind: 'ovmf', files: { ovmf: named(SYNTH) }, options: { vmsaGpa: '0xffffffffe000' } }, { vcpus: '3', vcpuType: 'EPYC-v4', vcpuSig: '0xa10f11', vmmType: 'qemu' }))
      .toBe((await cli('ovmf', '--mode', 'snp', '--ovmf', SYNTH, '--vcpus', '3', '--vcpu-sig', '0xa10f11', '--vmsa-gpa', '0xffffffffe000')).trim());
    // Each option overrides the manifest's launch block (and changes the digest: checked against the default).
    const settings: Settings = { vcpus: '2', vcpuType: 'EPYC-v4', vmmType: 'qemu', guestFeatures: '0x1' };
    const cases: [string, string, string][] = [['uki-update.json', 'measuredZero', 'normal'], ['firmware-update.json', 'firmwareMetadata', 'none'], ['uki-update.json', 'apResetEip', '0xfffff000']];
    for (const [manifest, key, value] of cases) {
      const input = (options: Record<string, string>): LaunchInput => ({ kind: 'regions', files: { manifest: named(join(REGIONS_DIR, manifest)) }, sources: REGION_SOURCES, options });
      const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      const want = (await cliIn(REGIONS_DIR, ['regions', manifest, '--vcpus', '2', '--vcpu-type', 'EPYC-v4', flag, value])).stdout.trim();
      const got = await digest(input({ [key]: value }), settings);
      expect(got, `${manifest} ${flag} ${value}`).toBe(want);
      expect(await digest(input({}), settings)).not.toBe(got);
    }
  });

  it('stacks runs that measure the same pages twice in lanes', () => {
    const r = (gpa: number, pages: number, firstStep: number): LogRun => ({ origin: { kind: 'igvm', index: firstStep }, pageType: 'NORMAL', gpa: BigInt(gpa), pages, firstStep });
    const m = layoutMap([r(0x1000, 4, 0), r(0x2000, 1, 4), r(0x10000, 1, 5)], { width: 500 });
    expect(m.lanes).toBe(2);
    expect(m.boxes.map((b) => b.lane)).toEqual([0, 1, 0]);
  });
});

describe.skipIf(!HAVE_CHROMIUM)('web page in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const problems: string[] = [];
  let pageUrl = '';

  beforeAll(async () => {
    const { buildSite } = await import('../web/build.mjs');
    const site = await buildSite();
    pageUrl = pathToFileURL(join(site.dir, 'index.html')).href;
    const puppeteer = (await import('puppeteer-core')).default;
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage();
    page.on('request', (r) => { requests.push(r.url()); });
    page.on('pageerror', (e) => { problems.push(`page error: ${(e as Error).message}`); });
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    await page.setViewport({ width: 1200, height: 900 });
    await page.goto(pageUrl);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function digestShown(): Promise<string> {
    await page.waitForFunction(() => /^[0-9a-f]{96}$/.test(document.querySelector('[data-testid=digest]')?.textContent ?? ''), { timeout: 20_000 });
    return page.$eval('[data-testid=digest]', (e) => e.textContent ?? '');
  }

  /** Chooses the firmware, vCPUs and type, presses Measure; returns the digest the page shows. */
  async function measureOvmf(file: string, vcpus: number, type: string): Promise<string> {
    await page.click('input[name=kind][value=ovmf]');
    const input = (await page.$('[data-testid=firmware]'))!;
    await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(file);
    await page.$eval('[data-testid=vcpus]', (e, n) => { (e as unknown as Field).value = String(n); }, vcpus);
    await page.select('[data-testid=vcpu-type]', type);
    await page.click('[data-testid=measure]');
    return digestShown();
  }

  async function downloaded(name: string, before: number): Promise<string> {
    const path = join(downloads, name);
    for (let i = 0; i < 100 && !(existsSync(path) && readdirSync(downloads).length > before && !readdirSync(downloads).some((f) => f.endsWith('.crdownload'))); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return readFileSync(path, 'utf8');
  }
  const count = (): number => (existsSync(downloads) ? readdirSync(downloads).length : 0);

  it('offers the CLI vCPU type names and measures the bundled firmware to the CLI digest', async () => {
    const options = await page.$$eval('[data-testid=vcpu-type] option', (os) => os.map((o) => (o as unknown as Field).value));
    expect(options).toContain('EPYC-v4');
    expect(options).toContain('EPYC-Milan');
    const want = (await cli('ovmf', '--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-v4', '--ovmf', SYNTH)).trim();
    expect(want).toMatch(HEX96);
    expect(await measureOvmf(SYNTH, 4, 'EPYC-v4')).toBe(want);
    // The per-vCPU table's 4-vCPU row is the same digest; the 2-vCPU row is the CLI's 2-vCPU digest.
    const two = (await cli('ovmf', '--mode', 'snp', '--vcpus', '2', '--vcpu-type', 'EPYC-v4', '--ovmf', SYNTH)).trim();
    await page.waitForFunction(() => document.querySelectorAll('#vcpu-table tbody tr').length === 8);
    const rows = await page.$$eval('#vcpu-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    expect(rows[1]).toEqual(['2', two]);
    expect(rows[3]).toEqual(['4', want]);
  });

  it('draws the launch: a memory map with runs of each measured kind', async () => {
    const kinds = await page.$$eval('[data-testid=memory-map] rect.box', (rs) => rs.map((r) => r.getAttribute('data-category')));
    expect(kinds.length).toBeGreaterThan(3);
    expect(new Set(kinds)).toEqual(new Set(['NORMAL', 'ZERO', 'SECRETS', 'CPUID', 'VMSA']));
    expect(await page.$eval('[data-testid=memory-map]', (s) => s.tagName.toLowerCase())).toBe('svg');
    // Hovering a run names its origin, GPA, pages and steps.
    await page.hover('[data-testid=memory-map] rect.box[data-category=VMSA]');
    const detail = await page.$eval('#map-detail', (e) => e.textContent ?? '');
    expect(detail).toContain('vmsa 0 (BSP)');
    expect(detail).toContain('0xfffffffff000');
    expect(detail).toContain('measured 4 times');
  });

  it('downloads the launch log as the CLI writes it with --log', async () => {
    await cli('ovmf', '--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-v4', '--ovmf', SYNTH, '--log', join(dir, 'cli.jsonl'));
    const before = count();
    await page.click('#log-download');
    expect(await downloaded('launch-log.jsonl', before)).toBe(readFileSync(join(dir, 'cli.jsonl'), 'utf8'));
  });

  it('downloads reference values in each format as `reference-values` writes them', async () => {
    // The CLI runs where a copy of the firmware has the name the page knows it by, so the paths
    // the json format's provenance records are equal too.
    copyFileSync(SYNTH, join(dir, 'OVMF-synthetic-amdsev.fd'));
    const args = ['reference-values', '--ovmf', 'OVMF-synthetic-amdsev.fd', '--vcpus', '1-8', '--vcpu-type', 'EPYC-v4', '--vmm-type', 'qemu:init2', '--guest-features', '0x1'];
    const select = (id: string, v: string) => async (): Promise<void> => { await page.select(id, v); };
    const type = (id: string, v: string) => async (): Promise<void> => { await page.$eval(id, (e, x) => { (e as unknown as Field).value = x; }, v); };
    const formats: [string, string, string[], () => Promise<void>][] = [
      ['json', 'reference-values.json', [], async () => {}],
      ['trustee', 'rvps-message.json', ['--format', 'trustee', '--encoding', 'base64'], select('#ref-encoding', 'base64')],
      ['trustee-sample', 'trustee-sample.json', ['--format', 'trustee-sample'], async () => {}],
      ['trustee-operator', 'trustee-reference-values.json', ['--format', 'trustee-operator', '--expires', '2027-01-01T00:00:00Z'], type('#ref-expires', '2027-01-01T00:00:00Z')],
      ['go-sev-guest', 'go-sev-guest-configs.txt', ['--format', 'go-sev-guest', '--policy', '0x70000'], type('#ref-policy', '0x70000')],
      ['contrast', 'contrast-reference-values.json', ['--format', 'contrast', '--product', 'genoa'], async () => { await page.$eval('#ref-policy', (e) => { (e as unknown as Field).value = ''; }); await page.select('#product', 'genoa'); }],
    ];
    expect(await page.$$eval('#ref-format option', (os) => os.map((o) => (o as unknown as Field).value))).toEqual(formats.map((f) => f[0]));
    for (const [format, file, extra, choose] of formats) {
      const want = await cliIn(dir, [...args, ...extra]);
      await page.select('#ref-format', format);
      await choose();
      const before = count();
      await page.click('#ref-download');
      expect(await downloaded(file, before), format).toBe(want.stdout);
      // What the CLI says on stderr, the page lists beside the button.
      await page.waitForFunction((n) => document.querySelectorAll('#ref-notes li').length === n, {}, want.stderr.split('\n').filter(Boolean).length);
      expect(await page.$$eval('#ref-notes li', (lis) => lis.map((li) => `${li.textContent}\n`).join('')), format).toBe(want.stderr);
    }
    await page.select('#product', '');
    await page.select('#ref-format', 'json');
  });

  it('takes --vcpu-sig and --vmsa-gpa as the CLI does', async () => {
    const before = await digestShown();
    const want = (await cli('ovmf', '--mode', 'snp', '--vcpus', '4', '--vcpu-sig', '0xa10f11', '--vmsa-gpa', '0xffffffffe000', '--ovmf', SYNTH)).trim();
    await page.$eval('#panel-ovmf details:last-of-type', (d) => { (d as unknown as { open: boolean }).open = true; });
    await page.type('#vmsa-gpa', '0xffffffffe000');
    await page.type('#vcpu-sig', '0xa10f11');
    await page.waitForFunction((w) => document.querySelector('[data-testid=digest]')?.textContent === w, { timeout: 20_000 }, want);
    expect(await page.$eval('[data-testid=vcpu-type]', (e) => (e as unknown as { disabled: boolean }).disabled)).toBe(true);
    for (const id of ['#vcpu-sig', '#vmsa-gpa']) await page.$eval(id, (e) => { (e as unknown as Field).value = ''; e.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForFunction((w) => document.querySelector('[data-testid=digest]')?.textContent === w, { timeout: 20_000 }, before);
  });

  it('checks a report: a match, then an identify search that finds the configuration', async () => {
    const digest = await digestShown();
    await page.$eval('#report-text', (e, v) => { (e as unknown as Field).value = v; e.dispatchEvent(new Event('input', { bubbles: true })); },
      toHex(buildReport({ measurement: fromHex(digest, 'digest'), cpuid: { family: 0x19, model: 0x01, stepping: 1 } })));
    await page.waitForSelector('#report-verdict[data-verdict=ok]');
    const fields = await page.$$eval('#report-fields tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.children[0]!.textContent, tr.children[1]!.textContent])));
    expect(fields['measurement']).toBe(digest);
    expect(fields['host CPUID']).toBe('family 0x19 model 0x1 stepping 1');

    const other = (await cli('ovmf', '--mode', 'snp', '--vcpus', '3', '--vcpu-type', 'EPYC-Milan', '--guest-features', '0x21', '--ovmf', SYNTH)).trim();
    await page.$eval('#report-text', (e, v) => { (e as unknown as Field).value = v; e.dispatchEvent(new Event('input', { bubbles: true })); },
      toHex(buildReport({ measurement: fromHex(other, 'digest') })));
    await page.waitForSelector('[data-testid=identify-matches] li', { timeout: 30_000 });
    const matches = await page.$$eval('[data-testid=identify-matches] li', (lis) => lis.map((li) => li.firstChild?.textContent));
    expect(matches).toContain('qemu/init2, 3 vCPUs, EPYC-Milan, guest features 0x21');
    expect(await page.$eval('#report-verdict', (e) => e.getAttribute('data-verdict'))).toBe('bad');
  });

  it('measures an IGVM file to the CLI digest', async () => {
    const igvm = join(REPO, 'examples', 'igvm', 'example.igvm');
    const want = (await cli('igvm', igvm, '--vcpus', '4', '--vcpu-type', 'EPYC-v4')).trim();
    await page.click('input[name=kind][value=igvm]');
    await (((await page.$('#igvm'))!) as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(igvm);
    await page.$eval('[data-testid=vcpus]', (e) => { (e as unknown as Field).value = '4'; });
    await page.select('[data-testid=vcpu-type]', 'EPYC-v4');
    await page.click('[data-testid=measure]');
    await page.waitForFunction((w) => document.querySelector('[data-testid=digest]')?.textContent === w, { timeout: 20_000 }, want);
  });

  it('recognises dropped files by their contents and switches to a profile the launch runs under', async () => {
    const igvm = join(REPO, 'examples', 'igvm', 'example.igvm');
    const want = (await cli('igvm', igvm, '--vcpus', '4', '--vcpu-type', 'EPYC-v4')).trim();
    await page.click('input[name=kind][value=ovmf]');
    await page.select('#profile', 'ec2');
    await page.click('[data-testid=measure]');
    await page.waitForFunction((w) => /^[0-9a-f]{96}$/.test(document.querySelector('[data-testid=digest]')?.textContent) && document.querySelector('[data-testid=digest]')?.textContent !== w, { timeout: 20_000 }, want);
    const reportFile = join(dir, 'report.bin');
    writeFileSync(reportFile, buildReport({ measurement: fromHex(want, 'digest') }));
    const files = [igvm, reportFile].map((p) => ({ name: p.split('/').pop()!, b64: readFileSync(p).toString('base64') }));
    await page.evaluate((fs) => {
      const dt = new DataTransfer();
      for (const f of fs) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name));
      document.querySelector('main').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, files);
    await page.waitForFunction((w) => document.querySelector('[data-testid=digest]')?.textContent === w && document.querySelector('#profile')?.value === 'qemu', { timeout: 20_000 }, want);
    expect(await page.$eval('input[name=kind]:checked', (e) => (e as unknown as Field).value)).toBe('igvm');
    await page.waitForSelector('#report-verdict[data-verdict=ok]');
    await page.$eval('#report-text', (e) => { (e as unknown as Field).value = ''; e.dispatchEvent(new Event('input', { bubbles: true })); });
  });

  it('measures a 100k-step region list, and its log table stays virtual', async () => {
    const m = JSON.parse(readFileSync(join(REPO, 'examples', 'regions', 'uki-update.json'), 'utf8'));
    m.regions[0].source.file = 'OVMF-synthetic-amdsev.fd';
    m.regions.push({ dst: '0x100000000', size: `0x${(100_000 * 4096).toString(16)}`, flags: ['ZERO', 'MEASURE'] });
    writeFileSync(join(dir, 'big.json'), JSON.stringify(m));
    writeFileSync(join(dir, 'OVMF-synthetic-amdsev.fd'), readFileSync(SYNTH));
    writeFileSync(join(dir, 'kernel-hashes.page'), readFileSync(join(REPO, 'examples', 'regions', 'kernel-hashes.page')));
    const want = (await cli('regions', 'big.json')).trim();
    await page.click('input[name=kind][value=regions]');
    await (((await page.$('#manifest'))!) as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(join(dir, 'big.json'));
    await (((await page.$('#manifest-files'))!) as unknown as { uploadFile(...p: string[]): Promise<void> }).uploadFile(join(dir, 'OVMF-synthetic-amdsev.fd'), join(dir, 'kernel-hashes.page'));
    await page.click('[data-testid=measure]');
    await page.waitForFunction((w) => document.querySelector('[data-testid=digest]')?.textContent === w, { timeout: 30_000 }, want);
    const steps = Number(await page.$eval('#log', (e) => e.getAttribute('aria-rowcount'))) - 1;
    expect(steps).toBe(100_051);
    await page.$eval('#log-goto', (e) => { (e as unknown as Field).value = '100050'; e.dispatchEvent(new Event('change', { bubbles: true })); });
    const shown = await page.$$eval('#log .log-body .log-row:not([hidden])', (rows) => rows.map((r) => r.firstElementChild?.textContent));
    expect(shown.length).toBeLessThan(80);
    expect(shown).toContain('100050');
  });

  it('makes no network request, renders a non-blank page, and fits a phone screen', async () => {
    for (const url of requests) expect(url).toMatch(/^(file|blob|data):/);
    expect(problems).toEqual([]);
    // Back to the firmware launch for the picture.
    expect(await measureOvmf(SYNTH, 4, 'EPYC-v4')).toMatch(HEX96);
    const shot = join(tmpdir(), 'vmfw-web-screenshot.png');
    const png = await page.screenshot({ fullPage: true, encoding: 'base64' }) as string;
    writeFileSync(shot, Buffer.from(png, 'base64'));
    // Decode the PNG in the page itself (canvas) and count distinct colours.
    const colours = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width; c.height = img.height;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < d.length; i += 4) seen.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
      return seen.size;
    }, png);
    expect(colours).toBeGreaterThan(50);
    // A phone's width (changing isMobile would reload the page): nothing may stick out sideways.
    await page.setViewport({ width: 390, height: 844 });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=memory-map]')?.getAttribute('width')) <= 390);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(tmpdir(), 'vmfw-web-phone.png'), fullPage: true });
    await page.setViewport({ width: 1200, height: 900 });
  });

  it.skipIf(!DEBIAN || !existsSync(DEBIAN))('measures the Debian bookworm OVMF.fd to the CLI digest', async () => {
    const want = (await cli('ovmf', '--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-v4', '--ovmf', DEBIAN!)).trim();
    expect(await measureOvmf(DEBIAN!, 4, 'EPYC-v4')).toBe(want);
  });

  const SVSM = join(FIXTURES, 'svsm.bin');
  it.skipIf(!SVSM || !existsSync(SVSM))('measures a legacy COCONUT-SVSM launch (snp:svsm) to the CLI digest', async () => {
    const ovmf = join(FIXTURES, 'svsm_ovmf.fd');
    const want = (await cli('ovmf', '--mode', 'snp:svsm', '--vcpus', '2', '--vcpu-type', 'EPYC-v4', '--ovmf', ovmf, '--svsm', SVSM!, '--vars-size', '540672')).trim();
    await (((await page.$('#svsm'))!) as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(SVSM!);
    await page.$eval('#vars-size', (e) => { (e as unknown as Field).value = '540672'; });
    expect(await measureOvmf(ovmf, 2, 'EPYC-v4')).toBe(want);
    await page.$eval('#clear-svsm', (e) => (e as unknown as { click(): void }).click());
  });

  it('is served by `npm run web` on loopback and works there too', async () => {
    const { serve } = await import('../web/serve.mjs');
    const { server, url } = await serve(0);
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const p2 = await browser.newPage();
      await p2.goto(url);
      await (((await p2.$('[data-testid=firmware]'))!) as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(SYNTH);
      await p2.click('[data-testid=measure]');
      await p2.waitForFunction(() => /^[0-9a-f]{96}$/.test(document.querySelector('[data-testid=digest]')?.textContent ?? ''), { timeout: 20_000 });
      const want = (await cli('ovmf', '--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-v4', '--ovmf', SYNTH)).trim();
      expect(await p2.$eval('[data-testid=digest]', (e) => e.textContent)).toBe(want);
      await p2.close();
      // Nothing outside web/dist is served, however the path is spelt.
      const port = Number(new URL(url).port);
      const status = await new Promise<number>((resolve, reject) => {
        get({ host: '127.0.0.1', port, path: '/%2e%2e/%2e%2e/package.json' }, (r) => { r.resume(); resolve(r.statusCode ?? 0); }).on('error', reject);
      });
      expect(status).toBe(404);
    } finally {
      server.close();
    }
  });
});
