/**
 * The measuring engine: folds every page of a launch plan into the SNP launch digest and,
 * on request, reports each step for the launch log.
 */
import { fail } from './errors.js';
import { hex64, toHex } from './bytes.js';
import { defaultSuite, type HashSuite } from './hash/suite.js';
import {
  DIGEST_SIZE, LaunchDigest, PAGE_SIZE, PAGE_TYPE_NAMES, PageType, ZERO_DIGEST, hasMeasuredContents,
} from './snp/page-info.js';
import type { LaunchPlan, LaunchRun, StepOrigin } from './plan.js';

export interface LogRecord {
  readonly step: number;
  readonly origin: StepOrigin;
  /** Page index within the run (firmware page 3, region page 0...). */
  readonly page: number;
  readonly pageType: string;
  readonly gpa: string;
  /** The CONTENTS field: SHA-384 of the page, or 48 zero bytes. Lowercase hex. */
  readonly contents: string;
  /** The launch digest after this step. */
  readonly digest: string;
}

export interface MeasureOptions {
  readonly hashes?: HashSuite;
  /** Called once per step, in order, when a launch log is wanted. */
  readonly onStep?: (record: LogRecord) => void;
}

export interface MeasureResult {
  readonly digest: Uint8Array;
  readonly steps: number;
  readonly stepsByType: Readonly<Record<string, number>>;
}

const READ_CHUNK_PAGES = 256; // 1 MiB per read keeps memory flat for streamed runs

const zeroPageDigests = new WeakMap<HashSuite, Uint8Array>();
function zeroPageDigest(h: HashSuite): Uint8Array {
  let d = zeroPageDigests.get(h);
  if (!d) { d = h.sha384(new Uint8Array(PAGE_SIZE)); zeroPageDigests.set(h, d); }
  return d;
}

function checkRun(run: LaunchRun, index: number): void {
  const where = `plan run ${index} (${run.origin.kind})`;
  if (!Number.isSafeInteger(run.pages) || run.pages < 0) fail('plan', `${where}: bad page count ${run.pages}`);
  if (run.gpa < 0n || (run.gpa & 0xfffn) !== 0n) fail('plan', `${where}: GPA ${hex64(run.gpa)} is not page aligned`);
  if (run.gpa + BigInt(run.pages) * 4096n > 1n << 64n) fail('plan', `${where}: pages run past the 64-bit GPA space`);
  const measured = hasMeasuredContents(run.pageType);
  const k = run.contents.kind;
  if (!measured && k !== 'none') fail('plan', `${where}: ${PAGE_TYPE_NAMES[run.pageType]} pages carry no contents`);
  if (measured && k === 'none') fail('plan', `${where}: ${PAGE_TYPE_NAMES[run.pageType]} pages need contents`);
  if (run.contents.kind === 'bytes' && run.contents.data.length !== run.pages * PAGE_SIZE) {
    fail('plan', `${where}: ${run.contents.data.length} content bytes for ${run.pages} pages`);
  }
  if (run.pageType === PageType.Vmsa && k === 'zero-pages') fail('plan', `${where}: a VMSA cannot be a zero page`);
}

/** Measures a launch plan and returns the final digest. */
export function measurePlan(plan: LaunchPlan, options: MeasureOptions = {}): MeasureResult {
  const hashes = options.hashes ?? defaultSuite;
  const onStep = options.onStep;
  plan.runs.forEach(checkRun);
  const ld = new LaunchDigest(plan.seed, hashes);
  const byType: Record<string, number> = {};
  let step = 0;
  // Identical VMSA pages (every AP) are hashed once: cache by the buffer identity.
  const pageDigestCache = new WeakMap<Uint8Array, Uint8Array>();

  for (const run of plan.runs) {
    const typeName = PAGE_TYPE_NAMES[run.pageType];
    byType[typeName] = (byType[typeName] ?? 0) + run.pages;
    const emit = (page: number, contents: Uint8Array): void => {
      const gpa = run.gpa + BigInt(page) * 4096n;
      const after = ld.update(run.pageType, gpa, contents);
      if (onStep) {
        onStep({
          step, origin: run.origin, page, pageType: typeName, gpa: hex64(gpa),
          contents: toHex(contents), digest: toHex(after),
        });
      }
      step++;
    };
    const c = run.contents;
    switch (c.kind) {
      case 'none':
        for (let p = 0; p < run.pages; p++) emit(p, ZERO_DIGEST);
        break;
      case 'zero-pages': {
        const z = zeroPageDigest(hashes);
        for (let p = 0; p < run.pages; p++) emit(p, z);
        break;
      }
      case 'bytes': {
        if (run.pages === 1) {
          let d = pageDigestCache.get(c.data);
          if (!d) { d = hashes.sha384(c.data); pageDigestCache.set(c.data, d); }
          emit(0, d);
        } else {
          for (let p = 0; p < run.pages; p++) emit(p, hashes.sha384(c.data.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)));
        }
        break;
      }
      case 'reader': {
        const buf = new Uint8Array(Math.min(run.pages, READ_CHUNK_PAGES) * PAGE_SIZE);
        for (let first = 0; first < run.pages; first += READ_CHUNK_PAGES) {
          const count = Math.min(READ_CHUNK_PAGES, run.pages - first);
          c.read(first, count, buf);
          for (let p = 0; p < count; p++) emit(first + p, hashes.sha384(buf.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)));
        }
        break;
      }
    }
  }
  const digest = ld.digest;
  if (digest.length !== DIGEST_SIZE) fail('plan', 'internal: digest length');
  return { digest, steps: step, stepsByType: byType };
}
