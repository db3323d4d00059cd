import { describe, expect, it } from 'vitest';
import { checkChain, type PageInfoFile } from '../src/conformance/pageinfo.js';
import { nobleSuite } from '../src/hash/noble-suite.js';
import { nodeSuite } from '../src/hash/node-suite.js';
import { encodePageInfo, GPA_MAX, LaunchDigest, PageType, ZERO_DIGEST } from '../src/snp/page-info.js';
import { fromHex, toHex } from '../src/bytes.js';
import { loadVectors } from './helpers.js';

const vectors = loadVectors<PageInfoFile>('pageinfo-vectors.json');
const chains = [...vectors.chains, ...vectors.single_updates];

describe('PAGE_INFO chaining vectors', () => {
  it('has node:crypto on Node', () => { expect(nodeSuite?.name).toBe('node'); });
  for (const suite of [nodeSuite!, nobleSuite]) {
    for (const chain of chains) {
      it(`${chain.name} (${suite.name})`, () => {
        expect(checkChain(chain, suite)).toBeNull();
      });
    }
  }
});

describe('primitive known answers (gce-tcb-verifier)', () => {
  it('TestUpdateData: 3 NORMAL pages with LGTM markers at both ends of the buffer', () => {
    const buf = new Uint8Array(3 * 4096);
    const lgtm = new TextEncoder().encode('LGTM'.repeat(4));
    buf.set(lgtm, 0);
    buf.set(lgtm, buf.length - 16);
    const ld = new LaunchDigest();
    for (let p = 0; p < 3; p++) ld.updatePage(PageType.Normal, BigInt(p * 4096), buf.subarray(p * 4096, (p + 1) * 4096));
    expect(toHex(ld.digest)).toBe('cba1cd767c33b30f96271837dbbae4081a945464a5af397b9b0336b5d8759ee88cc6b62c05d915c4424a9ac5747437d4');
  });
  it('TestZeroContentUpdateData: 3 ZERO pages', () => {
    const ld = new LaunchDigest();
    for (const gpa of [0x9000n, 0xa000n, 0xb000n]) ld.updatePage(PageType.Zero, gpa);
    expect(toHex(ld.digest)).toBe('4bfe18477ba370a50329da74b9621e721c4f29663176e08fbcf088a17c1bc45f133898b86d5082acbe202a6e9419808a');
  });
  it('encodes the record layout byte for byte', () => {
    const rec = encodePageInfo(fromHex('11'.repeat(48), 'x'), ZERO_DIGEST, PageType.Cpuid, 0xfffffffff000n);
    expect(toHex(rec.subarray(0x60))).toBe('7000060000000000' + '00f0ffffffff0000');
  });
  it('rejects a seed of the wrong length', () => {
    expect(() => new LaunchDigest(new Uint8Array(32))).toThrowError(/48 bytes/);
  });
});

describe('LaunchDigest.updateRun', () => {
  it('matches update() page by page across a 4 GiB boundary and up to the last page of the GPA space', () => {
    const contents = new Uint8Array(Array.from({ length: 6 * 48 }, (_, i) => (i * 7) & 0xff));
    for (const first of [0xffffd000n, 0x1fffff000n, 0x123456789000n, GPA_MAX - 0xfffn - 5n * 4096n]) {
      const a = new LaunchDigest();
      a.updateRun(PageType.Normal, first, 6, contents);
      const b = new LaunchDigest();
      for (let i = 0; i < 6; i++) b.update(PageType.Normal, first + BigInt(i) * 4096n, contents.subarray(i * 48, (i + 1) * 48));
      expect(toHex(a.digest)).toBe(toHex(b.digest));
    }
  });
});
