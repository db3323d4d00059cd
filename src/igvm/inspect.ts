/** A readable account of an IGVM file: fixed header, platforms, policy, ID block and every directive. */
import { hex64, toHex } from '../bytes.js';
import { defaultSuite } from '../hash/suite.js';
import { sourceSha256 } from '../ovmf/firmware.js';
import { decodePolicy } from '../snp/policy.js';
import { PAGE_DATA_TYPE_NAMES, PLATFORM_TYPE_NAMES, PageDataFlags, headerTypeName } from './defs.js';
import { fileData, type IgvmFile, type IgvmHeader } from './parse.js';

function flagNames(flags: number): string[] {
  const out: string[] = [];
  if (flags & PageDataFlags.IS_2MB_PAGE) out.push('2MB');
  if (flags & PageDataFlags.UNMEASURED) out.push('UNMEASURED');
  if (flags & PageDataFlags.SHARED) out.push('SHARED');
  return out;
}

export function describeHeader(f: IgvmFile, h: IgvmHeader): Record<string, unknown> {
  const base = { index: h.index, offset: hex64(h.offset), type: headerTypeName(h.type) };
  const dataDigest = (off: number): string | null => (off === 0 ? null : toHex(defaultSuite.sha384(fileData(f, off))));
  switch (h.kind) {
    case 'platform':
      return { ...base, mask: hex64(h.mask), platform: PLATFORM_TYPE_NAMES[h.platformType] ?? h.platformType, highestVtl: h.highestVtl, version: h.platformVersion, sharedGpaBoundary: hex64(h.sharedGpaBoundary) };
    case 'guest-policy':
      return { ...base, mask: hex64(h.mask), policy: hex64(h.policy), decoded: decodePolicy(h.policy) };
    case 'page-data':
      return { ...base, gpa: hex64(h.gpa), mask: hex64(h.mask), dataType: PAGE_DATA_TYPE_NAMES[h.dataType] ?? h.dataType, flags: flagNames(h.flags), fileOffset: hex64(h.fileOffset), dataSha384: dataDigest(h.fileOffset) };
    case 'parameter-area':
      return { ...base, areaIndex: h.areaIndex, size: hex64(h.numberOfBytes), fileOffset: hex64(h.fileOffset) };
    case 'parameter-insert':
      return { ...base, gpa: hex64(h.gpa), mask: hex64(h.mask), areaIndex: h.areaIndex };
    case 'vp-context':
      return { ...base, gpa: hex64(h.gpa), mask: hex64(h.mask), vpIndex: h.vpIndex, fileOffset: hex64(h.fileOffset), dataSha384: dataDigest(h.fileOffset) };
    case 'required-memory':
      return { ...base, gpa: hex64(h.gpa), mask: hex64(h.mask), size: hex64(h.numberOfBytes), vtl2Protectable: (h.flags & 1) === 1 };
    case 'parameter-usage':
      return { ...base, areaIndex: h.areaIndex, byteOffset: hex64(h.byteOffset) };
    case 'snp-id-block':
      return {
        ...base, mask: hex64(h.mask), ld: toHex(h.ld), familyId: toHex(h.familyId), imageId: toHex(h.imageId), version: h.version,
        guestSvn: h.guestSvn, idKeyAlgorithm: h.idKeyAlgorithm, authorKeyEnabled: h.authorKeyEnabled === 1,
      };
  }
}

export function describeIgvm(f: IgvmFile): Record<string, unknown> {
  return {
    formatVersion: f.formatVersion,
    size: f.source.length,
    sha256: toHex(sourceSha256(f.source)),
    checksum: hex64(f.checksum),
    variableHeaders: { offset: hex64(f.variableHeaderOffset), size: hex64(f.variableHeaderSize) },
    dataStart: hex64(f.dataStart),
    headers: f.headers.map((h) => describeHeader(f, h)),
  };
}

/** One line per header, for people. */
export function formatIgvmText(f: IgvmFile): string {
  const lines = [`IGVM v${f.formatVersion}, ${f.source.length} bytes, ${f.headers.length} headers, data from ${hex64(f.dataStart)}, checksum ${hex64(f.checksum)}`];
  for (const h of f.headers) {
    const d = describeHeader(f, h);
    const { index, offset, type, ...rest } = d;
    const fields = Object.entries(rest)
      .filter(([k]) => k !== 'decoded')
      .map(([k, v]) => `${k}=${Array.isArray(v) ? (v.length ? v.join('|') : '-') : v === null ? '-' : String(v)}`)
      .join(' ');
    lines.push(`#${String(index).padStart(3)} @${String(offset).padEnd(7)} ${String(type).padEnd(26)} ${fields}`);
  }
  return `${lines.join('\n')}\n`;
}
