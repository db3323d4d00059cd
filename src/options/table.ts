/**
 * The option vocabulary: every option any command, the library, the CI config and the web page
 * understand, declared once with its description, default, accepted values and aliases.
 *
 * The long name (`--vmm-type`) is the command-line spelling; `key` (`vmmType`) is the camelCase
 * spelling the library's one-call API and the config files use, with the same values. Commands
 * compose themselves from these declarations (src/cli/commands.ts) and may override only the
 * default or the description where their meaning narrows (e.g. `igvm` defaults `--vcpus` to 1).
 */

import { fail } from '../errors.js';

export type OptionKind =
  /** Takes no value: present or absent (`--json`). */
  | 'flag'
  /** Takes exactly one value; a repetition is refused. */
  | 'value'
  /** Takes several values, repeated (`--extent A --extent B`) or comma-separated where `split` allows. */
  | 'list';

/** One command-line option, declared once for every command that takes it (name, help, default, values). */
export interface OptionDecl {
  /** Long name without dashes: `vmm-type`. */
  readonly name: string;
  /** One-line meaning, written for `--help`. */
  readonly describe: string;
  readonly kind: OptionKind;
  /** Placeholder shown in help: FILE, N, HEX, GPA... */
  readonly metavar?: string;
  /** The default as the command line would spell it; undefined when the option is absent by default. */
  readonly default?: string;
  /** Accepted values (case-insensitive), shown in help; parsers downstream validate them. */
  readonly choices?: readonly string[];
  /** Other long names for the same option. */
  readonly aliases?: readonly string[];
  /** A one-letter short form. */
  readonly short?: string;
  /** `file`: a path to read, `-` reads stdin; `output`: a path to write, `-` writes stdout. */
  readonly io?: 'file' | 'output' | 'dir';
  /** A list option that also splits each value at commas (not for paths or GPA=FILE pairs). */
  readonly split?: boolean;
  /**
   * A value option that becomes a list in commands that search or enumerate configurations
   * (identify, reference-values, the CI config): `--vcpus 1-4,8`, `--vcpu-type A,B`.
   */
  readonly matrix?: boolean;
  /** Help group. */
  readonly group: OptionGroup;
}

export type OptionGroup =
  | 'OVMF launch' | 'Region-list launch' | 'IGVM launch' | 'Guest configuration' | 'Attestation'
  | 'Output' | 'Encoding' | 'General';

/** A flag alias that stands for an option with a fixed value (`--native-zero` = `--measured-zero native`). */
export interface ValueAlias { readonly name: string; readonly option: string; readonly value: string; readonly describe: string }

const o = (d: OptionDecl): OptionDecl => d;

/**
 * Every option of every command: the one vocabulary the CLI, its help and the library's option
 * names (camelCase of `name`) come from.
 */
