/**
 * Reference values for Trustee's RVPS (confidential-containers/trustee at 78962cd), in the three
 * shapes people hand to it. The attestation service's default policy compares
 * `input.snp.measurement` (lowercase hex, deps/verifier/src/snp) with the list registered under
 * `snp_launch_measurement`, so the list is hex unless asked otherwise (older releases compared base64).
 *
 * - message: the registration message `{"version":"0.1.0","type":"sample","payload":base64(sample)}`
 *   (rvps/src/lib.rs `Message`, MESSAGE_VERSION "0.1.0"; `rvps-tool register --path`). A second
 *   registration of a name overwrites the first (storage `set` with overwrite), so one message
 *   carries the whole list.
 * - sample: the sample provenance itself, `{"snp_launch_measurement":[...]}`
 *   (rvps/src/extractors/sample): what the message wraps, and what `rvps-tool query` prints back.
 * - operator: the trustee-operator's `rvps-reference-values` ConfigMap file `reference-values.json`,
 *   an array of rvps/src/reference_value.rs `ReferenceValue`:
 *   `[{"name":"snp_launch_measurement","expiration":"YYYY-MM-DDTHH:MM:SSZ","value":[...]}]`.
 *   `expiration` is parsed with chrono format "%Y-%m-%dT%H:%M:%SZ" exactly: UTC, a literal Z, whole
 *   seconds. It is required here so that the output never depends on the clock.
 */
import { fail } from '../errors.js';
import { toBase64 } from '../bytes.js';
import type { ConfigResult } from './launch-space.js';
import { encodeDigest } from './digest-encoding.js';

/** The RVPS reference-value name the default SNP policy queries. */
export const TRUSTEE_SNP_NAME = 'snp_launch_measurement';
/** rvps/src/lib.rs MESSAGE_VERSION: RVPS refuses any other message version. */
export const TRUSTEE_MESSAGE_VERSION = '0.1.0';

export type TrusteeEncoding = 'hex' | 'base64';

/** Distinct digests in configuration order. */
export function trusteeDigestList(results: readonly ConfigResult[], encoding: TrusteeEncoding): string[] {
  return [...new Set(results.map((r) => encodeDigest(r.digest, encoding)))];
}

/** The sample provenance `{"snp_launch_measurement":[...]}` (`--format trustee-sample`). */
export function trusteeSample(results: readonly ConfigResult[], encoding: TrusteeEncoding): { snp_launch_measurement: string[] } {
  return { [TRUSTEE_SNP_NAME]: trusteeDigestList(results, encoding) } as { snp_launch_measurement: string[] };
}

/** The registration message (`--format trustee`): the sample provenance, base64 in `payload`. */
export function trusteeRegistrationMessage(results: readonly ConfigResult[], encoding: TrusteeEncoding): { version: string; type: 'sample'; payload: string } {
  const payload = JSON.stringify(trusteeSample(results, encoding));
  return { version: TRUSTEE_MESSAGE_VERSION, type: 'sample', payload: toBase64(new TextEncoder().encode(payload)) };
}

