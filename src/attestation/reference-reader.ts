/**
 * Reads back every reference-value format this tool writes, so `verify --reference-values` can
 * check a report against the very file a verifier will use: the measurement set (json), Trustee's
 * registration message, operator file and sample provenance, go-sev-guest check configs (one file,
 * a `# ---` stream, or a directory's *.textproto), Contrast's ReferenceValues (including the APEIP
 * form, extended the way Contrast extends it) and a plain list of digests.
 *
 * Each entry keeps its position in the input and the labels its format carries (vCPUs, profile,
 * vCPU type, features, product...), so a match can say which entry matched and a mismatch can list
 * the candidates. `null` where a digest, list or payload belongs is an input error naming the field.
 *
 * An entry accepts a report only where its consumer would: a Trustee operator entry past its
 * expiration (at the reader's `now`) accepts nothing, and a go-sev-guest config accepts only a
 * report whose guest policy `check` would accept against the config's `policy`. Such an entry
 * whose digest equals the report's is a refusal, which verify names, not a match.
 */
import { fail } from '../errors.js';
import { bytesEqual, fromBase64, hex64, toHex } from '../bytes.js';
import { defaultSuite, type HashSuite } from '../hash/suite.js';
import { parseJsonExact } from '../json-exact.js';
import { decodeDigest } from './digest-encoding.js';
import type { ConfigLabels } from './reference-values.js';
import { TRUSTEE_MESSAGE_VERSION, TRUSTEE_SNP_NAME, parseTrusteeExpiration, trusteeExpired } from './trustee.js';
import { goSevGuestPolicyRejection, readCheckConfig, splitGoSevGuestStream } from './go-sev-guest.js';
import { CONTRAST_APEIP_MAX_VCPUS, contrastProductByName, extendApeipDigest, parseContrastApeip } from './contrast.js';

export type ReferenceFormat =
  | 'vmfw-measure measurement set' | 'Trustee registration message' | 'Trustee operator file'
  | 'Trustee sample provenance' | 'go-sev-guest check.Config' | 'Contrast ReferenceValues' | 'list of digests' | 'vmfw-measure lock file';

/** One entry of a reference-value file: where it sits, its configuration labels, and the digests it accepts. */
export interface ReferenceEntry {
  /** Where the entry sits: "measurements[3]", "snp[0]", "[0].value[2]", a file name, "config[1]". */
  readonly position: string;
  readonly labels: ConfigLabels;
  /** The digests the entry accepts: one, or for an APEIP entry one per vCPU count (index = count - 1). */
  readonly digests: readonly Uint8Array[];
  /**
   * An APEIP entry: the 1-vCPU digest extended over vCPU counts 1..maxVcpus; the consumer itself
   * tries 1..consumerMaxVcpus (Contrast: 220), so a match above that is one it would refuse.
   */
  readonly extended?: { readonly maxVcpus: number; readonly consumerMaxVcpus: number; readonly apeip: string; readonly product: string };
  /** A Trustee operator entry past its expiration at the reader's `now`: it accepts no report. */
  readonly expired?: true;
  /** A go-sev-guest config's Policy.policy: the most permissive guest policy `check` accepts. */
  readonly guestPolicy?: bigint;
}

/** A reference-value file as read: the format it was recognised as, its entries, and what the reader skipped. */
export interface ReferenceSet {
  readonly format: ReferenceFormat;
  readonly entries: readonly ReferenceEntry[];
  /** Things the reader skipped or a verifier would do differently, for stderr. */
  readonly notes: readonly string[];
}

export interface ReadOptions {
  readonly hashes?: HashSuite;
  /** vCPU counts an APEIP entry is extended over (Contrast itself tries 1-220). */
  readonly apeipMaxVcpus?: number;
  /**
   * The time reference values are judged at (ms since the epoch): an operator entry whose
   * expiration is before it is expired. Defaults to the clock (Date.now()) when reading.
   */
  readonly now?: number;
}

export const APEIP_SEARCH_MAX_VCPUS = 512;

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: Record<string, Json>, k: string): boolean => Object.hasOwn(o, k);