export const OPTIONS: readonly OptionDecl[] = [
  // ---- general ----
  o({ name: 'help', short: 'h', kind: 'flag', describe: 'show this help', group: 'General' }),
  o({ name: 'version', short: 'V', kind: 'flag', describe: 'print the version', group: 'General' }),
  o({ name: 'debug', kind: 'flag', describe: 'print stack traces of errors', group: 'General' }),
  o({ name: 'quiet', short: 'q', kind: 'flag', describe: 'print no warnings or notes on stderr', group: 'General' }),
  o({ name: 'max-steps', kind: 'value', metavar: 'N', default: '67108864', describe: 'refuse launches of more than N launch updates (2^26, 256 GiB of pages, about a minute)', group: 'General' }),

  // ---- OVMF launch ----
  o({ name: 'mode', kind: 'value', metavar: 'MODE', choices: ['snp', 'snp:ovmf-hash', 'snp:svsm', 'sev', 'seves'], describe: 'guest mode (aliases sev-snp, sev-es, sev-snp:svsm)', group: 'OVMF launch' }),
  o({ name: 'ovmf', kind: 'value', metavar: 'FILE', io: 'file', describe: 'OVMF firmware (the combined OVMF.fd QEMU loads)', group: 'OVMF launch' }),
  o({ name: 'metadata', kind: 'value', metavar: 'FILE', io: 'file', describe: 'metadata-only JSON instead of --ovmf (sev-snp-measure-go format; mode snp)', group: 'OVMF launch' }),
  o({ name: 'snp-ovmf-hash', kind: 'value', metavar: 'HEX', describe: 'precomputed firmware digest (the output of --mode snp:ovmf-hash)', group: 'OVMF launch' }),
  o({ name: 'kernel', kind: 'value', metavar: 'FILE', io: 'file', describe: 'kernel for measured direct boot (an empty value means none)', group: 'OVMF launch' }),
  o({ name: 'initrd', kind: 'value', metavar: 'FILE', io: 'file', describe: 'initrd for measured direct boot (with --kernel)', group: 'OVMF launch' }),
  o({ name: 'append', kind: 'value', metavar: 'TEXT', describe: 'kernel command line, measured as its UTF-8 bytes plus NUL (with --kernel)', group: 'OVMF launch' }),
  o({ name: 'kernel-sha256', kind: 'value', metavar: 'HEX', describe: 'SHA-256 of the kernel instead of --kernel', group: 'OVMF launch' }),
  o({ name: 'initrd-sha256', kind: 'value', metavar: 'HEX', describe: 'SHA-256 of the initrd instead of --initrd', group: 'OVMF launch' }),
  o({ name: 'append-sha256', kind: 'value', metavar: 'HEX', describe: 'SHA-256 of the command line plus its NUL instead of --append', group: 'OVMF launch' }),
  o({ name: 'svsm', kind: 'value', metavar: 'FILE', io: 'file', describe: 'legacy COCONUT-SVSM image (mode snp:svsm)', group: 'OVMF launch' }),
  o({ name: 'vars-size', kind: 'value', metavar: 'BYTES', describe: 'OVMF_VARS size (mode snp:svsm)', group: 'OVMF launch' }),
  o({ name: 'vars-file', kind: 'value', metavar: 'FILE', io: 'file', describe: 'OVMF_VARS file, for its size (mode snp:svsm)', group: 'OVMF launch' }),
  o({ name: 'unknown-sections', kind: 'value', metavar: 'POLICY', choices: ['error', 'zero'], default: 'error', describe: 'unknown SEV metadata section types: refuse, or measure as ZERO pages as upstream QEMU does', group: 'OVMF launch' }),

  // ---- region-list launch ----
  o({ name: 'manifest', kind: 'value', metavar: 'FILE', io: 'file', describe: 'vmfwupdate region-list manifest (JSON)', group: 'Region-list launch' }),
  o({ name: 'struct', kind: 'value', metavar: 'FILE', io: 'file', describe: 'the struct the guest wrote, as captured (vmfwupdate: 40 or 36 bytes; vm-launch-update: 56 bytes)', group: 'Region-list launch' }),
  o({ name: 'struct-at', kind: 'value', metavar: 'GPA', describe: 'read the struct from guest memory at this GPA', group: 'Region-list launch' }),
  o({ name: 'struct-size', kind: 'value', metavar: 'BYTES', choices: ['40', '36'], default: '40', describe: 'size of struct vmfwupdate: 40 (natural) or 36 (packed)', group: 'Region-list launch' }),
  o({ name: 'memory', kind: 'value', metavar: 'FILE', io: 'file', describe: 'raw guest-memory image (byte N = GPA N)', group: 'Region-list launch' }),
  o({ name: 'extent', kind: 'list', metavar: 'GPA=FILE', describe: 'guest memory from FILE at GPA (extents may not overlap)', group: 'Region-list launch' }),
  o({ name: 'ap-reset-eip', kind: 'value', metavar: 'EIP', describe: "AP reset EIP (default: the firmware region's SEV-ES reset block)", group: 'Region-list launch' }),
  o({ name: 'measured-zero', kind: 'value', metavar: 'HOW', choices: ['native', 'normal'], describe: 'zero pages that are measured: native (SNP ZERO page type) or normal (a NORMAL page of zeros)', group: 'Region-list launch' }),
  o({ name: 'firmware-metadata', kind: 'value', metavar: 'HOW', choices: ['none', 'ovmf'], describe: "none, or ovmf: also launch the firmware region's SEV metadata sections", group: 'Region-list launch' }),

  // ---- IGVM launch ----
  o({ name: 'igvm', kind: 'value', metavar: 'FILE', io: 'file', describe: 'IGVM image', group: 'IGVM launch' }),
  o({ name: 'semantics', kind: 'value', metavar: 'WHO', choices: ['qemu', 'igvm-crate', 'igvmmeasure'], default: 'qemu', describe: 'whose launch to predict: QEMU/KVM, microsoft/igvm, or COCONUT igvmmeasure', group: 'IGVM launch' }),
  o({ name: 'ap-vmsa', kind: 'value', metavar: 'HOW', choices: ['reset', 'bsp', 'none'], default: 'reset', describe: 'qemu: VMSA of vCPUs without a VP context: reset state, a copy of vCPU 0, or none', group: 'IGVM launch' }),
  o({ name: 'file-order', kind: 'flag', describe: 'qemu: issue page regions in file order instead of when QEMU does', group: 'IGVM launch' }),
  o({ name: 'check-kvm', kind: 'flag', describe: 'also report igvmmeasure --check-kvm consistency checks', group: 'IGVM launch' }),
  o({ name: 'host-igvm', kind: 'value', metavar: 'FILE', io: 'file', describe: 'the IGVM the host launched the VM from (launches that revert to it)', group: 'IGVM launch' }),
  o({ name: 'not-igvm-init', kind: 'flag', describe: 'the VM was not started from IGVM (QEMU then reports NOT_IGVM_INIT)', group: 'IGVM launch' }),
  o({ name: 'resets', kind: 'value', metavar: 'N', default: '1', describe: 'how many of the next launches to report', group: 'IGVM launch' }),
  o({ name: 'qemu-same-write-disable', kind: 'flag', describe: "model QEMU's code: DISABLE in the same write as an image does not load it", group: 'IGVM launch' }),

  // ---- guest configuration (lists where a command enumerates configurations) ----
  o({ name: 'vcpus', kind: 'value', matrix: true, metavar: 'N', describe: 'vCPU count, one VMSA each (lists: 1-8,16)', group: 'Guest configuration' }),
  o({ name: 'vcpu-type', kind: 'value', matrix: true, metavar: 'TYPE', describe: 'QEMU -cpu model, for the VMSA rdx (EPYC-v4, EPYC-Milan, EPYC-Genoa, ...)', group: 'Guest configuration' }),
  o({ name: 'vcpu-sig', kind: 'value', matrix: true, metavar: 'SIG', describe: 'vCPU signature (CPUID Fn0000_0001_EAX) instead of --vcpu-type', group: 'Guest configuration' }),
  o({ name: 'vcpu-family', kind: 'value', metavar: 'N', describe: 'vCPU family (with --vcpu-model and --vcpu-stepping; wins over --vcpu-sig and --vcpu-type)', group: 'Guest configuration' }),
  o({ name: 'vcpu-model', kind: 'value', metavar: 'N', describe: 'vCPU model (with --vcpu-family)', group: 'Guest configuration' }),
  o({ name: 'vcpu-stepping', kind: 'value', metavar: 'N', describe: 'vCPU stepping (with --vcpu-family)', group: 'Guest configuration' }),
  o({ name: 'vmm-type', aliases: ['profile'], kind: 'value', matrix: true, metavar: 'VMM', choices: ['qemu', 'ec2', 'gce'], default: 'qemu', describe: 'VMM profile, any case (lists may name an era: ec2:rdx-0)', group: 'Guest configuration' }),
  o({ name: 'vmm-era', kind: 'value', metavar: 'ERA', describe: 'profile era: qemu init2 (default) | pre-init2; ec2 rdx-0x600 (default) | rdx-0', group: 'Guest configuration' }),
  o({ name: 'guest-features', kind: 'value', matrix: true, metavar: 'HEX', default: '0x1', describe: 'VMSA sev_features: 0x1 on current hosts, 0x21 on Linux 6.6-era hosts', group: 'Guest configuration' }),
  o({ name: 'product', kind: 'value', metavar: 'CPU', choices: ['milan', 'genoa', 'turin'], describe: "host CPU product: GCE's VMSA GPA width, Contrast's ProductName", group: 'Guest configuration' }),
  o({ name: 'vmsa-gpa', kind: 'value', metavar: 'GPA', describe: 'VMSA GPA (default 0xfffffffff000, the KVM value; GCE: by --product)', group: 'Guest configuration' }),

  // ---- attestation ----
  o({ name: 'report', kind: 'value', metavar: 'FILE', io: 'file', describe: 'attestation report (binary, hex or base64)', group: 'Attestation' }),
  o({ name: 'expected', kind: 'list', split: true, metavar: 'DIGEST', describe: 'accepted measurement, hex or base64 (repeat or comma-separate; any may match)', group: 'Attestation' }),
  o({ name: 'reference-values', kind: 'value', metavar: 'PATH', io: 'file', describe: 'reference values in any format this tool writes (a file, or a directory of go-sev-guest *.textproto configs), or a lock file', group: 'Attestation' }),
  o({ name: 'measurement', kind: 'value', metavar: 'DIGEST', describe: 'a launch digest (hex or base64)', group: 'Attestation' }),
  o({ name: 'host-data', kind: 'value', metavar: 'HEX', describe: 'also require this HOST_DATA (32 bytes)', group: 'Attestation' }),
  o({ name: 'policy', kind: 'value', metavar: 'HEX', default: '0x30000', describe: 'guest policy the VM is launched with', group: 'Attestation' }),
  o({ name: 'forbid-debug', kind: 'flag', describe: 'also require the policy DEBUG bit clear', group: 'Attestation' }),
  o({ name: 'id-key-digest', kind: 'value', metavar: 'HEX', describe: 'also require this ID key digest (48 bytes)', group: 'Attestation' }),
  o({ name: 'author-key-digest', kind: 'value', metavar: 'HEX', describe: 'also require this author key digest (48 bytes)', group: 'Attestation' }),
  o({ name: 'report-data', kind: 'value', metavar: 'HEX', describe: 'also require this REPORT_DATA (64 bytes)', group: 'Attestation' }),
  o({ name: 'expected-log', kind: 'value', metavar: 'FILE', io: 'file', describe: 'on a mismatch, compare the launch log of these inputs with this one', group: 'Attestation' }),
  o({ name: 'log-a', kind: 'value', metavar: 'FILE', io: 'file', describe: 'the first launch log (JSON Lines)', group: 'Attestation' }),
  o({ name: 'log-b', kind: 'value', metavar: 'FILE', io: 'file', describe: 'the second launch log (JSON Lines)', group: 'Attestation' }),
  o({ name: 'format', kind: 'value', metavar: 'FORMAT', choices: ['json', 'trustee', 'trustee-sample', 'trustee-operator', 'go-sev-guest', 'contrast'], default: 'json', describe: 'reference-value format: json (this tool), trustee (RVPS registration message), trustee-sample, trustee-operator (needs --expires), go-sev-guest (check.Config), contrast (needs --product)', group: 'Attestation' }),
  o({ name: 'encoding', kind: 'value', metavar: 'ENC', choices: ['hex', '0xhex', 'base64', 'base64url'], default: 'hex', describe: 'digest encoding in reference values: json hex, 0xhex, base64 or base64url; trustee formats hex or base64; go-sev-guest and contrast fixed', group: 'Attestation' }),
  o({ name: 'matrix', kind: 'value', metavar: 'FILE', io: 'file', describe: 'JSON object of configuration lists (the option keys: vcpus, vcpuType, vmmType, ...); options win', group: 'Attestation' }),
  o({ name: 'apeip', kind: 'flag', describe: 'contrast: the 1-vCPU digest plus the AP reset EIP, which Contrast extends to other counts (implies --vcpus 1; needs the --vcpu-type of --product, guest features 0x1)', group: 'Attestation' }),
  o({ name: 'expires', kind: 'value', metavar: 'RFC3339', describe: 'trustee-operator (required there): expiration of the reference values, RFC 3339, written as UTC YYYY-MM-DDTHH:MM:SSZ', group: 'Attestation' }),
  o({ name: 'from-lock', kind: 'value', metavar: 'FILE', io: 'file', describe: 'take the digests from a vmfw-measure lock file', group: 'Attestation' }),
  o({ name: 'id-key', kind: 'value', metavar: 'PEM', io: 'file', describe: 'ECDSA P-384 private key that signs the ID block', group: 'Attestation' }),
  o({ name: 'author-key', kind: 'value', metavar: 'PEM', io: 'file', describe: 'ECDSA P-384 author key: signs the ID key', group: 'Attestation' }),
  o({ name: 'family-id', kind: 'value', metavar: 'HEX', describe: 'ID block family ID (16 bytes)', group: 'Attestation' }),
  o({ name: 'image-id', kind: 'value', metavar: 'HEX', describe: 'ID block image ID (16 bytes)', group: 'Attestation' }),
  o({ name: 'guest-svn', kind: 'value', metavar: 'N', default: '0', describe: 'ID block guest SVN', group: 'Attestation' }),

  // ---- region-list encoding ----
  o({ name: 'struct-out', kind: 'value', metavar: 'FILE', io: 'output', describe: 'write struct vmfwupdate bytes', group: 'Encoding' }),
  o({ name: 'regions-out', kind: 'value', metavar: 'FILE', io: 'output', describe: 'write the region array bytes', group: 'Encoding' }),
  o({ name: 'memory-out', kind: 'value', metavar: 'FILE', io: 'output', describe: 'write a sparse memory image holding struct, array and COPY sources', group: 'Encoding' }),
  o({ name: 'struct-gpa', kind: 'value', metavar: 'GPA', default: '0x1000', describe: 'where the struct sits in the memory image', group: 'Encoding' }),
  o({ name: 'regions-addr', kind: 'value', metavar: 'GPA', default: '0x2000', describe: 'regions_addr: where the array sits', group: 'Encoding' }),
  o({ name: 'staging-base', kind: 'value', metavar: 'GPA', describe: 'first src address for COPY sources without src (default: after the array)', group: 'Encoding' }),
  o({ name: 'inline-limit', kind: 'value', metavar: 'BYTES', default: '1048576', describe: 'largest COPY source written inline as hex', group: 'Encoding' }),

  // ---- output ----
  o({ name: 'output-format', kind: 'value', metavar: 'FMT', choices: ['hex', 'base64'], default: 'hex', describe: 'digest encoding on stdout', group: 'Output' }),
  o({ name: 'json', kind: 'flag', describe: 'print the result and every input that determined it as JSON', group: 'Output' }),
  o({ name: 'verbose', short: 'v', kind: 'flag', describe: 'print "Calculated <MODE> guest measurement: ..." as sev-snp-measure -v does', group: 'Output' }),
  o({ name: 'log', kind: 'value', metavar: 'FILE', io: 'output', describe: 'write the launch log, one JSON line per launch update', group: 'Output' }),
  o({ name: 'dump-vmsa', kind: 'flag', describe: 'write the measured VMSA pages to vmsa<N>.bin in the working directory', group: 'Output' }),
  o({ name: 'out', kind: 'value', metavar: 'FILE', io: 'output', describe: 'write to FILE instead of stdout', group: 'Output' }),
  o({ name: 'out-dir', kind: 'value', metavar: 'DIR', io: 'dir', describe: 'write one file per configuration into DIR (created if missing)', group: 'Output' }),
  o({ name: 'update', kind: 'flag', describe: 'rewrite the lock file with the recomputed values', group: 'Output' }),
  o({ name: 'github', kind: 'flag', describe: 'GitHub Actions annotations and step summary (automatic when GITHUB_ACTIONS=true)', group: 'Output' }),
  o({ name: 'config', kind: 'value', metavar: 'FILE', default: 'vmfw-measure.json', describe: 'CI launch config; its lock is written beside it (vmfw-measure.json -> vmfw-measure.lock.json)', group: 'General' }),
];

