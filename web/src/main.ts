/**
 * The page: reads the form, sends requests to the measuring worker, and shows what comes back
 * (digest, per-vCPU table, memory map, step log, report verdict, identify matches).
 */
import { byId, copyText, download, el } from './dom.js';
import { MemoryMap, renderLegend } from './map-view.js';
import { StepLog } from './log-view.js';
import { logChunks, type LogRun } from './log-format.js';
import { parseReport, reportRows, type AttestationReport } from './report-view.js';
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
  const reportHex = report ? toHex(report.measurement) : '';
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
      checkReport();
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
      showMatches(m.result);
      break;
    case 'error':
      progress(m.lane, undefined);
      if (m.lane === 'identify') { $('identify-result').replaceChildren(el('p', { class: 'error' }, `error[${m.error.code}] ${m.error.message}`)); break; }
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

let report: AttestationReport | undefined;

function loadReport(bytes: Uint8Array | undefined): void {
  report = undefined;
  const tbody = $('report-fields').querySelector('tbody')!;
  tbody.replaceChildren();
  $('identify-result').replaceChildren();
  progress('identify', undefined);
  gens.identify++;
  if (!bytes || bytes.length === 0) { setVerdict('', ''); return; }
  try {
    report = parseReport(bytes, 'report');
  } catch (e) {
    const err = errorOf(e);
    setVerdict(`Not a report: error[${err.code}] ${err.message}`, 'bad');
    return;
  }
  tbody.replaceChildren(...reportRows(report).map(([k, v]) => el('tr', {}, el('th', { scope: 'row' }, k), el('td', { class: 'mono' }, v))));
  checkReport();
}

function setVerdict(text: string, cls: string): void {
  const v = $('report-verdict');
  v.textContent = text;
  v.className = `verdict ${cls}`;
  v.setAttribute('data-verdict', cls);
}

function checkReport(): void {
  if (!report) return;
  const want = toHex(report.measurement);
  if (!current) { setVerdict(`Report measurement ${want}. Load launch inputs to compare.`, ''); return; }
  if (toHex(current.measurement.digest) === want) {
    setVerdict('The report\'s measurement matches these inputs and this configuration.', 'ok');
    $('identify-result').replaceChildren();
    progress('identify', undefined);
    gens.identify++;
    return;
  }
  setVerdict('The report\'s measurement does not match this configuration. Searching other configurations of these inputs…', 'bad');
  $('identify-result').replaceChildren();
  send({ lane: 'identify', type: 'identify', input: current.input, settings: current.settings, target: report.measurement, report });
}

function showMatches(r: { matches: readonly { vcpus: number; profile: string; era: string; vcpuType: string | null; guestFeatures: bigint | null }[]; evaluated: number; searched: string; order?: string }): void {
  const box = $('identify-result');
  if (r.matches.length === 0) {
    setVerdict('No configuration of these inputs gives the report\'s measurement.', 'bad');
    box.replaceChildren(el('p', { class: 'hint' }, `Searched ${r.evaluated.toLocaleString()} configurations: ${r.searched}.`));
    return;
  }
  setVerdict(`The report comes from ${r.matches.length === 1 ? 'another configuration' : `one of ${r.matches.length} other configurations`} of these inputs:`, 'bad');
  const list = el('ul', { 'data-testid': 'identify-matches' }, ...r.matches.map((x) => {
    const label = `${x.profile}/${x.era}, ${x.vcpus} vCPU${x.vcpus === 1 ? '' : 's'}${x.vcpuType ? `, ${x.vcpuType}` : ''}${x.guestFeatures !== null ? `, guest features 0x${x.guestFeatures.toString(16)}` : ''}`;
    const use = el('button', { type: 'button', class: 'link' }, 'use this configuration');
    use.addEventListener('click', () => {
      profileSel.value = x.profile; updateEras(x.era);
      input('vcpus').value = String(x.vcpus);
      if (x.vcpuType) vcpuType.value = x.vcpuType;
      if (x.guestFeatures !== null) input('guest-features').value = `0x${x.guestFeatures.toString(16)}`;
      measureNow();
    });
    return el('li', {}, label, ' ', use);
  }));
  box.replaceChildren(list, el('p', { class: 'hint' }, `Searched ${r.evaluated.toLocaleString()} configurations. ${r.order ?? ''}`));
}

