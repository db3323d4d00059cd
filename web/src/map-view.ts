/** The memory map SVG (layout in map-layout.ts) with hover, tap and keyboard details. */
import { svg, el } from './dom.js';
import { CATEGORIES, formatSize, layoutMap, type MapBox, type MapLayout } from './map-layout.js';
import type { LogRun } from './log-format.js';
import { describeOrigin } from '../../src/plan.js';

const LANE_H = 34;
const TOP = 8;
const COLOR = new Map(CATEGORIES.map((c) => [c.name, c.color]));
const hex = (v: bigint): string => `0x${v.toString(16)}`;

export function renderLegend(into: HTMLElement): void {
  into.replaceChildren(...CATEGORIES.map((c) => {
    const sw = el('span', { class: 'sw', 'aria-hidden': 'true' });
    sw.style.background = c.color;
    return el('li', { title: c.describe }, sw, c.name);
  }));
}

export class MemoryMap {
  private runs: readonly LogRun[] = [];
  private layout: MapLayout | undefined;
  private selected = -1;
  private rects: SVGElement[] = [];
  private width = 0;

  constructor(private readonly wrap: HTMLElement, private readonly detail: HTMLElement, private readonly onPick: (step: number) => void) {
    new ResizeObserver(() => { if (this.wrap.clientWidth !== this.width) this.draw(); }).observe(wrap);
  }

  show(runs: readonly LogRun[]): void {
    this.runs = runs;
    this.selected = -1;
    this.draw();
    this.detail.replaceChildren();
  }

  private draw(): void {
    this.width = this.wrap.clientWidth || 800;
    const W = Math.max(300, this.width);
    const layout = layoutMap(this.runs, { width: W - 16, minClusterWidth: W < 500 ? 28 : 40, breakWidth: W < 500 ? 22 : 30 });
    this.layout = layout;
    const lanes = Math.max(1, layout.lanes);
    const axisY = TOP + lanes * LANE_H + 6;
    const H = axisY + 48;
    const root = svg('svg', {
      'data-testid': 'memory-map', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', tabindex: '0',
      'aria-label': `Memory map: ${layout.boxes.length} measured runs in ${layout.clusters.length} address ranges${layout.breaks.length ? `, ${layout.breaks.length} large gaps cut` : ''}. Arrow keys select a run.`,
    });
    const g = svg('g', { transform: 'translate(8,0)' });
    root.append(g);
    for (const c of layout.clusters) g.append(svg('rect', { class: 'track', x: c.x, y: TOP - 2, width: c.width, height: lanes * LANE_H + 4 }));
    this.rects = layout.boxes.map((b, i) => {
      const r = svg('rect', {
        class: 'box', x: b.x, y: TOP + b.lane * LANE_H, width: b.width, height: LANE_H - 6, fill: COLOR.get(b.category) ?? '#000',
        'data-box': i, 'data-category': b.category,
      }, svg('title', {}, this.summary(b)));
      g.append(r);
      return r;
    });
    // Labels: each range's first address under it (moved to a second row when it would run into
    // the previous label, right-aligned at the right edge), each cut gap's size in a third row.
    const CHAR = 6.7;
    const rowEnds = [-Infinity, -Infinity];
    layout.clusters.forEach((c) => {
      const text = hex(c.start);
      const w = text.length * CHAR;
      let x = c.x;
      let anchor = 'start';
      if (x + w > W - 16) { x = Math.max(c.x + c.width, w); anchor = 'end'; }
      const left = anchor === 'start' ? x : x - w;
      const row = left >= rowEnds[0]! + 8 ? 0 : 1;
      rowEnds[row] = left + w;
      g.append(svg('text', { class: 'axis', x, y: axisY + 10 + row * 14, 'text-anchor': anchor }, text));
    });
    layout.breaks.forEach((b) => {
      const mid = b.x + b.width / 2;
      const y0 = TOP - 4, y1 = TOP + lanes * LANE_H;
      g.append(svg('path', { class: 'brkline', d: `M${mid - 4},${y0} L${mid + 2},${(y0 + y1) / 2 - 4} L${mid - 2},${(y0 + y1) / 2 + 4} L${mid + 4},${y1}` }));
      const text = `≈ ${formatSize(b.gap)} gap`;
      const half = (text.length * 6) / 2;
      const x = Math.min(Math.max(mid, half), W - 16 - half);
      g.append(svg('text', { class: 'brk', x, y: axisY + 40, 'text-anchor': 'middle' }, text));
    });
    if (layout.boxes.length === 0) g.append(svg('text', { class: 'axis', x: 4, y: TOP + 20 }, 'no measured pages yet'));
    root.addEventListener('pointerover', (e) => this.fromEvent(e));
    root.addEventListener('click', (e) => { const i = this.fromEvent(e); if (i >= 0) this.onPick(this.firstStep(i)); });
    root.addEventListener('keydown', (e) => this.key(e));
    this.wrap.replaceChildren(root);
    if (this.selected >= 0 && this.selected < this.rects.length) this.select(this.selected);
  }

