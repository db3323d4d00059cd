/** Runs the PAGE_INFO chaining vectors (vectors/pageinfo-vectors.json). */
import { fromHex, toHex } from '../bytes.js';
import { LaunchDigest, encodePageInfo, ZERO_DIGEST, hasMeasuredContents, type PageType } from '../snp/page-info.js';
import type { HashSuite } from '../hash/suite.js';
import { defaultSuite } from '../hash/suite.js';

export interface PageUpdate { page_type: number; gpa: string; contents: string; page_info: string; digest_after: string }
export interface PageInfoStep { step: number; op: string; page_type: number; gpa: string; data_hex?: string; length?: string; page_updates: PageUpdate[]; digest_after: string }
export interface PageInfoChain { name: string; seed: string; steps: PageInfoStep[] }
export interface PageInfoFile { chains: PageInfoChain[]; single_updates: PageInfoChain[] }

export interface ChainMismatch { chain: string; step: number; page: number; field: string; expected: string; got: string }

/** Replays one chain page by page; returns the first mismatch, or null. */
export function checkChain(chain: PageInfoChain, hashes: HashSuite = defaultSuite): ChainMismatch | null {
  const ld = new LaunchDigest(fromHex(chain.seed, `${chain.name} seed`, 48), hashes);
  for (const step of chain.steps) {
    const data = step.data_hex !== undefined ? fromHex(step.data_hex, `${chain.name} step ${step.step}`) : undefined;
    for (const [i, u] of step.page_updates.entries()) {
      const pageType = u.page_type as PageType;
      const contents = hasMeasuredContents(pageType) && data ? hashes.sha384(data.subarray(i * 4096, (i + 1) * 4096)) : ZERO_DIGEST;
      const where = { chain: chain.name, step: step.step, page: i };
      if (toHex(contents) !== u.contents) return { ...where, field: 'contents', expected: u.contents, got: toHex(contents) };
      const record = encodePageInfo(ld.digest, contents, pageType, BigInt(u.gpa));
      if (toHex(record) !== u.page_info) return { ...where, field: 'page_info', expected: u.page_info, got: toHex(record) };
      const after = toHex(ld.update(pageType, BigInt(u.gpa), contents));
      if (after !== u.digest_after) return { ...where, field: 'digest_after', expected: u.digest_after, got: after };
    }
    const d = toHex(ld.digest);
    if (d !== step.digest_after) return { chain: chain.name, step: step.step, page: -1, field: 'step digest', expected: step.digest_after, got: d };
  }
  return null;
}
