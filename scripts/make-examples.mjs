// Regenerates the bundled example inputs from the conformance recipes (run after `npm run build`).
// They are synthetic stand-ins: not bootable, but parsed and measured exactly like real files.
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSyntheticImage, stream } from '../dist/conformance/recipes.js';
import { buildHashTable, buildHashesPage, cmdlineHash, defaultSuite } from '../dist/index.js';

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
console.log('wrote examples/ovmf and examples/regions');
