/**
 * Policies for go-sev-guest's `check` tool (google/go-sev-guest at af1c107): `check -config FILE`
 * reads one `check.Config` (proto/check.proto), as prototext when FILE ends in ".textproto" and as
 * binary protobuf otherwise (tools/check/check.go parseConfig). With -config, flag defaults are not
 * applied, so a config without `Policy.policy` leaves the guest policy 0, and
 * validate.PolicyToOptions then fails with "policy[17] is reserved, must be 1, got 0". Every config
 * written here therefore carries `policy` (the guest policy the VM is launched with) and
 * `measurement`, and each is a whole file: several configs in one file are refused by prototext
 * ("non-repeated field "policy" is repeated").
 *
 * check.proto numbers: Config.root_of_trust = 1, Config.policy = 2; Policy.policy = 2 (uint64, the
 * component-wise most permissive guest policy), Policy.measurement = 11 (bytes, 48).
 */
import { fail } from '../errors.js';
import { U64_MAX, hex64 } from '../bytes.js';
import type { ConfigResult } from './launch-space.js';
import { configLabels, type ConfigLabels } from './reference-values.js';
import { parsePrototext, ptUnsigned, type PtMessage, type PtValue } from './prototext.js';

/** The guest policy QEMU launches with by default: SMT allowed, reserved bit 17 set. */
export const DEFAULT_GUEST_POLICY = 0x30000n;

const RESERVED_ONE_BIT = 17n;
/** abi.ParseSnpPolicy: bits 63..26 must be zero. */
const MUST_BE_ZERO = U64_MAX & ~((1n << 26n) - 1n);

/**
 * Why go-sev-guest abi.ParseSnpPolicy refuses a guest policy (bit 17 clear, bits 26-63 set, or
 * more than 64 bits), or undefined when it parses.
 */
export function guestPolicyProblem(policy: bigint): string | undefined {
  if (policy < 0n || policy > U64_MAX) return 'does not fit in 64 bits';
  if (((policy >> RESERVED_ONE_BIT) & 1n) === 0n) return 'bit 17 is reserved and must be 1 (go-sev-guest: "policy[17] is reserved, must be 1, got 0")';
  if ((policy & MUST_BE_ZERO) !== 0n) return `bits 26-63 must be zero (set: ${hex64(policy & MUST_BE_ZERO)}); go-sev-guest refuses the policy`;
  return undefined;
}

/**
 * A guest policy some SEV-SNP launch can have, as go-sev-guest abi.ParseSnpPolicy accepts it:
 * bit 17 set (reserved, must be 1) and bits 26-63 clear. Returns it unchanged.
 */
export function checkGuestPolicy(policy: bigint, what = '--policy'): bigint {
  const problem = guestPolicyProblem(policy);
  if (problem === undefined) return policy;
  if (policy < 0n || policy > U64_MAX) return fail('guest-policy', `${what} ${hex64(policy)} ${problem}`);
  const launch = ((policy >> RESERVED_ONE_BIT) & 1n) === 0n ? ' (the SNP firmware refuses the launch); the QEMU default is 0x30000' : '';
  return fail('guest-policy', `${what} ${hex64(policy)}: ${problem}${launch}`);
}

/** Guest policy bits (SEV-SNP ABI, go-sev-guest abi.go policy*Bit at af1c107). */
const BIT = { smt: 16n, migrateMA: 18n, debug: 19n, singleSocket: 20n, cxl: 21n, aes256: 22n, raplDis: 23n, ctHiding: 24n, pageSwapDisable: 25n } as const;
const bit = (p: bigint, b: bigint): boolean => ((p >> b) & 1n) === 1n;

/**
 * go-sev-guest `check`'s guest policy rule (validate.validatePolicy at af1c107): the config's
 * `Policy.policy` is the most permissive policy accepted. The report's policy must parse; its ABI
 * version must be at least the config's; MigrateMA, Debug, SMT and CXL may be set only where the
 * config sets them; SingleSocket, AES-256-XTS, RAPL disabled, ciphertext hiding and page swap
 * disabled must be set where the config sets them. Returns check's reason for refusing the
 * report, or undefined when it accepts it. `required` must itself parse (see readCheckConfig).
 */
