import { describe, expect, it } from 'vitest';
import { buildSyntheticImage, stream } from '../src/conformance/recipes.js';
import { measureSyntheticCase, SyntheticInputs, type SyntheticFile } from '../src/conformance/synthetic.js';
import { toHex } from '../src/bytes.js';
import { nobleSuite } from '../src/hash/noble-suite.js';
import { defaultSuite } from '../src/hash/suite.js';
import { measurePlan } from '../src/engine.js';
import { buildSnpOvmfPlan } from '../src/ovmf/launch.js';
import { parseFirmware } from '../src/ovmf/firmware.js';
import { resolveProfile } from '../src/profiles.js';
import { loadVectors } from './helpers.js';

const file = loadVectors<SyntheticFile & { images: Record<string, Parameters<typeof buildSyntheticImage>[0]> }>('synthetic-vectors.json');
const inputs = new SyntheticInputs(file);

describe('synthetic image recipe', () => {
  it('reproduces the stream check values', () => {
    expect(toHex(defaultSuite.sha256(new TextEncoder().encode('synth-ovmf-amdsev-4k:0'))))
      .toBe('80654b837292ab52be03a418dc49d3469e1b2994a1c3dd3c011f4e866cce23f9');
    expect(toHex(stream('synth-ovmf-amdsev-4k', 64))).toBe(
      '80654b837292ab52be03a418dc49d3469e1b2994a1c3dd3c011f4e866cce23f9551431b82acaa7df03a1b7731e381389db2025cc71ce0da3b1d9dbea4011b9df');
  });
  for (const img of Object.values(file.images)) {
    it(`builds ${img.name} with the listed SHA-256`, () => {
      expect(toHex(defaultSuite.sha256(buildSyntheticImage(img)))).toBe(img.sha256);
    });
  }
  it('lays out amdsev-4k exactly as the worked example', () => {
    const b = buildSyntheticImage(file.images['amdsev-4k']!);
    expect(toHex(b.subarray(0xaac, 0xabc))).toBe('41534556640000000100000007000000');
    expect(toHex(b.subarray(0xfce, 0xfe0))).toBe('7200de82b596b21ff745baeaa366c55a082d');
  });
});

describe('synthetic vectors (sev-snp-measure 8f2b337)', () => {
  for (const c of file.cases) {
    it(c.id, () => { expect(measureSyntheticCase(c, inputs)).toBe(c.expected_measurement); });
  }
});

describe('hash back-ends agree', () => {
  it('@noble/hashes gives the node:crypto digest on a full launch with kernel hashes', () => {
    const c = file.cases.find((x) => x.mode === 'sev-snp' && x.kernel !== null && x.vcpus !== null && x.vcpus > 1)!;
    const fw = inputs.image(c.firmware);
    const plan = buildSnpOvmfPlan({
      firmware: fw, layout: parseFirmware(fw.bytes!), vcpus: c.vcpus!, profile: resolveProfile(c.vmm!),
      vcpuSignature: BigInt(c.vcpu_signature ?? 0), guestFeatures: BigInt(c.guest_features!),
      directBoot: { kernel: inputs.inputHash(c.kernel!), initrd: c.initrd ? inputs.inputHash(c.initrd) : defaultSuite.sha256(new Uint8Array()), cmdline: defaultSuite.sha256(new TextEncoder().encode(`${c.cmdline ?? ''}\0`)) },
    }).plan;
    const viaNode = toHex(measurePlan(plan).digest);
    expect(toHex(measurePlan(plan, { hashes: nobleSuite }).digest)).toBe(viaNode);
    expect(viaNode).toBe(c.expected_measurement);
  });
});
