import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromBase64, fromHex, hex64, parseUnsigned, toBase64, toHex } from '../../src/bytes.js';
import { parseJsonExact } from '../../src/json-exact.js';
import { formatManifest, parseManifest, type Manifest } from '../../src/regions/manifest.js';
import { formatMetadataJson, parseMetadataJson } from '../../src/ovmf/metadata-json.js';
import { buildReport, parseReport } from '../../src/attestation/report.js';
import { KNOWN_FLAGS_MASK } from '../../src/regions/format.js';
import { readReferenceValues } from '../../src/attestation/reference-reader.js';
import { RUNS, assertParser, mutated } from './harness.js';
import { hexCheck, logCheck, manifestCheck, metadataJsonCheck, referenceValuesCheck, replayCheck } from './checks.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

const flagsArb = fc.oneof(
  fc.subarray([0n, 1n, 2n, 3n, 8n, 9n, 16n, 17n]).map((bits) => bits.reduce((f, b) => f | (1n << b), 0n)),
  u64,
);
const regionArb = fc.record({
  dst: fc.oneof(fc.constantFrom(0n, 0x1000n, 0x800000n, 0xffffe000n, 0xfffffffff000n, (1n << 52n) - 0x1000n, (1n << 64n) - 0x1000n), fc.nat({ max: 64 }).map((n) => BigInt(n) * 0x1000n)),
  size: fc.constantFrom(0n, 1n, 0x1000n, 0x2000n, 0x3000n, 0x1001n, 1n << 52n, (1n << 64n) - 1n),
  src: fc.constantFrom(0n, 0x10000n, 0x10800n, (1n << 64n) - 1n),
  flags: flagsArb,
});
const manifestArb: fc.Arbitrary<Manifest> = fc.record({
  launch: fc.record({
    profile: fc.constantFrom('qemu', 'EC2', 'gce'),
    apResetEip: fc.constantFrom(null, 0x80b004, 0),
    measuredZero: fc.constantFrom('native' as const, 'normal' as const),
    firmwareMetadata: fc.constantFrom('none' as const, 'ovmf' as const),
    guestFeatures: u64,
  }),
  regions: fc.array(regionArb, { maxLength: 6 }),
}).map((m) => ({ rules: 'vmfwupdate-snp/1', launch: m.launch, regions: m.regions }));