input<HTMLTextAreaElement>('report-text').addEventListener('input', () => {
  const text = input<HTMLTextAreaElement>('report-text').value.trim();
  loadReport(text ? new TextEncoder().encode(text) : undefined);
});
input('report-file').addEventListener('change', async () => {
  const f = fileOf('report-file');
  input('report-file').classList.toggle('has-file', !!f);
  loadReport(f ? new Uint8Array(await f.arrayBuffer()) : undefined);
});
$('identify-cancel').addEventListener('click', () => {
  gens.identify++;
  progress('identify', undefined);
  worker.postMessage({ lane: 'identify', gen: gens.identify, type: 'cancel' });
  $('identify-result').replaceChildren(el('p', { class: 'hint' }, 'Search stopped.'));
});

// ---- drag and drop: files are recognised by their contents ----

function setFiles(id: string, files: File[]): void {
  const dt = new DataTransfer();
  for (const f of files) dt.items.add(f);
  const i = input(id);
  i.files = dt.files;
  i.classList.toggle('has-file', files.length > 0);
}

async function sniff(f: File): Promise<'igvm' | 'manifest' | 'report' | 'binary'> {
  const head = new Uint8Array(await f.slice(0, 64).arrayBuffer());
  if (head[0] === 0x49 && head[1] === 0x47 && head[2] === 0x56 && head[3] === 0x4d) return 'igvm';
  if (f.size === 0x4a0) return 'report';
  const text = new TextDecoder().decode(head).trimStart();
  if (text.startsWith('{') && f.size < 16 << 20) return 'manifest';
  if (f.size < 8192 && /^(0x)?[0-9a-fA-F\s]+$|^[A-Za-z0-9+/=_\s-]+$/.test(text)) return 'report';
  return 'binary';
}

async function dropFiles(files: File[]): Promise<void> {
  const extra: File[] = [];
  const notes: string[] = [];
  for (const f of files) {
    const kindOf = await sniff(f);
    if (kindOf === 'igvm') { setFiles('igvm', [f]); setKind('igvm'); notes.push(`${f.name}: IGVM file`); }
    else if (kindOf === 'manifest') { setFiles('manifest', [f]); setKind('regions'); notes.push(`${f.name}: manifest`); }
    else if (kindOf === 'report') {
      input<HTMLTextAreaElement>('report-text').value = '';
      setFiles('report-file', [f]);
      loadReport(new Uint8Array(await f.arrayBuffer()));
      notes.push(`${f.name}: attestation report`);
    } else extra.push(f);
  }
  if (extra.length) {
    if (kind() === 'regions') {
      setFiles('manifest-files', [...(input('manifest-files').files ?? []), ...extra]);
      notes.push(`${extra.map((f) => f.name).join(', ')}: manifest files`);
    } else {
      // The first other file is the firmware; a second one, while there is a firmware, stays unassigned.
      setFiles('firmware', [extra[0]!]);
      if (kind() !== 'ovmf') setKind('ovmf');
      notes.push(`${extra[0]!.name}: OVMF firmware`);
      if (extra.length > 1) notes.push(`${extra.slice(1).map((f) => f.name).join(', ')}: not used (choose kernel, initrd or SVSM in their fields)`);
    }
  }
  $('status').textContent = `Dropped: ${notes.join('; ')}.`;
  measureNow();
}

let dragDepth = 0;
document.addEventListener('dragenter', (e) => { if (e.dataTransfer?.types.includes('Files')) { dragDepth++; document.body.classList.add('dragging'); } });
document.addEventListener('dragleave', () => { if (--dragDepth <= 0) { dragDepth = 0; document.body.classList.remove('dragging'); } });
document.addEventListener('dragover', (e) => { if (e.dataTransfer?.types.includes('Files')) e.preventDefault(); });
document.addEventListener('drop', (e) => {
  dragDepth = 0;
  document.body.classList.remove('dragging');
  // Drops onto a file field fill that field (the browser does it); elsewhere, files are sniffed.
  if ((e.target as HTMLElement).tagName === 'INPUT') return;
  e.preventDefault();
  const files = [...(e.dataTransfer?.files ?? [])];
  if (files.length) void dropFiles(files);
});

setKind(kind());
measureNow();
