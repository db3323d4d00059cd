// Issue 11: bad input is a coded error (never exit 3), and cost follows the data a file really
// holds, not the sizes it declares.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { captureIO, runCli } from '../src/cli/main.js';
import { parseManifest, manifestRegionSpecs, resolveLaunch } from '../src/regions/manifest.js';
import { replayRegions } from '../src/regions/replay.js';
import { EMPTY_MEMORY } from '../src/regions/memory.js';
import { buildIgvm, type IgvmBuildHeader } from '../src/igvm/build.js';
import { parseIgvm } from '../src/igvm/parse.js';
import { measureIgvm, type IgvmSemantics } from '../src/igvm/measure.js';
import { measurePlan } from '../src/engine.js';
import { MeasureError } from '../src/errors.js';
import { toHex } from '../src/bytes.js';
import { withAllocationTracking } from './properties/harness.js';
import { REPO } from './helpers.js';

function error(f: () => unknown): MeasureError {
  try { f(); } catch (e) { if (e instanceof MeasureError) return e; throw e; }
  throw new Error('no error');
}

function replayManifest(doc: unknown): ReturnType<typeof replayRegions> {
  const m = parseManifest(JSON.stringify(doc), 'manifest');
  return replayRegions({
    ...(m.struct?.capabilities !== undefined ? { capabilities: m.struct.capabilities } : {}),
    regions: manifestRegionSpecs(m, () => { throw new Error('no files here'); }),
    memory: EMPTY_MEMORY,
    launch: resolveLaunch(m.launch).launch,
  });
}

describe('IGVM parameter inserts past the 64-bit GPA space', () => {
  const headers = (policy: boolean): IgvmBuildHeader[] => [
    { kind: 'platform', mask: 1, platformType: 2 },
    ...(policy ? [{ kind: 'guest-policy' as const, policy: 0x30000n, mask: 1 }] : []),
    { kind: 'parameter-area', index: 0, size: 0x2000n },
    { kind: 'parameter-insert', gpa: 0xfffffffffffff000n, mask: 1, index: 0 },
    { kind: 'page-data', gpa: 0n, mask: 1, data: new Uint8Array(4096).fill(1) },
  ];
  for (const semantics of ['qemu', 'igvm-crate'] as IgvmSemantics[]) {
    it(`${semantics}: a two-page area inserted at the last page is igvm-gpa-range naming the header and field`, () => {
      const f = parseIgvm(buildIgvm(headers(true)));
      const e = error(() => measureIgvm(f, { semantics, vcpus: 1, vcpuSignature: 0x800f12n }));
      expect(e.code).toBe('igvm-gpa-range');
      expect(e.message).toBe("header 3 (PARAMETER_INSERT) at file offset 0x60: gpa 0xfffffffffffff000 + parameter area 0's number_of_bytes 0x2000 runs past the 64-bit GPA space");
      expect(e.details).toEqual({ offset: 0x68, field: 'gpa' });
    });
  }
  it('igvmmeasure inserts one page whatever the area size, so the same file measures', () => {
    const f = parseIgvm(buildIgvm(headers(false)));
    const r = measurePlan(measureIgvm(f, { semantics: 'igvmmeasure' }).plan);
    expect(r.stepsByType).toEqual({ NORMAL: 1, UNMEASURED: 1 });
  });
});

describe('manifest hex sources', () => {
  const manifest = (hex: string, size?: string): unknown => ({
    launch: { vcpus: 1, vcpuType: 'EPYC-v4' },
    regions: [{ dst: '0x100000', ...(size ? { size } : {}), flags: ['COPY', 'MEASURE'], source: { hex }, pad: 'zero' }],
  });
  it('an odd number of hex digits is bad-hex naming the field (it was exit 3)', () => {
    const e = error(() => parseManifest(JSON.stringify(manifest('abc')), 'manifest'));
    expect(e.code).toBe('bad-hex');
    expect(e.message).toBe('regions[0].source.hex: 3 hex digits, an odd number (each byte takes two)');
    expect(error(() => parseManifest(JSON.stringify(manifest(' 0xab c ')), 'manifest')).message).toMatch(/index 2/);
  });
  it('blanks and 0x around the digits count as fromHex reads them', () => {
    const r = replayManifest(manifest(' 0xabcd ', '0x1000'));
    expect(r.plan.runs[0]!.pages).toBe(1);
    // without a size, the region takes the source's: 2 bytes (then refused as not a page multiple)
    expect(error(() => replayManifest(manifest(' 0xabcd '))).message).toMatch(/size 0x2\): size is not a multiple of 4096/);
  });
});

