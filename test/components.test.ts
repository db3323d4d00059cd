import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fromHex, toHex } from '../src/bytes.js';
import { defaultSuite } from '../src/hash/suite.js';
import { LEGACY_SVSM_VMSA, buildVmsaPage, resolveProfile } from '../src/profiles.js';
import { resolveVcpuType, cpuSignature } from '../src/cpu.js';
import { buildHashTable, buildHashesPage, cmdlineHash } from '../src/ovmf/kernel-hashes.js';
import { parseFirmware, sectionTypeName, svsmEntryOffset, firmwareGpa } from '../src/ovmf/firmware.js';
import { loadVectors, REPO } from './helpers.js';
import { componentFixturePath } from '../src/conformance/components.js';

interface VmsaVector { mode: string; vmm: string; role: string; eip: string; vcpu_sig: string; sev_features: string; sha384: string; page_hex: string }
interface HashesVector { append: string | null; kernel_sha256: string; initrd_sha256: string; cmdline_sha256: string; table_hex: string; page_offset: string; page_sha384: string }
interface FirmwareVector {
  path: string; size: number; gpa: string; footer_table: Record<string, string>;
  metadata_sections: { gpa: string; size: string; type: string; type_int: number }[];
  sev_es_reset_eip: string | null; sev_hashes_table_gpa?: string; is_sev_hashes_table_supported: boolean;
  has_snp_kernel_hashes_section: boolean; svsm_entry_eip?: string;
}
interface ComponentVectors {
  vmsa_pages: VmsaVector[]; sev_hashes_tables: HashesVector[]; cpu_sigs: Record<string, string>;
  firmware: Record<string, FirmwareVector>; svsm: Record<string, FirmwareVector>;
}

const v = loadVectors<ComponentVectors>('component-vectors.json');

describe('VMSA pages', () => {
  for (const p of v.vmsa_pages) {
    it(`${p.mode} ${p.vmm} ${p.role} eip ${p.eip} sig ${p.vcpu_sig} features ${p.sev_features}`, () => {
      const template = p.mode === 'snp:svsm' ? LEGACY_SVSM_VMSA : resolveProfile(p.vmm).vmsa;
      const page = buildVmsaPage(template, { eip: Number(p.eip), vcpuSignature: BigInt(p.vcpu_sig), sevFeatures: BigInt(p.sev_features) });
      expect(toHex(page)).toBe(p.page_hex);
      expect(toHex(defaultSuite.sha384(page))).toBe(p.sha384);
    });
  }
});

describe('kernel hashes table', () => {
  for (const [i, t] of v.sev_hashes_tables.entries()) {
    it(`table ${i} (cmdline ${JSON.stringify(t.append)})`, () => {
      const cmdline = cmdlineHash(t.append ?? undefined);
      expect(toHex(cmdline)).toBe(t.cmdline_sha256);
      const table = buildHashTable({ kernel: fromHex(t.kernel_sha256, 'k'), initrd: fromHex(t.initrd_sha256, 'i'), cmdline });
      expect(toHex(table)).toBe(t.table_hex);
      const page = buildHashesPage(table, Number(t.page_offset));
      expect(toHex(defaultSuite.sha384(page))).toBe(t.page_sha384);
    });
  }
  it('refuses a table that would run past its page', () => {
    expect(() => buildHashesPage(new Uint8Array(176), 0xf51)).toThrowError(/runs past the end of its page/);
  });
});

describe('vCPU signatures', () => {
  for (const [name, sig] of Object.entries(v.cpu_sigs)) {
    it(name, () => { expect(resolveVcpuType(name).signature).toBe(Number(sig)); });
  }
  it('matches the upstream checks', () => {
    expect(cpuSignature({ family: 14, model: 1, stepping: 2 })).toBe(0x0e12);
    expect(cpuSignature({ family: 23, model: 1, stepping: 2 })).toBe(0x800f12);
  });
  it('resolves names in any case and rejects unknown ones', () => {
    expect(resolveVcpuType('epyc-milan').name).toBe('EPYC-Milan');
    expect(() => resolveVcpuType('EPYC-Bergamo')).toThrowError(/unknown vCPU type/);
  });
});

describe('firmware tables of the fixture files in vectors/fixtures', () => {
  const all = { ...v.firmware, ...v.svsm };
  for (const [name, f] of Object.entries(all)) {
    it(name, () => {
      const bytes = new Uint8Array(readFileSync(join(REPO, 'vectors', componentFixturePath(f.path))));
      const info = parseFirmware(bytes);
      expect(info.size).toBe(f.size);
      const table = Object.fromEntries([...info.entries].map(([g, e]) => [g, toHex(e.data)]));
      expect(table).toEqual(f.footer_table);
      expect((info.sections ?? []).map((s) => ({ gpa: `0x${s.gpa.toString(16)}`, size: `0x${s.size.toString(16)}`, type: sectionTypeName(s.type), type_int: s.type })))
        .toEqual(f.metadata_sections);
      if (f.svsm_entry_eip) {
        expect(svsmEntryOffset(info) + Number(f.gpa)).toBe(Number(f.svsm_entry_eip));
      } else {
        expect(firmwareGpa(f.size, name)).toBe(Number(f.gpa));
        expect(info.resetEip === undefined ? null : `0x${info.resetEip.toString(16)}`).toBe(f.sev_es_reset_eip);
      }
      const supported = info.hashTable !== undefined && info.hashTable.gpa !== 0;
      expect(supported).toBe(f.is_sev_hashes_table_supported);
      expect(info.sections?.some((s) => s.type === 0x10) ?? false).toBe(f.has_snp_kernel_hashes_section);
    });
  }
});
