/**
 * The step log as a virtualised table: only the rows in view (plus a margin) exist in the DOM,
 * positioned in a spacer as tall as all rows, so 100k steps scroll as smoothly as 10.
 */
import { el } from './dom.js';
import { runOfStep, stepRow, type LogRun, type PackedLog } from './log-format.js';
import { describeOrigin } from '../../src/plan.js';

const ROW_H = 28;
const OVERSCAN = 12;
/** Browsers cap element heights (Chromium near 16.7M px); beyond it rows are mapped by ratio. */
const MAX_SPACER = 8_000_000;

export class StepLog {
  private runs: readonly LogRun[] = [];
  private log: PackedLog | undefined;
  private steps = 0;
  private hit = -1;
  private pool: HTMLElement[] = [];
  private scheduled = false;
  private readonly body: HTMLElement;
  private readonly spacer: HTMLElement;

  constructor(private readonly box: HTMLElement) {
    this.body = box.querySelector('.log-body')!;
    this.spacer = box.querySelector('.log-spacer')!;
    box.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(box);
    box.addEventListener('keydown', (e) => {
      const page = Math.max(1, Math.floor(box.clientHeight / ROW_H) - 1);
      const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
      if (e.key in moves) { this.scrollToStep(Math.max(0, Math.min(this.steps - 1, this.topStep() + moves[e.key]!)), false); e.preventDefault(); }
      else if (e.key === 'Home') { this.scrollToStep(0, false); e.preventDefault(); }
      else if (e.key === 'End') { this.scrollToStep(this.steps - 1, false); e.preventDefault(); }
    });
  }

  show(runs: readonly LogRun[], log: PackedLog | undefined, steps: number, note?: string): void {
    this.runs = runs;
    this.log = log;
    this.steps = log ? steps : 0;
    this.hit = -1;
    this.box.setAttribute('aria-rowcount', String(this.steps + 1));
    this.spacer.style.height = `${this.height()}px`;
    for (const r of this.pool) r.remove();
    this.pool = [];
    this.body.querySelector('.log-empty')?.remove();
    if (!log) this.body.append(el('div', { class: 'log-empty' }, note ?? 'Measure a launch to see its steps.'));
    this.box.scrollTop = 0;
    this.render();
  }

  private height(): number { return Math.min(this.steps * ROW_H, MAX_SPACER); }
  /** Pixels of scroll per row (ROW_H unless the spacer is capped). */
  private pitch(): number { return this.steps * ROW_H > MAX_SPACER ? MAX_SPACER / this.steps : ROW_H; }
  private topStep(): number { return Math.floor(this.box.scrollTop / this.pitch()); }

  scrollToStep(step: number, mark = true): void {
    if (!this.log || step < 0 || step >= this.steps) return;
    if (mark) this.hit = step;
    this.box.scrollTop = step * this.pitch() - (mark ? this.box.clientHeight / 3 : 0);
    this.render();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => { this.scheduled = false; this.render(); });
  }

  private render(): void {
    if (!this.log) return;
    const pitch = this.pitch();
    const first = Math.max(0, Math.floor(this.box.scrollTop / pitch) - OVERSCAN);
    const visible = Math.ceil(this.box.clientHeight / ROW_H) + 2 * OVERSCAN;
    const last = Math.min(this.steps, first + visible);
    while (this.pool.length < last - first) {
      const row = el('div', { class: 'log-row', role: 'row' });
      for (let c = 0; c < 7; c++) row.append(el('span', { role: 'cell', class: c >= 4 ? 'mono' : '' }));
      this.body.append(row);
      this.pool.push(row);
    }
    let run = first < last ? runOfStep(this.runs, first) : 0;
    for (let k = 0; k < this.pool.length; k++) {
      const row = this.pool[k]!;
      const step = first + k;
      if (step >= last) { row.hidden = true; continue; }
      while (step >= this.runs[run]!.firstStep + this.runs[run]!.pages) run++;
      const r = stepRow(this.runs, this.log, step, run);
      row.hidden = false;
      // Rows sit at their step's offset from the top of the scrolled view, so capped spacers
      // still show consecutive steps.
      const top = this.box.scrollTop + (step - this.box.scrollTop / pitch) * ROW_H;
      row.style.transform = `translateY(${top}px)`;
      row.setAttribute('aria-rowindex', String(step + 2));
      row.classList.toggle('hit', step === this.hit);
      const cells = row.children;
      const text = [String(step), describeOrigin(r.origin), String(r.page), r.pageType, r.gpa, r.contents, r.digest];
      for (let c = 0; c < 7; c++) if (cells[c]!.textContent !== text[c]) cells[c]!.textContent = text[c]!;
      if ((cells[5] as HTMLElement).title !== r.contents) (cells[5] as HTMLElement).title = r.contents;
      if ((cells[6] as HTMLElement).title !== r.digest) (cells[6] as HTMLElement).title = r.digest;
    }
  }
}
