/**
 * The attestation report section: a pasted or chosen report is decoded (as `vmfw-measure report`
 * prints it) and its measurement compared with the current digest; on a mismatch the page asks
 * for an identify search and lists the configurations that match, each one click away.
 */
import { byId as $, el } from './dom.js';
import { parseReport, reportRows, type AttestationReport } from './report-view.js';
import type { IdentifyResult } from './measure.js';
import { toHex } from '../../src/bytes.js';
import { isMeasureError } from '../../src/errors.js';

type Match = IdentifyResult['matches'][number];

export interface ReportHost {
  /** The digest the page shows now, if any. */
  current(): Uint8Array | undefined;
  /** Starts the identify search for `target` over the current inputs. */
  identify(target: Uint8Array, report: AttestationReport): void;
  /** Stops a running search. */
  stop(): void;
  /** Puts a found configuration into the form and measures it. */
  use(match: Match): void;
}

export class ReportPanel {
  private report: AttestationReport | undefined;
  private readonly text = $<HTMLTextAreaElement>('report-text');
  private readonly file = $<HTMLInputElement>('report-file');

  constructor(private readonly host: ReportHost) {
    this.text.addEventListener('input', () => {
      const t = this.text.value.trim();
      this.load(t ? new TextEncoder().encode(t) : undefined);
    });
    this.file.addEventListener('change', async () => {
      const f = this.file.files?.[0];
      this.file.classList.toggle('has-file', !!f);
      this.load(f ? new Uint8Array(await f.arrayBuffer()) : undefined);
    });
    $('identify-cancel').addEventListener('click', () => {
      host.stop();
      $('identify-result').replaceChildren(el('p', { class: 'hint' }, 'Search stopped.'));
    });
  }

  /** The report's measurement as hex, when a report is loaded. */
  measurement(): string | undefined {
    return this.report ? toHex(this.report.measurement) : undefined;
  }

  /** A dropped report file: shown in the file field and loaded. */
  async loadFile(f: File): Promise<void> {
    const dt = new DataTransfer();
    dt.items.add(f);
    this.file.files = dt.files;
    this.file.classList.add('has-file');
    this.text.value = '';
    this.load(new Uint8Array(await f.arrayBuffer()));
  }

  load(bytes: Uint8Array | undefined): void {
    this.report = undefined;
    const tbody = $('report-fields').querySelector('tbody')!;
    tbody.replaceChildren();
    $('identify-result').replaceChildren();
    this.host.stop();
    if (!bytes || bytes.length === 0) { this.verdict('', ''); return; }
    try {
      this.report = parseReport(bytes, 'report');
    } catch (e) {
      if (!isMeasureError(e)) throw e;
      this.verdict(`Not a report: error[${e.code}] ${e.message}`, 'bad');
      return;
    }
    tbody.replaceChildren(...reportRows(this.report).map(([k, v]) => el('tr', {}, el('th', { scope: 'row' }, k), el('td', { class: 'mono' }, v))));
    this.check();
  }

  /** Compares the report with the current digest (called again after every measurement). */
  check(): void {
    const r = this.report;
    if (!r) return;
    const digest = this.host.current();
    if (!digest) { this.verdict(`Report measurement ${toHex(r.measurement)}. Load launch inputs to compare.`, ''); return; }
    $('identify-result').replaceChildren();
    if (toHex(digest) === toHex(r.measurement)) {
      this.host.stop();
      this.verdict('The report\'s measurement matches these inputs and this configuration.', 'ok');
      return;
    }
    this.verdict('The report\'s measurement does not match this configuration. Searching other configurations of these inputs…', 'bad');
    this.host.identify(r.measurement, r);
  }

  showMatches(r: IdentifyResult): void {
    const box = $('identify-result');
    if (r.matches.length === 0) {
      this.verdict('No configuration of these inputs gives the report\'s measurement.', 'bad');
      box.replaceChildren(el('p', { class: 'hint' }, `Searched ${r.evaluated.toLocaleString()} configurations: ${r.searched}.`));
      return;
    }
    this.verdict(`The report comes from ${r.matches.length === 1 ? 'another configuration' : `one of ${r.matches.length} other configurations`} of these inputs:`, 'bad');
    const list = el('ul', { 'data-testid': 'identify-matches' }, ...r.matches.map((x) => {
      const label = `${x.profile}/${x.era}, ${x.vcpus} vCPU${x.vcpus === 1 ? '' : 's'}${x.vcpuType ? `, ${x.vcpuType}` : ''}${x.guestFeatures !== null ? `, guest features 0x${x.guestFeatures.toString(16)}` : ''}`;
      const use = el('button', { type: 'button', class: 'link' }, 'use this configuration');
      use.addEventListener('click', () => this.host.use(x));
      return el('li', {}, label, ' ', use);
    }));
    box.replaceChildren(list, el('p', { class: 'hint' }, `Searched ${r.evaluated.toLocaleString()} configurations. ${r.order ?? ''}`));
  }

  showError(e: { code: string; message: string }): void {
    $('identify-result').replaceChildren(el('p', { class: 'error' }, `error[${e.code}] ${e.message}`));
  }

  private verdict(text: string, cls: string): void {
    const v = $('report-verdict');
    v.textContent = text;
    v.className = `verdict ${cls}`;
    v.setAttribute('data-verdict', cls);
  }
}
