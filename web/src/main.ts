/**
 * The page: reads the form, sends requests to the measuring worker, and shows what comes back
 * (digest, per-vCPU table, memory map, step log, report verdict, identify matches).
 */
import { byId, copyText, download, el } from './dom.js';
import { MemoryMap, renderLegend } from './map-view.js';
import { StepLog } from './log-view.js';
import { logChunks, type LogRun } from './log-format.js';
import { ReportPanel } from './report-panel.js';
import { installDrop } from './drop.js';
import type { WireInput, WireSettings, WorkerReply, WorkerRequest } from './protocol.js';
import type { Measurement } from './measure.js';
import { REF_ENCODINGS, type RefFormat } from './refs.js';
import { VCPU_TYPE_NAMES } from '../../src/cpu.js';
import { PROFILES } from '../../src/profiles.js';
import { parseUnsigned, toBase64, toHex } from '../../src/bytes.js';
import { isMeasureError } from '../../src/errors.js';
import { hashBackend } from './hash.js';

declare const WORKER_SOURCE: string;

type Lane = WorkerRequest['lane'];

const $ = byId;
const input = <T extends HTMLElement = HTMLInputElement>(id: string): T => $<T>(id);

// ---- worker ----

const worker = new Worker(URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' })));
const gens: Record<Lane, number> = { measure: 0, identify: 0, refvalues: 0 };
worker.onerror = (e) => {
  // Not an input problem (those come back as messages): the worker itself failed, e.g. out of memory.
  digestEl.removeAttribute('aria-busy');
  progress('measure', undefined);
  showError('measuring worker', { code: 'bug', message: `${e.message || 'the worker stopped'} (reload the page; with very large files, close other tabs)` });
};

type Unsent = WorkerRequest extends infer R ? R extends WorkerRequest ? Omit<R, 'gen'> : never : never;
function send(req: Unsent): number {
  const gen = ++gens[req.lane];
  worker.postMessage({ ...req, gen } as WorkerRequest);
  return gen;
}

// ---- form ----

const form = $<HTMLFormElement>('form');
const kindRadios = [...document.querySelectorAll<HTMLInputElement>('input[name=kind]')];
const kind = (): 'ovmf' | 'regions' | 'igvm' => (kindRadios.find((r) => r.checked)?.value ?? 'ovmf') as 'ovmf' | 'regions' | 'igvm';
const fileOf = (id: string): File | undefined => input(id).files?.[0] ?? undefined;

function setKind(k: string): void {
  for (const r of kindRadios) r.checked = r.value === k;
  for (const p of ['ovmf', 'regions', 'igvm']) $(`panel-${p}`).hidden = p !== k;
}

function fillSelect(sel: HTMLSelectElement, values: readonly string[], chosen?: string, labels: Record<string, string> = {}): void {
  const keep = chosen ?? sel.value;
  sel.replaceChildren(...values.map((v) => el('option', { value: v }, labels[v] ?? v)));
  if (values.includes(keep)) sel.value = keep;
}

const vcpuType = input<HTMLSelectElement>('vcpu-type');
const profileSel = input<HTMLSelectElement>('profile');
const eraSel = input<HTMLSelectElement>('era');
fillSelect(vcpuType, VCPU_TYPE_NAMES, 'EPYC-v4');
fillSelect(profileSel, Object.keys(PROFILES), 'qemu', { qemu: 'QEMU/KVM', ec2: 'AWS EC2', gce: 'Google Compute Engine' });

function updateEras(era?: string): void {
  const family = PROFILES[profileSel.value as keyof typeof PROFILES];
  fillSelect(eraSel, Object.keys(family.eras), era ?? family.defaultEra);
  const p = family.eras[eraSel.value]!;
  $('profile-summary').textContent = `${p.summary}.${p.usesVcpuSignature ? '' : ' This profile does not use the vCPU type.'}`;
}
updateEras();

function wireInput(): WireInput | undefined {
  const k = kind();
  if (k === 'igvm') {
    const igvm = fileOf('igvm');
    return igvm && {
      kind: 'igvm', igvm, semantics: input<HTMLSelectElement>('semantics').value as 'qemu', apVmsa: input<HTMLSelectElement>('ap-vmsa').value as 'reset',
      nativeZero: input('native-zero').checked, fileOrder: input('file-order').checked,
    };
  }
  if (k === 'regions') {
    const manifest = fileOf('manifest');
    return manifest && { kind: 'regions', manifest, files: [...(input('manifest-files').files ?? [])] };
  }
  const ovmf = fileOf('firmware');
  if (!ovmf) return undefined;
  const kernel = fileOf('kernel'), initrd = fileOf('initrd'), svsm = fileOf('svsm');
  const append = input('append').value;
  const varsText = input('vars-size').value.trim();
  return {
    kind: 'ovmf', ovmf, unknownSections: input<HTMLSelectElement>('unknown-sections').value as 'error',
    ...(kernel ? { kernel } : {}), ...(initrd ? { initrd } : {}), ...(append ? { append } : {}),
    ...(svsm ? { svsm, varsSize: varsText ? Number(parseUnsigned(varsText, 'OVMF_VARS size', 0xffffffffn)) : 0 } : {}),
    ...(input<HTMLSelectElement>('product').value ? { product: input<HTMLSelectElement>('product').value } : {}),
  };
}

function settings(): WireSettings {
  return {
    vcpus: Number(parseUnsigned(input('vcpus').value.trim(), 'vCPUs', 65536n)), vcpuType: vcpuType.value, profile: profileSel.value, era: eraSel.value,
    guestFeatures: parseUnsigned(input('guest-features').value.trim() || '0x1', 'guest features'),
  };
}

/** Identifies a chosen input (its files by name, size and date, and its options). */
function inputKey(w: WireInput): string {
  return JSON.stringify(w, (_k, v: unknown) => (v instanceof File ? `${v.name}:${v.size}:${v.lastModified}` : v));
}

// ---- status, progress, errors ----

function showError(where: string, e: { code: string; message: string } | undefined): void {
  const box = $('error');
  box.hidden = !e;
  box.textContent = e ? `${where}: error[${e.code}] ${e.message}` : '';
}

function errorOf(e: unknown): { code: string; message: string } {
  return isMeasureError(e) ? { code: e.code, message: e.message } : { code: 'bug', message: String(e) };
}

function progress(prefix: string, p: { done: number; total: number; label: string } | undefined): void {
  const box = $(prefix === 'measure' ? 'progress' : 'identify-progress');
  const bar = $<HTMLProgressElement>(prefix === 'measure' ? 'progress-bar' : 'identify-bar');
  const label = $(prefix === 'measure' ? 'progress-label' : 'identify-label');
  box.hidden = !p;
  if (!p) return;
  bar.max = Math.max(1, p.total);
  bar.value = p.done;
  label.textContent = `${p.label}: ${p.done.toLocaleString()} of ${p.total.toLocaleString()}`;
}

// ---- results ----

const digestEl = $('digest');
const digestB64 = $('digest-b64');
const map = new MemoryMap($('map-wrap'), $('map-detail'), (step) => { stepLog.scrollToStep(step); $('log').focus({ preventScroll: true }); });
const stepLog = new StepLog($('log'));
renderLegend($('legend'));
stepLog.show([], undefined, 0);
map.show([]);
$('backend').textContent = `${hashBackend} for pages and files, @noble/hashes for the digest chain`;

interface Current { measurement: Measurement; runs: LogRun[]; settings: WireSettings; input: WireInput }
let current: Current | undefined;
let pendingInput: WireInput | undefined;
let pendingSettings: WireSettings | undefined;
let inputSeen = '';

function clearResults(): void {
  digestEl.textContent = '';
  digestB64.textContent = '';
  for (const b of document.querySelectorAll<HTMLButtonElement>('button.copy')) b.disabled = true;
  $('log-download').setAttribute('disabled', '');
  input<HTMLButtonElement>('ref-download').disabled = true;
}

function measureNow(): void {
  const wi = wireInput();
  if (!wi) {
    showError('input', undefined);
    $('status').textContent = kind() === 'regions' ? 'Choose a manifest to measure.' : kind() === 'igvm' ? 'Choose an IGVM file to measure.' : 'Choose an OVMF firmware file to measure.';
    return;
  }
  let s: WireSettings;
  try { s = settings(); } catch (e) { showError('configuration', errorOf(e)); return; }
  showError('', undefined);
  clearResults();
  // A newly chosen manifest brings its own launch settings: the first measurement uses them.
  const key = inputKey(wi);
  if (key !== inputSeen) { inputSeen = key; s = { ...s, inputDefaults: true }; }
  pendingInput = wi;
  pendingSettings = s;
  digestEl.setAttribute('aria-busy', 'true');
  $('status').textContent = 'Measuring…';
  send({ lane: 'measure', type: 'measure', input: wi, settings: s, range: input('range').value });
}

let timer: ReturnType<typeof setTimeout> | undefined;
function autoMeasure(): void {
  if (!input('auto').checked) return;
  clearTimeout(timer);
  timer = setTimeout(measureNow, 200);
}

form.addEventListener('submit', (e) => { e.preventDefault(); clearTimeout(timer); measureNow(); });
form.addEventListener('change', (e) => {
  const t = e.target as HTMLInputElement;
  if (t.name === 'kind') setKind(t.value);
  if (e.target === profileSel) updateEras();
  if (e.target === eraSel) updateEras(eraSel.value);
  if (t.type === 'file') t.classList.toggle('has-file', (t.files?.length ?? 0) > 0);
  autoMeasure();
});
form.addEventListener('input', (e) => { if ((e.target as HTMLElement).tagName !== 'SELECT' && (e.target as HTMLInputElement).type !== 'file') autoMeasure(); });
input('range').addEventListener('input', autoMeasure);
$('clear-boot').addEventListener('click', () => { for (const id of ['kernel', 'initrd']) { input(id).value = ''; input(id).classList.remove('has-file'); } input('append').value = ''; autoMeasure(); });
$('clear-svsm').addEventListener('click', () => { input('svsm').value = ''; input('svsm').classList.remove('has-file'); autoMeasure(); });

function renderTable(rows: readonly { vcpus: number; digest: Uint8Array }[]): void {
  const body = $('vcpu-table').querySelector('tbody')!;
  const reportHex = reportPanel.measurement() ?? '';
  body.replaceChildren(...rows.map((r) => {
    const hex = toHex(r.digest);
    const tr = el('tr', {}, el('td', {}, String(r.vcpus)), el('td', { class: 'mono' }, hex, hex === reportHex ? ' ← the report' : ''));
    if (r.vcpus === current?.settings.vcpus) tr.classList.add('current');
    return tr;
  }));
}

worker.onmessage = (e: MessageEvent<WorkerReply>) => {
  const m = e.data;
  if (m.gen !== gens[m.lane as Lane]) return; // superseded
  switch (m.type) {
    case 'opened': {
      applyOpened(m);
      break;
    }
    case 'progress':
      progress(m.lane, m);
      break;
    case 'measured': {
      progress('measure', undefined);
      const r = m.measurement;
      current = { measurement: r, runs: [...r.runs], settings: pendingSettings!, input: pendingInput! };
      digestEl.removeAttribute('aria-busy');
      digestEl.textContent = toHex(r.digest);
      digestB64.textContent = toBase64(r.digest);
      for (const b of document.querySelectorAll<HTMLButtonElement>('button.copy')) b.disabled = false;
      input<HTMLButtonElement>('ref-download').disabled = false;
      if (r.log) $('log-download').removeAttribute('disabled');
      const types = Object.entries(r.stepsByType).map(([k, v]) => `${v.toLocaleString()} ${k}`).join(', ');
      $('steps-summary').textContent = `${r.steps.toLocaleString()} launch steps (${types}) in ${r.runs.length} runs${r.seed ? ', starting from a seed' : ''}.`;
      $('status').textContent = `Measured in ${Math.round(m.ms)} ms.`;
      map.show(current.runs);
      stepLog.show(current.runs, r.log, r.steps, r.logNote);
      reportPanel.check();
      break;
    }
    case 'table':
      renderTable(m.rows);
      break;
    case 'table-error':
      $('vcpu-table').querySelector('tbody')!.replaceChildren(el('tr', {}, el('td', { colspan: '2' }, `error[${m.error.code}] ${m.error.message}`)));
      break;
    case 'refvalues':
      download(m.filename, [m.text], m.filename.endsWith('.json') ? 'application/json' : 'text/plain');
      $('status').textContent = `Wrote ${m.filename}.`;
      break;
    case 'identified':
      progress('identify', undefined);
      reportPanel.showMatches(m.result);
      break;
    case 'error':
      progress(m.lane, undefined);
      if (m.lane === 'identify') { reportPanel.showError(m.error); break; }
      digestEl.removeAttribute('aria-busy');
      $('status').textContent = '';
      showError(m.lane === 'refvalues' ? 'reference values' : 'measurement', m.error);
      if (m.lane === 'measure') { current = undefined; map.show([]); stepLog.show([], undefined, 0); renderTable([]); }
      break;
  }
};

function applyOpened(m: Extract<WorkerReply, { type: 'opened' }>): void {
  // The input's own settings (a manifest's launch block), when the worker used them.
  const d = m.applied;
  if (d.vcpus !== undefined) input('vcpus').value = String(d.vcpus);
  if (d.vcpuType) vcpuType.value = d.vcpuType;
  if (d.profile) { profileSel.value = d.profile; updateEras(d.era); }
  if (d.guestFeatures !== undefined) input('guest-features').value = `0x${d.guestFeatures.toString(16)}`;
  pendingSettings = { ...pendingSettings!, ...d, inputDefaults: false };
  const allowed = new Set(m.profiles);
  for (const o of profileSel.options) o.disabled = !m.profiles.some((p) => p.startsWith(`${o.value}:`));
  input('guest-features').disabled = !m.usesGuestFeatures;
  $('notes').replaceChildren(...m.notes.map((n) => el('li', {}, n)));
  if (!allowed.has(`${profileSel.value}:${eraSel.value}`)) {
    // This launch does not run under the chosen profile (IGVM and SVSM launches are QEMU's).
    const [name, era] = m.profiles[0]!.split(':');
    profileSel.value = name!;
    updateEras(era);
    for (const o of eraSel.options) o.disabled = !allowed.has(`${profileSel.value}:${o.value}`);
    measureNow();
    return;
  }
  for (const o of eraSel.options) o.disabled = !allowed.has(`${profileSel.value}:${o.value}`);
}

for (const b of document.querySelectorAll<HTMLButtonElement>('button.copy')) {
  b.addEventListener('click', async () => {
    const text = $(b.dataset['copy']!).textContent ?? '';
    const ok = await copyText(text);
    $('status').textContent = ok ? `Copied ${b.dataset['copy'] === 'digest' ? 'hex' : 'base64'} digest.` : 'Copy failed: select the text and copy it.';
  });
}

$('log-download').addEventListener('click', () => {
  if (!current?.measurement.log) return;
  download('launch-log.jsonl', logChunks(current.runs, current.measurement.log), 'application/x-ndjson');
});
input('log-goto').addEventListener('change', () => stepLog.scrollToStep(Number(input('log-goto').value)));

// ---- reference values ----

const refFormat = input<HTMLSelectElement>('ref-format');
function updateRefFormat(): void {
  const f = refFormat.value as RefFormat;
  const encodings = REF_ENCODINGS[f];
  fillSelect(input<HTMLSelectElement>('ref-encoding'), encodings.length ? encodings : ['hex'], encodings[0] ?? 'hex');
  input<HTMLSelectElement>('ref-encoding').disabled = encodings.length === 0;
  $('ref-policy-field').hidden = f !== 'go-sev-guest';
  $('ref-apeip-field').hidden = f !== 'contrast';
}
refFormat.addEventListener('change', updateRefFormat);
updateRefFormat();
$('ref-download').addEventListener('click', () => {
  if (!current) return;
  const f = refFormat.value as RefFormat;
  const policyText = input('ref-policy').value.trim();
  try {
    send({
      lane: 'refvalues', type: 'refvalues', input: current.input, settings: current.settings, range: input('range').value,
      options: {
        format: f, ...(REF_ENCODINGS[f].length ? { encoding: input<HTMLSelectElement>('ref-encoding').value } : {}),
        ...(f === 'go-sev-guest' && policyText ? { policy: parseUnsigned(policyText, 'guest policy') } : {}),
        ...(f === 'contrast' ? { apeip: input('ref-apeip').checked } : {}),
      },
    });
  } catch (e) { showError('reference values', errorOf(e)); }
});

// ---- attestation report ----

const reportPanel = new ReportPanel({
  current: () => current?.measurement.digest,
  identify: (target, report) => {
    if (!current) return;
    send({ lane: 'identify', type: 'identify', input: current.input, settings: current.settings, target, report });
  },
  stop: () => {
    gens.identify++;
    progress('identify', undefined);
    worker.postMessage({ lane: 'identify', gen: gens.identify, type: 'cancel' });
  },
  use: (x) => {
    profileSel.value = x.profile; updateEras(x.era);
    input('vcpus').value = String(x.vcpus);
    if (x.vcpuType) vcpuType.value = x.vcpuType;
    if (x.guestFeatures !== null) input('guest-features').value = `0x${x.guestFeatures.toString(16)}`;
    measureNow();
  },
});

// ---- drag and drop ----

installDrop({
  kind, setKind, measure: measureNow, report: (f) => reportPanel.loadFile(f),
  status: (text) => { $('status').textContent = text; },
});

setKind(kind());
measureNow();