function list(v: Json, what: string): Json[] {
  if (v === null) return fail('reference-values', `${what} is null; expected a list`);
  if (!Array.isArray(v)) return fail('reference-values', `${what} is ${v === undefined ? 'missing' : `a ${typeof v}`}; expected a list`);
  if (v.length === 0) return fail('reference-values', `${what} is empty: no reference value to compare with`);
  return v;
}

function object(v: Json, what: string): Record<string, Json> {
  if (!isObject(v)) return fail('reference-values', `${what} is ${v === null ? 'null' : Array.isArray(v) ? 'a list' : `a ${typeof v}`}; expected an object`);
  return v;
}

const plainEntry = (position: string, digest: Uint8Array, labels: ConfigLabels = {}): ReferenceEntry => ({ position, labels, digests: [digest] });

function digestList(v: Json, what: string, labels: ConfigLabels = {}): ReferenceEntry[] {
  return list(v, what).map((d, i) => plainEntry(`${what}[${i}]`, decodeDigest(d, `${what}[${i}]`), labels));
}

function labelString(v: Json): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function measurementSet(doc: Record<string, Json>, what: string): ReferenceSet {
  const entries = list(doc['measurements'], `${what}: measurements`).map((m, i) => {
    const pos = `measurements[${i}]`;
    const o = object(m, `${what}: ${pos}`);
    const labels: Record<string, string> = {};
    for (const k of ['vcpus', 'profile', 'era', 'vcpuType', 'vcpuSignature', 'guestFeatures']) {
      const s = labelString(o[k]);
      if (s !== undefined) labels[k] = s;
    }
    return plainEntry(pos, decodeDigest(o['digest'], `${what}: ${pos}.digest`), labels);
  });
  return { format: 'vmfw-measure measurement set', entries, notes: [] };
}

function sampleProvenance(doc: Record<string, Json>, what: string, prefix: string, format: ReferenceFormat): ReferenceSet {
  if (!has(doc, TRUSTEE_SNP_NAME)) {
    return fail('reference-values', `${what}: no ${TRUSTEE_SNP_NAME} list (the name Trustee's SNP policy queries)`);
  }
  const others = Object.keys(doc).filter((k) => k !== TRUSTEE_SNP_NAME);
  const entries = digestList(doc[TRUSTEE_SNP_NAME], `${prefix}${TRUSTEE_SNP_NAME}`);
  return { format, entries, notes: others.length ? [`ignored reference values other than ${TRUSTEE_SNP_NAME}: ${others.join(', ')}`] : [] };
}

function registrationMessage(doc: Record<string, Json>, what: string): ReferenceSet {
  const payload = doc['payload'];
  if (payload === null) return fail('reference-values', `${what}: payload is null; a Trustee message carries base64 of {"${TRUSTEE_SNP_NAME}":[...]}`);
  if (typeof payload !== 'string') return fail('reference-values', `${what}: payload is a ${Array.isArray(payload) ? 'list' : typeof payload}; expected base64 text`);
  if (doc['type'] !== 'sample') return fail('reference-values', `${what}: type ${JSON.stringify(doc['type'] ?? null)}; only "sample" messages carry a readable list`);
  const version = doc['version'] ?? TRUSTEE_MESSAGE_VERSION;
  if (version !== TRUSTEE_MESSAGE_VERSION) {
    return fail('reference-values', `${what}: message version ${JSON.stringify(version)}; Trustee RVPS accepts ${TRUSTEE_MESSAGE_VERSION} only and would refuse it`);
  }
  const inner = parseJsonExact(new TextDecoder().decode(fromBase64(payload, `${what}: payload`)), `${what}: payload`, 'reference-values');
  const set = sampleProvenance(object(inner, `${what}: payload`), `${what}: payload`, 'payload.', 'Trustee registration message');
  return set;
}

