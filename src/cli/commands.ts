/**
 * Every command, composed from the option vocabulary: which options it takes (by name, with a
 * default or description only where its meaning narrows), its positionals, examples, and the
 * module that runs it (loaded only when the command is invoked, so start-up stays short).
 */
import { optionByName } from '../options/table.js';
import type { ArgValue, CommandOption, CommandShape, PositionalDecl } from './argv.js';
import type { CliIO } from './io.js';

export interface CommandArgs {
  readonly values: Readonly<Record<string, ArgValue>>;
  readonly given: ReadonlySet<string>;
  readonly commandDefaults: ReadonlySet<string>;
}

export type CommandRun = (a: CommandArgs, io: CliIO) => number | Promise<number>;

export interface CommandDef extends CommandShape {
  readonly describe: string;
  readonly usage: string;
  readonly examples: readonly string[];
  /** Shown after the options: notes on semantics. */
  readonly epilog?: string;
  readonly run: () => Promise<CommandRun>;
}

type OptionRef = string | { readonly name: string; readonly default?: string | undefined; readonly describe?: string; readonly required?: boolean };

function opts(...groups: readonly (readonly OptionRef[])[]): CommandOption[] {
  const seen = new Map<string, CommandOption>();
  for (const ref of groups.flat()) {
    const r = typeof ref === 'string' ? { name: ref } : ref;
    const decl = optionByName(r.name);
    if (!decl) throw new Error(`command option ${r.name} is not in the vocabulary`);
    seen.set(decl.name, {
      decl, ...('default' in r ? { default: r.default } : {}), ...(r.describe ? { describe: r.describe } : {}), ...(r.required ? { required: true } : {}),
    });
  }
  return [...seen.values()];
}

const GENERAL = ['help', 'version', 'debug', 'quiet'];
const OVMF_INPUTS = ['mode', 'ovmf', 'metadata', 'snp-ovmf-hash', 'kernel', 'initrd', 'append', 'kernel-sha256', 'initrd-sha256', 'append-sha256', 'svsm', 'vars-size', 'vars-file', 'unknown-sections'];
/** What every launch reads: vCPUs and their model, the VMM profile. */
const VCPUS_AND_VMM = ['vcpus', 'vcpu-type', 'vcpu-sig', 'vcpu-family', 'vcpu-model', 'vcpu-stepping', 'vmm-type', 'vmm-era'];
/** The whole configuration. An IGVM file brings its own guest features and VMSA places, and a region list (rules vmfwupdate-snp/1) puts its VMSAs at one GPA whatever the product, so commands that measure only those take less. */
const CONFIG = [...VCPUS_AND_VMM, 'guest-features', 'product', 'vmsa-gpa'];
const REGIONS_CONFIG = [...VCPUS_AND_VMM, 'guest-features'];
const REGION_INPUTS = ['manifest', 'memory', 'extent', 'ap-reset-eip', 'measured-zero', 'firmware-metadata'];
const CAPTURE = ['struct', 'struct-at', 'struct-size'];
const IGVM_INPUTS = ['igvm', 'semantics', 'ap-vmsa', 'file-order', 'measured-zero'];
/** Everything that describes a launch: the same names in every command that takes one. */
const LAUNCH = [...OVMF_INPUTS, ...REGION_INPUTS, ...IGVM_INPUTS, ...CONFIG, 'max-steps'];
const DIGEST_OUT = ['output-format', 'json', 'log'];

const pos = (metavar: string, option: string, required = true): PositionalDecl => ({ metavar, option, required });


