/** Messages between the page and its measuring worker (worker.ts). */
import type { ConfigResult } from '../../src/attestation/launch-space.js';
import type { AttestationReport } from '../../src/attestation/report.js';
import type { ApVmsaPolicy, IgvmSemantics } from '../../src/igvm/measure.js';
import type { UnknownSectionPolicy } from '../../src/ovmf/launch.js';
import type { IdentifyResult, Measurement, RefOptions, Settings } from './measure.js';

/** Launch inputs as the page sends them: File objects, read by the worker. */
export type WireInput =
  | { readonly kind: 'ovmf'; readonly ovmf: File; readonly kernel?: File; readonly initrd?: File; readonly append?: string;
      readonly svsm?: File; readonly varsSize?: number; readonly product?: string; readonly unknownSections: UnknownSectionPolicy }
  | { readonly kind: 'regions'; readonly manifest: File; readonly files: readonly File[] }
  | { readonly kind: 'igvm'; readonly igvm: File; readonly semantics: IgvmSemantics; readonly apVmsa: ApVmsaPolicy; readonly nativeZero: boolean; readonly fileOrder: boolean };

/**
 * The form's settings. `inputDefaults`: the input's own settings (a manifest's launch block)
 * win over the form's, for the first measurement of a newly chosen input.
 */
export type WireSettings = Settings & { readonly inputDefaults?: boolean };

interface Base { readonly lane: 'measure' | 'identify' | 'refvalues'; readonly gen: number; readonly input: WireInput; readonly settings: WireSettings }

export type WorkerRequest =
  | (Base & { readonly type: 'measure'; readonly range: string })
  | (Base & { readonly type: 'refvalues'; readonly range: string; readonly options: RefOptions })
  | (Base & { readonly type: 'identify'; readonly target: Uint8Array; readonly report?: AttestationReport })
  /** Stops the lane's running request (the generation moves on). */
  | { readonly lane: 'identify'; readonly gen: number; readonly type: 'cancel' };

interface ReplyBase { readonly lane: string; readonly gen: number }

export type WorkerReply = ReplyBase & (
  | { readonly type: 'opened'; readonly kind: string; readonly profiles: readonly string[]; readonly usesGuestFeatures: boolean; readonly notes: readonly string[]; readonly applied: Partial<Settings> }
  | { readonly type: 'progress'; readonly done: number; readonly total: number; readonly label: string }
  | { readonly type: 'measured'; readonly measurement: Measurement; readonly ms: number }
  | { readonly type: 'table'; readonly rows: readonly Pick<ConfigResult, 'vcpus' | 'digest'>[] }
  | { readonly type: 'table-error'; readonly error: { code: string; message: string } }
  | { readonly type: 'refvalues'; readonly text: string; readonly filename: string }
  | { readonly type: 'identified'; readonly result: IdentifyResult }
  | { readonly type: 'error'; readonly error: { code: string; message: string } }
);