function operatorFile(doc: Json[], what: string, opts: ReadOptions): ReferenceSet {
  const now = opts.now ?? Date.now();
  const entries: ReferenceEntry[] = [];
  const others: string[] = [];
  const expired = new Set<string>();
  doc.forEach((item, i) => {
    const o = object(item, `${what}: [${i}]`);
    const name = o['name'];
    if (typeof name !== 'string') fail('reference-values', `${what}: [${i}].name is ${name === null ? 'null' : 'missing or not a string'}`);
    if (name !== TRUSTEE_SNP_NAME) { others.push(name); return; }
    const e = o['expiration'];
    if (typeof e !== 'string') fail('reference-values', `${what}: [${i}].expiration is ${e === null ? 'null' : e === undefined ? 'missing' : `a ${typeof e}`}; Trustee needs a string YYYY-MM-DDTHH:MM:SSZ`);
    const exp = parseTrusteeExpiration(e as string, `${what}: [${i}].expiration`);
    const gone = trusteeExpired(exp, now);
    if (gone) expired.add(`[${i}] (expired ${exp.text})`);
    entries.push(...digestList(o['value'], `[${i}].value`, { expiration: exp.text }).map((x) => (gone ? { ...x, expired: true as const } : x)));
  });
  if (entries.length === 0) fail('reference-values', `${what}: no entry named ${TRUSTEE_SNP_NAME}${others.length ? ` (found ${others.join(', ')})` : ''}`);
  const notes = others.length ? [`ignored reference values other than ${TRUSTEE_SNP_NAME}: ${others.join(', ')}`] : [];
  if (expired.size) notes.push(`${[...expired].join(', ')}: past the expiration at ${new Date(now).toISOString()}, so no report matches ${expired.size === 1 ? 'it' : 'them'} (RVPS: a reference value is invalid after its expiration)`);
  return { format: 'Trustee operator file', entries, notes };
}

function contrast(snp: Json, what: string, prefix: string, opts: ReadOptions): ReferenceSet {
  const max = opts.apeipMaxVcpus ?? APEIP_SEARCH_MAX_VCPUS;
  const entries = list(snp, `${what}: ${prefix}snp`).map((item, i): ReferenceEntry => {
    const pos = `${prefix}snp[${i}]`;
    const o = object(item, `${what}: ${pos}`);
    const product = contrastProductByName(o['ProductName'], `${what}: ${pos}.ProductName`);
    const digest = decodeDigest(o['TrustedMeasurement'], `${what}: ${pos}.TrustedMeasurement`);
    const labels: Record<string, string> = { product: product.name };
    if (o['APEIP'] !== undefined && o['APEIP'] !== '') {
      const eip = parseContrastApeip(o['APEIP'], `${what}: ${pos}.APEIP`);
      const apeip = (eip >>> 0).toString(16).padStart(8, '0');
      return {
        position: pos, labels: { ...labels, apeip, vcpuSignature: hex64(product.signature), guestFeatures: '0x1' },
        digests: extendApeipDigest(digest, eip, product, max, opts.hashes ?? defaultSuite),
        extended: { maxVcpus: max, consumerMaxVcpus: CONTRAST_APEIP_MAX_VCPUS, apeip, product: product.name },
      };
    }
    const cpus = labelString(o['CPUs']);
    return plainEntry(pos, digest, { ...labels, ...(cpus !== undefined && cpus !== '0' ? { vcpus: cpus } : {}) });
  });
  return { format: 'Contrast ReferenceValues', entries, notes: [] };
}

function readJson(doc: Json, what: string, opts: ReadOptions): ReferenceSet {
  if (doc === null) return fail('reference-values', `${what} is null`);
  if (Array.isArray(doc)) {
    if (doc.length === 0) return fail('reference-values', `${what} is an empty list: no reference value to compare with`);
    const firstNull = doc.findIndex((v) => v === null);
    if (firstNull >= 0) return fail('reference-values', `${what}: [${firstNull}] is null`);
    if (doc.every((v) => typeof v === 'string')) return { format: 'list of digests', entries: digestList(doc, ''), notes: [] };
    if (doc.every(isObject)) return operatorFile(doc, what, opts);
    return fail('reference-values', `${what}: a list must hold digests (strings) or Trustee reference values ({"name","expiration","value"}), not a mix`);
  }
  const o = object(doc, what);
  if (has(o, 'measurements')) return measurementSet(o, what);
  if (has(o, 'payload')) return registrationMessage(o, what);
  if (has(o, TRUSTEE_SNP_NAME)) return sampleProvenance(o, what, '', 'Trustee sample provenance');
  if (has(o, 'snp')) return contrast(o['snp'], what, '', opts);
  if (has(o, 'ReferenceValues')) return contrast(object(o['ReferenceValues'], `${what}: ReferenceValues`)['snp'], what, 'ReferenceValues.', opts);
  return fail('reference-values', `${what}: not a format vmfw-measure writes (a measurement set, a Trustee message, operator file or sample, a go-sev-guest config, Contrast reference values, or a list of digests)`);
}

