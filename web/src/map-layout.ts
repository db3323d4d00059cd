/**
 * Layout of the memory map: guest physical addresses left to right, each measured run a box
 * coloured by what it is. Address ranges with measured pages are drawn to scale; a gap much
 * larger than what is measured (4 GiB between the metadata pages and the firmware, 256 TiB up
 * to the VMSA page) is cut out and drawn as a break with its size written on it.
 * Pure functions over numbers, so the layout is testable without a browser.
 */
import type { LogRun } from './log-format.js';

export type Category = 'NORMAL' | 'REGION' | 'KERNEL HASHES' | 'VMSA' | 'ZERO' | 'UNMEASURED' | 'SECRETS' | 'CPUID';

/** Legend order; colours are the Okabe-Ito palette (distinguishable with colour blindness). */
export const CATEGORIES: readonly { readonly name: Category; readonly color: string; readonly describe: string }[] = [
  { name: 'NORMAL', color: '#0072b2', describe: 'measured page contents (firmware, IGVM page data)' },
  { name: 'REGION', color: '#56b4e9', describe: 'a vmfwupdate region\'s measured pages' },
  { name: 'KERNEL HASHES', color: '#cc79a7', describe: 'the kernel/initrd/cmdline hashes page' },
  { name: 'VMSA', color: '#d55e00', describe: 'a vCPU\'s initial register state' },
  { name: 'ZERO', color: '#999999', describe: 'zero pages (contents not hashed)' },
  { name: 'UNMEASURED', color: '#dddddd', describe: 'unmeasured pages' },
  { name: 'SECRETS', color: '#e69f00', describe: 'the secrets page' },
  { name: 'CPUID', color: '#009e73', describe: 'the CPUID page' },
];

export function categoryOf(run: Pick<LogRun, 'origin' | 'pageType'>): Category {
  if (run.origin.kind === 'kernel-hashes') return 'KERNEL HASHES';
  if (run.origin.kind === 'region' && run.pageType === 'NORMAL') return 'REGION';
  return run.pageType as Category;
}

export interface MapBox {
  readonly start: bigint;
  readonly end: bigint;
  readonly category: Category;
  /** Indices of the runs drawn by this box (adjacent runs of one kind are drawn as one). */
  readonly runs: readonly number[];
  readonly lane: number;
  readonly x: number;
  readonly width: number;
}

export interface MapCluster {
  readonly start: bigint;
  readonly end: bigint;
  readonly x: number;
  readonly width: number;
}

export interface MapBreak {
  readonly x: number;
  readonly width: number;
  readonly gap: bigint;
}

export interface MapLayout {
  readonly boxes: readonly MapBox[];
  readonly clusters: readonly MapCluster[];
  readonly breaks: readonly MapBreak[];
  readonly lanes: number;
}

export interface LayoutOptions {
  readonly width: number;
  readonly breakWidth?: number;
  readonly minClusterWidth?: number;
  readonly minBoxWidth?: number;
}

const PAGE = 4096n;

/** Gaps larger than this are cut: at least 16 pages, and at least an eighth of what is measured. */
export function breakThreshold(covered: bigint): bigint {
  const eighth = covered / 8n;
  return eighth > 16n * PAGE ? eighth : 16n * PAGE;
}

interface Extent { start: bigint; end: bigint }

