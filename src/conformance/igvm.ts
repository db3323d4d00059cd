/** Runs the IGVM conformance vectors (vectors/igvm/vectors.json). */
import { readInput } from '../node/input.js';
import { isMeasureError } from '../errors.js';
import { toHex } from '../bytes.js';
import { defaultSuite } from '../hash/suite.js';
import { measurePlan } from '../engine.js';
import { parseIgvm } from '../igvm/parse.js';
import { igvmmeasureCheckKvm, measureIgvm, type IgvmMeasureOptions, type IgvmSemantics } from '../igvm/measure.js';

export interface IgvmProfile {
  mode: IgvmSemantics; vcpus?: number; ap_vmsa?: 'reset' | 'bsp' | 'none'; vcpu_sig?: string; defer_regions?: boolean;
  init2_fpu?: boolean; vmsa_gpa?: string; native_zero?: boolean; check_kvm?: boolean;
}
export interface IgvmVector {
  id: string; file: string; valid: boolean; sha256?: string; expected_error?: string;
  expected?: Record<string, { digest: string; updates: number; id_block?: string } | { error: string } | string>;
}
export interface IgvmVectorFile { profiles: Record<string, IgvmProfile>; vectors: IgvmVector[] }

export function profileOptions(p: IgvmProfile): IgvmMeasureOptions {
  return {
    semantics: p.mode,
    ...(p.vcpus !== undefined ? { vcpus: p.vcpus } : {}),
    ...(p.ap_vmsa !== undefined ? { apVmsa: p.ap_vmsa } : {}),
    ...(p.vcpu_sig !== undefined ? { vcpuSignature: BigInt(p.vcpu_sig) } : {}),
    ...(p.defer_regions !== undefined ? { deferRegions: p.defer_regions } : {}),
    ...(p.init2_fpu !== undefined ? { era: p.init2_fpu ? 'init2' as const : 'pre-init2' as const } : {}),
    ...(p.vmsa_gpa !== undefined ? { vmsaGpa: BigInt(p.vmsa_gpa) } : {}),
    ...(p.native_zero !== undefined ? { nativeZero: p.native_zero } : {}),
  };
}

const codeOf = (e: unknown): string => (isMeasureError(e) ? e.code.replace(/^igvm-/, '').replace(/-/g, '_') : `exception ${(e as Error).message}`);

export interface IgvmCaseResult { id: string; profile: string; expected: string; got: string; ok: boolean }

/** Every (vector, profile) pair of a file, with what this implementation produced; `filePath` locates a vector's file. */
export function runIgvmVectors(doc: IgvmVectorFile, filePath: (file: string) => string): IgvmCaseResult[] {
  const out: IgvmCaseResult[] = [];
  for (const v of doc.vectors) {
    const bytes = readInput(filePath(v.file), { what: `vector ${v.id} file`, kind: 'igvm' });
    if (v.sha256 && toHex(defaultSuite.sha256(bytes)) !== v.sha256) {
      out.push({ id: v.id, profile: 'file', expected: v.sha256, got: toHex(defaultSuite.sha256(bytes)), ok: false });
      continue;
    }
    if (!v.valid) {
      let got = 'accepted';
      try { parseIgvm(bytes); } catch (e) { got = `rejected: ${codeOf(e)}`; }
      // Any clear rejection passes; the reference's own code word is reported for comparison.
      out.push({ id: v.id, profile: 'parse', expected: `rejected (reference: ${v.expected_error})`, got, ok: got.startsWith('rejected') && !got.includes('exception') });
      continue;
    }
    let file: ReturnType<typeof parseIgvm>;
    try {
      file = parseIgvm(bytes);
    } catch (e) {
      out.push({ id: v.id, profile: 'parse', expected: 'a valid file', got: `rejected: ${codeOf(e)}`, ok: false });
      continue;
    }
    for (const [name, want] of Object.entries(v.expected ?? {})) {
      const profile = doc.profiles[name];
      if (!profile) continue;
      let got: string;
      let expected: string;
      try {
        if (profile.check_kvm) {
          expected = String(want);
          got = igvmmeasureCheckKvm(file).result;
        } else {
          const m = measureIgvm(file, profileOptions(profile));
          const r = measurePlan(m.plan);
          const idStatus = m.idBlockLd === undefined ? 'absent' : toHex(m.idBlockLd) === toHex(r.digest) ? 'match' : 'mismatch';
          const w = want as { digest?: string; updates?: number; id_block?: string };
          got = `${toHex(r.digest)} ${r.steps}${w.id_block ? ` id_block=${idStatus}` : ''}`;
          expected = typeof want === 'string' ? want : 'error' in want ? want.error : `${w.digest} ${w.updates}${w.id_block ? ` id_block=${w.id_block}` : ''}`;
        }
      } catch (e) {
        got = codeOf(e);
        expected = typeof want === 'string' ? want : 'error' in want ? want.error : `${(want as { digest: string }).digest}`;
      }
      out.push({ id: v.id, profile: name, expected, got, ok: got === expected });
    }
  }
  return out;
}
