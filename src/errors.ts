/**
 * Every failure the library reports is a MeasureError with a stable code. The CLI prints
 * `error[CODE]: message` and maps the code's category to an exit status, so scripts can
 * depend on codes while messages stay free to improve.
 */
export type ErrorCategory = 'usage' | 'input' | 'mismatch' | 'outcome' | 'internal';

export interface ErrorCodeInfo {
  readonly category: ErrorCategory;
  readonly meaning: string;
  readonly fix: string;
}

/**
 * Every error code with its category, meaning and fix: the catalogue docs/errors.md is generated
 * from. Codes are stable, so callers may branch on them.
 */
export const ERROR_CODES = {
  'usage': { category: 'usage', meaning: 'The command line is malformed (unknown option, missing value, conflicting options).', fix: 'Check `vmfw-measure <command> --help`.' },
  'bad-number': { category: 'usage', meaning: 'A numeric value could not be parsed or is out of range.', fix: 'Use decimal or 0x-prefixed hex within the field\'s width.' },
  'bad-hex': { category: 'input', meaning: 'A hex or base64 value is malformed or has the wrong length.', fix: 'Pass the exact number of bytes the field needs, as hex.' },
  'file-missing': { category: 'input', meaning: 'A named file does not exist or is not a regular file.', fix: 'Check the path.' },
  'file-read': { category: 'input', meaning: 'A file could not be read.', fix: 'Check permissions and that the path is a file.' },
  'firmware-size': { category: 'input', meaning: 'The firmware image is empty, larger than 4 GiB, or not a multiple of 4096 bytes.', fix: 'Pass the combined OVMF.fd exactly as QEMU loads it.' },
  'footer-table': { category: 'input', meaning: 'The OVMF footer GUID table is malformed (an entry length points outside the table).', fix: 'The image is damaged or not an OVMF build.' },
  'footer-duplicate': { category: 'input', meaning: 'The OVMF footer table lists the same GUID twice.', fix: 'The image is damaged; real OVMF builds never repeat a GUID.' },
  'footer-entry': { category: 'input', meaning: 'An OVMF footer table entry is too short for the data it must hold.', fix: 'The image is damaged or not an OVMF build.' },
  'no-reset-block': { category: 'input', meaning: 'The firmware has no SEV-ES reset block, so the AP start address is unknown.', fix: 'Pass the combined OVMF.fd (not OVMF_VARS.fd or a split CODE file), or an explicit AP reset EIP.' },
  'no-ap-eip': { category: 'input', meaning: 'More than one vCPU but the AP reset EIP is 0 or absent.', fix: 'Use a firmware with an SEV-ES reset block or give the EIP explicitly.' },
  'sev-metadata': { category: 'input', meaning: 'The SEV metadata ("ASEV") block is malformed: bad signature, version, size or count, or outside the file.', fix: 'The image is damaged or not an SEV-capable OVMF build.' },
  'unknown-section': { category: 'input', meaning: 'The SEV metadata has a section type this tool does not know.', fix: 'Pass --unknown-sections zero to measure it as ZERO pages the way upstream QEMU does.' },
  'section-range': { category: 'input', meaning: 'A metadata section is empty, unaligned, or too large.', fix: 'The image is damaged.' },
  'no-kernel-hashes-section': { category: 'input', meaning: 'A kernel was given but the firmware has no SNP_KERNEL_HASHES metadata section (OvmfPkgX64 builds have none).', fix: 'Use an AmdSevX64 OVMF build for measured direct boot, or drop --kernel.' },
  'kernel-hashes-unsupported': { category: 'input', meaning: 'A kernel was given but the firmware has no (or a zero) kernel-hashes table address.', fix: 'Use an AmdSevX64 OVMF build, or drop --kernel.' },
  'kernel-hashes-layout': { category: 'input', meaning: 'The kernel-hashes section is not one page, or the table does not fit in its page.', fix: 'The image is damaged or uses an unsupported layout.' },
  'no-svsm-info': { category: 'input', meaning: 'The SVSM image has no SVSM_INFO entry in its footer table.', fix: 'Pass a legacy COCONUT-SVSM svsm.bin.' },
  'svsm-layout': { category: 'input', meaning: 'The SVSM image does not fit below the firmware and variable store.', fix: 'Check --vars-size and the images.' },
  'vcpus': { category: 'input', meaning: 'The vCPU count is out of range.', fix: 'Give a count from 0 (1 for region lists) to 65536.' },
  'vcpu-type': { category: 'usage', meaning: 'Unknown vCPU type name.', fix: 'Use a QEMU model name (EPYC-v4, EPYC-Milan, ...) or --vcpu-sig / --vcpu-family.' },
  'profile': { category: 'usage', meaning: 'Unknown VMM profile or era.', fix: 'Use qemu, ec2 or gce (any case) and an era the profile knows.' },
  'seed': { category: 'input', meaning: 'The precomputed firmware digest (seed) is not 48 bytes of hex.', fix: 'Pass the 96-hex-digit output of --mode snp:ovmf-hash.' },
  'metadata-json': { category: 'input', meaning: 'The metadata-only JSON file is malformed.', fix: 'Use {"MetadataItems":[{"GPA","Size","SectionTypeInt"}],"ResetEIP","OVMFHash"}.' },
  'plan': { category: 'internal', meaning: 'A launch plan step is malformed (unaligned GPA, wrong contents length).', fix: 'A bug in a front-end; please report it.' },
  'too-many-steps': { category: 'input', meaning: 'The launch would take more launch updates than the step cap (default 2^26, 256 GiB of pages, one to two minutes of hashing).', fix: 'Check region sizes (a size in bytes may have been given as a page count); raise the cap with --max-steps for a genuinely larger launch.' },
  'output': { category: 'input', meaning: 'An output could not be written (full disk, closed standard output, a directory or device as target), or an output names an input file.', fix: 'Check the directory exists and is writable, and that no output path names an input.' },
  'input-too-large': { category: 'input', meaning: 'An input read whole (standard input, a FIFO, a text file) is larger than its kind allows; docs/robustness.md lists the limits.', fix: 'Check the file is the right one; firmware and IGVM images of any size can be given as a regular file path, which is read on demand.' },
  'input-kind': { category: 'input', meaning: 'An input path names something that is not a regular file where one is needed: a character or block device (/dev/zero), a socket, or a FIFO for an input read at random offsets.', fix: 'Save the data to a regular file first (FIFOs and standard input work for inputs read whole).' },
  'mismatch': { category: 'mismatch', meaning: 'A measured value differs from the expected one.', fix: 'Compare the launch logs with `vmfw-measure diff` to find the first differing step.' },
  // vmfwupdate region lists (codes fixed by vectors/regions-README.md)
  'reserved-flag': { category: 'input', meaning: 'A region sets a flag bit other than COPY 0, ZERO 1, MEASURE 2, VALIDATE 3, IGVM_IMAGE 8, IGVM_PARAM 9, SEV_CPUID 16, SEV_SECRETS 17.', fix: 'Clear the reserved bits.' },
  'size-zero': { category: 'input', meaning: 'A region that enters the launch has size 0.', fix: 'Give the region a size of at least one page, or drop it.' },
  'unaligned': { category: 'input', meaning: 'A region that enters the launch has a size or destination that is not a multiple of 4096.', fix: 'Align dst and size to 4 KiB.' },
  'gpa-range': { category: 'input', meaning: 'dst + size overflows 64 bits or ends above 2^52.', fix: 'Keep regions inside the 52-bit guest physical address space.' },
  'copy-and-zero': { category: 'input', meaning: 'A region has both COPY and ZERO.', fix: 'Choose one source for the region contents.' },
  'measure-without-source': { category: 'input', meaning: 'A region has MEASURE without COPY or ZERO, so nothing defines its contents.', fix: 'Add COPY (with a source) or ZERO.' },
  'cpuid-and-secrets': { category: 'input', meaning: 'A region has both SEV_CPUID and SEV_SECRETS.', fix: 'Use one region per special page.' },
  'special-with-measure': { category: 'input', meaning: 'SEV_CPUID or SEV_SECRETS together with MEASURE.', fix: 'Special pages are never measured; drop MEASURE.' },
  'special-with-zero': { category: 'input', meaning: 'SEV_CPUID or SEV_SECRETS together with ZERO (the rules allow COPY or nothing).', fix: 'Drop ZERO.' },
  'special-size': { category: 'input', meaning: 'A SEV_CPUID or SEV_SECRETS region is not exactly 4096 bytes.', fix: 'Make the special region one page.' },
  'igvm-flags': { category: 'input', meaning: 'An IGVM_IMAGE or IGVM_PARAM region has a flag other than COPY, or lacks COPY.', fix: 'IGVM regions take COPY and nothing else.' },
  'igvm-param-orphan': { category: 'input', meaning: 'An IGVM_PARAM region comes before any IGVM_IMAGE region.', fix: 'Put the IGVM image region first.' },
  'igvm-capability': { category: 'input', meaning: 'An IGVM_IMAGE region while the struct capabilities lack IGVM_IMAGES (bit 1).', fix: 'The VMM does not accept IGVM images; use plain regions.' },
  'igvm-unsupported': { category: 'input', meaning: 'The region list has more than one IGVM_IMAGE region, or an image too large for the format.', fix: 'One launch executes one IGVM image.' },
  'overlap': { category: 'input', meaning: 'Two regions that enter the launch share a page (SNP launch-updates a page only once).', fix: 'Make the launched regions disjoint.' },
  'vmsa-overlap': { category: 'input', meaning: 'A region that enters the launch covers the VMSA page 0xFFFFFFFFF000.', fix: 'Move the region off the VMSA page.' },
  'source-missing': { category: 'input', meaning: 'A COPY region\'s source bytes are not all available in the supplied memory.', fix: 'Supply the memory image or extents that hold [src, src + size), or pad: "zero" in a manifest.' },
  'disabled': { category: 'outcome', meaning: 'The struct\'s control has DISABLE set: the VMM ignores the update and the next launch is unchanged (an outcome, not a digest).', fix: 'Nothing to measure; clear DISABLE to request an update.' },
  'too-many-regions': { category: 'input', meaning: 'More than 65535 regions.', fix: 'Merge regions.' },
  'region-array-range': { category: 'input', meaning: 'The region array runs past the available memory.', fix: 'Supply the memory that holds the array at regions_addr.' },
  'struct-size': { category: 'input', meaning: 'The struct vmfwupdate bytes are neither 40 (natural) nor 36 (packed) bytes long.', fix: 'Capture the whole struct.' },
  'struct-range': { category: 'input', meaning: 'The struct vmfwupdate is not available in memory at the given GPA.', fix: 'Check --struct-at and the memory image.' },
  'metadata-overlap': { category: 'input', meaning: 'With firmwareMetadata "ovmf", a firmware metadata section overlaps a page a region already launched.', fix: 'Drop the region or use firmwareMetadata "none" and list the pages explicitly.' },
  'no-firmware-region': { category: 'input', meaning: 'firmwareMetadata "ovmf" needs a firmware region (COPY + MEASURE ending exactly at 4 GiB).', fix: 'Add the firmware region or use firmwareMetadata "none".' },
  'manifest': { category: 'input', meaning: 'The region-list manifest is malformed (names the key or region index).', fix: 'See docs/regions.md for the manifest format.' },
  'json-duplicate-key': { category: 'input', meaning: 'A JSON object (manifest, metadata, reference values, matrix) names the same key twice; readers disagree on which value counts.', fix: 'Keep one of the two entries; the message names the key and both positions.' },
  'memory': { category: 'input', meaning: 'A guest-memory source is malformed (overlapping extents, bad extent syntax).', fix: 'Give extents as GPA=FILE that do not overlap.' },
  // IGVM files (codes follow vectors/igvm/README.md) and vm-launch-update
  'igvm-short-file': { category: 'input', meaning: "The file is shorter than the 24-byte IGVM fixed header.", fix: "Pass a whole IGVM file." },
  'igvm-bad-magic': { category: 'input', meaning: "The file does not start with the IGVM magic \"IGVM\".", fix: "Pass an IGVM file." },
  'igvm-unsupported-version': { category: 'input', meaning: "The IGVM format version is not 1 (version 2 is recognised but unstable and unsupported).", fix: "Build the file as IGVM format version 1." },
  'igvm-size-mismatch': { category: 'input', meaning: "total_file_size in the fixed header differs from the file length.", fix: "The file is truncated or padded." },
  'igvm-bad-vh-offset': { category: 'input', meaning: "variable_header_offset is below 24, not 8-byte aligned, or past the end.", fix: "The file is damaged." },
  'igvm-bad-vh-size': { category: 'input', meaning: "The variable-header section runs past the end of the file or is not a multiple of 8.", fix: "The file is damaged." },
  'igvm-empty-file-data': { category: 'input', meaning: "The file-data section is empty (the igvm crate, QEMU and igvmmeasure reject such files).", fix: "Rebuild the file." },
  'igvm-bad-checksum': { category: 'input', meaning: "The CRC-32 of the fixed and variable headers does not match.", fix: "The headers were modified or damaged." },
  'igvm-truncated-header': { category: 'input', meaning: "A variable header (or its padding) does not fit in the variable-header section.", fix: "The file is damaged." },
  'igvm-nonzero-padding': { category: 'input', meaning: "The padding after a variable header is not zero.", fix: "The file is damaged or misaligned." },
  'igvm-unknown-type': { category: 'input', meaning: "A variable header has a type this parser does not accept (including optional-bit and reserved types).", fix: "QEMU rejects such files too; rebuild without that header." },
  'igvm-bad-length': { category: 'input', meaning: "A known header type has a length other than its structure size.", fix: "The file is damaged." },
  'igvm-section-order': { category: 'input', meaning: "A header appears after a later section started (platform, then initialization, then directives).", fix: "Rebuild the file in section order." },
  'igvm-no-platform': { category: 'input', meaning: "The file declares no SUPPORTED_PLATFORM.", fix: "Rebuild the file." },
  'igvm-bad-platform': { category: 'input', meaning: "A SUPPORTED_PLATFORM is malformed (mask with more than one bit, VTL, type, version, shared GPA boundary).", fix: "Rebuild the file." },
  'igvm-duplicate-platform': { category: 'input', meaning: "Two SUPPORTED_PLATFORM headers declare the same platform type or mask bit.", fix: "Rebuild the file." },
  'igvm-bad-mask': { category: 'input', meaning: "A compatibility mask is zero or uses undeclared platform bits.", fix: "Rebuild the file." },
  'igvm-reserved-nonzero': { category: 'input', meaning: "A reserved field or reserved flag bit is set.", fix: "Rebuild the file." },
  'igvm-unaligned-gpa': { category: 'input', meaning: "A GPA is not 4 KiB aligned (2 MiB for 2 MiB pages).", fix: "Rebuild the file." },
  'igvm-bad-page-data-type': { category: 'input', meaning: "A PAGE_DATA has an unknown data type.", fix: "Rebuild the file." },
  'igvm-unaligned-size': { category: 'input', meaning: "A parameter area size is zero or not a multiple of 4096.", fix: "Rebuild the file." },
  'igvm-bad-file-offset': { category: 'input', meaning: "A file_offset points outside the file-data section or leaves too few bytes.", fix: "The file is damaged." },
  'igvm-param-index-reuse': { category: 'input', meaning: "A parameter area index is declared twice.", fix: "Rebuild the file." },
  'igvm-param-index-invalid': { category: 'input', meaning: "A parameter usage or insert names an undeclared or already inserted area.", fix: "Rebuild the file." },
  'igvm-param-offset-range': { category: 'input', meaning: "A parameter does not fit in its area at its byte offset.", fix: "Rebuild the file." },
  'igvm-gpa-range': { category: 'input', meaning: "A PARAMETER_INSERT's parameter area, placed at the insert's gpa, runs past the 64-bit GPA space.", fix: "The file is damaged: the insert's gpa or the area's number_of_bytes is wrong." },
  'igvm-bad-vp-context': { category: 'input', meaning: "A VP_CONTEXT is malformed for its platform (mask, type, GPA, trailing bytes).", fix: "Rebuild the file." },
  'igvm-duplicate-vp-context': { category: 'input', meaning: "Two VP_CONTEXTs for the same platform and vp_index.", fix: "Rebuild the file." },
  'igvm-duplicate-policy': { category: 'input', meaning: "More than one GUEST_POLICY for one platform.", fix: "Rebuild the file." },
  'igvm-duplicate-id-block': { category: 'input', meaning: "More than one SNP_ID_BLOCK for one platform.", fix: "Rebuild the file." },
  'igvm-no-snp-platform': { category: 'input', meaning: "The file has no SEV-SNP platform, so it has no SNP launch digest.", fix: "Use a file built for SEV-SNP." },
  'igvm-qemu-unsupported-header': { category: 'input', meaning: "QEMU aborts the load on this header type (COMMAND_LINE, SRAT, MMIO_RANGES, ...), whatever its mask.", fix: "Rebuild without it, or measure with --semantics igvm-crate or igvmmeasure." },
  'igvm-qemu-vmsa-gpa': { category: 'input', meaning: "QEMU refuses a VMSA whose GPA is not 0xFFFFFFFFF000 (KVM places every VMSA there).", fix: "Rebuild the file with the KVM VMSA GPA." },
  'igvm-qemu-vmsa-fields': { category: 'input', meaning: "QEMU refuses a VMSA with fields it cannot synchronise with KVM.", fix: "Rebuild the VMSA with only the forwarded fields set." },
  'igvm-qemu-sev-features': { category: 'input', meaning: "The VMSA of vCPU 0 lacks SNPActive in sev_features, which QEMU requires.", fix: "Set sev_features bit 0." },
  'igvm-qemu-vp-index': { category: 'input', meaning: "A VP context names a vCPU index at or beyond the vCPU count.", fix: "Raise --vcpus or drop the VP context." },
  'igvm-missing-guest-policy': { category: 'input', meaning: "The igvm-crate semantics need a GUEST_POLICY for the SEV-SNP platform.", fix: "Add a GUEST_POLICY, or use the qemu semantics." },
  'igvm-igvmmeasure-2mb-data': { category: 'input', meaning: "igvmmeasure aborts on a 2 MiB PAGE_DATA that carries file data.", fix: "Use the qemu semantics, or 4 KiB pages." },
  'launch-update': { category: 'input', meaning: "The vm-launch-update struct is malformed or cannot be acted on (version, FORMAT_IGVM, image range).", fix: "See docs/spec/igvm.md#vm-launch-update." },
  'launch-update-not-igvm': { category: 'input', meaning: "The VM was not started from IGVM, so QEMU reports NOT_IGVM_INIT and ignores the update.", fix: "Give --host-igvm: the VM must be launched from an IGVM file." },
  // attestation workflows
  'report': { category: 'input', meaning: 'An attestation report is malformed: wrong size, unknown version, undecodable text.', fix: 'Pass the 1184-byte report (binary, hex or base64) the guest obtained.' },
  'log-format': { category: 'input', meaning: 'A launch log is not JSON Lines of launch steps.', fix: 'Pass a log written by --log.' },
  'reference-values': { category: 'input', meaning: 'A reference-values or matrix file is malformed.', fix: 'See docs/attestation.md for the formats.' },
  'guest-policy': { category: 'usage', meaning: 'A guest policy no SEV-SNP launch can have: reserved bit 17 clear, or a bit from 26 to 63 set (go-sev-guest `check` and `validate.PolicyToOptions` reject it too).', fix: 'Use the policy the VM is launched with, e.g. 0x30000.' },
  'go-sev-guest-output': { category: 'usage', meaning: 'go-sev-guest `check -config` would misread this output: several check.Config in one file, or a file name not ending in .textproto (read as binary).', fix: 'Use --out-dir DIR for several configurations, and a FILE.textproto name.' },
  'contrast-product': { category: 'usage', meaning: 'Contrast reference values need the host CPU product (ProductName picks the AMD certificate chain); Contrast accepts Milan and Genoa only.', fix: 'Give --product milan or --product genoa, the CPU of the hosts that run the VM.' },
  'contrast-policy': { category: 'usage', meaning: 'The guest policy is one Contrast refuses as GuestPolicy: SMT must be allowed, ABI major 0, ABI minor 0 or 31, every other flag clear.', fix: 'Launch with, and pass, a policy such as 0x30000.' },
  'contrast-apeip': { category: 'usage', meaning: 'The APEIP form cannot describe this launch: Contrast extends the 1-vCPU digest with QEMU/KVM (init2) AP VMSAs carrying the product\'s vCPU signature and sev_features 0x1.', fix: 'Use --vcpu-type matching --product (EPYC-Milan or EPYC-Genoa), --guest-features 0x1 and the qemu init2 profile, or list every count without --apeip.' },
  'expires': { category: 'usage', meaning: 'The expiry time is not an RFC 3339 UTC timestamp Trustee can read (YYYY-MM-DDTHH:MM:SSZ).', fix: 'Give a time such as 2027-01-01T00:00:00Z.' },
  'key': { category: 'input', meaning: 'A signing key is not an ECDSA P-384 private key in PEM.', fix: 'Generate one with: openssl ecparam -name secp384r1 -genkey -noout -out id.pem' },
  'conformance': { category: 'input', meaning: 'A conformance vector file is malformed, of an unknown schema, or names a fixture file that is not there.', fix: 'Pass a vector file of a known schema (vectors/README.md); --fixtures DIR names the folder holding its fixture files.' },
  'ci-config': { category: 'input', meaning: 'The CI launch config (vmfw-measure.json) is malformed: unknown or repeated key, a key of another launch kind, a missing input.', fix: 'See docs/ci.md for the config schema; the message names launches.NAME.key.' },
  'lock': { category: 'input', meaning: 'A lock file is missing, malformed or of another format.', fix: 'Write it with `vmfw-measure lock` (or `check --update`); see docs/ci.md for the format.' },
} as const satisfies Record<string, ErrorCodeInfo>;

/** A stable error code: a key of ERROR_CODES. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Machine-readable context of an error: the region index (or overlapping pair) it concerns. */
export interface ErrorDetails {
  readonly region?: number;
  readonly regions?: readonly [number, number];
  readonly field?: string;
  readonly offset?: number;
}

/**
 * The one error type for bad input: `code` is stable (ERROR_CODES), `message` names the field,
 * offset or region, and `details` carries them for machines. The CLI exits 3 on any other error.
 */
export class MeasureError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'MeasureError';
    this.code = code;
    this.details = details;
  }
}

export function fail(code: ErrorCode, message: string, details?: ErrorDetails): never {
  throw new MeasureError(code, message, details);
}

/** Whether `e` is a MeasureError (an error of this tool, with a code and a message naming the field), not a bug or a host error. */
export function isMeasureError(e: unknown): e is MeasureError {
  return e instanceof MeasureError;
}
