/**
 * vmfw-measure for Node (`vmfw-measure/node`): the same API as the platform-neutral entry, with
 * node:crypto hashing and file options that may be paths (relative to `cwd`, default the
 * process's working directory); a manifest's own file sources resolve beside the manifest.
 */
import { bytesSource } from '../launch/description.js';
import {
  filesOpener, identifyWith, measureIgvmWith, measureOvmfWith, measureRegionsWith, optionsArgument, referenceValuesWith, verifyReportWith,
  type CallOptions, type Environment, type FileInput, type IdentifyResult, type LaunchOptions, type MatrixOptions, type Measurement,
  type ReferenceFormat, type SweepOptions, type VerifyExpectations, type VerifyResult, type ReferenceOptions,
} from '../api/measure.js';
import type { ReferenceOutput } from '../attestation/reference-formats.js';
import { openInput, openerIn } from './inputs.js';
import type { FileOpener } from '../regions/manifest.js';
import { readInputFile } from './files.js';

export * from '../index.js';
export { nodeSuite } from '../hash/node-suite.js';
export { measurePlanParallel, type ParallelOptions } from './parallel.js';

/** Options for path-taking calls: where relative paths start. */
export interface NodeCallOptions extends CallOptions { readonly cwd?: string }

function environment(cwd: string | undefined): Environment {
  const base = cwd ?? process.cwd();
  // A manifest given as bytes, text or an object opens the files it names from `files` when that
  // is given (and only from it: a caller passing a manifest it was handed decides what it may
  // read), else from disk relative to `cwd` (a manifest given as a path: relative to its folder).
  const opener = (files: Readonly<Record<string, Uint8Array>> | undefined): FileOpener => (files ? filesOpener(files) : openerIn(base));
  return {
    open(value, what, files, key) {
      if (value instanceof Uint8Array) return bytesSource(value, what, opener(files));
      if (typeof value === 'string' && files && Object.hasOwn(files, value)) return bytesSource(files[value]!, value, opener(files));
      return openInput(value, what, base, key);
    },
  };
}

/** Digest of a classic OVMF launch; file options may be paths. */
export async function measureOvmf(options: LaunchOptions & NodeCallOptions): Promise<Measurement> {
  const { cwd, ...rest } = optionsArgument(options, 'measureOvmf(options)');
  return measureOvmfWith(environment(cwd), rest);
}

/** Digest after a region-list update; `manifest` may be a path (its file sources resolve beside it). */
export async function measureRegions(manifest: FileInput | object, options?: LaunchOptions & NodeCallOptions): Promise<Measurement> {
  const { cwd, ...rest } = optionsArgument(options, 'measureRegions(manifest, options)', true);
  return measureRegionsWith(environment(cwd), manifest, rest);
}

/** Digest of an IGVM image, given as bytes or a path. */
export async function measureIgvm(image: FileInput, options?: LaunchOptions & NodeCallOptions): Promise<Measurement> {
  const { cwd, ...rest } = optionsArgument(options, 'measureIgvm(image, options)', true);
  return measureIgvmWith(environment(cwd), image, rest);
}

/** Reference values over a matrix, as the text the CLI prints. */
export async function referenceValues(launch: SweepOptions & { cwd?: string }, matrix?: MatrixOptions, format: ReferenceFormat = 'json', options?: ReferenceOptions): Promise<ReferenceOutput> {
  const { cwd, ...rest } = optionsArgument(launch, 'referenceValues(launch)');
  return referenceValuesWith(environment(cwd), rest, matrix, format, options);
}

/**
 * Checks a report (bytes or a path) against expected digests, a reference-value file's text or
 * bytes, or a launch (whose files may be paths).
 */
export async function verifyReport(report: Uint8Array | string, expected: VerifyExpectations & { cwd?: string }): Promise<VerifyResult> {
  const { cwd, ...rest } = optionsArgument(expected, 'verifyReport(report, expected)');
  const bytes = typeof report === 'string' ? readInputFile(report, 'report', cwd ?? process.cwd(), 'report') : report;
  return verifyReportWith(environment(cwd), bytes, rest);
}

/** The configurations that explain a report (bytes or a path) or a digest string. */
export async function identify(report: Uint8Array | string, launch: SweepOptions & { cwd?: string }): Promise<IdentifyResult> {
  const { cwd, ...rest } = optionsArgument(launch, 'identify(report, launch)');
  const input = typeof report === 'string' && !/^(0x)?[0-9a-fA-F]{96}$/.test(report.trim()) && report.length !== 64 ? readInputFile(report, 'report', cwd ?? process.cwd(), 'report') : report;
  return identifyWith(environment(cwd), input, rest);
}