export function goSevGuestPolicyRejection(reportPolicy: bigint, required: bigint): string | undefined {
  const problem = guestPolicyProblem(reportPolicy);
  if (problem !== undefined) return `could not parse SNP policy: ${problem}`;
  const abi = (p: bigint): bigint => p & 0xffffn;
  const ver = (p: bigint): string => `${(p >> 8n) & 0xffn}.${p & 0xffn}`;
  if (abi(required) > abi(reportPolicy)) return `required policy ABI version (${ver(required)}) is greater than the report's ABI version (${ver(reportPolicy)})`;
  const forbidden: [bigint, string][] = [
    [BIT.migrateMA, 'found unauthorized migration agent capability'], [BIT.debug, 'found unauthorized debug capability'],
    [BIT.smt, 'found unauthorized symmetric multithreading (SMT) capability'],
  ];
  for (const [b, why] of forbidden) if (!bit(required, b) && bit(reportPolicy, b)) return why;
  if (bit(required, BIT.singleSocket) && !bit(reportPolicy, BIT.singleSocket)) return 'required single socket restriction not present';
  if (!bit(required, BIT.cxl) && bit(reportPolicy, BIT.cxl)) return 'found unauthorized CXL capability';
  const required1: [bigint, string][] = [
    [BIT.aes256, 'found unauthorized memory encryption mode'], [BIT.raplDis, 'found unauthorized RAPL capability'],
    [BIT.ctHiding, "chiphertext hiding in DRAM isn't enforced"], [BIT.pageSwapDisable, 'found unauthorized page swap capability'],
  ];
  for (const [b, why] of required1) if (bit(required, b) && !bit(reportPolicy, b)) return why;
  return undefined;
}

/**
 * One go-sev-guest `check -config` file: a whole `check.Config` for one configuration, since
 * prototext refuses several configs in one file.
 */
export interface GoSevGuestConfig {
  /** A file name for --out-dir, unique within the set, ending in ".textproto" (check reads text only then). */
  readonly fileName: string;
  /** One complete check.Config in prototext. */
  readonly text: string;
  readonly labels: ConfigLabels;
}

/** Prototext string literal of raw bytes: every byte as \xHH, which prototext reads back exactly. */
export function prototextBytes(d: Uint8Array): string {
  let s = '';
  for (const b of d) s += `\\x${b.toString(16).padStart(2, '0')}`;
  return `"${s}"`;
}

/** The comment line that names the configuration; `verify --reference-values` reads it back as labels. */
export const LABEL_COMMENT_PREFIX = '# vmfw-measure reference value:';

export function formatLabelComment(labels: ConfigLabels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${/^[\w.:/+-]+$/.test(v) ? v : JSON.stringify(v)}`);
  return `${LABEL_COMMENT_PREFIX} ${parts.join(' ')}`;
}

function fileStem(r: ConfigResult): string {
  const type = r.vcpuType !== null && /^[A-Za-z0-9._-]+$/.test(r.vcpuType) ? r.vcpuType
    : r.vcpuSignature !== null ? `sig${r.vcpuSignature.toString(16)}` : 'any';
  const gf = r.guestFeatures === null ? 'file' : r.guestFeatures.toString(16);
  return `${r.profile}-${r.era}-${type}-gf${gf}-v${r.vcpus}`;
}

/** One check.Config per configuration, each carrying the launch guest policy and the measurement. */
export function goSevGuestConfigs(results: readonly ConfigResult[], opts: { policy?: bigint } = {}): GoSevGuestConfig[] {
  const policy = checkGuestPolicy(opts.policy ?? DEFAULT_GUEST_POLICY);
  const seen = new Map<string, number>();
  return results.map((r) => {
    const stem = fileStem(r);
    const n = (seen.get(stem) ?? 0) + 1;
    seen.set(stem, n);
    const labels = configLabels(r);
    const text = [
      formatLabelComment(labels),
      '# one go-sev-guest check.Config: check -config FILE.textproto -in report.bin',
      'policy {',
      `  policy: ${policy.toString()}  # ${hex64(policy)}, the guest policy the VM is launched with`,
      `  measurement: ${prototextBytes(r.digest)}`,
      '}',
      '',
    ].join('\n');
    return { fileName: `${n === 1 ? stem : `${stem}-${n}`}.textproto`, text, labels };
  });
}

/** Separator line of the stdout stream: each part between separators is one whole file. */
export const GO_SEV_GUEST_SEPARATOR = '# ---';

/** Several configs for stdout, `# ---` between them (a prototext comment, so each part reads alone). */
export function goSevGuestStream(configs: readonly GoSevGuestConfig[]): string {
  return configs.map((c) => c.text).join(`${GO_SEV_GUEST_SEPARATOR}\n`);
}

/** What to say on stderr when the stream goes to stdout. */
export function goSevGuestStreamNote(count: number): string {
  return count === 1
    ? 'note: this is one go-sev-guest check.Config; save it as FILE.textproto (check -config reads text only for that suffix)'
    : `note: ${count} go-sev-guest check.Config separated by "${GO_SEV_GUEST_SEPARATOR}" lines; check -config reads one config per file: split them, or use --out-dir DIR`;
}

/** Refuses an --out FILE that `check -config` would misread. */
export function checkGoSevGuestOutFile(out: string, configCount: number): void {
  if (configCount > 1) {
    fail('go-sev-guest-output', `--out ${out}: go-sev-guest check -config reads one check.Config per file and this matrix has ${configCount} configurations; use --out-dir DIR (one FILE.textproto each)`);
  }
  if (!out.endsWith('.textproto')) {
    fail('go-sev-guest-output', `--out ${out}: go-sev-guest check -config reads a config as text only when its name ends in ".textproto" (otherwise as binary protobuf); name it ${out.replace(/\.[^./]*$/, '')}.textproto`);
  }
}

