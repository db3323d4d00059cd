/**
 * A launch plan is the ordered list of SNP_LAUNCH_UPDATE steps a VMM issues. Every front-end
 * (OVMF, region list, IGVM) produces one; one engine (engine.ts) measures any plan.
 *
 * Steps are grouped in runs: consecutive pages of one type at ascending GPAs from one origin.
 * A run is only a compact spelling; the engine and the log always work page by page.
 */
import type { PageType } from './snp/page-info.js';

/** Where a step came from, for logs and diffs: a firmware page, metadata section, VMSA, region... */
export interface StepOrigin {
  /** 'firmware' | 'svsm' | 'metadata' | 'kernel-hashes' | 'vmsa' | 'region' | 'igvm' ... */
  readonly kind: string;
  /** Section, vCPU, region or directive index, where the kind has one. */
  readonly index?: number;
  /** Human detail, e.g. the section type name or 'BSP'. */
  readonly detail?: string;
}

/** Reads pages of a streamed source: `count` pages starting at page `first` of the run, into `into`. */
export type PageReader = (first: number, count: number, into: Uint8Array) => void;

/**
 * Where a run's pages lie in a file: from `offset` of `path`. `identity` is the file the edge
 * opened (device and inode): whoever opens the path again checks it, so a file replaced while it
 * is measured is an error rather than a digest of two files.
 */
export interface FileRef {
  readonly path: string;
  readonly offset: number;
  readonly identity?: FileIdentity;
}
export interface FileIdentity { readonly dev: number; readonly ino: number }

/**
 * Where a run's page contents come from. Streamed and zero forms exist so a large image is
 * never held in memory and zero pages are hashed once.
 */
export type RunContents =
  /** ZERO, UNMEASURED, SECRETS and CPUID pages: the CONTENTS field is 48 zero bytes. */
  | { readonly kind: 'none' }
  /** Exactly pages x 4096 bytes held in memory. */
  | { readonly kind: 'bytes'; readonly data: Uint8Array }
  /** NORMAL pages of 4096 zero bytes (the IGVM convention); their digest is a constant. */
  | { readonly kind: 'zero-pages' }
  /**
   * Bytes streamed from a file or memory image, page by page. `file`, when given, says the pages
   * lie contiguously in a file from `offset`, so worker threads can read them without the main thread.
   */
  | {
    readonly kind: 'reader'; readonly read: PageReader; readonly describe?: string; readonly file?: FileRef;
    /** Where known without reading: which pages are all zeros (see PageSpans). */
    readonly spans?: PageSpans;
  };

/**
 * Splits pages [first, first + count) of a streamed run: the first `pages` (1 to count) pages are
 * all known zeros (`zero`: a hole of a raw memory image, the padding after a short source) or are
 * data to be read. Lets the engine fold zero spans with the zero page's constant digest, without
 * reading, allocating or touching memory per page.
 */
export type PageSpans = (first: number, count: number) => { readonly zero: boolean; readonly pages: number };

/** Consecutive pages of one type measured in order: the unit a plan is made of. */
export interface LaunchRun {
  readonly pageType: PageType;
  /** GPA of the first page; page i is at gpa + i * 4096. */
  readonly gpa: bigint;
  readonly pages: number;
  readonly contents: RunContents;
  readonly origin: StepOrigin;
  /**
   * Set only where a reference measures pages at an unaligned GPA, which the engine otherwise
   * refuses: sev-snp-measure's snp:svsm mode loads the SVSM image ending at (OVMF GPA - vars size),
   * unaligned when the vars size is not a multiple of 4096, and writes that GPA into PAGE_INFO.
   */
  readonly unalignedGpa?: true;
}

/**
 * A launch as data: the ordered page runs the firmware measures. Every front-end (OVMF, region
 * list, IGVM) produces one, and one engine (measurePlan) measures any of them.
 */
export interface LaunchPlan {
  /** Digest the chain starts from (48 bytes); 48 zero bytes when absent. */
  readonly seed?: Uint8Array;
  readonly runs: readonly LaunchRun[];
}

/** The number of launch steps (pages) a plan measures, without measuring it. */
export function countSteps(plan: LaunchPlan): number {
  let n = 0;
  for (const r of plan.runs) n += r.pages;
  return n;
}

/** A step origin as messages print it: `kind index (detail)`. */
export function describeOrigin(o: StepOrigin): string {
  const idx = o.index === undefined ? '' : ` ${o.index}`;
  return `${o.kind}${idx}${o.detail ? ` (${o.detail})` : ''}`;
}
