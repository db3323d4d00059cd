/**
 * The initial VMSA page of a vCPU (struct sev_es_save_area), as measured at launch.
 * Only the fields some VMM sets are modelled; everything else is zero.
 */
import { writeU16, writeU32, writeU64 } from '../bytes.js';
import { PAGE_SIZE } from './page-info.js';

export interface Segment { selector: number; attrib: number; limit: number; base: bigint }

export interface VmsaRegisters {
  es: Segment; cs: Segment; ss: Segment; ds: Segment; fs: Segment; gs: Segment;
  gdtr: Segment; ldtr: Segment; idtr: Segment; tr: Segment;
  efer: bigint; cr4: bigint; cr0: bigint; dr7: bigint; dr6: bigint; rflags: bigint; rip: bigint;
  rsp: bigint; rax: bigint; rcx: bigint; rdx: bigint; rbx: bigint; rbp: bigint; rsi: bigint; rdi: bigint;
  cr3: bigint; xss: bigint; g_pat: bigint; sev_features: bigint; virtual_tom: bigint; xcr0: bigint;
  mxcsr: number; x87_fcw: number; vmpl: number; cpl: number;
}

/** Field offsets in the save area (Linux struct sev_es_save_area, AMD APM vol. 2 table B-4). */
export const VMSA_OFFSETS = {
  es: 0x000, cs: 0x010, ss: 0x020, ds: 0x030, fs: 0x040, gs: 0x050,
  gdtr: 0x060, ldtr: 0x070, idtr: 0x080, tr: 0x090,
  vmpl: 0x0ca, cpl: 0x0cb, efer: 0x0d0, xss: 0x140, cr4: 0x148, cr3: 0x150, cr0: 0x158,
  dr7: 0x160, dr6: 0x168, rflags: 0x170, rip: 0x178, rsp: 0x1d8, rax: 0x1f8, g_pat: 0x268,
  rcx: 0x308, rdx: 0x310, rbx: 0x318, rbp: 0x328, rsi: 0x330, rdi: 0x338,
  sev_features: 0x3b0, virtual_tom: 0x3c8, xcr0: 0x3e8, mxcsr: 0x408, x87_fcw: 0x410,
} as const;

const SEGMENTS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'gdtr', 'ldtr', 'idtr', 'tr'] as const;
const QWORDS = [
  'efer', 'xss', 'cr4', 'cr3', 'cr0', 'dr7', 'dr6', 'rflags', 'rip', 'rsp', 'rax', 'g_pat',
  'rcx', 'rdx', 'rbx', 'rbp', 'rsi', 'rdi', 'sev_features', 'virtual_tom', 'xcr0',
] as const;

export function segment(selector: number, attrib: number, limit: number, base: bigint = 0n): Segment {
  return { selector, attrib, limit, base };
}

export function emptyRegisters(): VmsaRegisters {
  const s = (): Segment => segment(0, 0, 0);
  return {
    es: s(), cs: s(), ss: s(), ds: s(), fs: s(), gs: s(), gdtr: s(), ldtr: s(), idtr: s(), tr: s(),
    efer: 0n, cr4: 0n, cr0: 0n, dr7: 0n, dr6: 0n, rflags: 0n, rip: 0n, rsp: 0n, rax: 0n, rcx: 0n,
    rdx: 0n, rbx: 0n, rbp: 0n, rsi: 0n, rdi: 0n, cr3: 0n, xss: 0n, g_pat: 0n, sev_features: 0n,
    virtual_tom: 0n, xcr0: 0n, mxcsr: 0, x87_fcw: 0, vmpl: 0, cpl: 0,
  };
}

export function encodeVmsa(r: VmsaRegisters): Uint8Array {
  const page = new Uint8Array(PAGE_SIZE);
  for (const name of SEGMENTS) {
    const off = VMSA_OFFSETS[name];
    const seg = r[name];
    writeU16(page, off, seg.selector);
    writeU16(page, off + 2, seg.attrib);
    writeU32(page, off + 4, seg.limit);
    writeU64(page, off + 8, seg.base);
  }
  for (const name of QWORDS) writeU64(page, VMSA_OFFSETS[name], r[name]);
  page[VMSA_OFFSETS.vmpl] = r.vmpl;
  page[VMSA_OFFSETS.cpl] = r.cpl;
  writeU32(page, VMSA_OFFSETS.mxcsr, r.mxcsr);
  writeU16(page, VMSA_OFFSETS.x87_fcw, r.x87_fcw);
  return page;
}
