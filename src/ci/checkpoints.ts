/**
 * Checkpoints: the launch digest after each origin group of a plan, so a lock can say where two
 * launches part without storing their logs. A group is a maximal stretch of consecutive runs from
 * one origin: the firmware, one metadata section, the kernel-hashes page, one region, one IGVM
 * directive kind (consecutive PAGE_DATA headers form one group: a COCONUT image has thousands),
 * and each VMSA on its own.
 *
 * Groups are measured one after another by the engine, each seeded with the digest the previous
 * one left (the chain only carries that digest), so large runs keep the engine's streaming paths.
 */
import { fail } from '../errors.js';
import { toHex } from '../bytes.js';
import { defaultSuite, type HashSuite } from '../hash/suite.js';
import { measurePlan } from '../engine.js';
import { PageType } from '../snp/page-info.js';
import { countSteps, type LaunchPlan, type LaunchRun, type StepOrigin } from '../plan.js';

export interface Checkpoint {
  /** `firmware`, `metadata 2 SNP_SECRETS`, `kernel-hashes 3 SNP_KERNEL_HASHES`, `region 3 COPY+MEASURE`, `igvm 8-17 PAGE_DATA NORMAL`, `vmsa 0 BSP`. */
  readonly group: string;
  /** Launch updates in this group. */
  readonly steps: number;
  /** The launch digest after the group (lowercase hex). */
  readonly digest: string;
}

/** The group a plan starts from when it has a seed (a precomputed firmware digest). */
export const SEED_GROUP = 'seed';

/** Origin kinds whose index counts directives rather than sections or regions: consecutive ones of one detail form a group. */
const DIRECTIVE_KINDS = new Set(['igvm']);

function groupKey(run: LaunchRun): string {
  const o = run.origin;
  return DIRECTIVE_KINDS.has(o.kind) ? `${o.kind}\u0000${o.detail ?? ''}` : `${o.kind}\u0000${o.index ?? ''}`;
}

function groupLabel(first: StepOrigin, last: StepOrigin): string {
  const range = first.index === undefined ? '' : last.index !== undefined && last.index !== first.index ? ` ${first.index}-${last.index}` : ` ${first.index}`;
  return `${first.kind}${range}${first.detail ? ` ${first.detail}` : ''}`;
}

/** The runs of a plan split into groups; a VMSA run is always a group of its own. */
export function groupRuns(runs: readonly LaunchRun[]): LaunchRun[][] {
  const groups: LaunchRun[][] = [];
  let current: LaunchRun[] | undefined;
  for (const run of runs) {
    const prev = current?.[current.length - 1];
    const joins = prev !== undefined && run.pageType !== PageType.Vmsa && prev.pageType !== PageType.Vmsa && groupKey(prev) === groupKey(run);
    if (joins) current!.push(run);
    else groups.push((current = [run]));
  }
  return groups;
}

export interface CheckpointOptions {
  readonly hashes?: HashSuite;
}

/** Measures runs group by group from `start` (48 bytes); returns a checkpoint per group. */
export function measureGroups(runs: readonly LaunchRun[], start: Uint8Array | undefined, o: CheckpointOptions = {}): Checkpoint[] {
  const hashes = o.hashes ?? defaultSuite;
  const out: Checkpoint[] = [];
  let digest = start;
  for (const group of groupRuns(runs)) {
    const r = measurePlan({ ...(digest ? { seed: digest } : {}), runs: group }, { hashes, maxSteps: Number.MAX_SAFE_INTEGER });
    digest = r.digest;
    out.push({ group: groupLabel(group[0]!.origin, group[group.length - 1]!.origin), steps: r.steps, digest: toHex(r.digest) });
  }
  return out;
}

/** Every checkpoint of a plan: the seed first when the plan has one. */
export function planCheckpoints(plan: LaunchPlan, o: CheckpointOptions = {}): Checkpoint[] {
  const seed = plan.seed ? [{ group: SEED_GROUP, steps: 0, digest: toHex(plan.seed) }] : [];
  return [...seed, ...measureGroups(plan.runs, plan.seed, o)];
}

/** The digest a list of checkpoints ends with (the launch digest). */
export function finalDigest(checkpoints: readonly Checkpoint[]): string {
  return checkpoints.length ? checkpoints[checkpoints.length - 1]!.digest : toHex(new Uint8Array(48));
}

/** Refuses a plan longer than the cap before any hashing starts. */
export function checkStepCap(plan: LaunchPlan, cap: number, what: string): void {
  const steps = countSteps(plan);
  if (steps > cap) fail('too-many-steps', `${what}: the launch has ${steps} steps (more than ${cap}; maxSteps raises the cap)`);
}
