/**
 * Every format reference-values writes is read back by the reader verify uses, finds each
 * configuration's digest, and says which entry matched (labels where the format has them,
 * position where not); Trustee's shapes follow the RVPS source (78962cd).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFirmware } from '../src/ovmf/firmware.js';
import { ovmfLaunch, sweep } from '../src/attestation/launch-space.js';
import { measurementSet } from '../src/attestation/reference-values.js';
import { resolveProfile } from '../src/profiles.js';
import { goSevGuestConfigs, goSevGuestStream } from '../src/attestation/go-sev-guest.js';
import { contrastReferenceValues } from '../src/attestation/contrast.js';
import { parseTrusteeExpiration, trusteeExpiration, trusteeOperatorFile, trusteeRegistrationMessage, trusteeSample } from '../src/attestation/trustee.js';
import {
  describeMatch, describeMismatch, matchReferences, readGoSevGuestDirectory, readReferenceValues, referenceResultJson, refusedReferences, type ReferenceSet,
} from '../src/attestation/reference-reader.js';
import { fromBase64, toBase64, toHex } from '../src/bytes.js';
import { isMeasureError } from '../src/errors.js';
import { REPO } from './helpers.js';

const codeOf = (f: () => unknown): string => { try { f(); return 'ok'; } catch (e) { if (isMeasureError(e)) return e.code; throw e; } };

const bytes = new Uint8Array(readFileSync(join(REPO, 'examples', 'ovmf', 'OVMF-synthetic-amdsev.fd')));
const info = parseFirmware(bytes);
const launch = ovmfLaunch({ firmware: { bytes, info }, layout: info });
const genoa = { name: 'EPYC-Genoa', signature: 0xa10f10n, aliases: [] };
const results = sweep(launch, { vcpus: [1, 2, 3], vcpuTypes: [genoa, { name: 'EPYC-v4', signature: 0x800f12n, aliases: [] }], guestFeatures: [0x1n, 0x21n], profiles: [resolveProfile('qemu')] }).results;
const other = sweep(launch, { vcpus: [5], vcpuTypes: [genoa], guestFeatures: [0x1n], profiles: [resolveProfile('qemu')] }).results[0]!.digest;
const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/** Every configuration's digest is found; returns the sets for label checks. */
function roundTrip(text: string, expectFormat: string): ReferenceSet {
  // A fixed "now", so the operator file's expiration below never passes.
  const set = readReferenceValues(text, 'ref', { now: Date.parse('2026-01-01T00:00:00Z') });
  expect(set.format).toBe(expectFormat);
  for (const r of results) expect(matchReferences(set, r.digest).length, `${r.vcpus} ${r.vcpuType} ${r.guestFeatures}`).toBeGreaterThan(0);
  expect(matchReferences(set, other)).toEqual([]);
  return set;
}

