/** vmfw-measure library entry point. */
export { MeasureError, ERROR_CODES, type ErrorCode } from './errors.js';
export { toHex, fromHex, toBase64, fromBase64, parseUnsigned } from './bytes.js';
export { defaultSuite, nobleSuite, nodeSuite, type HashSuite, type Hasher } from './hash/suite.js';
export { PageType, PAGE_TYPE_NAMES, LaunchDigest, encodePageInfo, PAGE_SIZE, DIGEST_SIZE, PAGE_INFO_SIZE } from './snp/page-info.js';
export { encodeVmsa, VMSA_OFFSETS, type VmsaRegisters } from './snp/vmsa.js';
export { measurePlan, type LogRecord, type MeasureOptions, type MeasureResult } from './engine.js';
export { countSteps, describeOrigin, type LaunchPlan, type LaunchRun, type RunContents, type StepOrigin } from './plan.js';
export {
  PROFILES, PROFILE_NAMES, LEGACY_SVSM_VMSA, KVM_VMSA_GPA, RESET_VECTOR_EIP, resolveProfile, resolveVmsaGpa,
  buildVmsaPage, vmsaRegisters, type VmmProfile, type VmsaTemplate,
} from './profiles.js';
export { cpuSignature, resolveVcpuType, VCPU_TYPES, VCPU_TYPE_NAMES } from './cpu.js';
export {
  parseFirmware, parseFooterTable, parseSevMetadata, firmwareGpa, SectionType, sectionTypeName,
  type FirmwareInfo, type FirmwareLayout, type MetadataSection,
} from './ovmf/firmware.js';
export { buildHashTable, buildHashesPage, cmdlineHash, type DirectBootHashes } from './ovmf/kernel-hashes.js';
export {
  buildSnpOvmfPlan, buildOvmfHashPlan, buildLegacySvsmPlan, sevLaunchDigest, sevEsLaunchDigest, metadataRuns,
  type FirmwareImage, type SnpOvmfLaunch, type BuiltPlan,
} from './ovmf/launch.js';
export { parseMetadataJson, formatMetadataJson } from './ovmf/metadata-json.js';
export { guidToBytes, guidFromBytes, GUIDS } from './ovmf/guid.js';
export {
  REGION_FLAGS, RULES_VERSION, decodeStruct, encodeStruct, decodeRegionArray, encodeRegionArray, flagNames,
  type VmfwupdateStruct, type RegionDescriptor,
} from './regions/format.js';
export { ExtentMemory, bytesExtent, EMPTY_MEMORY, type GuestMemory, type MemoryExtent } from './regions/memory.js';
export {
  replayRegions, replayUpdate, entersLaunch, findFirmwareRegion, REPLAY_VMSA_GPA,
  type ReplayInput, type ReplayLaunch, type ReplayOutcome, type RegionSpec, type RegionData,
} from './regions/replay.js';
export { parseManifest, formatManifest, manifestRegionSpecs, resolveLaunch, type Manifest, type ManifestRegion } from './regions/manifest.js';
export { ovmfRegionList } from './regions/from-ovmf.js';
export { parseIgvm, type IgvmFile, type IgvmHeader } from './igvm/parse.js';
export { measureIgvm, igvmmeasureCheckKvm, IGVM_SEMANTICS, type IgvmMeasureOptions, type IgvmSemantics, type ApVmsaPolicy } from './igvm/measure.js';
export { buildIgvm, type IgvmBuildHeader } from './igvm/build.js';
export { describeIgvm } from './igvm/inspect.js';
export { decodePolicy, type DecodedPolicy } from './snp/policy.js';
export { decodeVmLaunchUpdate, launchSchedule, type VmLaunchUpdate, type LaunchSchedule } from './launch-update/model.js';
export { parseReport, buildReport, decodeTcb, reportVersionFields, formatFirmwareVersion, hostProductLine, type AttestationReport, type FirmwareVersion } from './attestation/report.js';
export { parseLog, compareLogs, formatComparison, type LogStep, type LogComparison } from './attestation/log-diff.js';
export {
  ovmfLaunch, regionsLaunch, igvmLaunch, sweep, distinctVcpuTypes, ALL_PROFILES,
  type ConfigurableLaunch, type LaunchConfig, type SearchSpace, type ConfigResult,
} from './attestation/launch-space.js';
export { measurementSet, trusteeMessage, goSevGuestPolicies, contrastEntries, encodeDigest, configLabels } from './attestation/reference-values.js';
export { goSevGuestConfigs, goSevGuestStream, checkGuestPolicy, readCheckConfig, DEFAULT_GUEST_POLICY, type GoSevGuestConfig } from './attestation/go-sev-guest.js';
export { contrastReferenceValues, contrastProduct, extendApeipDigest, CONTRAST_PRODUCTS, type ContrastOutput } from './attestation/contrast.js';
export { trusteeRegistrationMessage, trusteeOperatorFile, trusteeSample, trusteeExpiration } from './attestation/trustee.js';
export { readReferenceValues, readGoSevGuestDirectory, matchReferences, describeMatch, describeMismatch, type ReferenceSet, type ReferenceEntry } from './attestation/reference-reader.js';
export { provenanceJson, type ProvenanceData } from './attestation/provenance.js';
export { explainNoMatch, type NoMatchContext } from './attestation/explain.js';
export { encodeIdBlock, encodeIdAuth, encodePublicKey, encodeSignature } from './snp/id-block.js';