export function layoutMap(runs: readonly LogRun[], o: LayoutOptions): MapLayout {
  const breakWidth = o.breakWidth ?? 28;
  const minCluster = o.minClusterWidth ?? 36;
  const minBox = o.minBoxWidth ?? 2;
  const drawn = runs.map((r, i) => ({ i, start: r.gpa, end: r.gpa + BigInt(r.pages) * PAGE, category: categoryOf(r) })).filter((r) => r.end > r.start);
  if (drawn.length === 0) return { boxes: [], clusters: [], breaks: [], lanes: 0 };

  // Covered address ranges, then clusters separated by cut gaps.
  const sorted = [...drawn].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const covered: Extent[] = [];
  for (const r of sorted) {
    const last = covered[covered.length - 1];
    if (last && r.start <= last.end) { if (r.end > last.end) last.end = r.end; } else covered.push({ start: r.start, end: r.end });
  }
  const coveredBytes = covered.reduce((n, e) => n + (e.end - e.start), 0n);
  const cut = breakThreshold(coveredBytes);
  const clusters: Extent[] = [];
  for (const e of covered) {
    const last = clusters[clusters.length - 1];
    if (last && e.start - last.end <= cut) last.end = e.end; else clusters.push({ ...e });
  }

  // Widths: to scale by span, but never narrower than minCluster.
  const avail = Math.max(clusters.length * minCluster, o.width - breakWidth * (clusters.length - 1));
  const spans = clusters.map((c) => Number(c.end - c.start));
  const widths = new Array<number>(clusters.length).fill(0);
  let free = clusters.map((_, i) => i);
  let room = avail;
  for (;;) {
    const total = free.reduce((n, i) => n + spans[i]!, 0);
    const small = free.filter((i) => (spans[i]! / total) * room < minCluster);
    if (small.length === 0 || small.length === free.length) {
      for (const i of free) widths[i] = small.length === free.length ? room / free.length : (spans[i]! / total) * room;
      break;
    }
    for (const i of small) { widths[i] = minCluster; room -= minCluster; }
    free = free.filter((i) => !small.includes(i));
  }
  const placed: MapCluster[] = [];
  const breaks: MapBreak[] = [];
  let x = 0;
  clusters.forEach((c, i) => {
    if (i > 0) {
      breaks.push({ x, width: breakWidth, gap: c.start - clusters[i - 1]!.end });
      x += breakWidth;
    }
    placed.push({ start: c.start, end: c.end, x, width: widths[i]! });
    x += widths[i]!;
  });
  const xOf = (addr: bigint, c: MapCluster): number => c.x + (Number(addr - c.start) / Number(c.end - c.start)) * c.width;

  // Segments in step order: a run continuing the previous one (next address, same kind) extends
  // it; runs with identical extents (every VMSA at one GPA) share one segment.
  const segments: { start: bigint; end: bigint; category: Category; runs: number[] }[] = [];
  const byExtent = new Map<string, number>();
  for (const r of drawn) {
    const same = byExtent.get(`${r.start}:${r.end}:${r.category}`);
    if (same !== undefined) { segments[same]!.runs.push(r.i); continue; }
    const prev = segments[segments.length - 1];
    if (prev && prev.category === r.category && prev.end === r.start && prev.runs[prev.runs.length - 1] === r.i - 1 && prev.runs.length === 1 + prev.runs[prev.runs.length - 1]! - prev.runs[0]!) {
      byExtent.delete(`${prev.start}:${prev.end}:${prev.category}`);
      prev.end = r.end;
      prev.runs.push(r.i);
    } else {
      segments.push({ start: r.start, end: r.end, category: r.category, runs: [r.i] });
    }
    byExtent.set(`${segments[segments.length - 1]!.start}:${segments[segments.length - 1]!.end}:${r.category}`, segments.length - 1);
  }
  // Lanes: overlapping segments (a page measured twice) are stacked; by address, first free lane.
  const laneEnds: bigint[] = [];
  const byAddress = segments.map((_, i) => i).sort((a, b) => (segments[a]!.start < segments[b]!.start ? -1 : segments[a]!.start > segments[b]!.start ? 1 : a - b));
  const lanes = new Array<number>(segments.length).fill(0);
  for (const i of byAddress) {
    const sg = segments[i]!;
    let lane = laneEnds.findIndex((end) => end <= sg.start);
    if (lane < 0) { lane = laneEnds.length; laneEnds.push(0n); }
    laneEnds[lane] = sg.end;
    lanes[i] = lane;
  }
  const boxes: MapBox[] = segments.map((sg, i) => {
    const c = placed.find((k) => sg.start >= k.start && sg.end <= k.end)!;
    const bx = xOf(sg.start, c);
    return { start: sg.start, end: sg.end, category: sg.category, runs: sg.runs, lane: lanes[i]!, x: bx, width: Math.max(minBox, xOf(sg.end, c) - bx) };
  });
  return { boxes, clusters: placed, breaks, lanes: laneEnds.length };
}

/** 4096 → "4 KiB", 0xf0000000 → "3.75 GiB". */
export function formatSize(bytes: bigint): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = Number(bytes);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  const text = v >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(v >= 10 ? 1 : 2);
  return `${text} ${units[u]}`;
}