/** Flags that stand for an option with a value; kept for compatibility with earlier spellings. */
export const VALUE_ALIASES: readonly ValueAlias[] = [
  { name: 'native-zero', option: 'measured-zero', value: 'native', describe: 'same as --measured-zero native' },
];

/** `vmm-type` -> `vmmType`: the spelling of an option in the library and in config files. */
export function optionKey(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** `vmmType` -> `vmm-type`: the command-line name of a camelCase key. */
export function optionName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `vmmType` -> `--vmm-type`: how messages spell an option on the command line. */
export function optionFlag(key: string): string {
  return `--${optionName(key)}`;
}

const BY_NAME: ReadonlyMap<string, OptionDecl> = new Map(OPTIONS.flatMap((d) => [d.name, ...(d.aliases ?? [])].map((n) => [n, d] as const)));
const BY_KEY: ReadonlyMap<string, OptionDecl> = new Map(OPTIONS.map((d) => [optionKey(d.name), d]));

/** The declaration for a long name or alias; own entries only (`constructor` is not an option). */
export function optionByName(name: string): OptionDecl | undefined {
  return BY_NAME.get(name);
}

/** The declaration for a camelCase key (`vmmType`). */
export function optionByKey(key: string): OptionDecl | undefined {
  return BY_KEY.get(key);
}

/** `value` as one of `choices` (any case), or a usage error naming the option and the choices. */
export function oneOf<T extends string>(value: string, flag: string, choices: readonly T[]): T {
  const hit = matchChoice(value, choices) as T | undefined;
  if (hit === undefined) fail('usage', `${flag}: ${JSON.stringify(value)} is not one of ${choices.join(', ')}`);
  return hit;
}

/** Case-insensitive choice lookup that only ever matches a declared value. */
export function matchChoice(value: string, choices: readonly string[]): string | undefined {
  const v = value.toLowerCase();
  return choices.find((c) => c.toLowerCase() === v);
}

/** camelCase alias keys (`profile`) to their option's key (`vmmType`), for the library and config files. */
export const KEY_ALIASES: ReadonlyMap<string, string> = new Map(OPTIONS.flatMap((d) => (d.aliases ?? []).map((a) => [optionKey(a), optionKey(d.name)] as const)));

/** Values keyed by option key, with alias keys renamed to their option's key; an alias and its key both given is refused by `onBoth`. */
export function canonicalKeys(values: Readonly<Record<string, unknown>>, onBoth: (alias: string, key: string) => never): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    const key = KEY_ALIASES.get(k) ?? k;
    if (key !== k && Object.hasOwn(values, key)) onBoth(k, key);
    out[key] = v;
  }
  return out;
}
