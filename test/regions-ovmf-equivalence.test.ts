import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { toHex } from '../src/bytes.js';
import { measurePlan } from '../src/engine.js';
import { defaultSuite } from '../src/hash/suite.js';
import { resolveProfile } from '../src/profiles.js';
import { cmdlineHash } from '../src/ovmf/kernel-hashes.js';
import { SyntheticInputs, type SyntheticFile } from '../src/conformance/synthetic.js';
import { ovmfRegionList } from '../src/regions/from-ovmf.js';
import { manifestRegionSpecs, resolveLaunch, formatManifest, parseManifest } from '../src/regions/manifest.js';
import { replayRegions } from '../src/regions/replay.js';
import { EMPTY_MEMORY } from '../src/regions/memory.js';
import { captureIO, runCli } from '../src/cli/main.js';
import { loadVectors, REPO } from './helpers.js';

const VECTORS = join(REPO, 'vectors');
const synth = loadVectors<SyntheticFile>('synthetic-vectors.json');
const inputs = new SyntheticInputs(synth);
const plainSnp = synth.cases.filter((c) => c.mode === 'sev-snp' && c.seed_digest === null && (c.vcpus ?? 0) >= 1);

describe('OVMF launch as a region list (spec section 7): same digest as the OVMF path', () => {
  it('covers every plain snp synthetic vector', () => { expect(plainSnp.length).toBeGreaterThan(80); });
  for (const c of plainSnp) {
    it(c.id, () => {
      const firmware = inputs.image(c.firmware);
      const manifest = ovmfRegionList({
        firmwarePath: 'fw.fd', firmware, profile: resolveProfile(c.vmm!), vcpus: c.vcpus!,
        vcpuSignature: BigInt(c.vcpu_signature ?? 0), guestFeatures: BigInt(c.guest_features!),
        ...(c.kernel ? { directBoot: {
          kernel: inputs.inputHash(c.kernel),
          initrd: c.initrd ? inputs.inputHash(c.initrd) : defaultSuite.sha256(new Uint8Array()),
          cmdline: cmdlineHash(c.cmdline ?? undefined),
        } } : {}),
      });
      // Through the text form too: what users get from `regions from-ovmf`.
      const reparsed = parseManifest(formatManifest(manifest));
      const bytes = firmware.bytes!;
      const specs = manifestRegionSpecs(reparsed, (_p, _w, offset, length) => ({
        length: length ?? bytes.length - offset, describe: 'fw.fd',
        read: (o, into) => into.set(bytes.subarray(offset + o, offset + o + into.length)),
      }));
      const { launch } = resolveLaunch(reparsed.launch);
      expect(launch).toMatchObject({ measuredZero: 'native', firmwareMetadata: 'none' });
      const replay = replayRegions({ regions: specs, memory: EMPTY_MEMORY, launch });
      expect(toHex(measurePlan(replay.plan).digest)).toBe(c.expected_measurement);
    });
  }
});

interface FixtureVector { id: string; args: string[]; measurement: string }

describe('OVMF equivalence over the fixture vectors, through the CLI', () => {
  const fixtures = loadVectors<FixtureVector[]>('fixture-vectors.json');
  const plain = fixtures.filter((v) => v.args.includes('--mode=snp') && !v.args.some((a) => a.startsWith('--snp-ovmf-hash'))
    && !v.args.includes('--vcpus=0'));
  const out = mkdtempSync(join(tmpdir(), 'vmfw-eq-'));
  it('has plain snp fixture vectors', () => { expect(plain.length).toBeGreaterThan(100); });
  for (const v of plain) {
    it(v.id, async () => {
      const manifest = join(out, `${v.id.replace(/[^a-z0-9]+/gi, '_')}.json`);
      const gen = captureIO(VECTORS);
      expect(await runCli(['regions', 'from-ovmf', ...v.args.filter((x: string) => !x.startsWith('--output-format')), `--out=${manifest}`], gen), gen.stderr).toBe(0);
      const run = captureIO(VECTORS);
      expect(await runCli(['regions', manifest], run), run.stderr).toBe(0);
      expect(run.stdout.trim()).toBe(v.measurement);
    });
  }
});
