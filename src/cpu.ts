/** Guest vCPU models and the CPUID Fn0000_0001_EAX signature QEMU writes into the VMSA's rdx. */
import { fail } from './errors.js';

export interface FamilyModelStepping { family: number; model: number; stepping: number }

/** AMD CPUID spec 25481, "CPUID Fn0000_0001_EAX": extended family/model split. */
export function cpuSignature({ family, model, stepping }: FamilyModelStepping): number {
  for (const [name, v] of [['family', family], ['model', model], ['stepping', stepping]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) fail('bad-number', `vCPU ${name} ${v} is out of range`);
  }
  let familyLow = family, familyHigh = 0;
  if (family > 0xf) { familyLow = 0xf; familyHigh = (family - 0xf) & 0xff; }
  const sig = (familyHigh << 20) | (((model >> 4) & 0xf) << 16) | (familyLow << 8) | ((model & 0xf) << 4) | (stepping & 0xf);
  return sig >>> 0;
}

/** QEMU builtin_x86_defs names that SEV-SNP guests use, as sev-snp-measure knows them, plus newer aliases. */
export const VCPU_TYPES: Readonly<Record<string, FamilyModelStepping>> = {
  'EPYC': { family: 23, model: 1, stepping: 2 },
  'EPYC-v1': { family: 23, model: 1, stepping: 2 },
  'EPYC-v2': { family: 23, model: 1, stepping: 2 },
  'EPYC-IBPB': { family: 23, model: 1, stepping: 2 },
  'EPYC-v3': { family: 23, model: 1, stepping: 2 },
  'EPYC-v4': { family: 23, model: 1, stepping: 2 },
  'EPYC-Rome': { family: 23, model: 49, stepping: 0 },
  'EPYC-Rome-v1': { family: 23, model: 49, stepping: 0 },
  'EPYC-Rome-v2': { family: 23, model: 49, stepping: 0 },
  'EPYC-Rome-v3': { family: 23, model: 49, stepping: 0 },
  'EPYC-Milan': { family: 25, model: 1, stepping: 1 },
  'EPYC-Milan-v1': { family: 25, model: 1, stepping: 1 },
  'EPYC-Milan-v2': { family: 25, model: 1, stepping: 1 },
  'EPYC-Genoa': { family: 25, model: 17, stepping: 0 },
  'EPYC-Genoa-v1': { family: 25, model: 17, stepping: 0 },
  'EPYC-Genoa-v2': { family: 25, model: 17, stepping: 0 },
  'EPYC-Turin': { family: 26, model: 0, stepping: 0 },
  'EPYC-Turin-v1': { family: 26, model: 0, stepping: 0 },
  'EPYC-Turin-v2': { family: 26, model: 0, stepping: 0 },
};

/** The QEMU -cpu model names `--vcpu-type` knows, in canonical spelling. */
export const VCPU_TYPE_NAMES: readonly string[] = Object.keys(VCPU_TYPES);

/** Looks a model name up case-insensitively and returns its canonical spelling. */
export function resolveVcpuType(name: string): { name: string; signature: number } {
  const key = VCPU_TYPE_NAMES.find((k) => k.toLowerCase() === name.trim().toLowerCase());
  if (!key) fail('vcpu-type', `unknown vCPU type ${JSON.stringify(name)}; known: ${VCPU_TYPE_NAMES.join(', ')}`);
  return { name: key, signature: cpuSignature(VCPU_TYPES[key]!) };
}