// ---- reading configs back (verify --reference-values) ----

const CONFIG_FIELDS = new Set(['root_of_trust', 'policy']);
const ROOT_OF_TRUST_FIELDS = new Set(['product', 'cabundle_paths', 'cabundles', 'check_crl', 'disallow_network', 'product_line']);
const POLICY_FIELDS = new Set([
  'minimum_guest_svn', 'policy', 'family_id', 'image_id', 'vmpl', 'minimum_tcb', 'minimum_launch_tcb', 'platform_info',
  'require_author_key', 'report_data', 'measurement', 'host_data', 'report_id', 'report_id_ma', 'chip_id', 'minimum_build',
  'minimum_version', 'permit_provisional_firmware', 'require_id_block', 'trusted_author_keys', 'trusted_author_key_hashes',
  'trusted_id_keys', 'trusted_id_key_hashes', 'product',
]);
const REPEATED = new Set(['cabundle_paths', 'cabundles', 'trusted_author_keys', 'trusted_author_key_hashes', 'trusted_id_keys', 'trusted_id_key_hashes']);

function checkFields(m: PtMessage, known: Set<string>, message: string, what: string): void {
  for (const [name, values] of m) {
    if (!known.has(name)) fail('reference-values', `${what}: ${message} has no field ${JSON.stringify(name)} (go-sev-guest check refuses unknown fields)`);
    if (values.length > 1 && !REPEATED.has(name)) fail('reference-values', `${what}: non-repeated field ${message}.${name} is repeated (line ${values[1]!.line}); check reads one config per file`);
  }
}

function single(m: PtMessage, name: string): PtValue | undefined { return m.get(name)?.[0]; }

export interface CheckConfigRead {
  readonly measurement: Uint8Array;
  /** Policy.policy; undefined when the config has none (check would then refuse every report). */
  readonly policy?: bigint;
  /** Labels from the vmfw-measure comment line, if the file has one. */
  readonly labels: ConfigLabels;
}

function readLabelComment(text: string): ConfigLabels {
  const line = text.split('\n').find((l) => l.startsWith(LABEL_COMMENT_PREFIX));
  if (!line) return {};
  const out: Record<string, string> = {};
  for (const m of line.slice(LABEL_COMMENT_PREFIX.length).matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
    let v = m[2]!;
    if (v.startsWith('"')) { try { v = JSON.parse(v) as string; } catch { continue; } }
    out[m[1]!] = v;
  }
  return out;
}

/** One check.Config in prototext, checked the way `check -config` reads it. */
export function readCheckConfig(text: string, what: string): CheckConfigRead {
  const cfg = parsePrototext(text, what);
  checkFields(cfg, CONFIG_FIELDS, 'check.Config', what);
  const rot = single(cfg, 'root_of_trust');
  if (rot) {
    if (rot.kind !== 'message') fail('reference-values', `${what}: root_of_trust must be a message`);
    checkFields(rot.fields, ROOT_OF_TRUST_FIELDS, 'RootOfTrust', what);
  }
  const pol = single(cfg, 'policy');
  if (!pol) return fail('reference-values', `${what}: no policy { measurement: ... } message, so it names no measurement`);
  if (pol.kind !== 'message') return fail('reference-values', `${what}: policy must be a message (policy { ... })`);
  checkFields(pol.fields, POLICY_FIELDS, 'Policy', what);
  const m = single(pol.fields, 'measurement');
  if (!m) return fail('reference-values', `${what}: policy has no measurement`);
  if (m.kind !== 'string' || m.bytes.length !== 48) {
    return fail('reference-values', `${what}: policy.measurement (line ${m.line}) must be 48 bytes (a string such as "\\x12\\x34..."), got ${m.kind === 'string' ? `${m.bytes.length} bytes` : 'no string'}`);
  }
  const p = single(pol.fields, 'policy');
  const policy = p ? ptUnsigned(p, `${what}: policy.policy`) : undefined;
  if (p && policy !== undefined) {
    // prototext refuses a uint64 that overflows; PolicyToOptions refuses what ParseSnpPolicy does.
    const problem = guestPolicyProblem(policy);
    if (problem !== undefined) fail('reference-values', `${what}: policy.policy (line ${p.line}) ${policy > U64_MAX ? policy.toString() : hex64(policy)}: ${problem}; go-sev-guest check refuses this config`);
  }
  return { measurement: m.bytes, ...(policy !== undefined ? { policy } : {}), labels: readLabelComment(text) };
}

/** The parts of a `# ---` separated stream (each one whole config). */
export function splitGoSevGuestStream(text: string): string[] {
  return text.split(/^# ---[ \t]*\r?$\n?/m).filter((part) => /[^\s]/.test(part.replace(/#.*$/gm, '')));
}
