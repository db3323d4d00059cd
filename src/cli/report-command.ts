/** `vmfw-measure report`: decode an SEV-SNP attestation report (the signature is not checked). */
import { hex64, toHex } from '../bytes.js';
import { reportVersionFields, type TcbVersion } from '../attestation/report.js';
import { toJson } from './common.js';
import type { CommandArgs } from './commands.js';
import type { CliIO } from './io.js';
import { reportJson, loadReport } from './attest-common.js';

export function runReportCommand(args: CommandArgs, io: CliIO): number {
  return runReport({ file: String(args.values['report']), json: args.values['json'] === true }, io);
}

export function runReport(a: { file: string; json: boolean }, io: CliIO): number {
  const r = loadReport(a.file, io);
  if (a.json) { io.out(toJson(reportJson(r))); return 0; }
  const p = r.policy;
  const flags = [p.smt && 'SMT', p.migrateMa && 'MIGRATE_MA', p.debug && 'DEBUG', p.singleSocket && 'SINGLE_SOCKET', p.cxlAllow && 'CXL_ALLOW', p.memAes256Xts && 'AES_256_XTS', p.raplDis && 'RAPL_DIS', p.ciphertextHiding && 'CIPHERTEXT_HIDING'].filter(Boolean).join(' ');
  const fw = reportVersionFields(r);
  const tcb = (t: TcbVersion): string => `${t.fmc !== undefined ? `fmc ${t.fmc} ` : ''}bootloader ${t.bootloader} tee ${t.tee} snp ${t.snp} microcode ${t.microcode} (${hex64(t.raw)})`;
  io.out([
    `version:            ${r.version}`,
    `measurement:        ${toHex(r.measurement)}`,
    `policy:             ${hex64(p.value)} (ABI ${p.abiMajor}.${p.abiMinor}${flags ? `, ${flags}` : ''})`,
    `guest SVN:          ${r.guestSvn}`,
    `VMPL:               ${r.vmpl}`,
    `family ID:          ${toHex(r.familyId)}`,
    `image ID:           ${toHex(r.imageId)}`,
    `report data:        ${toHex(r.reportData)}`,
    `host data:          ${toHex(r.hostData)}`,
    `ID key digest:      ${toHex(r.idKeyDigest)}`,
    `author key digest:  ${toHex(r.authorKeyDigest)}${r.authorKeyEnabled ? '' : ' (author key not enabled)'}`,
    `signing key:        ${r.signingKey === 0 ? 'VCEK' : r.signingKey === 1 ? 'VLEK' : r.signingKey}`,
    `reported TCB:       ${tcb(r.reportedTcb)}`,
    `current TCB:        ${tcb(r.currentTcb)}`,
    `launch TCB:         ${tcb(r.launchTcb)}`,
    `current firmware:   ${fw.currentVersion}`,
    `committed firmware: ${fw.committedVersion}`,
    `host CPUID:         ${r.cpuid ? `family 0x${r.cpuid.family.toString(16)} model 0x${r.cpuid.model.toString(16)} stepping ${r.cpuid.stepping}` : 'not in this report version'}`,
    `chip ID:            ${toHex(r.chipId)}`,
    `signature:          not checked (verify it against the VCEK/VLEK certificate chain with your verifier)`,
    ...p.warnings.map((w) => `warning:            ${w}`),
  ].join('\n') + '\n');
  return 0;
}
