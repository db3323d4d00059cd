/**
 * The versions of every JSON format this tool writes. Each output names its format in a
 * `format` field; the package ships a JSON Schema for each under schemas/ (`<name>.schema.json`
 * for `vmfw-measure/<name>@1`), checked against real outputs by test/schemas.test.ts, which also
 * refuses a format id written anywhere in src/ but here. A major version changes only when a
 * consumer would break: CHANGELOG.md records every change.
 *
 * Not here, on purpose: the outputs written for other tools (`reference-values --format trustee`,
 * `trustee-sample`, `trustee-operator`, `go-sev-guest`, `contrast`). They are those consumers'
 * formats and carry no `format` field, so they stay byte for byte what Trustee's RVPS, the
 * go-sev-guest `check` tool and Contrast read (docs/attestation.md names the versions checked).
 */
import type { LogRecord } from './engine.js';

export const FORMATS = {
  ovmfResult: 'vmfw-measure/ovmf-result@1',
  regionsResult: 'vmfw-measure/regions-result@1',
  regionsEncode: 'vmfw-measure/regions-encode@1',
  igvmResult: 'vmfw-measure/igvm-result@1',
  igvmInspect: 'vmfw-measure/igvm-inspect@1',
  launchUpdateResult: 'vmfw-measure/launch-update-result@1',
  launchLog: 'vmfw-measure/launch-log@1',
  referenceValues: 'vmfw-measure/reference-values@1',
  lock: 'vmfw-measure/lock@1',
  check: 'vmfw-measure/check@1',
  lockResult: 'vmfw-measure/lock-result@1',
  report: 'vmfw-measure/report@1',
  verifyResult: 'vmfw-measure/verify-result@1',
  identifyResult: 'vmfw-measure/identify-result@1',
  diffResult: 'vmfw-measure/diff-result@1',
  idBlock: 'vmfw-measure/id-block@1',
} as const;

/** One launch-log line (JSON Lines): the format, then the step record. */
export function logLine(r: LogRecord): string {
  return JSON.stringify({ format: FORMATS.launchLog, ...r });
}

/** A JSON document as this tool writes it: two-space indent, bigints as 0x-hex strings (so values above 2^53 survive), a final newline. */
export function jsonText(value: unknown): string {
  // Without a replacer first: JSON.stringify calls one for every key, which cold costs more than
  // the rest (a 256-entry reference-values set: 3 ms). A bigint makes it throw (so would a cycle,
  // which the second call throws again).
  try {
    return `${JSON.stringify(value, null, 2)}\n`;
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v), 2)}\n`;
  }
}
