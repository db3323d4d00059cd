/**
 * The text `reference-values --format F` writes, from the measured configurations and the
 * format's options: one function for every front-end (the command line, the web page), so both
 * write the same bytes for the same configurations. Files, stdout and stderr are the caller's:
 * this returns the text and the lines that go beside it ("note: ..." for stderr).
 *
 * The formats and their options are the vocabulary's (src/options/table.ts `format`, `encoding`,
 * `policy`, `expires`, `apeip`, `product`); a test keeps REFERENCE_FORMATS equal to its choices.
 */
import { fail } from '../errors.js';
import { oneOf } from '../options/table.js';
import { jsonText } from '../formats.js';
import { TOOL_NAME } from '../version.js';
import type { ConfigResult } from './launch-space.js';
import { measurementSet, type DigestEncoding } from './reference-values.js';
import { checkGuestPolicy, DEFAULT_GUEST_POLICY, goSevGuestConfigs, goSevGuestStream, goSevGuestStreamNote, type GoSevGuestConfig } from './go-sev-guest.js';
import { contrastGuestPolicy, contrastProduct, contrastReferenceValues } from './contrast.js';
import { trusteeExpiration, trusteeOperatorFile, trusteeRegistrationMessage, trusteeSample } from './trustee.js';

export const REFERENCE_FORMATS = ['json', 'trustee', 'trustee-sample', 'trustee-operator', 'go-sev-guest', 'contrast'] as const;
/** The formats `reference-values --format` writes, for Trustee, go-sev-guest, Contrast or plain JSON. */
export type ReferenceFormat = typeof REFERENCE_FORMATS[number];

/** The digest encodings each format allows, the default first (go-sev-guest writes bytes and Contrast hex: fixed). */
export const REFERENCE_ENCODINGS: Readonly<Record<ReferenceFormat, readonly DigestEncoding[]>> = {
  'json': ['hex', '0xhex', 'base64', 'base64url'],
  'trustee': ['hex', 'base64'], 'trustee-sample': ['hex', 'base64'], 'trustee-operator': ['hex', 'base64'],
  'go-sev-guest': ['hex'], 'contrast': ['hex'],
};

/** The format's options as given (undefined: not given). */
export interface ReferenceRequest {
  readonly format: string;
  readonly encoding?: string;
  /** The launch guest policy (go-sev-guest, contrast); default 0x30000. */
  readonly policy?: bigint;
  /** trustee-operator (required there): RFC 3339. */
  readonly expires?: string;
  /** contrast: the 1-vCPU digest plus the AP reset EIP. */
  readonly apeip?: boolean;
  /** The launch's --product: Contrast's ProductName. */
  readonly product?: string;
}

export interface CheckedReferenceRequest {
  readonly format: ReferenceFormat;
  readonly encoding: DigestEncoding;
  readonly policy: bigint;
  /** Normalised to UTC (trusteeExpiration). */
  readonly expires?: string;
  readonly apeip: boolean;
  readonly product?: string;
}

/** Refuses what the chosen format could not carry, before anything is measured. */
export function checkReferenceRequest(r: ReferenceRequest): CheckedReferenceRequest {
  const format = oneOf(r.format, '--format', REFERENCE_FORMATS);
  // Options that belong to one format are refused elsewhere rather than ignored.
  if (r.apeip && format !== 'contrast') fail('usage', '--apeip belongs to --format contrast');
  if (r.expires !== undefined && format !== 'trustee-operator') fail('usage', '--expires belongs to --format trustee-operator');
  if (format === 'trustee-operator' && r.expires === undefined) {
    fail('usage', '--format trustee-operator needs --expires YYYY-MM-DDTHH:MM:SSZ: Trustee drops reference values after their expiration, and the output must not depend on the clock');
  }
  const allowed = REFERENCE_ENCODINGS[format];
  if (r.encoding !== undefined && allowed.length === 1 && r.encoding.toLowerCase() !== 'hex') {
    fail('usage', `--format ${format} fixes the digest encoding (${format === 'go-sev-guest' ? 'raw bytes in a prototext string' : 'lowercase hex'}); drop --encoding`);
  }
  const encoding = oneOf(r.encoding ?? allowed[0]!, '--encoding', allowed);
  const policy = r.policy ?? DEFAULT_GUEST_POLICY;
  const expires = r.expires !== undefined ? trusteeExpiration(r.expires) : undefined;
  if (format === 'contrast') { contrastProduct(r.product); contrastGuestPolicy(policy); } else checkGuestPolicy(policy);
  return { format, encoding, policy, ...(expires !== undefined ? { expires } : {}), apeip: r.apeip ?? false, ...(r.product !== undefined ? { product: r.product } : {}) };
}

/**
 * A reference-value file as text, with the notes the CLI prints on stderr (they say what the
 * consumer still needs, so they should reach the user).
 */
export interface ReferenceOutput {
  /** What the command writes to stdout (or --out). */
  readonly text: string;
  /** Lines for stderr, each starting "note: " or "warning: ". */
  readonly notes: readonly string[];
  /** go-sev-guest: one check.Config per configuration, for front-ends that write a file each. */
  readonly configs?: readonly GoSevGuestConfig[];
}

/** The launch facts a format records: its kind (json's source) and AP reset EIP (contrast --apeip). */
export interface ReferenceLaunch {
  readonly kind: string;
  readonly apResetEip?: number;
  /** json's `source` when the values come from elsewhere than one launch (a lock); default `{ launch: kind, tool }`. */
  readonly source?: Readonly<Record<string, unknown>>;
}

/**
 * The reference values of `results` in the request's format. `provenance` (launch/provenance.ts)
 * goes into the json format only.
 */
export function referenceValuesText(results: readonly ConfigResult[], r: CheckedReferenceRequest, launch: ReferenceLaunch, provenance?: Record<string, unknown>): ReferenceOutput {
  const enc = r.encoding as 'hex' | 'base64';
  switch (r.format) {
    case 'json':
      return { text: jsonText(measurementSet(results, r.encoding, launch.source ?? { launch: launch.kind, tool: TOOL_NAME }, provenance)), notes: [] };
    case 'trustee':
      return { text: `${JSON.stringify(trusteeRegistrationMessage(results, enc))}\n`, notes: [] };
    case 'trustee-sample':
      return { text: jsonText(trusteeSample(results, enc)), notes: [] };
    case 'trustee-operator':
      return { text: jsonText(trusteeOperatorFile(results, enc, r.expires!)), notes: [] };
    case 'go-sev-guest': {
      const configs = goSevGuestConfigs(results, { policy: r.policy });
      return { text: goSevGuestStream(configs), notes: [goSevGuestStreamNote(configs.length)], configs };
    }
    case 'contrast': {
      const out = contrastReferenceValues(results, { product: r.product, policy: r.policy, ...(r.apeip ? { apeip: { apResetEip: launch.apResetEip } } : {}) });
      // Contrast's notes arrive as "note: ..." lines; anything else is a warning.
      return { text: jsonText(out.referenceValues), notes: out.warnings.map((l) => (/^(note|warning): /.test(l) ? l : `warning: ${l}`)) };
    }
  }
}
