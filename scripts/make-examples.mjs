// Regenerates the bundled example inputs from the conformance recipes (run after `npm run build`).
// They are synthetic stand-ins: not bootable, but parsed and measured exactly like real files.
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSyntheticImage, stream } from '../dist/conformance/recipes.js';
import { buildHashTable, buildHashesPage, cmdlineHash, defaultSuite } from '../dist/index.js';
import { buildIgvm } from '../dist/igvm/build.js';
import { encodeVmsa, emptyRegisters, segment } from '../dist/snp/vmsa.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vectors = JSON.parse(readFileSync(join(root, 'vectors', 'synthetic-vectors.json'), 'utf8'));
const ovmf = join(root, 'examples', 'ovmf');
const regions = join(root, 'examples', 'regions');
mkdirSync(ovmf, { recursive: true });
mkdirSync(regions, { recursive: true });

const image = vectors.images['amdsev-64k'];
const kernel = stream('kernel-100003', 100003);
const initrd = stream('initrd-4097', 4097);
writeFileSync(join(ovmf, 'OVMF-synthetic-amdsev.fd'), buildSyntheticImage(image));
writeFileSync(join(ovmf, 'vmlinuz-standin.bin'), kernel);
writeFileSync(join(ovmf, 'initrd-standin.bin'), initrd);

// The kernel-hashes page a UKI-style update ships, for the stand-in kernel/initrd and "console=ttyS0".
const table = buildHashTable({ kernel: defaultSuite.sha256(kernel), initrd: defaultSuite.sha256(initrd), cmdline: cmdlineHash('console=ttyS0') });
writeFileSync(join(regions, 'kernel-hashes.page'), buildHashesPage(table, image.hash_table.gpa & 0xfff));

const firmware = { dst: '0xffff0000', size: '0x10000', flags: ['COPY', 'MEASURE'], source: { file: '../ovmf/OVMF-synthetic-amdsev.fd' } };
const launch = { vcpus: 4, profile: 'qemu', vcpuType: 'EPYC-v4', guestFeatures: '0x1', apResetEip: null, measuredZero: 'native' };
const write = (name, doc) => writeFileSync(join(regions, name), `${JSON.stringify(doc, null, 2)}\n`);

write('firmware-update.json', {
  rules: 'vmfwupdate-snp/1',
  comment: 'Firmware-only update: the new firmware replaces the old; the VMM re-reads its SEV metadata (firmwareMetadata "ovmf").',
  launch: { ...launch, firmwareMetadata: 'ovmf' },
  regions: [firmware],
});
write('uki-update.json', {
  rules: 'vmfwupdate-snp/1',
  comment: 'UKI-style update: firmware, kernel-hashes page and every pre-validated, secrets and CPUID page listed explicitly.',
  launch: { ...launch, firmwareMetadata: 'none' },
  regions: [
    firmware,
    { dst: '0x900000', size: '0x9000', flags: ['ZERO', 'MEASURE'], comment: 'SNP_SEC_MEM' },
    { dst: '0x90a000', size: '0x3000', flags: ['ZERO', 'MEASURE'], comment: 'SNP_SEC_MEM' },
    { dst: '0x90d000', size: '0x1000', flags: ['SEV_SECRETS', 'VALIDATE'] },
    { dst: '0x90e000', size: '0x1000', flags: ['SEV_CPUID', 'VALIDATE'] },
    { dst: '0x90f000', size: '0x1000', flags: ['ZERO', 'MEASURE'], comment: 'SVSM_CAA' },
    { dst: '0x910000', size: '0x1000', flags: ['COPY', 'MEASURE'], source: { file: 'kernel-hashes.page' }, comment: 'kernel, initrd and cmdline hashes' },
    { dst: '0x911000', size: '0xf000', flags: ['ZERO', 'MEASURE'], comment: 'SNP_SEC_MEM' },
  ],
});
// An IGVM image as a COCONUT-style builder would lay it out: parameter area and insert first, then
// the pages, then the boot vCPU's VMSA (protected mode, entering at the top of the image).
const SNP = 1;
const vmsa = (() => {
  const r = emptyRegisters();
  const flat = (sel, attrib) => segment(sel, attrib, 0xffffffff, 0n);
  Object.assign(r, { es: flat(0x10, 0xc93), cs: flat(0x08, 0xc9b), ss: flat(0x10, 0xc93), ds: flat(0x10, 0xc93), fs: flat(0x10, 0xc93), gs: flat(0x10, 0xc93) });
  r.gdtr = segment(0, 0, 0xffff); r.idtr = segment(0, 0, 0xffff); r.ldtr = segment(0, 0x82, 0xffff); r.tr = segment(0, 0x8b, 0xffff);
  Object.assign(r, { efer: 0x1000n, cr0: 0x31n, cr4: 0x40n, dr6: 0xffff0ff0n, dr7: 0x400n, rflags: 2n, rip: 0xfffe0000n, g_pat: 0x0007040600070406n, xcr0: 1n, sev_features: 1n, mxcsr: 0x1f80, x87_fcw: 0x37f });
  return encodeVmsa(r);
})();
const igvmDir = join(root, 'examples', 'igvm');
mkdirSync(igvmDir, { recursive: true });
const code = Array.from({ length: 8 }, (_, i) => ({ kind: 'page-data', gpa: 0xfffe0000n + BigInt(i) * 0x1000n, mask: SNP, data: stream(`example-igvm-code:${i}`, 4096) }));
const igvm = buildIgvm([
  { kind: 'platform', mask: SNP, platformType: 2, sharedGpaBoundary: 1n << 46n },
  { kind: 'guest-policy', policy: 0x30000n, mask: SNP },
  { kind: 'parameter-area', index: 0, size: 0x1000n },
  { kind: 'parameter-usage', type: 0x307, index: 0, byteOffset: 0 },
  { kind: 'parameter-usage', type: 0x313, index: 0, byteOffset: 4 },
  { kind: 'parameter-insert', gpa: 0x10000n, mask: SNP, index: 0 },
  { kind: 'page-data', gpa: 0x20000n, mask: SNP, dataType: 1 },
  { kind: 'page-data', gpa: 0x21000n, mask: SNP, dataType: 2 },
  { kind: 'page-data', gpa: 0x30000n, mask: SNP },
  { kind: 'page-data', gpa: 0x31000n, mask: SNP },
  ...code,
  { kind: 'vp-context', gpa: 0xfffffffff000n, mask: SNP, vpIndex: 0, data: vmsa },
]);
writeFileSync(join(igvmDir, 'example.igvm'), igvm);

// A vm-launch-update capture: guest memory with the VMLaunchUpdate struct at 0x1000 (FORMAT_IGVM,
// HOST_IGVM: a one-reset trial of the new image) and the image at 0x2000.
const struct = new Uint8Array(56);
const dv = new DataView(struct.buffer);
dv.setUint16(0, 1, true);
dv.setBigUint64(0x08, 1n << 32n, true);
dv.setBigUint64(0x10, (1n << 32n) | 2n, true);
dv.setBigUint64(0x18, 0x2000n, true);
dv.setBigUint64(0x20, BigInt(igvm.length), true);
const memory = new Uint8Array(0x2000 + igvm.length);
memory.set(struct, 0x1000);
memory.set(igvm, 0x2000);
writeFileSync(join(igvmDir, 'launch-update-guest.img'), memory);
console.log('wrote examples/ovmf, examples/regions and examples/igvm');
