// Regenerates the bundled example inputs from the conformance recipes (run after `npm run build`).
// They are synthetic stand-ins: not bootable, but parsed and measured exactly like real files.
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSyntheticImage, stream } from '../dist/conformance/recipes.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vectors = JSON.parse(readFileSync(join(root, 'vectors', 'synthetic-vectors.json'), 'utf8'));
const out = join(root, 'examples', 'ovmf');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'OVMF-synthetic-amdsev.fd'), buildSyntheticImage(vectors.images['amdsev-64k']));
writeFileSync(join(out, 'vmlinuz-standin.bin'), stream('kernel-100003', 100003));
writeFileSync(join(out, 'initrd-standin.bin'), stream('initrd-4097', 4097));
console.log(`wrote examples to ${out}`);
