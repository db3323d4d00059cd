/**
 * Provenance of a reference-value set (`reference-values --format json`): which tool and rules
 * computed it, and the SHA-256 of every input that reached the digests, so that anyone holding the
 * same files can check that a reference set was computed from them (and recompute it).
 *
 * The caller supplies the hashes (it reads the files); this module only fixes the shape, the order
 * and the meaning of each role.
 */
import { fail } from '../errors.js';
import { toHex } from '../bytes.js';

/** The inputs a launch can take, in the order they are listed. */
export const PROVENANCE_ROLES = ['firmware', 'svsm', 'metadata', 'kernel', 'initrd', 'cmdline', 'manifest', 'region-source', 'memory', 'igvm'] as const;
export type ProvenanceRole = typeof PROVENANCE_ROLES[number];

export const ROLE_MEANING: Readonly<Record<ProvenanceRole, string>> = {
  firmware: 'the firmware image (OVMF.fd) as measured',
  svsm: 'the SVSM image',
  metadata: 'the metadata-only JSON given instead of a firmware image',
  kernel: 'the kernel file, as in the kernel-hashes table',
  initrd: 'the initrd file, as in the kernel-hashes table',
  cmdline: 'the kernel command line: its UTF-8 bytes plus the terminating NUL, as in the kernel-hashes table',
  manifest: 'the region-list manifest file',
  'region-source': 'a file a region-list manifest names as a region source (the firmware, a kernel-hashes page...), the window the region reads',
  memory: 'a guest-memory image or extent file of a region list',
  igvm: 'the IGVM file',
};

export interface ProvenanceInput {
  readonly role: ProvenanceRole;
  /** The path as given (omitted for stdin, or when only a precomputed hash was given). */
  readonly path?: string;
  /** SHA-256 of the input's bytes (32 bytes). */
  readonly sha256: Uint8Array;
  /** True when the user passed the hash itself (--kernel-sha256 ...), so no file was read. */
  readonly given?: boolean;
}

export interface ProvenanceData {
  readonly tool: { readonly name: string; readonly version: string };
  /**
   * The rules the digests follow: for region lists the rules version (`vmfwupdate-snp/1`), for
   * IGVM the semantics (`igvm:qemu`, ...), for OVMF launches `ovmf:sev-snp-measure` (the
   * reference's rules); profiles and eras are per entry.
   */
  readonly rules: string;
  readonly inputs: readonly ProvenanceInput[];
}

/** The `provenance` object of a measurement set: inputs in role order, hashes as lowercase hex. */
export function provenanceJson(p: ProvenanceData): Record<string, unknown> {
  if (!p.tool.name || !p.tool.version) fail('usage', 'provenance needs the tool name and version');
  const inputs = [...p.inputs]
    .map((i, n) => {
      if (i.sha256.length !== 32) fail('usage', `provenance input ${n} (${i.role}): a SHA-256 is 32 bytes, got ${i.sha256.length}`);
      return { i, n };
    })
    .sort((a, b) => PROVENANCE_ROLES.indexOf(a.i.role) - PROVENANCE_ROLES.indexOf(b.i.role) || a.n - b.n)
    .map(({ i }) => ({
      role: i.role, ...(i.path !== undefined ? { path: i.path } : {}), sha256: toHex(i.sha256), ...(i.given ? { given: true } : {}),
    }));
  return { tool: { name: p.tool.name, version: p.tool.version }, rules: p.rules, inputs };
}
