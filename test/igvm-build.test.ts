import { describe, expect, it } from 'vitest';
import { buildIgvm, type IgvmBuildHeader } from '../src/igvm/build.js';
import { crc32 } from '../src/igvm/crc32.js';
import { parseIgvm } from '../src/igvm/parse.js';
import { igvmmeasureCheckKvm, measureIgvm } from '../src/igvm/measure.js';
import { measurePlan } from '../src/engine.js';
import { toHex } from '../src/bytes.js';
import { buildVmsaPage, resolveProfile } from '../src/profiles.js';
import { isMeasureError } from '../src/errors.js';
import { HeaderType, PlatformType } from '../src/igvm/defs.js';

const SNP = 1;
const snpPlatform: IgvmBuildHeader = { kind: 'platform', mask: SNP, platformType: PlatformType.SEV_SNP, sharedGpaBoundary: 1n << 46n };
const policy: IgvmBuildHeader = { kind: 'guest-policy', policy: 0x30000n, mask: SNP };
const digest = (bytes: Uint8Array, o: Parameters<typeof measureIgvm>[1]): string => toHex(measurePlan(measureIgvm(parseIgvm(bytes), o).plan).digest);
const codeOf = (f: () => unknown): string => { try { f(); return 'ok'; } catch (e) { if (isMeasureError(e)) return e.code; throw e; } };

describe('CRC-32', () => {
  it('has the IEEE check value', () => { expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); });
});

describe('IGVM writer and parser', () => {
  it('a NORMAL page of zeros at GPA 0 gives PAGE_INFO chain-a step 0 (igvm-crate, igvmmeasure)', () => {
    const f = buildIgvm([snpPlatform, policy, { kind: 'page-data', gpa: 0n, mask: SNP, data: new Uint8Array(4096) }]);
    const want = '9d13634b6014bb21cf059b2dc694e7bff01a8a7137041100cd2b695f3d10fb687267b97808b27f8f471d943bc6f53a20';
    expect(digest(f, { semantics: 'igvm-crate' })).toBe(want);
    expect(digest(f, { semantics: 'igvmmeasure' })).toBe(want);
  });
  it('round-trips every header kind', () => {
    const f = parseIgvm(buildIgvm([
      snpPlatform, policy,
      { kind: 'parameter-area', index: 3, size: 0x2000n },
      { kind: 'parameter-usage', type: HeaderType.MEMORY_MAP, index: 3, byteOffset: 0x18 },
      { kind: 'parameter-insert', gpa: 0x7000n, mask: SNP, index: 3 },
      { kind: 'page-data', gpa: 0x100000n, mask: SNP, flags: 2, dataType: 0, data: new Uint8Array([1, 2, 3]) },
      { kind: 'required-memory', gpa: 0x200000n, mask: SNP, size: 0x3000 },
    ]));
    expect(f.headers.map((h) => h.kind)).toEqual(['platform', 'guest-policy', 'parameter-area', 'parameter-usage', 'parameter-insert', 'page-data', 'required-memory']);
    const page = f.headers[5]!;
    expect(page).toMatchObject({ kind: 'page-data', gpa: 0x100000n, flags: 2 });
    expect(f.headers[6]).toMatchObject({ kind: 'required-memory', numberOfBytes: 0x3000 });
  });
  it('qemu: a VP context holding the QEMU reset state measures as a vCPU without one', () => {
    const sig = 0x800f12n;
    const reset = buildVmsaPage(resolveProfile('qemu').vmsa, { eip: 0xfffffff0, vcpuSignature: sig, sevFeatures: 1n });
    const page: IgvmBuildHeader = { kind: 'page-data', gpa: 0xffff0000n, mask: SNP, data: new Uint8Array(4096).fill(0x90) };
    const withCtx = buildIgvm([snpPlatform, policy, page, { kind: 'vp-context', gpa: 0xfffffffff000n, mask: SNP, vpIndex: 0, data: reset }]);
    const without = buildIgvm([snpPlatform, policy, page]);
    expect(digest(withCtx, { semantics: 'qemu', vcpuSignature: sig, vcpus: 2 })).toBe(digest(without, { semantics: 'qemu', vcpuSignature: sig, vcpus: 2 }));
    expect(digest(withCtx, { semantics: 'qemu', vcpuSignature: sig, vcpus: 2, apVmsa: 'bsp' })).toBe(digest(without, { semantics: 'qemu', vcpuSignature: sig, vcpus: 2 }));
    expect(igvmmeasureCheckKvm(parseIgvm(withCtx)).result).toBe('kvm_check_vmsa_cr0');
  });
  it('qemu refuses what QEMU refuses', () => {
    const vmsa = new Uint8Array(4096);
    vmsa[0x3b0] = 1;
    const bad = new Uint8Array(vmsa); bad[0x0ca] = 1; // vmpl is not forwarded
    const mk = (gpa: bigint, data: Uint8Array): Uint8Array => buildIgvm([snpPlatform, policy, { kind: 'vp-context', gpa, mask: SNP, vpIndex: 0, data }]);
    expect(codeOf(() => measureIgvm(parseIgvm(mk(0x1000n, vmsa)), { semantics: 'qemu' }))).toBe('igvm-qemu-vmsa-gpa');
    expect(codeOf(() => measureIgvm(parseIgvm(mk(0xfffffffff000n, bad)), { semantics: 'qemu' }))).toBe('igvm-qemu-vmsa-fields');
    expect(codeOf(() => measureIgvm(parseIgvm(mk(0xfffffffff000n, new Uint8Array(4096))), { semantics: 'qemu' }))).toBe('igvm-qemu-sev-features');
    expect(codeOf(() => measureIgvm(parseIgvm(mk(0xfffffffff000n, vmsa)), { semantics: 'qemu', vcpus: 2 }))).toBe('usage');
    expect(codeOf(() => measureIgvm(parseIgvm(mk(0xfffffffff000n, vmsa)), { semantics: 'qemu', vcpus: 2, vcpuSignature: 1n }))).toBe('ok');
  });
  it('igvm-crate needs a guest policy for SEV-SNP', () => {
    const f = buildIgvm([snpPlatform, { kind: 'page-data', gpa: 0n, mask: SNP, data: new Uint8Array(1) }]);
    expect(codeOf(() => measureIgvm(parseIgvm(f), { semantics: 'igvm-crate' }))).toBe('igvm-missing-guest-policy');
  });
  it('rejects a file with no SEV-SNP platform', () => {
    const f = buildIgvm([{ kind: 'platform', mask: 1, platformType: PlatformType.TDX }, { kind: 'page-data', gpa: 0n, mask: 1, data: new Uint8Array(1) }]);
    expect(codeOf(() => measureIgvm(parseIgvm(f), { semantics: 'qemu' }))).toBe('igvm-no-snp-platform');
  });
});