describe('reading back every format', () => {
  it('json (hex, 0xhex, base64, base64url): the matched entry carries its configuration labels', () => {
    for (const enc of ['hex', '0xhex', 'base64', 'base64url'] as const) {
      const set = roundTrip(json(measurementSet(results, enc, { launch: 'ovmf' })), 'vmfw-measure measurement set');
      const target = results.find((r) => r.vcpus === 3 && r.vcpuType === 'EPYC-v4' && r.guestFeatures === 0x21n)!;
      const m = matchReferences(set, target.digest);
      expect(m).toHaveLength(1);
      expect(describeMatch(set, m)).toBe(`matched vmfw-measure measurement set entry measurements[${results.indexOf(target)}] (vcpus 3, profile qemu/init2, vcpuType EPYC-v4, vcpuSignature 0x800f12, guestFeatures 0x21)\n`);
    }
  });

  it('Trustee message, sample and operator file (hex and base64): positions, since they carry no labels', () => {
    for (const enc of ['hex', 'base64'] as const) {
      const msg = roundTrip(JSON.stringify(trusteeRegistrationMessage(results, enc)), 'Trustee registration message');
      expect(describeMatch(msg, matchReferences(msg, results[0]!.digest))).toBe('matched Trustee registration message entry payload.snp_launch_measurement[0] (position only: this format carries no labels)\n');
      roundTrip(json(trusteeSample(results, enc)), 'Trustee sample provenance');
      const op = roundTrip(json(trusteeOperatorFile(results, enc, '2030-01-01T00:00:00Z')), 'Trustee operator file');
      expect(describeMatch(op, matchReferences(op, results[1]!.digest))).toBe('matched Trustee operator file entry [0].value[1] (expiration 2030-01-01T00:00:00Z)\n');
    }
  });

  it('go-sev-guest: one config, the # --- stream, and a directory of *.textproto', () => {
    const configs = goSevGuestConfigs(results);
    const one = readReferenceValues(configs[0]!.text, 'one.textproto');
    expect(one.entries).toHaveLength(1);
    expect(describeMatch(one, matchReferences(one, results[0]!.digest))).toMatch(/^matched go-sev-guest check.Config entry config \(vcpus 1, profile qemu\/init2, vcpuType EPYC-Genoa, vcpuSignature 0xa10f10, guestFeatures 0x1, policy 0x30000\)/);
    roundTrip(goSevGuestStream(configs), 'go-sev-guest check.Config');
    const dir = readGoSevGuestDirectory([...configs.map((c) => ({ name: c.fileName, text: c.text })), { name: 'README', text: 'x' }], 'dir');
    for (const r of results) expect(matchReferences(dir, r.digest)).toHaveLength(1);
    const m = matchReferences(dir, results[4]!.digest)[0]!;
    expect(m.entry.position).toBe(configs[4]!.fileName);
    expect(dir.notes).toEqual(['ignored 1 file not ending in .textproto: README']);
    expect(codeOf(() => readGoSevGuestDirectory([{ name: 'a.txt', text: '' }], 'dir'))).toBe('reference-values');
  });

  it('a config without Policy.policy is read, with a note that check would refuse every report', () => {
    const set = readReferenceValues(`policy { measurement: "${[...results[0]!.digest].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}" }\n`, 'old.textproto');
    expect(set.notes[0]).toMatch(/no policy.policy/);
  });

  it('Contrast: plain entries by ProductName and CPUs; the APEIP form extended over 1-512 vCPUs', () => {
    const genoaOnly = results.filter((r) => r.vcpuType === 'EPYC-Genoa' && r.guestFeatures === 0x1n);
    const plain = readReferenceValues(json(contrastReferenceValues(genoaOnly, { product: 'genoa' }).referenceValues), 'c.json');
    expect(describeMatch(plain, matchReferences(plain, genoaOnly[2]!.digest))).toBe('matched Contrast ReferenceValues entry snp[2] (vcpus 3, product Genoa)\n');
    const apeip = contrastReferenceValues(genoaOnly, { product: 'genoa', apeip: { apResetEip: launch.apResetEip } }).referenceValues;
    const set = readReferenceValues(json(apeip), 'c.json');
    const far = sweep(launch, { vcpus: [512], vcpuTypes: [genoa], guestFeatures: [0x1n], profiles: [resolveProfile('qemu')] }).results[0]!;
    for (const r of [...genoaOnly, far]) {
      const m = matchReferences(set, r.digest);
      expect(m.map((x) => x.vcpus)).toEqual([r.vcpus]);
    }
    expect(describeMatch(set, matchReferences(set, far.digest))).toMatch(/^matched Contrast ReferenceValues entry snp\[0\] \(vcpuSignature 0xa10f10, guestFeatures 0x1, product Genoa, apeip [0-9a-f]{8}\) extended to 512 vCPUs\nwarning: Contrast extends APEIP entries to 220 vCPUs only, so it would refuse this report \(512 vCPUs\)\n$/);
    expect(describeMatch(set, matchReferences(set, genoaOnly[2]!.digest))).not.toContain('warning');
    expect(referenceResultJson(set, matchReferences(set, far.digest))).toMatchObject({ matched: [{ position: 'snp[0]', vcpus: 512, consumerAccepts: false, consumerMaxVcpus: 220 }] });
    // A whole manifest is read too.
    expect(readReferenceValues(json({ ReferenceValues: apeip }), 'manifest.json').entries[0]!.position).toBe('ReferenceValues.snp[0]');
  });

  it('a plain JSON list of digests', () => {
    roundTrip(json(results.map((r) => toBase64(r.digest))), 'list of digests');
  });
});

