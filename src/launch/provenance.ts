/**
 * The provenance a `reference-values --format json` set records for a launch: the tool, the rules
 * its digests follow and the SHA-256 of every input that reached them, each under the name the
 * edge gave its source (the path on the command line, the file's name on the web page).
 */
import { defaultSuite, sha256Of, type HashSuite } from '../hash/suite.js';
import { RULES_VERSION } from '../regions/rules.js';
import { TOOL_NAME, VERSION } from '../version.js';
import { provenanceJson, type ProvenanceInput } from '../attestation/provenance.js';
import { sourceSha256, type OpenedLaunch } from './build.js';
import type { LaunchDescription, Source } from './description.js';

/** The `provenance` object for the launch `d` describes (opened as `opened`). */
export function launchProvenance(d: LaunchDescription, opened: OpenedLaunch, hashes: HashSuite = defaultSuite): Record<string, unknown> {
  const kind = opened.launch.kind;
  const rules = kind === 'regions' ? RULES_VERSION : kind === 'igvm' ? `igvm:${d.semantics ?? 'qemu'}` : 'ovmf:sev-snp-measure';
  const inputs: ProvenanceInput[] = [];
  // Sources opened from stdin are described as "stdin": they have no path to record.
  const pathOf = (s: Source | null | undefined): { path?: string } => (s && s.describe !== 'stdin' ? { path: s.describe } : {});
  const file = (role: ProvenanceInput['role'], s: Source | null | undefined): void => {
    if (s) inputs.push({ role, ...pathOf(s), sha256: sourceSha256(s, hashes) });
  };
  if (kind === 'ovmf') {
    file('firmware', d.ovmf);
    file('svsm', d.svsm);
    file('metadata', d.metadata);
    const boot = opened.directBoot;
    if (boot) {
      inputs.push({ role: 'kernel', ...pathOf(d.kernel), sha256: boot.kernel, ...(d.kernelSha256 ? { given: true } : {}) });
      inputs.push({ role: 'initrd', ...pathOf(d.initrd), sha256: boot.initrd, ...(d.initrdSha256 ? { given: true } : {}) });
      inputs.push({ role: 'cmdline', sha256: boot.cmdline, ...(d.appendSha256 ? { given: true } : {}) });
    }
  }
  if (kind === 'regions') {
    file('manifest', d.manifest);
    // The files the manifest names reach the digest as well: the firmware it carries, its pages,
    // and a kernelHashes source's kernel, initrd and command line (hashed once, when opened).
    for (const r of opened.regionSources ?? []) {
      if ('file' in r.source && r.data) {
        inputs.push({ role: 'region-source', path: r.source.file, sha256: sha256Of(r.data, hashes) });
      } else if ('kernelHashes' in r.source && r.kernelHashes) {
        const k = r.source.kernelHashes;
        inputs.push({ role: 'kernel', ...(k.kernel ? { path: k.kernel } : { given: true }), sha256: r.kernelHashes.kernel });
        inputs.push({ role: 'initrd', ...(k.initrd ? { path: k.initrd } : k.initrdSha256 ? { given: true } : {}), sha256: r.kernelHashes.initrd });
        inputs.push({ role: 'cmdline', sha256: r.kernelHashes.cmdline, ...(k.appendSha256 ? { given: true } : {}) });
      }
    }
  }
  if (kind === 'igvm') file('igvm', d.igvm);
  return provenanceJson({ tool: { name: TOOL_NAME, version: VERSION }, rules, inputs });
}
