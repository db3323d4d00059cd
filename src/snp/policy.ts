/** The SEV-SNP guest policy (SNP firmware ABI, "Guest Policy"), decoded for reports and IGVM dumps. */
export interface DecodedPolicy {
  readonly value: bigint;
  readonly abiMinor: number;
  readonly abiMajor: number;
  readonly smt: boolean;
  readonly reservedBit17: boolean;
  readonly migrateMa: boolean;
  readonly debug: boolean;
  readonly singleSocket: boolean;
  readonly cxlAllow: boolean;
  readonly memAes256Xts: boolean;
  readonly raplDis: boolean;
  readonly ciphertextHiding: boolean;
  /** Set bits this tool does not name. */
  readonly unknownBits: bigint;
  readonly warnings: readonly string[];
}

const bit = (v: bigint, n: number): boolean => ((v >> BigInt(n)) & 1n) === 1n;
const NAMED = (0xffffn) | (0x1ffn << 16n);

export function decodePolicy(value: bigint): DecodedPolicy {
  const warnings: string[] = [];
  if (!bit(value, 17)) warnings.push('policy bit 17 is reserved and must be 1; the firmware rejects this policy');
  if (bit(value, 19)) warnings.push('DEBUG is allowed: the host can read and write guest memory');
  return {
    value, abiMinor: Number(value & 0xffn), abiMajor: Number((value >> 8n) & 0xffn), smt: bit(value, 16), reservedBit17: bit(value, 17),
    migrateMa: bit(value, 18), debug: bit(value, 19), singleSocket: bit(value, 20), cxlAllow: bit(value, 21),
    memAes256Xts: bit(value, 22), raplDis: bit(value, 23), ciphertextHiding: bit(value, 24),
    unknownBits: value & ~NAMED, warnings,
  };
}