describe('an IGVM_IMAGE region is checked before it is read', () => {
  // A 24-byte fixed header that claims a 256 MiB image whose variable headers fill it; the source
  // is padded with zeros up to the region's declared size.
  const header = new Uint8Array(24);
  const v = new DataView(header.buffer);
  const size = 256 << 20;
  v.setUint32(0, 0x4d564749, true); v.setUint32(4, 1, true); v.setUint32(8, 24, true);
  v.setUint32(12, size - 4096, true); v.setUint32(16, size, true);
  const doc = {
    launch: { vcpus: 1, vcpuType: 'EPYC-v4' }, struct: { capabilities: '0x2' },
    regions: [{ dst: '0x0', size: `0x${size.toString(16)}`, flags: ['COPY', 'IGVM_IMAGE'], source: { hex: toHex(header) }, pad: 'zero' }],
  };
  it('headers that would lie in the zero padding are refused without allocating the declared size', () => {
    const r = withAllocationTracking(() => replayManifest(doc));
    const e = r.error as MeasureError;
    expect(e.code).toBe('igvm-bad-vh-size');
    expect(e.message).toBe('region 0 (IGVM image): variable_header_size (offset 0xc) is 0xffff000: the headers would end at 0xffff018, but only the first 0x18 bytes of the image hold data (the rest is zero padding)');
    expect(e.details).toEqual({ region: 0, offset: 12, field: 'variable_header_size' });
    expect(r.maxAlloc).toBeLessThan(1 << 20);
  });
  it('a real image in a region is parsed in place: its page data is read when measured', () => {
    const image = buildIgvm([
      { kind: 'platform', mask: 1, platformType: 2 },
      { kind: 'page-data', gpa: 0x200000n, mask: 1, data: new Uint8Array(4096).fill(9) },
    ]);
    const r = withAllocationTracking(() => replayManifest({ ...doc, regions: [{ dst: '0x0', size: `0x${(64 << 20).toString(16)}`, flags: ['COPY', 'IGVM_IMAGE'], source: { hex: toHex(image) }, pad: 'zero' }] }));
    // the padded image's own total_file_size disagrees with the 64 MiB region: refused, again without reading it
    expect((r.error as MeasureError).code).toBe('igvm-size-mismatch');
    expect(r.maxAlloc).toBeLessThan(1 << 20);
  });
});

describe('snp:svsm with a vars size that is not a page multiple', () => {
  // Reference: virtee/sev-snp-measure 8f2b337e38bc83f87cd30f3253cdfe8e3e12cc3a, run on the shared fixtures
  // (sev-snp-measure.py --mode=snp:svsm --vcpus=2 --vcpu-type=EPYC-v4 --ovmf=... --svsm=... --vars-size=N):
  // it places the SVSM at (OVMF GPA - N) - size, unaligned, and hashes PAGE_INFO with that GPA.
  const expected: [number, string, string?][] = [
    [540672, '9b94745036aafddf4f7f8b00c7513abb5b7703178cb95aaa57928bd963d68d3bfcb715d6019b9167ee2517b11b0d9be7'],
    [1000, 'b1baf29ed1f65f393421b9d7db334553b38ec465112589b16e3997862d5b057c7236772ab4574b5b6b39fe7853400111', '0xffb6dc18'],
    [4097, '52e5ac170425a8524063d671665b2d307a0e66e1328ab3aa000fa75f9711e1439f695163ce239e2d73206da53416fbf4', '0xffb6cfff'],
  ];
  for (const [vars, digest, gpa] of expected) {
    it(`--vars-size ${vars} gives sev-snp-measure's digest`, async () => {
      const io = captureIO(join(REPO, 'vectors', 'fixtures'));
      const rc = await runCli(['ovmf', '--mode=snp:svsm', '--vcpus=2', '--vcpu-type=EPYC-v4', '--ovmf=svsm_ovmf.fd', '--svsm=svsm.bin', `--vars-size=${vars}`], io);
      expect(io.stdout).toBe(`${digest}\n`);
      expect(rc).toBe(0);
      expect(io.stderr).toBe(gpa ? `warning: vars size ${vars} is not a multiple of 4096: the SVSM image is measured at the unaligned GPA ${gpa}, as sev-snp-measure computes it; a real SNP launch update needs page-aligned GPAs, so check the vars size\n` : '');
    });
  }
});
