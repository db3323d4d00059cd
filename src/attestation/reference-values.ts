/**
 * Reference values for attestation verifiers, from a set of measured configurations.
 * Each output format names the consumer version it was written for (docs/attestation.md).
 */
import { hex64, toHex } from '../bytes.js';
import { FORMATS } from '../formats.js';
import type { ConfigResult } from './launch-space.js';
import { encodeDigest, type DigestEncoding } from './digest-encoding.js';
import { trusteeRegistrationMessage } from './trustee.js';

export { encodeDigest, type DigestEncoding } from './digest-encoding.js';

export interface MeasurementEntry {
  readonly vcpus: number;
  readonly profile: string;
  readonly era: string;
  readonly vcpuType: string | null;
  readonly vcpuSignature: string | null;
  readonly guestFeatures: string | null;
  readonly digest: string;
}

/**
 * The `json` format. `provenance` (provenance.ts provenanceJson) names the tool, the rules and the
 * SHA-256 of every input, so the set can be audited against the files it came from.
 */
export function measurementSet(results: readonly ConfigResult[], encoding: DigestEncoding, source: Record<string, unknown>, provenance?: Record<string, unknown>): Record<string, unknown> {
  const entries: MeasurementEntry[] = results.map((r) => ({
    vcpus: r.vcpus, profile: r.profile, era: r.era, vcpuType: r.vcpuType,
    vcpuSignature: r.vcpuSignature === null ? null : hex64(r.vcpuSignature),
    guestFeatures: r.guestFeatures === null ? null : hex64(r.guestFeatures),
    digest: encodeDigest(r.digest, encoding),
  }));
  return { format: FORMATS.referenceValues, digestEncoding: encoding, source, ...(provenance ? { provenance } : {}), measurements: entries };
}

/** Trustee RVPS registration message: see trustee.ts (kept under this name for existing callers). */
export function trusteeMessage(results: readonly ConfigResult[], encoding: 'hex' | 'base64'): Record<string, unknown> {
  return trusteeRegistrationMessage(results, encoding);
}

function textprotoBytes(d: Uint8Array): string {
  let s = '';
  for (const b of d) s += `\\x${b.toString(16).padStart(2, '0')}`;
  return `"${s}"`;
}

/**
 * go-sev-guest `check` policy (textproto of check.Config), one per configuration.
 * @deprecated omits Policy.policy without `policy` and joins several configs in one text, which
 * `check -config` rejects; use goSevGuestConfigs (go-sev-guest.ts).
 */
export function goSevGuestPolicies(results: readonly ConfigResult[], policy?: bigint): string {
  return results.map((r) => [
    `# ${r.profile}/${r.era}, ${r.vcpus} vCPU${r.vcpus === 1 ? '' : 's'}${r.vcpuType ? `, ${r.vcpuType}` : ''}${r.guestFeatures !== null ? `, sev_features ${hex64(r.guestFeatures)}` : ''}`,
    'policy {',
    `  measurement: ${textprotoBytes(r.digest)}`,
    ...(policy !== undefined ? [`  policy: ${policy.toString()}`] : []),
    '}',
  ].join('\n')).join('\n# ---\n') + '\n';
}

const PRODUCT_OF: Readonly<Record<string, string>> = {
  'EPYC-Milan': 'Milan', 'EPYC-Genoa': 'Genoa', 'EPYC-Turin': 'Turin',
};

/**
 * Contrast manifest `ReferenceValues.snp` entries, one per configuration: ProductName (the vCPU
 * generation when the model names one, else Milan), TrustedMeasurement (hex) and CPUs.
 * With `apEip`, the "1-vCPU digest plus APEIP" form: the verifier extends the 1-vCPU digest to
 * any vCPU count itself, so only 1-vCPU results are written, each with the firmware's AP reset
 * EIP as 8 lowercase hex digits.
 * @deprecated guesses ProductName from the vCPU model and writes APEIP entries Contrast extends
 * wrongly; use contrastReferenceValues (contrast.ts).
 */
export function contrastEntries(results: readonly ConfigResult[], apEip?: number): Record<string, unknown>[] {
  return results.filter((r) => apEip === undefined || r.vcpus === 1).map((r) => {
    const product = Object.entries(PRODUCT_OF).find(([k]) => r.vcpuType?.startsWith(k))?.[1] ?? 'Milan';
    return {
      ProductName: product, TrustedMeasurement: toHex(r.digest), CPUs: r.vcpus,
      ...(apEip !== undefined ? { APEIP: apEip.toString(16).padStart(8, '0') } : {}),
    };
  });
}

/**
 * The labels a reference value carries about its configuration, as strings (the same spelling in
 * every format that has room for them and in what `verify` prints about a match).
 */
export type ConfigLabels = Readonly<Record<string, string>>;

export function configLabels(r: ConfigResult): ConfigLabels {
  return {
    vcpus: String(r.vcpus), profile: r.profile, era: r.era,
    ...(r.vcpuType !== null ? { vcpuType: r.vcpuType } : {}),
    ...(r.vcpuSignature !== null ? { vcpuSignature: hex64(r.vcpuSignature) } : {}),
    ...(r.guestFeatures !== null ? { guestFeatures: hex64(r.guestFeatures) } : {}),
  };
}
