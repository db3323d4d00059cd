/** An attestation report's fields as the CLI's `vmfw-measure report` prints them. */
import { parseReport, type AttestationReport, type TcbVersion } from '../../src/attestation/report.js';
import { hex64, toHex } from '../../src/bytes.js';

export { parseReport, type AttestationReport };

const tcb = (t: TcbVersion): string =>
  `${t.fmc !== undefined ? `fmc ${t.fmc} ` : ''}bootloader ${t.bootloader} tee ${t.tee} snp ${t.snp} microcode ${t.microcode} (${hex64(t.raw)})`;

export function reportRows(r: AttestationReport): [string, string][] {
  const p = r.policy;
  const flags = [p.smt && 'SMT', p.migrateMa && 'MIGRATE_MA', p.debug && 'DEBUG', p.singleSocket && 'SINGLE_SOCKET', p.cxlAllow && 'CXL_ALLOW',
    p.memAes256Xts && 'AES_256_XTS', p.raplDis && 'RAPL_DIS', p.ciphertextHiding && 'CIPHERTEXT_HIDING'].filter(Boolean).join(' ');
  const signer = r.signingKey === 0 ? 'VCEK' : r.signingKey === 1 ? 'VLEK' : String(r.signingKey);
  return [
    ['version', String(r.version)],
    ['measurement', toHex(r.measurement)],
    ['policy', `${hex64(p.value)} (ABI ${p.abiMajor}.${p.abiMinor}${flags ? `, ${flags}` : ''})`],
    ['guest SVN', String(r.guestSvn)],
    ['VMPL', String(r.vmpl)],
    ['family ID', toHex(r.familyId)],
    ['image ID', toHex(r.imageId)],
    ['report data', toHex(r.reportData)],
    ['host data', toHex(r.hostData)],
    ['ID key digest', toHex(r.idKeyDigest)],
    ['author key digest', `${toHex(r.authorKeyDigest)}${r.authorKeyEnabled ? '' : ' (author key not enabled)'}`],
    ['signing key', signer],
    ['reported TCB', tcb(r.reportedTcb)],
    ['current TCB', tcb(r.currentTcb)],
    ['launch TCB', tcb(r.launchTcb)],
    ['host CPUID', r.cpuid ? `family 0x${r.cpuid.family.toString(16)} model 0x${r.cpuid.model.toString(16)} stepping ${r.cpuid.stepping}` : 'not in this report version'],
    ['chip ID', toHex(r.chipId)],
    ['signature', 'not checked (verify it against the VCEK/VLEK certificate chain with your verifier)'],
    ...p.warnings.map((w): [string, string] => ['warning', w]),
  ];
}
