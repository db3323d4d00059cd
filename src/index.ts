/**
 * vmfw-measure: AMD SEV-SNP launch digests, platform-neutral entry (imports nothing from `node:`;
 * runs in browsers with @noble/hashes). `vmfw-measure/node` adds file paths, node:crypto and
 * worker threads.
 *
 * First layer: one call per command, options named as the CLI's long options in camelCase.
 * Second layer: launch plans and the engine, for front-ends of your own.
 */
import {
  bytesEnvironment, identifyWith, measureIgvmWith, measureOvmfWith, measureRegionsWith, referenceValuesWith, verifyReportWith,
  type CallOptions, type FileInput, type IdentifyResult, type LaunchOptions, type Measurement, type ReferenceFormat,
  type SweepOptions, type VerifyExpectations, type VerifyResult, type ReferenceOptions, type MatrixOptions,
} from './api/measure.js';
import type { ReferenceOutput } from './attestation/reference-formats.js';
import type { DigestEncoding } from './attestation/reference-values.js';

export type { CallOptions, FileInput, IdentifyResult, LaunchOptions, Measurement, ReferenceFormat, SweepOptions, VerifyExpectations, VerifyResult, DigestEncoding, ReferenceOptions, ReferenceOutput };
export type { ConfigurationDigest, MatrixAliases, VerifyCheck, ReferenceResultJson } from './api/measure.js';
export type { MatrixOptions };
export type { ReferenceEntryJson, ReferenceMatchJson } from './attestation/reference-reader.js';

/**
 * Digest of a classic OVMF launch (`vmfw-measure ovmf`). `mode` defaults to `snp`.
 * @example (await measureOvmf({ ovmf: bytes, vcpus: 4, vcpuType: 'EPYC-Milan' })).digest
 */
export async function measureOvmf(options: LaunchOptions & CallOptions): Promise<Measurement> {
  return measureOvmfWith(bytesEnvironment, options);
}

/** Digest after a vmfwupdate region-list update (`vmfw-measure regions`); files the manifest names come from `files`. */
export async function measureRegions(manifest: FileInput | object, options?: LaunchOptions & CallOptions): Promise<Measurement> {
  return measureRegionsWith(bytesEnvironment, manifest, options);
}

/** Digest of an IGVM image (`vmfw-measure igvm`); `vcpus` defaults to 1, `semantics` to `qemu`. */
export async function measureIgvm(image: FileInput, options?: LaunchOptions & CallOptions): Promise<Measurement> {
  return measureIgvmWith(bytesEnvironment, image, options);
}

/**
 * Reference values over a configuration matrix (`vmfw-measure reference-values`): the text the CLI
 * prints and its notes. The matrix takes the option keys or the aliases earlier `--matrix` files
 * used (`vcpuTypes`, `vcpuSignatures`, `profiles`), not both.
 */
export async function referenceValues(launch: SweepOptions, matrix?: MatrixOptions, format: ReferenceFormat = 'json', options?: ReferenceOptions): Promise<ReferenceOutput> {
  return referenceValuesWith(bytesEnvironment, launch, matrix, format, options);
}

/**
 * Checks an attestation report's measurement and fields (`vmfw-measure verify`), with its option
 * names: the measurement as `expected` digests, a `referenceValues` file's text or bytes (the
 * result names the entry that matched) or a `launch`; plus `hostData`, `policy`, `forbidDebug`,
 * `idKeyDigest`, `authorKeyDigest`, `reportData`. Signatures are not checked.
 */
export async function verifyReport(report: Uint8Array, expected: VerifyExpectations): Promise<VerifyResult> {
  return verifyReportWith(bytesEnvironment, report, expected);
}

/** The configurations of a launch that explain a report's measurement (`vmfw-measure identify`). */
export async function identify(report: Uint8Array | string, launch: SweepOptions): Promise<IdentifyResult> {
  return identifyWith(bytesEnvironment, report, launch);
}

// ---- second layer: plans, the engine, formats ----