function checkConfigEntry(text: string, position: string, what: string): { entry: ReferenceEntry; note?: string } {
  const c = readCheckConfig(text, what);
  const labels = { ...c.labels, ...(c.policy !== undefined ? { policy: hex64(c.policy) } : {}) };
  return {
    entry: { ...plainEntry(position, c.measurement, labels), ...(c.policy !== undefined ? { guestPolicy: c.policy } : {}) },
    ...(c.policy === undefined ? { note: `${position} has no policy.policy: go-sev-guest check would use 0 and refuse every report ("policy[17] is reserved")` } : {}),
  };
}

/** Reads a reference-values file in any format this tool writes (JSON formats or go-sev-guest prototext). */
export function readReferenceValues(text: string, what: string, opts: ReadOptions = {}): ReferenceSet {
  const t = text.trim();
  if (t === '') return fail('reference-values', `${what} is empty`);
  if (t.startsWith('{') || t.startsWith('[') || t === 'null') return readJson(parseJsonExact(t, what, 'reference-values'), what, opts);
  const parts = splitGoSevGuestStream(text);
  if (parts.length === 0) return fail('reference-values', `${what}: only comments, no check.Config`);
  const read = parts.map((p, i) => checkConfigEntry(p, parts.length === 1 ? 'config' : `config[${i}]`, parts.length === 1 ? what : `${what} config[${i}]`));
  return { format: 'go-sev-guest check.Config', entries: read.map((r) => r.entry), notes: read.flatMap((r) => (r.note ? [r.note] : [])) };
}

