/** Shared by the attestation commands: reading reports, and their JSON. */
import { FORMATS } from '../formats.js';
import { hex64, toHex } from '../bytes.js';
import { parseReport, reportVersionFields, type AttestationReport, type TcbVersion } from '../attestation/report.js';
import { readInputFile } from '../node/files.js';
import type { CliIO } from './io.js';

export function tcbJson(t: TcbVersion): Record<string, unknown> {
  return { raw: hex64(t.raw), ...(t.fmc !== undefined ? { fmc: t.fmc } : {}), bootloader: t.bootloader, tee: t.tee, snp: t.snp, microcode: t.microcode };
}

export function reportJson(r: AttestationReport): Record<string, unknown> {
  const { warnings, ...policy } = r.policy;
  return {
    format: FORMATS.report,
    version: r.version, ...reportVersionFields(r), guestSvn: r.guestSvn,
    policy: { ...policy, value: hex64(r.policy.value), unknownBits: hex64(r.policy.unknownBits), warnings },
    familyId: toHex(r.familyId), imageId: toHex(r.imageId), vmpl: r.vmpl, signatureAlgo: r.signatureAlgo,
    currentTcb: tcbJson(r.currentTcb), platformInfo: hex64(r.platformInfo),
    authorKeyEnabled: r.authorKeyEnabled, maskChipKey: r.maskChipKey, signingKey: r.signingKey === 0 ? 'VCEK' : r.signingKey === 1 ? 'VLEK' : r.signingKey,
    reportData: toHex(r.reportData), measurement: toHex(r.measurement), hostData: toHex(r.hostData),
    idKeyDigest: toHex(r.idKeyDigest), authorKeyDigest: toHex(r.authorKeyDigest), reportId: toHex(r.reportId), reportIdMa: toHex(r.reportIdMa),
    reportedTcb: tcbJson(r.reportedTcb), cpuid: r.cpuid ?? null, chipId: toHex(r.chipId),
    committedTcb: tcbJson(r.committedTcb), launchTcb: tcbJson(r.launchTcb),
    ...(r.launchMitigationVector !== undefined ? { launchMitigationVector: hex64(r.launchMitigationVector), currentMitigationVector: hex64(r.currentMitigationVector!) } : {}),
    signature: { r: toHex(r.signature.r), s: toHex(r.signature.s), checked: false, note: 'the signature is not checked: verify it against the VCEK/VLEK chain with your verifier' },
  };
}

export function loadReport(path: string, io: CliIO): AttestationReport {
  return parseReport(readInputFile(path, 'report', io.cwd, 'report'), `report ${path}`);
}


