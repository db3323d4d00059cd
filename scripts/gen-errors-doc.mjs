// Writes docs/errors.md from the error catalogue in src/errors.ts (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../dist/errors.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const exit = { usage: 2, input: 2, mismatch: 1, outcome: 4, internal: 3 };
const rows = Object.entries(ERROR_CODES).map(([code, i]) => `| \`${code}\` | ${exit[i.category]} | ${i.meaning} | ${i.fix} |`);
writeFileSync(join(root, 'docs', 'errors.md'), `# Error codes

Every error the library raises carries one of these codes. The CLI prints \`error[CODE]: message\`
on stderr (the message names the field, file offset, section, region or header concerned) and exits
with the status shown: 2 for usage and input errors, 1 for a verification mismatch, 4 when there is
no digest by design (a disabled update), 3 for a bug (please report it). Stack traces appear only with \`--debug\`.

This page is generated from \`src/errors.ts\` by \`node scripts/gen-errors-doc.mjs\`; a test checks that
it lists every code.

| code | exit | meaning | typical fix |
|---|---|---|---|
${rows.join('\n')}
`);
