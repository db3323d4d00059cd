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
import { FILE_OPTIONS, settingsOfResult, type Measurement, type Settings } from './measure.js';
import { REFERENCE_ENCODINGS, type ReferenceFormat } from '../../src/attestation/reference-formats.js';
import { optionByKey } from '../../src/options/table.js';
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

/** An option's values as the vocabulary declares them (src/options/table.ts), optionally after a blank "not given". */
function fillChoices(id: string, key: string, labels: Record<string, string> = {}, blank?: string): HTMLSelectElement {
  const sel = input<HTMLSelectElement>(id);
  const choices = optionByKey(key)?.choices ?? [];
  fillSelect(sel, blank !== undefined ? ['', ...choices] : choices, blank !== undefined ? '' : optionByKey(key)?.default, { ...(blank !== undefined ? { '': blank } : {}), ...labels });
  return sel;
}

const vcpuType = input<HTMLSelectElement>('vcpu-type');
const vcpuSig = input('vcpu-sig');
const eraSel = input<HTMLSelectElement>('era');
fillSelect(vcpuType, VCPU_TYPE_NAMES, 'EPYC-v4');
const profileSel = fillChoices('profile', 'vmmType', { qemu: 'qemu (QEMU/KVM)', ec2: 'ec2 (AWS EC2)', gce: 'gce (Google Compute Engine)' });
fillChoices('product', 'product', {}, 'not given');
fillChoices('unknown-sections', 'unknownSections', { error: 'error (refuse)', zero: 'zero (measure as ZERO, as QEMU)' });
fillChoices('measured-zero', 'measuredZero', { native: 'native (SNP ZERO pages)', normal: 'normal (NORMAL pages of zeros)' }, "the manifest's");
fillChoices('firmware-metadata', 'firmwareMetadata', { none: 'none', ovmf: "ovmf (also the firmware's SEV metadata)" }, "the manifest's");
fillChoices('semantics', 'semantics', { 'qemu': 'qemu (QEMU/KVM)', 'igvm-crate': 'igvm-crate (microsoft/igvm)', 'igvmmeasure': 'igvmmeasure (COCONUT)' });
fillChoices('ap-vmsa', 'apVmsa', { reset: 'reset (reset state)', bsp: 'bsp (copy of vCPU 0)', none: 'none' });
fillChoices('igvm-measured-zero', 'measuredZero', { native: 'native (SNP ZERO pages)', normal: 'normal (NORMAL pages of zeros)' });
input<HTMLSelectElement>('igvm-measured-zero').value = 'normal';
const syncVcpuSig = (): void => { vcpuType.disabled = vcpuSig.value.trim() !== ''; };
vcpuSig.addEventListener('input', syncVcpuSig);

function updateEras(era?: string): void {
  const family = PROFILES[profileSel.value as keyof typeof PROFILES];
  fillSelect(eraSel, Object.keys(family.eras), era ?? family.defaultEra);
  const p = family.eras[eraSel.value]!;
  $('profile-summary').textContent = `${p.summary}.${p.usesVcpuSignature ? '' : ' This profile does not use the vCPU type.'}`;
}
updateEras();

const text = (id: string): string => input(id).value.trim();
const choice = (id: string): string => input<HTMLSelectElement>(id).value;

/** The chosen launch: its files by option key and its other options, as the command line spells them. */
function wireInput(): WireInput | undefined {
  const k = kind();
  const ids: Record<string, string> = { ovmf: 'firmware', kernel: 'kernel', initrd: 'initrd', svsm: 'svsm', manifest: 'manifest', igvm: 'igvm' };
  const files: Record<string, File> = {};
  for (const key of FILE_OPTIONS[k]) { const f = fileOf(ids[key]!); if (f) files[key] = f; }
  if (!files[k === 'regions' ? 'manifest' : k]) return undefined;
  let options: Record<string, string | boolean>;
  if (k === 'igvm') {
    options = { semantics: choice('semantics'), apVmsa: choice('ap-vmsa'), measuredZero: choice('igvm-measured-zero'), fileOrder: input('file-order').checked };
  } else if (k === 'regions') {
    options = { measuredZero: choice('measured-zero'), firmwareMetadata: choice('firmware-metadata'), apResetEip: text('ap-reset-eip') };
  } else {
    options = {
      append: input('append').value, unknownSections: choice('unknown-sections'), vmsaGpa: text('vmsa-gpa'),
      ...(files['svsm'] ? { varsSize: text('vars-size') } : {}),
    };
  }
  // The host CPU product is a launch option (GCE's VMSA address, Contrast's ProductName).
  options['product'] = choice('product');
  for (const [key, v] of Object.entries(options)) if (v === '') delete options[key];
  return { kind: k, files, sources: k === 'regions' ? [...(input('manifest-files').files ?? [])] : [], options };
}

