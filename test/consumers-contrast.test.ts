/**
 * Contrast ReferenceValues.snp. The APEIP extension rule is re-implemented here from Contrast's
 * internal/snp (ExtendSNPLaunchDigest, BuildVMSASaveArea, CPUSigForProduct, GCTX) with node:crypto,
 * independently of the product code, and checked against the digests the sweep computes for every
 * vCPU count (what `reference-values --format json` prints).
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFirmware } from '../src/ovmf/firmware.js';
import { ovmfLaunch, sweep, type ConfigResult } from '../src/attestation/launch-space.js';
import { measurementSet } from '../src/attestation/reference-values.js';
import { resolveProfile } from '../src/profiles.js';
import {
  CONTRAST_PRODUCTS, contrastGuestPolicy, contrastProduct, contrastReferenceValues, extendApeipDigest,
} from '../src/attestation/contrast.js';
import { fromHex, toHex } from '../src/bytes.js';
import { isMeasureError } from '../src/errors.js';
import { REPO } from './helpers.js';

const codeOf = (f: () => unknown): string => { try { f(); return 'ok'; } catch (e) { if (isMeasureError(e)) return e.code; throw e; } };

// ---- Contrast's rule, re-implemented ----

/** internal/snp vcpu_types.go CPUSig(family, model, stepping). */
function cpuSig(family: number, model: number, stepping: number): number {
  const [fl, fh] = family > 0xf ? [0xf, (family - 0xf) & 0xff] : [family, 0];
  return ((fh << 20) | (((model >> 4) & 0xf) << 16) | (fl << 8) | ((model & 0xf) << 4) | (stepping & 0xf)) >>> 0;
}
/** CPUSigForProduct: Milan -> EPYC-Milan (25, 1, 1), Genoa -> EPYC-Genoa (25, 17, 0). */
const CONTRAST_SIG = { Milan: cpuSig(25, 1, 1), Genoa: cpuSig(25, 17, 0) } as const;

/** vmsa.go BuildVMSASaveArea(eip, sevFeatures, vcpuSig): the QEMU VMSA page Contrast builds. */
function contrastVmsa(eip: number, sevFeatures: bigint, vcpuSig: number): Buffer {
  const p = Buffer.alloc(4096);
  const seg = (off: number, sel: number, attrib: number, limit: number, base: bigint): void => {
    p.writeUInt16LE(sel, off); p.writeUInt16LE(attrib, off + 2); p.writeUInt32LE(limit, off + 4); p.writeBigUInt64LE(base, off + 8);
  };
  seg(0x000, 0, 0x93, 0xffff, 0n);
  seg(0x010, 0xf000, 0x9b, 0xffff, BigInt(eip) & 0xffff0000n);
  seg(0x020, 0, 0x93, 0xffff, 0n);
  seg(0x030, 0, 0x93, 0xffff, 0n); seg(0x040, 0, 0x93, 0xffff, 0n); seg(0x050, 0, 0x93, 0xffff, 0n);
  seg(0x060, 0, 0, 0xffff, 0n); seg(0x070, 0, 0x82, 0xffff, 0n); seg(0x080, 0, 0, 0xffff, 0n); seg(0x090, 0, 0x8b, 0xffff, 0n);
  p.writeBigUInt64LE(0x1000n, 0x0d0); // efer
  p.writeBigUInt64LE(0x40n, 0x148); // cr4
  p.writeBigUInt64LE(0x10n, 0x158); // cr0
  p.writeBigUInt64LE(0x400n, 0x160); // dr7
  p.writeBigUInt64LE(0xffff0ff0n, 0x168); // dr6
  p.writeBigUInt64LE(0x2n, 0x170); // rflags
  p.writeBigUInt64LE(BigInt(eip) & 0xffffn, 0x178); // rip
  p.writeBigUInt64LE(0x7040600070406n, 0x268); // g_pat
  p.writeBigUInt64LE(BigInt(vcpuSig), 0x310); // rdx
  p.writeBigUInt64LE(sevFeatures, 0x3b0);
  p.writeBigUInt64LE(0x1n, 0x3e8); // xcr0
  p.writeUInt32LE(0x1f80, 0x408); // mxcsr
  p.writeUInt16LE(0x37f, 0x410); // x87_fcw
  return p;
}

const sha384 = (b: Uint8Array): Buffer => createHash('sha384').update(b).digest();

