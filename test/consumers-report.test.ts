/** Report firmware versions, reference-set provenance, and what identify says when nothing matches. */
import { describe, expect, it } from 'vitest';
import { buildReport, hostProductLine, parseReport, reportVersionFields } from '../src/attestation/report.js';
import { provenanceJson } from '../src/attestation/provenance.js';
import { measurementSet } from '../src/attestation/reference-values.js';
import { explainNoMatch, type NoMatchContext } from '../src/attestation/explain.js';
import { fromHex, toHex } from '../src/bytes.js';
import { defaultSuite } from '../src/hash/suite.js';
import { isMeasureError } from '../src/errors.js';

const codeOf = (f: () => unknown): string => { try { f(); return 'ok'; } catch (e) { if (isMeasureError(e)) return e.code; throw e; } };
const m = fromHex('cd'.repeat(48), 'm');

describe('report firmware versions', () => {
  it('CURRENT_BUILD/MINOR/MAJOR at 0x1E8-0x1EA and COMMITTED_* at 0x1EC-0x1EE read as major.minor.build', () => {
    const b = buildReport({ measurement: m });
    b.set([3, 49, 1], 0x1e8);
    b.set([21, 55, 1], 0x1ec);
    const r = parseReport(b);
    expect(r.currentVersion).toEqual({ major: 1, minor: 49, build: 3 });
    expect(reportVersionFields(r)).toEqual({ currentVersion: '1.49.3', committedVersion: '1.55.21' });
  });
  it('buildReport writes them where parseReport reads them, in every report version', () => {
    for (const version of [2, 3, 5]) {
      const r = parseReport(buildReport({ measurement: m, version, currentVersion: { major: 1, minor: 58, build: 8 }, committedVersion: { major: 1, minor: 57, build: 0 } }));
      expect(reportVersionFields(r)).toEqual({ currentVersion: '1.58.8', committedVersion: '1.57.0' });
    }
  });
  it('the host product line follows go-sev-guest SevProductFromCpuid1Eax', () => {
    expect(hostProductLine({ family: 0x19, model: 0x01 })).toBe('Milan');
    expect(hostProductLine({ family: 0x19, model: 0x11 })).toBe('Genoa');
    expect(hostProductLine({ family: 0x1a, model: 0x02 })).toBe('Turin');
    expect(hostProductLine({ family: 0x19, model: 0xa0 })).toBeUndefined();
    expect(hostProductLine(undefined)).toBeUndefined();
  });
});

describe('provenance of a reference set', () => {
  const h = (s: string): Uint8Array => defaultSuite.sha256(new TextEncoder().encode(s));
  it('tool, rules and the SHA-256 of every input, in role order, in the json format', () => {
    const p = provenanceJson({
      tool: { name: 'vmfw-measure', version: '0.1.0' }, rules: 'ovmf:sev-snp-measure',
      inputs: [
        { role: 'cmdline', sha256: h('console=ttyS0\0') },
        { role: 'kernel', path: 'vmlinuz', sha256: h('k') },
        { role: 'firmware', path: 'OVMF.fd', sha256: h('fw') },
        { role: 'initrd', sha256: h('i'), given: true },
      ],
    });
    expect(p).toEqual({
      tool: { name: 'vmfw-measure', version: '0.1.0' }, rules: 'ovmf:sev-snp-measure',
      inputs: [
        { role: 'firmware', path: 'OVMF.fd', sha256: toHex(h('fw')) },
        { role: 'kernel', path: 'vmlinuz', sha256: toHex(h('k')) },
        { role: 'initrd', sha256: toHex(h('i')), given: true },
        { role: 'cmdline', sha256: toHex(h('console=ttyS0\0')) },
      ],
    });
    const set = measurementSet([], 'hex', { launch: 'ovmf' }, p);
    expect(Object.keys(set)).toEqual(['format', 'digestEncoding', 'source', 'provenance', 'measurements']);
  });
  it('refuses a hash that is not 32 bytes', () => {
    expect(codeOf(() => provenanceJson({ tool: { name: 't', version: '1' }, rules: 'r', inputs: [{ role: 'igvm', sha256: new Uint8Array(48) }] }))).toBe('usage');
  });
});

describe('identify: explaining no match', () => {
  const base: NoMatchContext = {
    measurement: m, launch: 'ovmf',
    fixed: { firmware: 'OVMF.fd', kernel: 'vmlinuz', initrd: null, cmdline: '"console=ttyS0"', svsm: null },
    searched: { configurations: 6656, vcpus: '1..256 (256 counts)', vcpuTypes: ['EPYC', 'EPYC-Milan'], guestFeatures: ['0x1', '0x21'], profiles: ['qemu:init2', 'ec2:rdx-0'], skipped: 0 },
    inputArgs: '--ovmf OVMF.fd --kernel vmlinuz --append "console=ttyS0"',
  };
  it('names the inputs it could not vary, the space searched and the commands that find the culprit', () => {
    const t = explainNoMatch({ ...base, report: { path: 'r.bin', version: 3, cpuid: { family: 0x19, model: 0x11, stepping: 1 } } });
    expect(t.split('\n')[0]).toBe(`no configuration in the searched space matches ${'cd'.repeat(48)}`);
    expect(t).toContain('searched 6656 configurations:\n  vCPU counts     1..256 (256 counts)\n  vCPU types      EPYC, EPYC-Milan\n  guest features  0x1, 0x21\n  VMM profiles    qemu:init2, ec2:rdx-0\n');
    expect(t).toContain('the report comes from an AMD EPYC Genoa host (CPUID family 0x19 model 0x11 stepping 1)');
    expect(t).toContain('  firmware    OVMF.fd\n  kernel      vmlinuz\n  initrd      none\n  cmdline     "console=ttyS0"\n  SVSM        none\n');
    expect(t).toContain('vmfw-measure verify --report r.bin --ovmf OVMF.fd --kernel vmlinuz --append "console=ttyS0" --vcpus N --vcpu-type TYPE --expected-log BUILD.log');
    expect(t).toContain('vmfw-measure diff BUILD.log THESE.log');
    expect(t).not.toContain('widen the search');
  });
  it('suggests widening when options narrowed the space; a v2 report cannot name its host', () => {
    const t = explainNoMatch({ ...base, narrowedBy: ['--vcpus', '--vcpu-type'], report: { version: 2 } });
    expect(t).toContain('widen the search: --vcpus, --vcpu-type limited it');
    expect(t).toContain('the report (version 2) does not name its host CPU');
    expect(t).toContain('--report REPORT');
  });
  it('points to --product genoa when GCE was searched without a product (its VMSA GPA depends on it)', () => {
    expect(explainNoMatch({ ...base, untriedProducts: [{ profile: 'gce', products: ['genoa'] }] })).toContain('under gce, genoa hosts put the VMSAs at another GPA, which this search did not try: add --product genoa');
    expect(explainNoMatch(base)).not.toContain('--product');
  });
  it('IGVM and region-list launches list their own inputs', () => {
    expect(explainNoMatch({ ...base, launch: 'igvm', fixed: { igvm: 'guest.igvm' } })).toContain('  IGVM file   guest.igvm\n  (firmware, kernel, initrd, cmdline and any SVSM are whatever the IGVM file carries)');
    expect(explainNoMatch({ ...base, launch: 'regions', fixed: { manifest: 'update.json' } })).toMatch(/ {2}region list update\.json\n {2}\(firmware, kernel/);
  });
});