describe('mismatch: every candidate, one a line', () => {
  it('lists position, digest and labels', () => {
    const set = readReferenceValues(json(measurementSet(results.slice(0, 3), 'hex', {})), 'ref');
    const text = describeMismatch(set, other);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(`no entry of the vmfw-measure measurement set (3 entries) matches ${toHex(other)}; candidates:`);
    expect(lines.slice(1)).toEqual(results.slice(0, 3).map((r, i) => `  measurements[${i}]  ${toHex(r.digest)}  vcpus ${r.vcpus}, profile qemu/init2, vcpuType ${r.vcpuType}, vcpuSignature 0x${r.vcpuSignature!.toString(16)}, guestFeatures 0x${r.guestFeatures!.toString(16)}`));
    const j = referenceResultJson(set, []);
    expect(j.matched).toEqual([]);
    expect(j.candidates!.map((c) => [c.position, c.digest])).toEqual(results.slice(0, 3).map((r, i) => [`measurements[${i}]`, toHex(r.digest)]));
  });
  it('an APEIP entry is one line with its range', () => {
    const apeip = contrastReferenceValues(results.filter((r) => r.vcpus === 1 && r.vcpuType === 'EPYC-Genoa' && r.guestFeatures === 0x1n), { product: 'genoa', apeip: { apResetEip: launch.apResetEip } });
    const set = readReferenceValues(json(apeip.referenceValues), 'c');
    expect(describeMismatch(set, other)).toMatch(/\n {2}snp\[0\] {2}[0-9a-f]{96} \+ APEIP [0-9a-f]{8}, extended to 1-512 vCPUs {2}vcpuSignature 0xa10f10, guestFeatures 0x1, product Genoa, apeip [0-9a-f]{8}\n$/);
  });
});

describe('null and malformed reference values are coded input errors naming the field', () => {
  const d = toHex(results[0]!.digest);
  const msg = (payload: unknown): string => JSON.stringify({ version: '0.1.0', type: 'sample', payload });
  const cases: [string, string, RegExp][] = [
    ['null', 'null', /ref is null/],
    ['[null]', '[null]', /\[0\] is null/],
    ['[]', '[]', /empty list/],
    ['measurements null', '{"measurements":null}', /measurements is null/],
    ['measurement entry null', `{"measurements":[{"digest":"${d}"},null]}`, /measurements\[1\] is null/],
    ['digest null', '{"measurements":[{"digest":null}]}', /measurements\[0\]\.digest is null/],
    ['payload null', msg(null), /payload is null/],
    ['payload list null', msg(toBase64(new TextEncoder().encode('{"snp_launch_measurement":null}'))), /snp_launch_measurement is null/],
    ['payload digest null', msg(toBase64(new TextEncoder().encode('{"snp_launch_measurement":[null]}'))), /snp_launch_measurement\[0\] is null/],
    ['payload not JSON', msg(toBase64(new TextEncoder().encode('nope'))), /not valid JSON/],
    ['message version', JSON.stringify({ version: '0.2.0', type: 'sample', payload: '' }), /accepts 0.1.0 only/],
    ['sample null', '{"snp_launch_measurement":null}', /snp_launch_measurement is null/],
    ['operator value null', '[{"name":"snp_launch_measurement","expiration":"2030-01-01T00:00:00Z","value":null}]', /\[0\]\.value is null/],
    ['operator name null', '[{"name":null,"value":[]}]', /\[0\]\.name is null/],
    ['operator other names only', '[{"name":"x","expiration":"2030-01-01T00:00:00Z","value":[]}]', /no entry named snp_launch_measurement \(found x\)/],
    ['contrast entry null', '{"snp":[null]}', /snp\[0\] is null/],
    ['contrast measurement null', '{"snp":[{"ProductName":"Milan","TrustedMeasurement":null}]}', /snp\[0\]\.TrustedMeasurement is null/],
    ['contrast product', `{"snp":[{"ProductName":"Turin","TrustedMeasurement":"${d}"}]}`, /snp\[0\]\.ProductName is "Turin"/],
    ['contrast APEIP', `{"snp":[{"ProductName":"Milan","TrustedMeasurement":"${d}","APEIP":"12"}]}`, /APEIP: expected 4 bytes/],
    ['unknown shape', '{"x":1}', /not a format vmfw-measure writes/],
    ['empty', '  ', /is empty/],
  ];
  for (const [name, text, re] of cases) {
    it(name, () => {
      expect(() => readReferenceValues(text, 'ref')).toThrow(re);
      expect(codeOf(() => readReferenceValues(text, 'ref'))).toMatch(/^(reference-values|bad-hex)$/);
    });
  }
  it('a digest of the wrong length names its position', () => {
    expect(() => readReferenceValues('["abcd"]', 'ref')).toThrow(/\[0\]: "abcd" is not a 48-byte digest/);
  });
});