export const COMMANDS: readonly CommandDef[] = [
  {
    path: 'ovmf', describe: 'launch digest of a classic OVMF launch (sev-snp-measure compatible options)',
    usage: 'ovmf --mode MODE --ovmf FILE [--vcpus N --vcpu-type TYPE] [options]',
    options: opts(GENERAL, OVMF_INPUTS, CONFIG, ['max-steps', ...DIGEST_OUT, 'verbose', 'dump-vmsa'], [{ name: 'mode', required: true }]),
    positionals: [],
    examples: [
      'vmfw-measure ovmf --mode snp --vcpus 4 --vcpu-type EPYC-Milan --ovmf OVMF.fd',
      'vmfw-measure ovmf --mode snp --vcpus 2 --vmm-type ec2 --ovmf ovmf_img.fd',
      'vmfw-measure ovmf --mode snp --vcpus 2 --vmm-type gce --product genoa --ovmf OVMF.fd',
      'vmfw-measure ovmf --mode snp --vcpus 4 --vcpu-type EPYC-v4 --ovmf OVMF.fd --kernel vmlinuz --initrd initrd.img --append "console=ttyS0"',
      'vmfw-measure ovmf --mode snp:ovmf-hash --ovmf OVMF.fd',
      'vmfw-measure ovmf --mode snp --vcpus 4 --vcpu-type EPYC-v4 --ovmf OVMF.fd --json --log launch.jsonl',
    ],
    epilog: 'Profiles: qemu (eras init2, pre-init2), ec2 (eras rdx-0x600, rdx-0), gce (VMSA GPA by --product milan | genoa).',
    run: async () => (await import('./ovmf-command.js')).run,
  },
  {
    path: 'regions', describe: 'launch digest after a vmfwupdate region-list update (rules vmfwupdate-snp/1)',
    usage: 'regions [MANIFEST | --struct FILE | --struct-at GPA --memory IMG] [options]',
    options: opts(GENERAL, REGION_INPUTS, CAPTURE, REGIONS_CONFIG, ['max-steps', ...DIGEST_OUT]),
    positionals: [pos('MANIFEST', 'manifest', false)],
    examples: [
      'vmfw-measure regions update.json',
      'vmfw-measure regions update.json --vcpus 4 --vcpu-type EPYC-v4 --json',
      'vmfw-measure regions --struct-at 0x1000 --memory guest.img --vcpus 4 --vcpu-type EPYC-v4',
    ],
    epilog: 'Subcommands: regions from-ovmf (the region list equal to an OVMF launch), regions encode (binary struct, array and memory image from a manifest), regions decode (a manifest from a captured struct). Exit status 4: the update is disabled (no digest).',
    run: async () => (await import('./regions-command.js')).runRegionsCommand,
  },
  {
    path: 'regions from-ovmf', describe: 'the region list (manifest) equivalent to an OVMF launch',
    usage: 'regions from-ovmf --mode snp --ovmf FILE --vcpus N --vcpu-type TYPE [--out FILE]',
    options: opts(GENERAL, OVMF_INPUTS, CONFIG, ['out'], [{ name: 'mode', default: 'snp' }]),
    positionals: [],
    examples: ['vmfw-measure regions from-ovmf --mode snp --vcpus 4 --vcpu-type EPYC-v4 --ovmf OVMF.fd --out launch.json'],
    run: async () => (await import('./regions-command.js')).runFromOvmfCommand,
  },
  {
    path: 'regions encode', describe: 'binary struct vmfwupdate, region array and memory image from a manifest',
    usage: 'regions encode MANIFEST [--struct-out FILE] [--regions-out FILE] [--memory-out FILE]',
    options: opts(GENERAL, ['manifest', 'struct-out', 'regions-out', 'memory-out', 'struct-size', 'struct-gpa', 'regions-addr', 'staging-base']),
    positionals: [pos('MANIFEST', 'manifest')],
    examples: ['vmfw-measure regions encode update.json --struct-out s.bin --regions-out r.bin --memory-out guest.img'],
    run: async () => (await import('./regions-command.js')).runEncodeCommand,
  },
  {
    path: 'regions decode', describe: 'a manifest from a captured struct vmfwupdate and region array',
    usage: 'regions decode (--struct FILE | --struct-at GPA) (--memory IMG | --extent GPA=FILE ...) [--out FILE]',
    options: opts(GENERAL, CAPTURE, ['memory', 'extent', 'out', 'inline-limit'], REGIONS_CONFIG, ['ap-reset-eip', 'measured-zero', 'firmware-metadata']),
    positionals: [],
    examples: ['vmfw-measure regions decode --struct-at 0x1000 --memory guest.img --out update.json'],
    run: async () => (await import('./regions-command.js')).runDecodeCommand,
  },
  {
    path: 'igvm', describe: 'SNP launch digest of an IGVM image (qemu, igvm-crate or igvmmeasure semantics)',
    usage: 'igvm FILE [--vcpus N] [--semantics qemu|igvm-crate|igvmmeasure] [options]',
    options: opts(GENERAL, IGVM_INPUTS, VCPUS_AND_VMM, ['check-kvm', 'max-steps', ...DIGEST_OUT], [{ name: 'vcpus', default: '1' }, { name: 'measured-zero', describe: 'igvmmeasure: data-less pages measured as native (SNP ZERO type) or normal (NORMAL pages of zeros, the default)' }]),
    positionals: [pos('FILE', 'igvm')],
    examples: [
      'vmfw-measure igvm coconut.igvm --vcpus 4 --vcpu-type EPYC-v4',
      'vmfw-measure igvm coconut.igvm --semantics igvmmeasure --measured-zero native',
    ],
    epilog: 'Subcommand: igvm inspect FILE lists the headers and directives of an IGVM file.',
    run: async () => (await import('./igvm-command.js')).runIgvmCommand,
  },
  {
    path: 'igvm inspect', describe: 'the headers and directives of an IGVM file (type, GPA, flags, sizes, data digests)',
    usage: 'igvm inspect FILE [--json]',
    options: opts(GENERAL, ['igvm', 'json']), positionals: [pos('FILE', 'igvm')],
    examples: ['vmfw-measure igvm inspect coconut.igvm --json'],
    run: async () => (await import('./igvm-command.js')).runInspectCommand,
  },
  {
    path: 'launch-update', describe: 'digest of the next launch(es) after a QEMU vm-launch-update write (IGVM image in guest memory)',
    usage: 'launch-update (--struct FILE | --struct-at GPA) --memory IMG [--host-igvm FILE] [--resets N] [options]',
    options: opts(GENERAL, ['struct', 'struct-at', 'memory', 'extent', 'host-igvm', 'not-igvm-init', 'resets', 'qemu-same-write-disable', 'ap-vmsa', 'file-order'], VCPUS_AND_VMM, ['max-steps', 'output-format', 'json'], [{ name: 'vcpus', default: '1' }, { name: 'struct', describe: 'the 56-byte VMLaunchUpdate struct as the guest wrote it' }]),
    positionals: [],
    examples: ['vmfw-measure launch-update --struct-at 0x1000 --memory guest.img --host-igvm host.igvm --resets 2'],
    run: async () => (await import('./launch-update-command.js')).runLaunchUpdateCommand,
  },
  {
    path: 'report', describe: 'decode an SEV-SNP attestation report (the signature is not checked)',
    usage: 'report REPORT [--json]',
    options: opts(GENERAL, ['report', 'json']), positionals: [pos('REPORT', 'report')],
    examples: ['vmfw-measure report report.bin', 'vmfw-measure report report.bin --json'],
    run: async () => (await import('./report-command.js')).runReportCommand,
  },
  {
    path: 'verify', describe: "check a report's measurement (and HOST_DATA, policy, key digests) against expected values or launch inputs",
    usage: 'verify REPORT (--expected DIGEST | --reference-values FILE|DIR | <launch options>) [checks]',
    options: opts(GENERAL, ['report', 'expected', 'reference-values', 'host-data', { name: 'policy', default: undefined, describe: 'also require exactly this guest policy' }, 'forbid-debug', 'id-key-digest', 'author-key-digest', 'report-data', 'expected-log', 'log', 'json'], LAUNCH),
    positionals: [pos('REPORT', 'report')],
    examples: [
      'vmfw-measure verify report.bin --expected 1f2e...',
      'vmfw-measure verify report.bin --reference-values reference-values.json --forbid-debug',
      'vmfw-measure verify report.bin --mode snp --vcpus 4 --vcpu-type EPYC-Milan --ovmf OVMF.fd --expected-log expected.jsonl',
    ],
    epilog: 'Exit status: 0 match, 1 mismatch, 2 bad input.',
    run: async () => (await import('./verify-command.js')).runVerifyCommand,
  },
  {
    path: 'identify', describe: 'find the configurations (vCPUs, vCPU type, guest features, profile) that explain a measurement',
    usage: 'identify (REPORT | --measurement DIGEST) <launch options> [search space]',
    options: opts(GENERAL, ['report', 'measurement', 'json'], LAUNCH, [{ name: 'vmm-type', default: undefined }, { name: 'guest-features', default: undefined, describe: 'guest features to try besides 0x1 and 0x21 (list)' }]),
    positionals: [pos('REPORT', 'report', false)], matrix: true,
    examples: [
      'vmfw-measure identify report.bin --ovmf OVMF.fd --kernel vmlinuz --append "console=ttyS0"',
      'vmfw-measure identify --measurement 1f2e... --ovmf OVMF.fd --vcpus 1-64 --vmm-type qemu,ec2',
    ],
    epilog: 'Default space: vCPUs 1-256, every known vCPU type, guest features 0x1 and 0x21, every profile and era.',
    run: async () => (await import('./identify-command.js')).runIdentifyCommand,
  },
  {
    path: 'diff', describe: 'first step where two launch logs diverge',
    usage: 'diff LOG_A LOG_B [--json]',
    options: opts(GENERAL, ['log-a', 'log-b', 'json']), positionals: [pos('LOG_A', 'log-a'), pos('LOG_B', 'log-b')],
    examples: ['vmfw-measure diff expected.jsonl actual.jsonl'],
    run: async () => (await import('./diff-command.js')).runDiffCommand,
  },
  {
    path: 'reference-values', describe: 'reference values over a configuration matrix (json, trustee, trustee-sample, trustee-operator, go-sev-guest, contrast)',
    usage: 'reference-values <launch options> --vcpus LIST [--vcpu-type LIST] [--format FORMAT] [--out FILE | --out-dir DIR]',
    options: opts(GENERAL, LAUNCH, ['format', 'encoding', 'matrix', 'policy', 'out', 'out-dir', 'apeip', 'expires', 'from-lock'], [{ name: 'vmm-type', default: undefined }, { name: 'guest-features', default: undefined }]),
    positionals: [], matrix: true,
    examples: [
      'vmfw-measure reference-values --ovmf OVMF.fd --kernel vmlinuz --append "console=ttyS0" --vcpus 1-16 --vcpu-type EPYC-Milan --out reference-values.json',
      'vmfw-measure reference-values --ovmf OVMF.fd --vcpus 1-16 --vcpu-type EPYC-Milan --format trustee',
      'vmfw-measure reference-values --ovmf OVMF.fd --vcpus 1-16 --vcpu-type EPYC-Milan --format trustee-operator --expires 2027-01-01T00:00:00Z',
      'vmfw-measure reference-values --ovmf OVMF.fd --vcpus 2,4 --vcpu-type EPYC-Milan --format go-sev-guest --out-dir policies/',
      'vmfw-measure reference-values --ovmf OVMF.fd --vcpu-type EPYC-Genoa --product genoa --format contrast --apeip',
    ],
    epilog: '--policy is the guest policy the VM is launched with (go-sev-guest Policy.policy, Contrast GuestPolicy). go-sev-guest: one check.Config per file (--out FILE.textproto for one configuration, --out-dir DIR for several). Formats and the consumer versions they follow: docs/attestation.md.',
    run: async () => (await import('./reference-values-command.js')).runReferenceValuesCommand,
  },
  {
    path: 'id-block', describe: 'build and sign the SNP ID block and ID auth for a digest',
    usage: 'id-block --measurement DIGEST --id-key id.pem [--author-key author.pem]',
    options: opts(GENERAL, [{ name: 'measurement', required: true }, { name: 'id-key', required: true }, 'author-key', 'family-id', 'image-id', 'guest-svn', 'policy', 'json']),
    positionals: [],
    examples: ['vmfw-measure id-block --measurement 1f2e... --id-key id.pem --author-key author.pem --json'],
    run: async () => (await import('./id-block-command.js')).runIdBlockCommand,
  },
  {
    path: 'lock', describe: 'measure every launch of a CI config (vmfw-measure.json) and write its lock file beside it',
    usage: 'lock [CONFIG] [--json]',
    options: opts(GENERAL, ['config', 'json']),
    positionals: [pos('CONFIG', 'config', false)],
    examples: ['vmfw-measure lock', 'vmfw-measure lock ci/vmfw-measure.json'],
    epilog: 'The lock (vmfw-measure.json -> vmfw-measure.lock.json) records the SHA-256 of every input and, per configuration, the digest and its checkpoints. Config schema and lock format: docs/ci.md.',
    run: async () => (await import('./ci-commands.js')).runLockCommand,
  },
  {
    path: 'check', describe: 'recompute every launch of a CI config and compare with its lock; explain any drift',
    usage: 'check [CONFIG] [--update] [--github] [--json]',
    options: opts(GENERAL, ['config', 'update', 'github', 'json']),
    positionals: [pos('CONFIG', 'config', false)],
    examples: ['vmfw-measure check', 'vmfw-measure check ci/vmfw-measure.json --json', 'vmfw-measure check --update'],
    epilog: 'Exit status: 0 every digest equals the lock, 1 drift (or launches added/removed), 2 bad input. --github is on when GITHUB_ACTIONS=true (--github=false turns it off). docs/ci.md.',
    run: async () => (await import('./ci-commands.js')).runCheckCommand,
  },
];

/** The longest command path the arguments start with. */
export function findCommand(argv: readonly string[]): { command: CommandDef; rest: string[] } | undefined {
  let found: { command: CommandDef; rest: string[] } | undefined;
  for (const c of COMMANDS) {
    const words = c.path.split(' ');
    if (words.every((w, i) => argv[i] === w) && (!found || words.length > found.command.path.split(' ').length)) {
      found = { command: c, rest: argv.slice(words.length) };
    }
  }
  return found;
}