  private fromEvent(e: Event): number {
    const t = e.target as Element | null;
    const i = t?.getAttribute('data-box');
    if (i == null) return -1;
    this.select(Number(i));
    return Number(i);
  }

  private key(e: KeyboardEvent): void {
    const n = this.rects.length;
    if (n === 0) return;
    // Arrow keys walk the boxes by address; Enter shows the first step in the log.
    const order = this.layout!.boxes.map((_, i) => i).sort((a, b) => this.layout!.boxes[a]!.x - this.layout!.boxes[b]!.x);
    const at = order.indexOf(this.selected);
    let next = -1;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') next = order[Math.min(n - 1, at + 1)]!;
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') next = order[Math.max(0, at < 0 ? 0 : at - 1)]!;
    else if (e.key === 'Home') next = order[0]!;
    else if (e.key === 'End') next = order[n - 1]!;
    else if (e.key === 'Enter' && this.selected >= 0) { this.onPick(this.firstStep(this.selected)); e.preventDefault(); return; }
    if (next >= 0) { this.select(next); e.preventDefault(); }
  }

  private firstStep(box: number): number {
    return this.runs[this.layout!.boxes[box]!.runs[0]!]!.firstStep;
  }

  private select(i: number): void {
    this.rects[this.selected]?.classList.remove('sel');
    this.selected = i;
    this.rects[i]?.classList.add('sel');
    const b = this.layout?.boxes[i];
    if (b) this.detail.replaceChildren(this.details(b));
  }

  private stepRange(b: MapBox): string {
    const parts = b.runs.map((r) => this.runs[r]!);
    const contiguous = parts.every((r, k) => k === 0 || r.firstStep === parts[k - 1]!.firstStep + parts[k - 1]!.pages);
    const last = parts[parts.length - 1]!;
    const end = last.firstStep + last.pages - 1;
    if (contiguous) return end === parts[0]!.firstStep ? String(end) : `${parts[0]!.firstStep}–${end}`;
    return parts.map((r) => (r.pages === 1 ? `${r.firstStep}` : `${r.firstStep}–${r.firstStep + r.pages - 1}`)).join(', ');
  }

  private origins(b: MapBox): string {
    const names = b.runs.map((r) => describeOrigin(this.runs[r]!.origin));
    return names.length > 4 ? `${names.slice(0, 2).join(', ')} … ${names[names.length - 1]} (${names.length} runs)` : names.join(', ');
  }

  private summary(b: MapBox): string {
    return `${b.category} ${hex(b.start)}–${hex(b.end - 1n)}, ${this.origins(b)}, steps ${this.stepRange(b)}`;
  }

  private details(b: MapBox): HTMLElement {
    const pages = Number((b.end - b.start) / 4096n);
    const measuredTimes = b.runs.length > 1 && this.runs[b.runs[0]!]!.gpa === this.runs[b.runs[1]!]!.gpa ? ` (measured ${b.runs.length} times)` : '';
    const rows: [string, string][] = [
      ['type', b.category + measuredTimes],
      ['origin', this.origins(b)],
      ['GPA', `${hex(b.start)} – ${hex(b.end - 1n)}`],
      ['pages', `${pages} (${formatSize(b.end - b.start)})`],
      ['steps', this.stepRange(b)],
    ];
    return el('dl', {}, ...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  }
}