/** The operator's reference-values.json (`--format trustee-operator --expires T`). */
export function trusteeOperatorFile(results: readonly ConfigResult[], encoding: TrusteeEncoding, expires: string): { name: string; expiration: string; value: string[] }[] {
  return [{ name: TRUSTEE_SNP_NAME, expiration: trusteeExpiration(expires), value: trusteeDigestList(results, encoding) }];
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * An RFC 3339 date-time, written the way Trustee reads it: UTC with a literal Z and whole seconds.
 * An offset is converted to UTC; fractional seconds are refused rather than silently dropped.
 */
export function trusteeExpiration(text: string, what = '--expires'): string {
  const m = RFC3339.exec(text.trim());
  if (!m) {
    return fail('expires', `${what} ${JSON.stringify(text)} is not an RFC 3339 date-time; Trustee reads YYYY-MM-DDTHH:MM:SSZ, e.g. 2027-01-01T00:00:00Z`);
  }
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  if (frac !== undefined) fail('expires', `${what} ${JSON.stringify(text)}: Trustee reads whole seconds only (format %Y-%m-%dT%H:%M:%SZ); drop ${frac}`);
  const year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  const daysIn = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (month < 1 || month > 12 || day < 1 || day > daysIn[month - 1]! || hour > 23 || minute > 59 || second > 59) {
    fail('expires', `${what} ${JSON.stringify(text)} is not a valid date and time`);
  }
  let ms = Date.UTC(year, month - 1, day, hour, minute, second);
  if (year < 100) ms = new Date(ms).setUTCFullYear(year);
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone!.startsWith('-') ? -1 : 1;
    const oh = Number(zone!.slice(1, 3)), om = Number(zone!.slice(4, 6));
    if (oh > 23 || om > 59) fail('expires', `${what} ${JSON.stringify(text)}: offset ${zone} is out of range`);
    ms -= sign * (oh * 60 + om) * 60_000;
  }
  const t = new Date(ms);
  const yyyy = t.getUTCFullYear();
  if (yyyy < 1 || yyyy > 9999) fail('expires', `${what} ${JSON.stringify(text)} falls outside years 0001-9999 once converted to UTC`);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${String(yyyy).padStart(4, '0')}-${p2(t.getUTCMonth() + 1)}-${p2(t.getUTCDate())}T${p2(t.getUTCHours())}:${p2(t.getUTCMinutes())}:${p2(t.getUTCSeconds())}Z`;
}

// ---- reading an operator file's expiration (verify --reference-values) ----

/** Rust's char::is_whitespace, which chrono skips before each numeric field. */
const RUST_WS = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*';
const YEAR = `(?:([+-])(\\d+)|(\\d{1,4}))`;
const N2 = `${RUST_WS}(\\d{1,2})`;
/** chrono 0.4.45 (Trustee's Cargo.lock) parsing "%Y-%m-%dT%H:%M:%SZ": fields of 1-2 digits, whitespace before each, literals exact. */
const CHRONO_EXPIRATION = new RegExp(`^${RUST_WS}${YEAR}-${N2}-${N2}T${N2}:${N2}:${N2}Z$`);
/** chrono's NaiveDate range: years -262144..262143. */
const CHRONO_MIN_YEAR = -262144;
const CHRONO_MAX_YEAR = 262143;

/** An expiration as RVPS reads it: the instant, and the text it came from. */
export interface TrusteeExpiry {
  readonly text: string;
  /** Milliseconds since the epoch, UTC; a leap second (:60) counts as the end of second :59. */
  readonly ms: number;
}

/**
 * An operator file's `expiration` read the way RVPS reads it (rvps/src/reference_value.rs at
 * 78962cd: `NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ")`, chrono 0.4.45): a literal T
 * and Z, no offset, no fraction, 1-2 digit fields, a real date. Anything RVPS cannot parse is
 * refused (code `reference-values`), naming the field.
 */
export function parseTrusteeExpiration(text: string, what: string): TrusteeExpiry {
  const m = CHRONO_EXPIRATION.exec(text);
  const bad = (why: string): never => fail('reference-values', `${what} ${JSON.stringify(text)} ${why}; Trustee RVPS parses it as %Y-%m-%dT%H:%M:%SZ (e.g. 2027-01-01T00:00:00Z) and refuses the reference value otherwise`);
  if (!m) return bad('is not a date-time RVPS reads');
  const [, sign, signedDigits, plainYear, mo, d, h, mi, s] = m;
  // A signed year may have any number of digits (leading zeros too); the range check bounds it.
  const digits = signedDigits?.replace(/^0+(?=\d)/, '');
  const year = digits !== undefined ? (sign === '-' ? -1 : 1) * (digits.length > 7 ? Infinity : Number(digits)) : Number(plainYear);
  if (!(year >= CHRONO_MIN_YEAR && year <= CHRONO_MAX_YEAR)) return bad(`has a year outside ${CHRONO_MIN_YEAR}..${CHRONO_MAX_YEAR}`);
  const month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const daysIn = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (month < 1 || month > 12 || day < 1 || day > daysIn[month - 1]! || hour > 23 || minute > 59 || second > 60) return bad('is not a valid date and time');
  const t = new Date(0);
  t.setUTCFullYear(year, month - 1, day);
  t.setUTCHours(hour, minute, Math.min(second, 59), 0);
  // chrono keeps :60 as second 59 plus 1e9 ns: later than every instant of :59, earlier than the next :00.
  return { text, ms: t.getTime() + (second === 60 ? 999 : 0) };
}

/** RVPS `ReferenceValue::expired`: now > expiration (a value is still valid at its expiration instant). */
export function trusteeExpired(e: TrusteeExpiry, nowMs: number): boolean {
  return nowMs > e.ms;
}