describe('Trustee shapes (rvps at 78962cd)', () => {
  it('operator file: one ReferenceValue named snp_launch_measurement, expiration as chrono %Y-%m-%dT%H:%M:%SZ', () => {
    expect(trusteeOperatorFile(results.slice(0, 2), 'hex', '2027-06-30T12:00:00+02:00')).toEqual([
      { name: 'snp_launch_measurement', expiration: '2027-06-30T10:00:00Z', value: results.slice(0, 2).map((r) => toHex(r.digest)) },
    ]);
  });
  it('the message wraps exactly the sample provenance, base64 (standard alphabet), version 0.1.0, type sample', () => {
    const m = trusteeRegistrationMessage(results, 'hex');
    expect(Object.keys(m)).toEqual(['version', 'type', 'payload']);
    expect(JSON.parse(new TextDecoder().decode(fromBase64(m.payload, 'p')))).toEqual(trusteeSample(results, 'hex'));
    expect(m.payload).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });
  it('--expires is validated: RFC 3339, whole seconds, a real date', () => {
    expect(trusteeExpiration('2028-02-29T23:59:59Z')).toBe('2028-02-29T23:59:59Z');
    expect(trusteeExpiration('2027-01-01t00:30:00-01:00')).toBe('2027-01-01T01:30:00Z');
    for (const bad of ['2027-01-01', '2027-02-29T00:00:00Z', '2027-01-01T24:00:00Z', '2027-01-01T00:00:00', '2027-01-01T00:00:00.5Z', 'tomorrow', '2027-13-01T00:00:00Z']) {
      expect(codeOf(() => trusteeExpiration(bad)), bad).toBe('expires');
    }
  });
});

describe('Trustee operator expiration, as RVPS reads and judges it (78962cd, chrono 0.4.45)', () => {
  const d = toHex(results[0]!.digest);
  const op = (expiration: unknown): string => JSON.stringify([{ name: 'snp_launch_measurement', expiration, value: [d] }]);
  const at = (iso: string): number => Date.parse(iso);
  it('an unparseable expiration is a coded error naming the field', () => {
    for (const bad of ['garbage', '2027-01-01', '2027-01-01T00:00:00', '2027-01-01T00:00:00.5Z', '2027-01-01T00:00:00+00:00', '2027-01-01t00:00:00Z',
      '2027-01-01T00:00:00z', '2027-02-29T00:00:00Z', '2027-01-01T24:00:00Z', '2027-13-01T00:00:00Z', '12027-01-01T00:00:00Z', ' 2027-01-01T00:00:00Z ', 20270101]) {
      expect(codeOf(() => readReferenceValues(op(bad), 'ref', { now: 0 })), String(bad)).toBe('reference-values');
      expect(() => readReferenceValues(op(bad), 'ref', { now: 0 }), String(bad)).toThrow(/\[0\]\.expiration/);
    }
  });
  it('accepts what chrono accepts: 1-digit fields, whitespace before a number, a leap second, a signed year', () => {
    const read = (e: string): number => {
      const set = readReferenceValues(op(e), 'ref', { now: at('2000-01-01T00:00:00Z') });
      return set.entries[0]!.expired ? 1 : 0;
    };
    for (const ok of ['2027-1-2T3:4:5Z', ' 2027-01-01T 00:00:00Z', '2027-06-30T23:59:60Z', '+002027-01-01T00:00:00Z', '2028-02-29T00:00:00Z']) expect(read(ok), ok).toBe(0);
  });
  it('an expired entry matches nothing; verify names it as refused and marks it among the candidates', () => {
    const now = at('2026-05-01T00:00:00Z');
    const set = readReferenceValues(op('2020-01-01T00:00:00Z'), 'ref', { now });
    expect(set.entries[0]!.expired).toBe(true);
    expect(matchReferences(set, results[0]!.digest)).toEqual([]);
    expect(set.notes).toEqual(['[0] (expired 2020-01-01T00:00:00Z): past the expiration at 2026-05-01T00:00:00.000Z, so no report matches it (RVPS: a reference value is invalid after its expiration)']);
    const text = describeMismatch(set, results[0]!.digest);
    expect(text.split('\n').slice(0, 3)).toEqual([
      'refused: [0].value[0] (expiration 2020-01-01T00:00:00Z) has this measurement, but expired 2020-01-01T00:00:00Z: Trustee RVPS treats a reference value as invalid after its expiration',
      `no entry of the Trustee operator file (1 entry) accepts ${d}; candidates:`,
      `  [0].value[0]  ${d}  expiration 2020-01-01T00:00:00Z  EXPIRED`,
    ]);
    expect(referenceResultJson(set, [], refusedReferences(set, results[0]!.digest))).toMatchObject({
      matched: [], candidates: [{ position: '[0].value[0]', expired: true }], refused: [{ position: '[0].value[0]', reason: expect.stringMatching(/^expired 2020/) }],
    });
  });
  it('RVPS expired() is now > expiration: valid at the instant itself, expired a millisecond later', () => {
    const e = '2027-01-01T00:00:00Z';
    expect(matchReferences(readReferenceValues(op(e), 'ref', { now: at(e) }), results[0]!.digest)).toHaveLength(1);
    expect(matchReferences(readReferenceValues(op(e), 'ref', { now: at(e) + 1 }), results[0]!.digest)).toHaveLength(0);
    expect(matchReferences(readReferenceValues(op('2027-06-30T23:59:60Z'), 'ref', { now: at('2027-06-30T23:59:59.999Z') }), results[0]!.digest)).toHaveLength(1);
    expect(matchReferences(readReferenceValues(op('2027-06-30T23:59:60Z'), 'ref', { now: at('2027-07-01T00:00:00Z') }), results[0]!.digest)).toHaveLength(0);
  });
  it('parseTrusteeExpiration gives the instant', () => {
    expect(parseTrusteeExpiration('2027-1-2T3:4:5Z', 'e').ms).toBe(at('2027-01-02T03:04:05Z'));
    expect(parseTrusteeExpiration('0099-01-01T00:00:00Z', 'e').ms).toBe(at('0099-01-01T00:00:00Z'));
    expect(parseTrusteeExpiration('-0001-01-01T00:00:00Z', 'e').ms).toBe(Date.UTC(-1, 0, 1));
  });
});