/** The configuration as typed, by option key; the worker reads it as the command line reads its options. */
function settings(): WireSettings {
  const values: Settings = {
    vcpus: text('vcpus'), vcpuType: vcpuType.value, vcpuSig: text('vcpu-sig'), vmmType: profileSel.value, vmmEra: eraSel.value,
    // Disabled when the launch brings or forces its own (IGVM, snp:svsm): a value left there is not the launch's.
    guestFeatures: input('guest-features').disabled ? '' : text('guest-features'),
  };
  return { values };
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
  let s = settings();
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
    if (String(r.vcpus) === current?.settings.values.vcpus) tr.classList.add('current');
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
      $('notes').replaceChildren(...[...openedNotes, ...r.warnings].map((n) => el('li', {}, n)));
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
      $('ref-notes').replaceChildren(...m.notes.map((n) => el('li', {}, n)));
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

let openedNotes: readonly string[] = [];

/** Puts settings (a manifest's launch block, an identify match) into the form. */
function applySettings(d: Settings): void {
  if (d.vcpus !== undefined) input('vcpus').value = d.vcpus;
  if (d.vcpuType !== undefined) vcpuType.value = d.vcpuType;
  if (d.vcpuSig !== undefined) vcpuSig.value = d.vcpuSig;
  syncVcpuSig();
  if (d.vmmType !== undefined) { profileSel.value = d.vmmType; updateEras(d.vmmEra); }
  if (d.guestFeatures !== undefined) input('guest-features').value = d.guestFeatures;
}

function applyOpened(m: Extract<WorkerReply, { type: 'opened' }>): void {
  // The input's own settings (a manifest's launch block), when the worker used them.
  applySettings(m.applied);
  pendingSettings = { values: { ...pendingSettings!.values, ...m.applied } };
  openedNotes = m.notes;
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

const REF_LABELS: Record<string, string> = {
  'json': 'json (with provenance)', 'trustee': 'trustee (RVPS message)', 'trustee-sample': 'trustee-sample',
  'trustee-operator': 'trustee-operator (with expiry)', 'go-sev-guest': 'go-sev-guest (check.Config)', 'contrast': 'contrast (by product)',
};
const REF_HINTS: Record<string, string> = {
  'json': 'The measurements with the SHA-256 of every input file, named as chosen here.',
  'trustee': 'The message to register with Trustee\'s RVPS.',
  'trustee-sample': 'The {"snp_launch_measurement": [...]} the RVPS message carries.',
  'trustee-operator': 'The operator\'s reference-values.json; Trustee drops the values after their expiry.',
  'go-sev-guest': 'One check.Config per configuration; several are separated by "# ---" lines, as the command prints them (its --out-dir writes a file each).',
  'contrast': 'Contrast\'s ProductName is the host CPU product of the configuration (--product milan or genoa).',
};
const refFormat = fillChoices('ref-format', 'format', REF_LABELS);
function updateRefFormat(): void {
  const f = refFormat.value as ReferenceFormat;
  const encodings = REFERENCE_ENCODINGS[f];
  const enc = input<HTMLSelectElement>('ref-encoding');
  fillSelect(enc, encodings, encodings[0]);
  enc.disabled = encodings.length === 1;
  $('ref-policy-field').hidden = f !== 'go-sev-guest' && f !== 'contrast';
  $('ref-expires-field').hidden = f !== 'trustee-operator';
  $('ref-apeip-field').hidden = f !== 'contrast';
  $('ref-format-hint').textContent = REF_HINTS[f] ?? '';
}
refFormat.addEventListener('change', updateRefFormat);
updateRefFormat();
$('ref-download').addEventListener('click', () => {
  // The form as it is now: a change not yet measured (the product, say) counts.
  const wi = wireInput();
  if (!wi) return;
  const f = refFormat.value as ReferenceFormat;
  $('ref-notes').replaceChildren();
  try {
    const policy = text('ref-policy');
    send({
      lane: 'refvalues', type: 'refvalues', input: wi, settings: settings(), range: input('range').value,
      options: {
        format: f, ...(REFERENCE_ENCODINGS[f].length > 1 ? { encoding: choice('ref-encoding') } : {}),
        ...((f === 'go-sev-guest' || f === 'contrast') && policy ? { policy: parseUnsigned(policy, '--policy') } : {}),
        ...(f === 'trustee-operator' ? { expires: text('ref-expires') } : {}),
        ...(f === 'contrast' && input('ref-apeip').checked ? { apeip: true } : {}),
      },
    });
    $('status').textContent = 'Computing reference values…';
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
    applySettings(settingsOfResult(x));
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