/** Reads a directory of go-sev-guest configs (the CLI lists it): only *.textproto, as `check` reads them as text. */
export function readGoSevGuestDirectory(files: readonly { readonly name: string; readonly text: string }[], what: string): ReferenceSet {
  const configs = files.filter((f) => f.name.endsWith('.textproto'));
  const skipped = files.filter((f) => !f.name.endsWith('.textproto')).map((f) => f.name);
  if (configs.length === 0) return fail('reference-values', `${what}: no *.textproto file (go-sev-guest check reads a config as text only with that suffix)`);
  const read = [...configs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((f) => checkConfigEntry(f.text, f.name, `${what}/${f.name}`));
  const notes = read.flatMap((r) => (r.note ? [r.note] : []));
  if (skipped.length) notes.push(`ignored ${skipped.length} file${skipped.length === 1 ? '' : 's'} not ending in .textproto: ${skipped.join(', ')}`);
  return { format: 'go-sev-guest check.Config', entries: read.map((r) => r.entry), notes };
}

// ---- matching and what to say about it ----

export interface ReferenceMatch {
  readonly entry: ReferenceEntry;
  /** For an APEIP entry, the vCPU count whose extended digest matched. */
  readonly vcpus?: number;
}

/** What of the report, besides its measurement, an entry's consumer checks. */
export interface MatchContext {
  /** The report's guest policy: a go-sev-guest config with a policy refuses one `check` would reject. */
  readonly reportPolicy?: bigint;
}

/** An entry holding the report's measurement that its consumer would still refuse, and why. */
export interface ReferenceRefusal extends ReferenceMatch {
  readonly reason: string;
}

/** Why the entry's consumer refuses the report despite the digest, or undefined. */
function refusal(entry: ReferenceEntry, ctx: MatchContext): string | undefined {
  if (entry.expired) return `expired ${entry.labels['expiration'] ?? ''}: Trustee RVPS treats a reference value as invalid after its expiration`;
  if (entry.guestPolicy !== undefined && ctx.reportPolicy !== undefined) {
    const why = goSevGuestPolicyRejection(ctx.reportPolicy, entry.guestPolicy);
    if (why !== undefined) return `go-sev-guest check rejects the report's guest policy ${hex64(ctx.reportPolicy)} against the config's policy ${hex64(entry.guestPolicy)}: ${why}`;
  }
  return undefined;
}

function digestMatches(set: ReferenceSet, measurement: Uint8Array, ctx: MatchContext): (ReferenceMatch & { readonly reason?: string })[] {
  const out: (ReferenceMatch & { reason?: string })[] = [];
  for (const entry of set.entries) {
    const i = entry.digests.findIndex((d) => bytesEqual(d, measurement));
    if (i < 0) continue;
    const reason = refusal(entry, ctx);
    out.push({ entry, ...(entry.extended ? { vcpus: i + 1 } : {}), ...(reason !== undefined ? { reason } : {}) });
  }
  return out;
}

/**
 * Every entry that accepts the report, in input order: its digest equals the measurement and its
 * consumer would not refuse it (not expired; a go-sev-guest policy that accepts `ctx.reportPolicy`).
 */
export function matchReferences(set: ReferenceSet, measurement: Uint8Array, ctx: MatchContext = {}): ReferenceMatch[] {
  return digestMatches(set, measurement, ctx).filter((m) => !('reason' in m)).map(({ entry, vcpus }) => (vcpus !== undefined ? { entry, vcpus } : { entry }));
}

/** Entries whose digest equals the measurement but whose consumer refuses the report, with the reason. */
export function refusedReferences(set: ReferenceSet, measurement: Uint8Array, ctx: MatchContext = {}): ReferenceRefusal[] {
  return digestMatches(set, measurement, ctx).filter((m): m is ReferenceRefusal => 'reason' in m);
}

const LABEL_ORDER = ['vcpus', 'profile', 'vcpuType', 'vcpuSignature', 'guestFeatures', 'product', 'apeip', 'policy', 'expiration'];

/** "vcpus 4, profile qemu/init2, vcpuType EPYC-v4, ..." or "" when the entry has no labels. */
export function formatLabels(labels: ConfigLabels): string {
  const keys = Object.keys(labels).filter((k) => k !== 'era');
  keys.sort((a, b) => (LABEL_ORDER.indexOf(a) + 1 || 99) - (LABEL_ORDER.indexOf(b) + 1 || 99));
  return keys.map((k) => (k === 'profile' && labels['era'] ? `profile ${labels[k]}/${labels['era']}` : `${k} ${labels[k]}`)).join(', ');
}

/** One line naming an entry: its position and labels, or that the format carries none. */
export function describeEntry(e: ReferenceEntry): string {
  const l = formatLabels(e.labels);
  return `${e.position}${l ? ` (${l})` : ' (position only: this format carries no labels)'}`;
}

/** What `verify` prints about a match: the entry, and for an APEIP entry the vCPU count. */
export function describeMatch(set: ReferenceSet, matches: readonly ReferenceMatch[]): string {
  const [first, ...rest] = matches;
  if (!first) return '';
  const one = (m: ReferenceMatch): string => `${describeEntry(m.entry)}${m.vcpus !== undefined ? ` extended to ${m.vcpus} vCPU${m.vcpus === 1 ? '' : 's'}` : ''}`;
  const beyond = matches.filter((m) => m.vcpus !== undefined && m.entry.extended && m.vcpus > m.entry.extended.consumerMaxVcpus);
  const warn = beyond.length && beyond.length === matches.length
    ? `\nwarning: Contrast extends APEIP entries to ${beyond[0]!.entry.extended!.consumerMaxVcpus} vCPUs only, so it would refuse this report (${beyond[0]!.vcpus} vCPUs)`
    : '';
  return `matched ${set.format} entry ${one(first)}${rest.length ? `\nalso matched: ${rest.map(one).join('; ')}` : ''}${warn}\n`;
}

/**
 * What `verify` prints on a mismatch: the entries holding the measurement that their consumer
 * refuses (expired, guest policy), then every candidate, one a line (expired ones marked).
 */
export function describeMismatch(set: ReferenceSet, measurement: Uint8Array, ctx: MatchContext = {}): string {
  const lines = set.entries.map((e) => {
    const l = formatLabels(e.labels);
    const digest = e.extended ? `${toHex(e.digests[0]!)} + APEIP ${e.extended.apeip}, extended to 1-${e.extended.maxVcpus} vCPUs` : toHex(e.digests[0]!);
    return `  ${e.position}  ${digest}${l ? `  ${l}` : ''}${e.expired ? '  EXPIRED' : ''}`;
  });
  const refused = refusedReferences(set, measurement, ctx).map((r) => `refused: ${describeEntry(r.entry)} has this measurement, but ${r.reason}\n`);
  const n = set.entries.length;
  return `${refused.join('')}no entry of the ${set.format} (${n} entr${n === 1 ? 'y' : 'ies'}) ${refused.length ? 'accepts' : 'matches'} ${toHex(measurement)}; candidates:\n${lines.join('\n')}\n`;
}

/** An entry as `verify --json` names it: its place, its labels, its digest (an APEIP entry: seed, APEIP and the vCPU range tried). */
export interface ReferenceEntryJson {
  readonly position: string;
  readonly labels: ConfigLabels;
  readonly digest?: string;
  readonly seed?: string;
  readonly apeip?: string;
  readonly vcpuRange?: string;
  /** A Trustee operator entry past its expiration: it accepts no report. */
  readonly expired?: true;
}

/** A matched entry; for an APEIP entry the vCPU count that matched, and whether the consumer would try that many. */
export interface ReferenceMatchJson extends ReferenceEntryJson {
  readonly vcpus?: number;
  readonly consumerAccepts?: false;
  readonly consumerMaxVcpus?: number;
}

/** Which entries of a reference-value file accept a measurement (`referenceValues` in `verify --json`). */
export interface ReferenceResultJson {
  readonly format: ReferenceFormat;
  /** Every entry that accepts the measurement, in file order; empty on a mismatch. */
  readonly matched: readonly ReferenceMatchJson[];
  /** On a mismatch: every entry of the file. */
  readonly candidates?: readonly ReferenceEntryJson[];
  /** Entries holding the measurement that their consumer refuses (expired, guest policy), with the reason. */
  readonly refused?: readonly (ReferenceEntryJson & { readonly reason: string })[];
}

/** The same for --json: the matched entries, or the candidates; and the refused entries when given. */
export function referenceResultJson(set: ReferenceSet, matches: readonly ReferenceMatch[], refused: readonly ReferenceRefusal[] = []): ReferenceResultJson {
  const entryJson = (e: ReferenceEntry): ReferenceEntryJson => ({
    position: e.position, labels: e.labels,
    ...(e.extended ? { seed: toHex(e.digests[0]!), apeip: e.extended.apeip, vcpuRange: `1-${e.extended.maxVcpus}` } : { digest: toHex(e.digests[0]!) }),
    ...(e.expired ? { expired: true as const } : {}),
  });
  const refusedJson = refused.length ? { refused: refused.map((r) => ({ ...entryJson(r.entry), reason: r.reason })) } : {};
  return matches.length
    ? {
      format: set.format,
      matched: matches.map((m) => ({
        ...entryJson(m.entry), ...(m.vcpus !== undefined ? { vcpus: m.vcpus } : {}),
        ...(m.vcpus !== undefined && m.entry.extended && m.vcpus > m.entry.extended.consumerMaxVcpus ? { consumerAccepts: false, consumerMaxVcpus: m.entry.extended.consumerMaxVcpus } : {}),
      })),
      ...refusedJson,
    }
    : { format: set.format, matched: [], candidates: set.entries.map(entryJson), ...refusedJson };
}
