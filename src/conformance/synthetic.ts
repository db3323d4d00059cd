/** Runs `sev-synthetic-vectors/1` cases (vectors/synthetic-firmware.md) through the library. */
import { fail } from '../errors.js';
import { fromHex, toHex } from '../bytes.js';
import { defaultSuite } from '../hash/suite.js';
import { measurePlan } from '../engine.js';
import { resolveProfile } from '../profiles.js';
import { parseFirmware } from '../ovmf/firmware.js';
import { cmdlineHash, type DirectBootHashes } from '../ovmf/kernel-hashes.js';
import { buildOvmfHashPlan, buildSnpOvmfPlan, sevEsLaunchDigest, sevLaunchDigest, type FirmwareImage } from '../ovmf/launch.js';
import { buildSyntheticImage, stream, type SynthImage } from './recipes.js';

export interface SyntheticCase {
  id: string;
  group: string;
  mode: 'sev-snp' | 'sev-snp-ovmf-hash' | 'sev' | 'sev-es';
  firmware: SynthImage;
  vmm: string | null;
  vcpus: number | null;
  vcpu_type: string | null;
  vcpu_signature: number | null;
  guest_features: string | null;
  kernel: string | null;
  initrd: string | null;
  cmdline_name: string | null;
  cmdline: string | null;
  seed_digest: string | null;
  expected_measurement: string;
}

export interface SyntheticFile {
  format: 'sev-synthetic-vectors/1';
  inputs: Record<string, { label: string; size: number; sha256: string }>;
  cases: SyntheticCase[];
}

/** Caches generated images and inputs: many cases share them. */
export class SyntheticInputs {
  private readonly images = new Map<string, FirmwareImage>();
  private readonly hashes = new Map<string, Uint8Array>();
  constructor(private readonly file: SyntheticFile) {}

  image(img: SynthImage): FirmwareImage {
    let fw = this.images.get(img.name);
    if (!fw) {
      const bytes = buildSyntheticImage(img);
      fw = { bytes, info: parseFirmware(bytes, `synthetic image ${img.name}`) };
      this.images.set(img.name, fw);
    }
    return fw;
  }

  inputHash(name: string): Uint8Array {
    let h = this.hashes.get(name);
    if (!h) {
      const def = this.file.inputs[name];
      if (!def) fail('conformance', `unknown synthetic input ${JSON.stringify(name)}`);
      const bytes = stream(def.label, def.size);
      h = defaultSuite.sha256(bytes);
      if (toHex(h) !== def.sha256) fail('conformance', `synthetic input ${name}: generated SHA-256 ${toHex(h)} differs from ${def.sha256}`);
      this.hashes.set(name, h);
    }
    return h;
  }
}

export function measureSyntheticCase(c: SyntheticCase, inputs: SyntheticInputs): string {
  const firmware = inputs.image(c.firmware);
  const directBoot: DirectBootHashes | undefined = c.kernel === null ? undefined : {
    kernel: inputs.inputHash(c.kernel),
    initrd: c.initrd === null ? defaultSuite.sha256(new Uint8Array(0)) : inputs.inputHash(c.initrd),
    cmdline: cmdlineHash(c.cmdline ?? undefined),
  };
  const boot = directBoot ? { directBoot } : {};
  switch (c.mode) {
    case 'sev-snp-ovmf-hash':
      return toHex(measurePlan(buildOvmfHashPlan(firmware).plan).digest);
    case 'sev':
      return toHex(sevLaunchDigest({ firmware, ...boot }));
    case 'sev-es':
      return toHex(sevEsLaunchDigest({
        firmware, ...boot, vcpus: c.vcpus ?? 0, profile: resolveProfile(c.vmm ?? 'qemu'),
        vcpuSignature: BigInt(c.vcpu_signature ?? 0),
      }).digest);
    case 'sev-snp': {
      const built = buildSnpOvmfPlan({
        firmware, layout: firmware.info, ...(c.seed_digest ? { seed: fromHex(c.seed_digest, `${c.id} seed_digest`, 48) } : {}),
        vcpus: c.vcpus ?? 0, profile: resolveProfile(c.vmm ?? 'qemu'), vcpuSignature: BigInt(c.vcpu_signature ?? 0),
        guestFeatures: BigInt(c.guest_features ?? '0x1'), ...boot,
      });
      return toHex(measurePlan(built.plan).digest);
    }
    default:
      return fail('conformance', `${c.id}: unknown mode ${JSON.stringify((c as { mode: unknown }).mode)}`);
  }
}
