/**
 * Reference values for attestation verifiers, from a set of measured configurations.
 * Each output format names the consumer version it was written for (docs/attestation.md).
 */
import { hex64, toBase64, toHex } from '../bytes.js';
import type { ConfigResult } from './launch-space.js';

export type DigestEncoding = 'hex' | '0xhex' | 'base64' | 'base64url';

export function encodeDigest(d: Uint8Array, e: DigestEncoding): string {
  switch (e) {
    case 'hex': return toHex(d);
    case '0xhex': return `0x${toHex(d)}`;
    case 'base64': return toBase64(d);
    case 'base64url': return toBase64(d, true);
  }
}

export interface MeasurementEntry {
  readonly vcpus: number;
  readonly profile: string;
  readonly era: string;
  readonly vcpuType: string | null;
  readonly vcpuSignature: string | null;
  readonly guestFeatures: string | null;
  readonly digest: string;
}

export function measurementSet(results: readonly ConfigResult[], encoding: DigestEncoding, source: Record<string, unknown>): Record<string, unknown> {
  const entries: MeasurementEntry[] = results.map((r) => ({
    vcpus: r.vcpus, profile: r.profile, era: r.era, vcpuType: r.vcpuType,
    vcpuSignature: r.vcpuSignature === null ? null : hex64(r.vcpuSignature),
    guestFeatures: r.guestFeatures === null ? null : hex64(r.guestFeatures),
    digest: encodeDigest(r.digest, encoding),
  }));
  return { format: 'vmfw-measure-reference-values/1', digestEncoding: encoding, source, measurements: entries };
}

/**
 * Trustee RVPS registration message (sample provider): the whole list in one message, because a
 * second registration of the same name replaces the first. Hex by default; older Trustee releases
 * compared base64.
 */
export function trusteeMessage(results: readonly ConfigResult[], encoding: 'hex' | 'base64'): Record<string, unknown> {
  const digests = [...new Set(results.map((r) => encodeDigest(r.digest, encoding)))];
  const payload = JSON.stringify({ snp_launch_measurement: digests });
  return { version: '0.1.0', type: 'sample', payload: toBase64(new TextEncoder().encode(payload)) };
}

function textprotoBytes(d: Uint8Array): string {
  let s = '';
  for (const b of d) s += `\\x${b.toString(16).padStart(2, '0')}`;
  return `"${s}"`;
}

/** go-sev-guest `check` policy (textproto of check.Config), one per configuration. */
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
