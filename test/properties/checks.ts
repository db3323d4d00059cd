/**
 * The parsers under property test, each taking raw bytes so that any saved counterexample
 * (test/corpus/<name>/*.bin) can be replayed by the regular suite.
 */
import { isMeasureError } from '../../src/errors.js';
import { fromBase64, fromHex, parseUnsigned } from '../../src/bytes.js';
import { measurePlan } from '../../src/engine.js';
import { countSteps } from '../../src/plan.js';
import { resolveProfile } from '../../src/profiles.js';
import { parseFirmware } from '../../src/ovmf/firmware.js';
import { buildSnpOvmfPlan } from '../../src/ovmf/launch.js';
import { parseMetadataJson } from '../../src/ovmf/metadata-json.js';
import { parseIgvm } from '../../src/igvm/parse.js';
import { igvmmeasureCheckKvm, measureIgvm } from '../../src/igvm/measure.js';
import { decodeRegionArray, decodeStruct } from '../../src/regions/format.js';
import { ExtentMemory, bytesExtent } from '../../src/regions/memory.js';
import { parseManifest, manifestRegionSpecs, resolveLaunch } from '../../src/regions/manifest.js';
import { replayUpdate } from '../../src/regions/replay.js';
import { parseReport } from '../../src/attestation/report.js';
import { parseLog } from '../../src/attestation/log-diff.js';
import { decodeVmLaunchUpdate, launchSchedule } from '../../src/launch-update/model.js';
import { parseJsonExact } from '../../src/json-exact.js';
import { readReferenceValues } from '../../src/attestation/reference-reader.js';
import type { ParserCheck } from './harness.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytesCheck = (name: string, parse: (b: Uint8Array) => unknown, bound: (b: Uint8Array) => number): ParserCheck<Uint8Array> => ({
  name, parse, allocBound: bound, serialize: (b) => b,
});
/** Measure only plans small enough for a unit test; building them is always checked. */
const measureIfSmall = (plan: Parameters<typeof measurePlan>[0]): void => { if (countSteps(plan) <= 20_000) measurePlan(plan); };

/** Firmware tables, then a full SNP launch plan of the image under every profile. */
export const firmwareCheck = bytesCheck('firmware', (b) => {
  const info = parseFirmware(b);
  if (b.length % 4096 !== 0 || b.length === 0) return info;
  for (const profile of [resolveProfile('qemu'), resolveProfile('ec2'), resolveProfile('gce')]) {
    try {
      measureIfSmall(buildSnpOvmfPlan({ firmware: { bytes: b, info }, layout: info, vcpus: 2, profile, vcpuSignature: 0x800f12n, guestFeatures: 1n, unknownSections: 'zero' }).plan);
    } catch (e) { if (!isMeasureError(e)) throw e; }
  }
  return info;
}, (b) => 2 * b.length + 64 * 1024);

export const igvmCheck = bytesCheck('igvm', (b) => {
  const f = parseIgvm(b);
  for (const semantics of ['qemu', 'igvm-crate', 'igvmmeasure'] as const) {
    try {
      measureIfSmall(measureIgvm(f, { semantics, vcpus: 3, vcpuSignature: 0x800f12n }).plan);
    } catch (e) { if (!isMeasureError(e)) throw e; }
  }
  try { igvmmeasureCheckKvm(f); } catch (e) { if (!isMeasureError(e)) throw e; }
  return f;
}, (b) => 2 * b.length + 64 * 1024);

export const structCheck = bytesCheck('region-struct', (b) => {
  const s = decodeStruct(b.subarray(0, Math.min(b.length, 40)));
  return decodeRegionArray(b.subarray(40), Math.min(s.regionsCount, Math.floor((b.length - 40) / 32)));
}, (b) => b.length + 64);

/**
 * A whole update: a manifest-like JSON document with a struct and memory extents in hex, replayed.
 * Region sizes can name huge ZERO ranges; those plans are built and validated, not measured.
 */
export const replayCheck = bytesCheck('region-replay', (b) => {
  const doc = parseJsonExact(text(b), 'scenario') as { struct?: string; memory?: { gpa: string; hex: string }[]; manifest?: unknown; vcpus?: number };
  const memory = new ExtentMemory((doc.memory ?? []).map((e, i) => bytesExtent(parseUnsigned(e.gpa, 'gpa'), fromHex(e.hex, 'hex'), `extent ${i}`)));
  const m = parseManifest(JSON.stringify(doc.manifest ?? {}));
  const { launch } = resolveLaunch(m.launch, { vcpus: doc.vcpus ?? 1, vcpuType: 'EPYC-v4' });
  const struct = doc.struct !== undefined ? decodeStruct(fromHex(doc.struct, 'struct')) : { capabilities: 2n, firmwareSize: 0n, opaqueAddr: 0n, regionsAddr: 0n, regionsCount: m.regions.length, control: 0 };
  const out = replayUpdate({ struct, ...(doc.struct !== undefined ? {} : { regions: manifestRegionSpecs(m, () => { throw new Error('no files in properties'); }) }), memory, launch });
  if (out.outcome === 'launch') measureIfSmall(out.plan);
  return out;
}, (b) => 2 * b.length + 64 * 1024);

export const manifestCheck = bytesCheck('manifest', (b) => parseManifest(text(b)), (b) => 2 * b.length + 1024);
export const metadataJsonCheck = bytesCheck('metadata-json', (b) => parseMetadataJson(text(b)), (b) => 2 * b.length + 1024);
export const reportCheck = bytesCheck('report', (b) => parseReport(b), (b) => 2 * b.length + 4096);
export const hexCheck = bytesCheck('hex-base64', (b) => {
  const t = text(b);
  for (const f of [() => fromHex(t, 'x'), () => fromBase64(t, 'x'), () => parseUnsigned(t, 'x'), () => parseJsonExact(t, 'x')]) {
    try { f(); } catch (e) { if (!isMeasureError(e)) throw e; }
  }
}, (b) => 2 * b.length + 64);
export const logCheck = bytesCheck('launch-log', (b) => parseLog(text(b)), (b) => 2 * b.length + 64);
/** Any reference-values file verify reads (APEIP entries extended over a few counts only, to stay quick). */
export const referenceValuesCheck = bytesCheck('reference-values', (b) => readReferenceValues(text(b), 'ref', { apeipMaxVcpus: 8 }), (b) => 2 * b.length + 64 * 1024);
export const launchUpdateCheck = bytesCheck('launch-update', (b) => launchSchedule(decodeVmLaunchUpdate(b), { resets: 3 }), (b) => b.length + 64);

export const ALL_CHECKS: readonly ParserCheck<Uint8Array>[] = [
  firmwareCheck, igvmCheck, structCheck, replayCheck, manifestCheck, metadataJsonCheck, reportCheck, hexCheck, logCheck, launchUpdateCheck, referenceValuesCheck,
];