/** Every error is a MeasureError with a stable `code` (see docs/errors.md). */
export { MeasureError, ERROR_CODES, isMeasureError, type ErrorCode, type ErrorDetails } from './errors.js';
export { toHex, fromHex, toBase64, fromBase64 } from './bytes.js';
export { OPTIONS, optionKey, type OptionDecl } from './options/table.js';
export { describeLaunch, bytesSource, type DescribeOptions, type LaunchDescription, type OpenInput, type Source } from './launch/description.js';
export { ovmfModePlan, singleConfig, searchSpace, type BuildContext, type OpenedLaunch } from './launch/build.js';
export { openLaunch } from './launch/open.js';
export { defaultSuite, useHashSuite, type HashSuite, type Hasher } from './hash/suite.js';
/** @noble/hashes: the default where node:crypto is not found (browsers). */
export { nobleSuite } from './hash/noble-suite.js';
export { PageType, PAGE_TYPE_NAMES, LaunchDigest, encodePageInfo, PAGE_SIZE, DIGEST_SIZE, PAGE_INFO_SIZE } from './snp/page-info.js';
export { measurePlan, type LogRecord, type MeasureOptions, type MeasureResult } from './engine.js';
export { countSteps, describeOrigin, type LaunchPlan, type LaunchRun, type RunContents, type StepOrigin } from './plan.js';
export { PROFILES, resolveProfile, resolveVmsaGpa, type VmmProfile } from './profiles.js';
export { cpuSignature, resolveVcpuType, VCPU_TYPES, VCPU_TYPE_NAMES } from './cpu.js';
export { parseFirmware, type FirmwareInfo, type FirmwareLayout, type MetadataSection } from './ovmf/firmware.js';
export { buildSnpOvmfPlan, buildOvmfHashPlan, type FirmwareImage, type SnpOvmfLaunch, type BuiltPlan } from './ovmf/launch.js';
export { cmdlineHash, type DirectBootHashes } from './ovmf/kernel-hashes.js';
export { RULES_VERSION, REGION_FLAGS } from './regions/format.js';
export { replayRegions, type ReplayLaunch, type ReplayInput, type ReplayedLaunch, type RegionSpec } from './regions/replay.js';
export { parseManifest, formatManifest, type Manifest } from './regions/manifest.js';
export { parseIgvm, type IgvmFile } from './igvm/parse.js';
export { measureIgvm as measureIgvmPlan, IGVM_SEMANTICS, type IgvmMeasureOptions, type IgvmMeasurement, type IgvmSemantics, type ApVmsaPolicy } from './igvm/measure.js';
export { parseReport, buildReport, reportVersionFields, type AttestationReport, type FirmwareVersion, type ReportFields } from './attestation/report.js';
export { parseLog, compareLogs, type LogComparison, type LogDifference } from './attestation/log-diff.js';
export {
  ovmfLaunch, sweep, type ConfigurableLaunch, type LaunchConfig, type ConfigResult, type OvmfLaunchInputs, type SearchSpace, type SweepReport,
} from './attestation/launch-space.js';
export { regionsLaunch, type RegionsLaunchInputs } from './launch/regions-launch.js';
export { igvmLaunch } from './launch/igvm-launch.js';
export { VERSION } from './version.js';
export { goSevGuestConfigs, goSevGuestStream, checkGuestPolicy, readCheckConfig, DEFAULT_GUEST_POLICY, type GoSevGuestConfig } from './attestation/go-sev-guest.js';
export { contrastReferenceValues, extendApeipDigest, CONTRAST_PRODUCTS, type ContrastOutput } from './attestation/contrast.js';
export { trusteeRegistrationMessage, trusteeOperatorFile, trusteeSample } from './attestation/trustee.js';
export { readReferenceValues, matchReferences, describeMatch, describeMismatch, type ReferenceSet, type ReferenceEntry } from './attestation/reference-reader.js';
export { measurementSet } from './attestation/reference-values.js';