describe('go-sev-guest config policy: refused when unreadable, compared with the report as check does (af1c107)', () => {
  const d = results[0]!.digest;
  const cfg = (policy: string): string => `policy { policy: ${policy} measurement: "${[...d].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}" }\n`;
  it('policy 0 (bit 17 clear), bits 26-63 set, and a uint64 overflow are coded errors naming the field', () => {
    for (const [p, re] of [['0', /policy\.policy \(line 1\) 0x0: bit 17 is reserved/], ['0x4030000', /bits 26-63 must be zero/], ['99999999999999999999999999', /policy\.policy \(line 1\) 99999999999999999999999999: does not fit in 64 bits/]] as const) {
      expect(codeOf(() => readReferenceValues(cfg(p), 'c.textproto')), p).toBe('reference-values');
      expect(() => readReferenceValues(cfg(p), 'c.textproto'), p).toThrow(re);
    }
  });
  it('a report whose guest policy check would reject does not match, and the refusal says why', () => {
    const set = readReferenceValues(cfg('0x30000'), 'c.textproto');
    expect(matchReferences(set, d, { reportPolicy: 0x30000n })).toHaveLength(1);
    expect(matchReferences(set, d, { reportPolicy: 0x20000n })).toHaveLength(1); // less permissive: SMT off
    expect(matchReferences(set, d, { reportPolicy: 0xb0000n })).toEqual([]); // DEBUG
    expect(refusedReferences(set, d, { reportPolicy: 0xb0000n }).map((r) => r.reason)).toEqual([
      "go-sev-guest check rejects the report's guest policy 0xb0000 against the config's policy 0x30000: found unauthorized debug capability",
    ]);
    expect(describeMismatch(set, d, { reportPolicy: 0xb0000n })).toMatch(/^refused: config \(policy 0x30000\) has this measurement, but go-sev-guest check rejects .*debug capability\nno entry of the go-sev-guest check.Config \(1 entry\) accepts /);
    // Without the report's policy (library callers), the digest decides as before.
    expect(matchReferences(set, d)).toHaveLength(1);
  });
});
