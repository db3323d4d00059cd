/** Messages between the page and its measuring worker (worker.ts). */
import type { ConfigResult } from '../../src/attestation/launch-space.js';
import type { AttestationReport } from '../../src/attestation/report.js';
import type { IdentifyResult, LaunchKind, Measurement, RefOptions, Settings } from './measure.js';

/**
 * Launch inputs as the page sends them: File objects (read by the worker) by option key, and the
 * other launch options by key with the command line's values (measure.ts LaunchInput).
 */
export interface WireInput {
  readonly kind: LaunchKind;
  readonly files: Readonly<Partial<Record<string, File>>>;
  /** The files a manifest names. */
  readonly sources: readonly File[];
  readonly options: Readonly<Record<string, string | boolean>>;
}

/**
 * The form's settings. `inputDefaults`: the input's own settings (a manifest's launch block)
 * win over the form's, for the first measurement of a newly chosen input.
 */
export interface WireSettings { readonly values: Settings; readonly inputDefaults?: boolean }

interface Base { readonly lane: 'measure' | 'identify' | 'refvalues'; readonly gen: number; readonly input: WireInput; readonly settings: WireSettings }

export type WorkerRequest =
  | (Base & { readonly type: 'measure'; readonly range: string })
  | (Base & { readonly type: 'refvalues'; readonly range: string; readonly options: RefOptions })
  | (Base & { readonly type: 'identify'; readonly target: Uint8Array; readonly report?: AttestationReport })
  /** Stops the lane's running request (the generation moves on). */
  | { readonly lane: 'identify'; readonly gen: number; readonly type: 'cancel' };

interface ReplyBase { readonly lane: string; readonly gen: number }

export type WorkerReply = ReplyBase & (
  | { readonly type: 'opened'; readonly kind: string; readonly profiles: readonly string[]; readonly usesGuestFeatures: boolean; readonly notes: readonly string[]; readonly applied: Settings }
  | { readonly type: 'progress'; readonly done: number; readonly total: number; readonly label: string }
  | { readonly type: 'measured'; readonly measurement: Measurement; readonly ms: number }
  | { readonly type: 'table'; readonly rows: readonly Pick<ConfigResult, 'vcpus' | 'digest'>[] }
  | { readonly type: 'table-error'; readonly error: { code: string; message: string } }
  | { readonly type: 'refvalues'; readonly text: string; readonly filename: string; readonly notes: readonly string[] }
  | { readonly type: 'identified'; readonly result: IdentifyResult }
  | { readonly type: 'error'; readonly error: { code: string; message: string } }
);
