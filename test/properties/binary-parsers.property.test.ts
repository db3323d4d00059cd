import { describe, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSyntheticImage } from '../../src/conformance/recipes.js';
import { crc32 } from '../../src/igvm/crc32.js';
import { buildReport } from '../../src/attestation/report.js';
import { REPO, loadVectors } from '../helpers.js';
import { RUNS, assertParser, mutated } from './harness.js';
import { firmwareCheck, igvmCheck, launchUpdateCheck, reportCheck, structCheck } from './checks.js';

const synth = loadVectors<{ images: Record<string, Parameters<typeof buildSyntheticImage>[0]> }>('synthetic-vectors.json');
const image = (name: string): Uint8Array => buildSyntheticImage(synth.images[name]!);

/** Random page-sized blobs: mostly zeros with a footer-shaped tail, so some walk the table. */
const pageBlobs = fc.record({ pages: fc.integer({ min: 1, max: 2 }), tail: fc.uint8Array({ minLength: 0, maxLength: 256 }) }).map(({ pages, tail }) => {
  const b = new Uint8Array(pages * 4096);
  b.set(tail.subarray(0, Math.min(tail.length, b.length)), Math.max(0, b.length - tail.length));
  return b;
});

describe(`parser properties (${RUNS} cases each)`, () => {
  it('firmware footer table, SEV metadata and OVMF launch plans', () => {
    assertParser(firmwareCheck, fc.oneof(
      mutated(image('amdsev-4k')), mutated(image('ovmfx64-4k')), mutated(image('hashes-last-4k')), mutated(image('amdsev-4k')),
      pageBlobs, fc.uint8Array({ maxLength: 300 }),
    ));
  });

  it('IGVM files under all three semantics', () => {
    const dir = join(REPO, 'vectors', 'igvm');
    const files = readdirSync(dir).filter((f) => f.endsWith('.igvm')).map((f) => new Uint8Array(readFileSync(join(dir, f)))).filter((b) => b.length <= 40_000);
    // Half the mutants get their checksum repaired, so the checks past the CRC are exercised too.
    const repaired = (b: Uint8Array): Uint8Array => {
      if (b.length < 24) return b;
      const dv = new DataView(b.buffer, b.byteOffset);
      const off = dv.getUint32(8, true), size = dv.getUint32(12, true);
      if (off + size > b.length || off < 24) return b;
      const fixed = b.slice(0, 24); fixed.fill(0, 20, 24);
      dv.setUint32(20, crc32(fixed, b.subarray(off, off + size)), true);
      return b;
    };
    const base = fc.constantFrom(...files).chain((f) => mutated(f));
    assertParser(igvmCheck, fc.oneof(base, base.map(repaired), base.map(repaired), fc.uint8Array({ maxLength: 200 })));
  });

  it('vmfwupdate struct and region array', () => {
    assertParser(structCheck, fc.uint8Array({ maxLength: 40 + 32 * 6 }), RUNS);
  });

  it('attestation reports (binary, hex, base64)', () => {
    const valid = buildReport({ measurement: new Uint8Array(48).fill(0xab), version: 3, cpuid: { family: 0x19, model: 1, stepping: 1 } });
    const text = (b: Uint8Array): Uint8Array => new TextEncoder().encode(Buffer.from(b).toString('hex'));
    assertParser(reportCheck, fc.oneof(
      mutated(valid), fc.uint8Array({ minLength: 1184, maxLength: 1184 }), fc.uint8Array({ maxLength: 3000 }),
      mutated(valid).map(text), mutated(valid).map((b) => new TextEncoder().encode(Buffer.from(b).toString('base64'))),
    ));
  });

  it('vm-launch-update struct', () => {
    const valid = new Uint8Array(56);
    const dv = new DataView(valid.buffer);
    dv.setUint16(0, 1, true); dv.setBigUint64(0x10, (1n << 32n) | 2n, true); dv.setBigUint64(0x20, 0x1000n, true);
    assertParser(launchUpdateCheck, fc.oneof(mutated(valid), fc.uint8Array({ minLength: 50, maxLength: 60 })));
  });
});