/** gctx.go update(VMSA, 0xFFFFFFFFF000, sha384(page)) from the running digest. */
function gctxVmsaUpdate(ld: Uint8Array, page: Uint8Array): Buffer {
  const info = Buffer.alloc(0x70);
  info.set(ld, 0);
  info.set(sha384(page), 48);
  info.writeUInt16LE(0x70, 96);
  info[98] = 0x02; // PAGE_TYPE_VMSA
  info.writeBigUInt64LE(0xfffffffff000n, 104);
  return sha384(info);
}

/** guest.go ExtendSNPLaunchDigest(seed, n, apEIP, vcpuSig): sev_features is 0x1, always. */
function contrastExtend(seed: Uint8Array, n: number, apEip: number, vcpuSig: number): Uint8Array {
  const ap = contrastVmsa(apEip, 0x1n, vcpuSig);
  let ld: Uint8Array = seed;
  for (let i = 1; i < n; i++) ld = gctxVmsaUpdate(ld, ap);
  return ld;
}

// ---- the launch ----

const bytes = new Uint8Array(readFileSync(join(REPO, 'examples', 'ovmf', 'OVMF-synthetic-amdsev.fd')));
const info = parseFirmware(bytes);
const launch = ovmfLaunch({ firmware: { bytes, info }, layout: info });
const apEip = launch.apResetEip!;
const COUNTS = [...Array.from({ length: 16 }, (_, i) => i + 1), 64, 220];
const type = (name: string, signature: number): { name: string; signature: bigint; aliases: string[] } => ({ name, signature: BigInt(signature), aliases: [] });

/** What `reference-values --format json` writes for these configurations. */
function jsonDigests(vcpuType: { name: string; signature: bigint; aliases: string[] }, features: bigint): Map<number, string> {
  const sw = sweep(launch, { vcpus: COUNTS, vcpuTypes: [vcpuType], guestFeatures: [features], profiles: [resolveProfile('qemu')] });
  const set = measurementSet(sw.results, 'hex', {}) as { measurements: { vcpus: number; digest: string }[] };
  return new Map(set.measurements.map((m) => [m.vcpus, m.digest]));
}

describe('Contrast APEIP extension (re-implemented from Contrast) against the sweep', () => {
  expect(apEip).toBeGreaterThan(0);
  for (const [product, model] of [['Milan', 'EPYC-Milan'], ['Genoa', 'EPYC-Genoa']] as const) {
    it(`${product}: the 1-vCPU digest + APEIP + ${model}'s signature gives every count (1-16, 64, 220)`, () => {
      const json = jsonDigests(type(model, CONTRAST_SIG[product]), 0x1n);
      const seed = fromHex(json.get(1)!, 'seed');
      for (const n of COUNTS) expect(toHex(contrastExtend(seed, n, apEip, CONTRAST_SIG[product])), `${n} vCPUs`).toBe(json.get(n));
      // The product code's extension (used to read APEIP entries back) agrees with Contrast's.
      const ours = extendApeipDigest(seed, apEip, CONTRAST_PRODUCTS[product === 'Milan' ? 'milan' : 'genoa'], 220);
      for (const n of COUNTS) expect(toHex(ours[n - 1]!)).toBe(json.get(n));
    });
  }

  it('why APEIP is refused otherwise: EPYC-v4 or sev_features 0x21 extend to wrong digests for every count above 1', () => {
    const v4 = jsonDigests(type('EPYC-v4', cpuSig(23, 1, 2)), 0x1n);
    const gf21 = jsonDigests(type('EPYC-Genoa', CONTRAST_SIG.Genoa), 0x21n);
    for (const [json, sig] of [[v4, CONTRAST_SIG.Milan], [gf21, CONTRAST_SIG.Genoa]] as const) {
      const seed = fromHex(json.get(1)!, 'seed');
      const right = COUNTS.filter((n) => toHex(contrastExtend(seed, n, apEip, sig)) === json.get(n));
      expect(right).toEqual([1]);
    }
  });
});