describe(`text parser properties (${RUNS} cases each)`, () => {
  it('hex, base64, numbers and exact JSON', () => {
    assertParser(hexCheck, fc.oneof(fc.string().map(enc), fc.stringMatching(/^(0x)?[0-9a-fA-F_ ]{0,40}$/).map(enc), fc.uint8Array({ maxLength: 64 })));
  });

  it('hex, base64 and 64-bit numbers round-trip exactly', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), u64, (b, v) => {
      expect(toHex(fromHex(toHex(b), 'x'))).toBe(toHex(b));
      expect(toHex(fromBase64(toBase64(b), 'x'))).toBe(toHex(b));
      expect(toHex(fromBase64(toBase64(b, true), 'x'))).toBe(toHex(b));
      expect(parseUnsigned(hex64(v), 'x')).toBe(v);
      expect(parseUnsigned(v.toString(), 'x')).toBe(v);
      const doc = parseJsonExact(`{"v": ${v.toString()}, "w": [${v.toString()}]}`, 'x') as { v: string | number; w: (string | number)[] };
      expect(parseUnsigned(doc.v, 'v')).toBe(v);
      expect(parseUnsigned(doc.w[0]!, 'w')).toBe(v);
    }), { numRuns: RUNS });
  });

  it('region-list manifests (random JSON and mutated valid ones)', () => {
    const valid = manifestArb.map((m) => enc(formatManifest(m)));
    assertParser(manifestCheck, fc.oneof(fc.jsonValue().map((v) => enc(JSON.stringify(v))), valid, valid.chain((b) => mutated(b)), fc.string().map(enc)));
  });

  it('a valid manifest re-encoded and re-parsed is unchanged', () => {
    fc.assert(fc.property(manifestArb, (m) => {
      const once = parseManifest(formatManifest(m));
      const twice = parseManifest(formatManifest(once));
      expect(twice).toEqual(once);
      expect(once.regions.map((r) => [r.dst, r.size, r.flags])).toEqual(m.regions.map((r) => [r.dst, r.size, r.flags]));
      expect(once.launch.guestFeatures).toBe(m.launch.guestFeatures);
    }), { numRuns: RUNS });
  });

  it('whole region-list replays (validation, memory, plans)', () => {
    const scenario = fc.record({
      manifest: manifestArb.map((m) => JSON.parse(formatManifest(m)) as unknown),
      memory: fc.array(fc.record({ gpa: fc.constantFrom('0x10000', '0x12000', '0x0'), hex: fc.uint8Array({ maxLength: 0x2000 }).map((b) => toHex(b)) }), { maxLength: 1 }),
      vcpus: fc.constantFrom(0, 1, 2, 3),
    });
    assertParser(replayCheck, fc.oneof(scenario.map((s) => enc(JSON.stringify(s))), fc.jsonValue().map((v) => enc(JSON.stringify({ manifest: v })))));
  });

  it('metadata-only JSON, and its round trip', () => {
    const sections = fc.array(fc.record({ gpa: fc.nat({ max: 0xfffff }).map((n) => n * 0x1000), size: fc.nat({ max: 0x100 }).map((n) => n * 0x1000), type: fc.constantFrom(1, 2, 3, 4, 0x10, 7) }), { maxLength: 10 });
    const valid = fc.record({ sections, eip: fc.nat({ max: 0xffffffff }), hash: fc.uint8Array({ minLength: 48, maxLength: 48 }) });
    fc.assert(fc.property(valid, (v) => {
      const layout = { sections: v.sections.map((s, index) => ({ index, ...s })), resetEip: v.eip };
      const back = parseMetadataJson(formatMetadataJson(layout, v.hash));
      expect(back.layout).toEqual(layout);
      expect(toHex(back.ovmfHash)).toBe(toHex(v.hash));
    }), { numRuns: RUNS });
    const text = valid.map((v) => enc(formatMetadataJson({ sections: v.sections.map((s, index) => ({ index, ...s })), resetEip: v.eip }, v.hash)));
    assertParser(metadataJsonCheck, fc.oneof(text.chain((b) => mutated(b)), fc.jsonValue().map((j) => enc(JSON.stringify(j)))));
  });

  it('attestation report fields round-trip', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 48, maxLength: 48 }), u64, fc.constantFrom(2, 3, 5), (m, policy, version) => {
      const r = parseReport(buildReport({ measurement: m, policy, version, cpuid: { family: 0x19, model: 0x11, stepping: 0 } }));
      expect(toHex(r.measurement)).toBe(toHex(m));
      expect(r.policy.value).toBe(policy);
      expect(r.version).toBe(version);
    }), { numRuns: RUNS });
  });

  it('launch logs', () => {
    const line = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.record({ step: fc.nat(), pageType: fc.string(), gpa: fc.string(), contents: fc.string(), digest: fc.string(), origin: fc.jsonValue() }).map((o) => JSON.stringify(o)),
    );
    assertParser(logCheck, fc.array(line, { maxLength: 8 }).map((l) => enc(l.join('\n'))));
  });

  it('reserved flag bits are exactly the ones the rules do not name', () => {
    expect(KNOWN_FLAGS_MASK).toBe(0x3030fn);
  });

  it('reference values in every format verify reads (random JSON and text, mutated valid files)', () => {
    const d = (n: number): string => toHex(Uint8Array.from({ length: 48 }, (_, i) => (i * 7 + n) & 0xff));
    const sample = JSON.stringify({ snp_launch_measurement: [d(1), d(2)] });
    const valid = [
      JSON.stringify({ format: 'vmfw-measure/reference-values@1', digestEncoding: 'hex', measurements: [{ vcpus: 1, profile: 'qemu', era: 'init2', vcpuType: 'EPYC-v4', digest: d(1) }] }),
      JSON.stringify({ version: '0.1.0', type: 'sample', payload: toBase64(enc(sample)) }),
      sample,
      JSON.stringify([{ name: 'snp_launch_measurement', expiration: '2030-01-01T00:00:00Z', value: [d(3)] }]),
      JSON.stringify({ snp: [{ ProductName: 'Genoa', TrustedMeasurement: d(4), GuestPolicy: { SMT: true }, CPUs: 1, APEIP: '0080b004' }, { ProductName: 'Milan', TrustedMeasurement: d(5), CPUs: 2 }] }),
      `# vmfw-measure reference value: vcpus=1 profile=qemu\npolicy {\n  policy: 196608\n  measurement: "${d(6).replace(/../g, '\\x$&')}"\n}\n# ---\nroot_of_trust < product_line: "Milan" >\npolicy: { measurement: '\\001' "${'\\000'.repeat(47)}" }\n`,
    ].map(enc);
    for (const v of valid) expect(readReferenceValues(new TextDecoder().decode(v), 'v', { apeipMaxVcpus: 8 }).entries.length).toBeGreaterThan(0);
    assertParser(referenceValuesCheck, fc.oneof(
      fc.jsonValue().map((v) => enc(JSON.stringify(v))), fc.string().map(enc),
      ...valid.map((v) => mutated(v)),
    ));
  });
});
