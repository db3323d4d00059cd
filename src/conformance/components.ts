/**
 * Runs the component vectors (vectors/component-vectors.json): whole VMSA pages,
 * kernel-hashes tables and pages, vCPU signatures, and the firmware tables parsed out of the
 * fixture files. Intermediate values, so a failure points at one component rather than a digest.
 */
import { readInput } from '../node/input.js';
import { fromHex, toHex } from '../bytes.js';
import { defaultSuite } from '../hash/suite.js';
import { LEGACY_SVSM_VMSA, buildVmsaPage, resolveProfile } from '../profiles.js';
import { resolveVcpuType } from '../cpu.js';
import { buildHashTable, buildHashesPage, cmdlineHash } from '../ovmf/kernel-hashes.js';
import { parseFirmware, sectionTypeName, svsmEntryOffset, firmwareGpa } from '../ovmf/firmware.js';

export interface VmsaVector { mode: string; vmm: string; role: string; eip: string; vcpu_sig: string; sev_features: string; sha384: string; page_hex: string }
export interface HashesVector { append: string | null; kernel_sha256: string; initrd_sha256: string; cmdline_sha256: string; table_hex: string; page_offset: string; page_sha384: string }
export interface FirmwareVector {
  path: string; size: number; gpa: string; footer_table: Record<string, string>;
  metadata_sections: { gpa: string; size: string; type: string; type_int: number }[];
  sev_es_reset_eip: string | null; sev_hashes_table_gpa?: string; is_sev_hashes_table_supported: boolean;
  has_snp_kernel_hashes_section: boolean; svsm_entry_eip?: string;
}
export interface ComponentFile {
  vmsa_pages: VmsaVector[]; sev_hashes_tables: HashesVector[]; cpu_sigs: Record<string, string>;
  firmware: Record<string, FirmwareVector>; svsm: Record<string, FirmwareVector>; vmm_types?: string[];
}

export interface ComponentResult { id: string; expected: string; got: string }

/**
 * The component file names its firmware by the reference tool's own paths; the fixture files
 * sit under `fixtures/` with the same names (the Debian package's files in `debian-bookworm/`).
 */
export function componentFixturePath(p: string): string {
  return p.replace(/^sev-snp-measure\/tests\/fixtures\//, 'fixtures/')
    .replace(/^ovmf-deb\/usr\/share\/(ovmf|OVMF)\//, 'fixtures/debian-bookworm/')
    .replace(/^inputs\//, 'fixtures/inputs/');
}

/** The fixture files the firmware vectors read, as `fixtures/...` paths. */
export function componentFiles(doc: ComponentFile): string[] {
  return Object.values({ ...doc.firmware, ...doc.svsm }).map((f) => componentFixturePath(f.path));
}

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

function firmwareFacts(name: string, f: FirmwareVector, bytes: Uint8Array): { expected: unknown; got: unknown } {
  const info = parseFirmware(bytes, name);
  const isSvsm = f.svsm_entry_eip !== undefined;
  const got = {
    size: info.size,
    footer_table: Object.fromEntries([...info.entries].map(([g, e]) => [g, toHex(e.data)])),
    metadata_sections: (info.sections ?? []).map((s) => ({ gpa: hex(s.gpa), size: hex(s.size), type: sectionTypeName(s.type), type_int: s.type })),
    ...(isSvsm ? { svsm_entry_eip: hex(svsmEntryOffset(info, name) + Number(f.gpa)) }
      : { gpa: hex(firmwareGpa(f.size, name)), sev_es_reset_eip: info.resetEip === undefined ? null : hex(info.resetEip) }),
    ...(f.sev_hashes_table_gpa !== undefined ? { sev_hashes_table_gpa: info.hashTable ? hex(info.hashTable.gpa) : null } : {}),
    is_sev_hashes_table_supported: info.hashTable !== undefined && info.hashTable.gpa !== 0,
    has_snp_kernel_hashes_section: info.sections?.some((s) => s.type === 0x10) ?? false,
  };
  const expected = {
    size: f.size, footer_table: f.footer_table, metadata_sections: f.metadata_sections,
    ...(isSvsm ? { svsm_entry_eip: f.svsm_entry_eip } : { gpa: hex(Number(f.gpa)), sev_es_reset_eip: f.sev_es_reset_eip }),
    ...(f.sev_hashes_table_gpa !== undefined ? { sev_hashes_table_gpa: hex(Number(f.sev_hashes_table_gpa)) } : {}),
    is_sev_hashes_table_supported: f.is_sev_hashes_table_supported,
    has_snp_kernel_hashes_section: f.has_snp_kernel_hashes_section,
  };
  return { expected, got };
}

/** Sorted-key JSON, so two objects compare by content whatever their key order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x)
    ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : x));
}

/**
 * Checks every component; `filePath` maps a `fixtures/...` path to the file to read.
 * Returns one result per component; equal strings mean a pass.
 */
export function runComponents(doc: ComponentFile, filePath: (p: string) => string): ComponentResult[] {
  const out: ComponentResult[] = [];
  const attempt = (id: string, fn: () => { expected: string; got: string }): void => {
    try {
      out.push({ id, ...fn() });
    } catch (e) {
      out.push({ id, expected: 'a value', got: `error: ${(e as Error).message}` });
    }
  };
  for (const [i, p] of doc.vmsa_pages.entries()) {
    attempt(`vmsa_pages[${i}] ${p.mode} ${p.vmm} ${p.role}`, () => {
      const template = p.mode === 'snp:svsm' ? LEGACY_SVSM_VMSA : resolveProfile(p.vmm).vmsa;
      const page = buildVmsaPage(template, { eip: Number(p.eip), vcpuSignature: BigInt(p.vcpu_sig), sevFeatures: BigInt(p.sev_features) });
      return { expected: `${p.sha384} ${p.page_hex}`, got: `${toHex(defaultSuite.sha384(page))} ${toHex(page)}` };
    });
  }
  for (const [i, t] of doc.sev_hashes_tables.entries()) {
    attempt(`sev_hashes_tables[${i}]`, () => {
      const cmdline = cmdlineHash(t.append ?? undefined);
      const table = buildHashTable({ kernel: fromHex(t.kernel_sha256, 'kernel_sha256'), initrd: fromHex(t.initrd_sha256, 'initrd_sha256'), cmdline });
      const page = buildHashesPage(table, Number(t.page_offset));
      return {
        expected: `${t.cmdline_sha256} ${t.table_hex} ${t.page_sha384}`,
        got: `${toHex(cmdline)} ${toHex(table)} ${toHex(defaultSuite.sha384(page))}`,
      };
    });
  }
  for (const [name, sig] of Object.entries(doc.cpu_sigs)) {
    attempt(`cpu_sigs ${name}`, () => ({ expected: hex(Number(sig)), got: hex(resolveVcpuType(name).signature) }));
  }
  for (const name of doc.vmm_types ?? []) {
    attempt(`vmm_types ${name}`, () => ({ expected: 'a known profile', got: resolveProfile(name) ? 'a known profile' : 'unknown' }));
  }
  for (const [name, f] of Object.entries({ ...doc.firmware, ...doc.svsm })) {
    attempt(`firmware ${name}`, () => {
      const bytes = readInput(filePath(componentFixturePath(f.path)), { what: `firmware ${name}`, kind: 'firmware' });
      const { expected, got } = firmwareFacts(name, f, bytes);
      return { expected: canonical(expected), got: canonical(got) };
    });
  }
  return out;
}
