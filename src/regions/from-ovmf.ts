/**
 * A classic OVMF launch written as a region list (docs/spec/regions.md#the-ovmf-launch-as-a-region-list): replaying it
 * with measuredZero "native" and firmwareMetadata "none" gives exactly the OVMF digest.
 */
import { fail } from '../errors.js';
import { PROFILES, type VmmProfile } from '../profiles.js';
import { PageType } from '../snp/page-info.js';
import { SectionType, firmwareGpa, type MetadataSection } from '../ovmf/firmware.js';
import { imageSize, kernelHashesPage, type FirmwareImage, type UnknownSectionPolicy } from '../ovmf/launch.js';
import type { DirectBootHashes } from '../ovmf/kernel-hashes.js';
import { REGION_FLAGS as F, RULES_VERSION } from './format.js';
import { inlineHex, type LaunchSettings, type Manifest, type ManifestRegion } from './manifest.js';

export interface OvmfRegionListInput {
  /** How the manifest names the firmware file (a path relative to the manifest's folder). */
  readonly firmwarePath: string;
  readonly firmware: FirmwareImage;
  readonly profile: VmmProfile;
  readonly vcpus: number;
  readonly vcpuType?: string;
  readonly vcpuSignature?: bigint;
  readonly guestFeatures: bigint;
  readonly directBoot?: DirectBootHashes;
  readonly unknownSections?: UnknownSectionPolicy;
}

const PAGE = 4096n;

function sectionRegion(s: MetadataSection, flags: bigint, size: bigint = BigInt(s.size)): ManifestRegion {
  return { dst: BigInt(s.gpa), size, flags };
}

export function ovmfRegionList(i: OvmfRegionListInput): Manifest {
  if (i.vcpus < 1) fail('vcpus', 'a launch with 0 vCPUs has no region-list equivalent (region lists need at least one vCPU)');
  const fwSize = imageSize(i.firmware);
  const fwGpa = firmwareGpa(fwSize, 'firmware');
  const info = i.firmware.info;
  if (info.resetEip === undefined) {
    fail('no-reset-block', 'firmware: no SEV_ES_RESET_BLOCK entry in the OVMF footer table; is this the combined OVMF.fd?');
  }
  const regions: ManifestRegion[] = [
    { dst: BigInt(fwGpa), size: BigInt(fwSize), flags: F.COPY | F.MEASURE, source: { file: i.firmwarePath } },
  ];
  const hashesPage = i.directBoot ? kernelHashesPage(info, i.directBoot) : undefined;
  const deferred: ManifestRegion[] = [];
  for (const s of info.sections ?? []) {
    switch (s.type) {
      case SectionType.SnpSecMem:
        if (s.size === 0) break; // the OVMF path launches nothing for it either
        regions.push(sectionRegion(s, i.profile.secMemPageType === PageType.Unmeasured ? F.ZERO | F.VALIDATE : F.ZERO | F.MEASURE));
        break;
      case SectionType.SnpSecrets:
        regions.push(sectionRegion(s, F.SEV_SECRETS | F.VALIDATE, PAGE));
        break;
      case SectionType.Cpuid:
        (i.profile.deferCpuidSections ? deferred : regions).push(sectionRegion(s, F.SEV_CPUID | F.VALIDATE, PAGE));
        break;
      case SectionType.SvsmCaa:
        if (s.size > 0) regions.push(sectionRegion(s, F.ZERO | F.MEASURE));
        break;
      case SectionType.SnpKernelHashes:
        if (hashesPage) regions.push({ dst: BigInt(s.gpa), size: PAGE, flags: F.COPY | F.MEASURE, source: inlineHex(hashesPage) });
        else if (s.size > 0) regions.push(sectionRegion(s, F.ZERO | F.MEASURE));
        break;
      default:
        if (i.unknownSections !== 'zero') {
          fail('unknown-section', `firmware: metadata section ${s.index} has unknown type 0x${s.type.toString(16)}; --unknown-sections zero lists it as ZERO + MEASURE`);
        }
        if (s.size > 0) regions.push(sectionRegion(s, F.ZERO | F.MEASURE));
    }
  }
  regions.push(...deferred);
  const launch: LaunchSettings = {
    vcpus: i.vcpus,
    profile: i.profile.name,
    ...(i.profile.era !== PROFILES[i.profile.name].defaultEra ? { era: i.profile.era } : {}),
    ...(i.vcpuType !== undefined ? { vcpuType: i.vcpuType } : i.vcpuSignature !== undefined ? { vcpuSignature: i.vcpuSignature } : {}),
    guestFeatures: i.guestFeatures,
    apResetEip: info.resetEip === 0 ? null : info.resetEip,
    measuredZero: 'native',
    firmwareMetadata: 'none',
  };
  return { rules: RULES_VERSION, launch, regions };
}