describe('contrastReferenceValues', () => {
  const milan = sweep(launch, { vcpus: [1, 2, 4], vcpuTypes: [type('EPYC-Milan', CONTRAST_SIG.Milan)], guestFeatures: [0x1n], profiles: [resolveProfile('qemu')] }).results;
  const byCount = (rs: ConfigResult[], n: number): string => toHex(rs.find((r) => r.vcpus === n)!.digest);

  it('one entry per configuration: ProductName from --product, GuestPolicy {SMT:true}, the digest and CPUs', () => {
    const out = contrastReferenceValues(milan, { product: 'genoa' });
    expect(out.referenceValues.snp).toEqual([1, 2, 4].map((n) => ({ ProductName: 'Genoa', TrustedMeasurement: byCount(milan, n), GuestPolicy: { SMT: true }, CPUs: n })));
    expect(out.warnings.join('\n')).toMatch(/MinimumTCB/);
  });

  it('APEIP form: the 1-vCPU digest only, APEIP as Contrast reads it (8 hex digits, big-endian)', () => {
    const out = contrastReferenceValues(milan, { product: 'milan', apeip: { apResetEip: apEip } });
    expect(out.referenceValues.snp).toEqual([{ ProductName: 'Milan', TrustedMeasurement: byCount(milan, 1), GuestPolicy: { SMT: true }, CPUs: 1, APEIP: apEip.toString(16).padStart(8, '0') }]);
    const e = out.referenceValues.snp[0]!;
    const apeipBytes = fromHex(e['APEIP'] as string, 'apeip');
    expect(((apeipBytes[0]! << 24) | (apeipBytes[1]! << 16) | (apeipBytes[2]! << 8) | apeipBytes[3]!) >>> 0).toBe(apEip);
  });

  it('APEIP is refused (contrast-apeip) unless the vCPU signature is the product\'s and guest features are 0x1', () => {
    expect(() => contrastReferenceValues(milan, { product: 'genoa', apeip: { apResetEip: apEip } })).toThrow(/EPYC-Genoa 0xa10f10 for ProductName Genoa/);
    const v4 = sweep(launch, { vcpus: [1], vcpuTypes: [type('EPYC-v4', cpuSig(23, 1, 2))], guestFeatures: [0x1n], profiles: [resolveProfile('qemu')] }).results;
    expect(codeOf(() => contrastReferenceValues(v4, { product: 'milan', apeip: { apResetEip: apEip } }))).toBe('contrast-apeip');
    const gf21 = sweep(launch, { vcpus: [1], vcpuTypes: [type('EPYC-Milan', CONTRAST_SIG.Milan)], guestFeatures: [0x21n], profiles: [resolveProfile('qemu')] }).results;
    expect(() => contrastReferenceValues(gf21, { product: 'milan', apeip: { apResetEip: apEip } })).toThrow(/hard-codes sev_features 0x1/);
    const pre = sweep(launch, { vcpus: [1], vcpuTypes: [type('EPYC-Milan', CONTRAST_SIG.Milan)], guestFeatures: [0x1n], profiles: [resolveProfile('qemu', 'pre-init2')] }).results;
    expect(codeOf(() => contrastReferenceValues(pre, { product: 'milan', apeip: { apResetEip: apEip } }))).toBe('contrast-apeip');
    expect(codeOf(() => contrastReferenceValues(milan, { product: 'milan', apeip: { apResetEip: undefined } }))).toBe('contrast-apeip');
    expect(codeOf(() => contrastReferenceValues(milan.filter((r) => r.vcpus > 1), { product: 'milan', apeip: { apResetEip: apEip } }))).toBe('contrast-apeip');
  });

  it('--product is required, Milan or Genoa; Turin is refused with the reason', () => {
    expect(codeOf(() => contrastReferenceValues(milan, { product: undefined }))).toBe('contrast-product');
    expect(() => contrastProduct('turin')).toThrow(/Milan or Genoa only/);
    expect(codeOf(() => contrastProduct('__proto__'))).toBe('contrast-product');
    expect(contrastProduct('GENOA').name).toBe('Genoa');
  });

  it('GuestPolicy follows --policy where Contrast permits it, and refuses what its validation rejects', () => {
    expect(contrastGuestPolicy(0x30000n)).toEqual({ SMT: true });
    expect(contrastGuestPolicy(0x3001fn)).toEqual({ ABIMinor: 31, SMT: true });
    expect(() => contrastGuestPolicy(0x20000n)).toThrow(/SMT not allowed/);
    expect(() => contrastGuestPolicy(0xb0000n)).toThrow(/Debug \(bit 19\)/);
    expect(codeOf(() => contrastGuestPolicy(0x30100n))).toBe('contrast-policy');
    expect(codeOf(() => contrastGuestPolicy(0x10000n))).toBe('guest-policy');
  });
});
