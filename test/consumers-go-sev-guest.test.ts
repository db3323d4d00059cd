/**
 * go-sev-guest `check -config` (google/go-sev-guest af1c107): every emitted config is parsed by a
 * reader written here from check.proto's numbers alone, and the guest policy obeys
 * abi.ParseSnpPolicy (bit 17 must be 1, bits 26-63 zero), which validate.PolicyToOptions applies.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFirmware } from '../src/ovmf/firmware.js';
import { ovmfLaunch, sweep, ALL_PROFILES } from '../src/attestation/launch-space.js';
import { resolveProfile } from '../src/profiles.js';
import {
  checkGoSevGuestOutFile, checkGuestPolicy, goSevGuestConfigs, goSevGuestPolicyRejection, goSevGuestStream, goSevGuestStreamNote, readCheckConfig, splitGoSevGuestStream,
} from '../src/attestation/go-sev-guest.js';
import { parsePrototext } from '../src/attestation/prototext.js';
import { toHex } from '../src/bytes.js';
import { isMeasureError } from '../src/errors.js';
import { REPO } from './helpers.js';

const codeOf = (f: () => unknown): string => { try { f(); return 'ok'; } catch (e) { if (isMeasureError(e)) return e.code; throw e; } };

// ---- an independent reader: check.proto by field number ----

/** check.proto at af1c107: the fields a reference value uses, by name -> number. */
const CHECK_PROTO = {
  Config: { root_of_trust: 1, policy: 2 },
  Policy: { policy: 2, measurement: 11 },
} as const;

type Decoded = Map<number, (bigint | Uint8Array | Decoded)[]>;

/** Tokenizes the subset the writer may use: names, ':', '{', '}', integers, "\xHH" strings, # comments. */
function tokens(text: string): string[] {
  const out: string[] = [];
  const re = /\s+|#[^\n]*|([A-Za-z_]\w*)|(:|\{|\})|(\d+)|"((?:\\x[0-9a-f]{2})*)"/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    m = re.exec(text);
    if (!m) throw new Error(`unexpected text at ${at}: ${JSON.stringify(text.slice(at, at + 20))}`);
    at = re.lastIndex;
    const tok = m[1] ?? m[2] ?? m[3] ?? (m[4] !== undefined ? `"${m[4]}` : undefined);
    if (tok !== undefined) out.push(tok);
  }
  return out;
}

/** Decodes a message of `type`, refusing unknown names and repeated non-repeated fields (as prototext does). */
function decode(toks: string[], type: 'Config' | 'Policy', pos = { i: 0 }, nested = false): Decoded {
  const msg: Decoded = new Map();
  const fields = CHECK_PROTO[type] as Record<string, number>;
  while (pos.i < toks.length && toks[pos.i] !== '}') {
    const name = toks[pos.i++]!;
    const num = fields[name];
    if (num === undefined) throw new Error(`unknown field ${type}.${name}`);
    if (msg.has(num)) throw new Error(`non-repeated field "${name}" is repeated`);
    if (toks[pos.i] === ':') pos.i++;
    const t = toks[pos.i++]!;
    let v: bigint | Uint8Array | Decoded;
    if (t === '{') {
      if (type !== 'Config' || num !== 2) throw new Error(`${type}.${name} is not a message field`);
      v = decode(toks, 'Policy', pos, true);
      if (toks[pos.i++] !== '}') throw new Error('unclosed message');
    } else if (t.startsWith('"')) {
      v = Uint8Array.from(t.slice(1).match(/\\x[0-9a-f]{2}/g) ?? [], (h) => parseInt(h.slice(2), 16));
    } else {
      v = BigInt(t);
    }
    msg.set(num, [v]);
  }
  if (!nested && pos.i !== toks.length) throw new Error('trailing tokens');
  return msg;
}

const field = <T>(m: Decoded, n: number): T | undefined => m.get(n)?.[0] as T | undefined;

/** abi.ParseSnpPolicy's acceptance rule, written from its source. */
const goSevGuestAcceptsPolicy = (p: bigint): boolean => ((p >> 17n) & 1n) === 1n && (p >> 26n) === 0n;

// ---- the configurations ----

const bytes = new Uint8Array(readFileSync(join(REPO, 'examples', 'ovmf', 'OVMF-synthetic-amdsev.fd')));
const launch = ovmfLaunch({ firmware: { bytes, info: parseFirmware(bytes) }, layout: parseFirmware(bytes) });
const results = sweep(launch, {
  vcpus: [1, 2, 8], vcpuTypes: [{ name: 'EPYC-v4', signature: 0x800f12n, aliases: [] }, { name: 'EPYC-Genoa', signature: 0xa10f10n, aliases: [] }],
  guestFeatures: [0x1n, 0x21n], profiles: [resolveProfile('qemu'), resolveProfile('ec2')],
}).results;

describe('go-sev-guest check.Config output', () => {
  it('the matrix has the expected shape (qemu x 2 types x 2 features x 3 counts + ec2 x 2 features x 3 counts)', () => {
    expect(results).toHaveLength(2 * 2 * 3 + 2 * 3);
  });

  it('every config parses by check.proto numbers as one Config with Policy.policy (bit 17 set) and the 48-byte measurement', () => {
    for (const policy of [undefined, 0x30000n, 0x3001fn, 0x1b0000n]) {
      const configs = goSevGuestConfigs(results, policy === undefined ? {} : { policy });
      expect(configs).toHaveLength(results.length);
      configs.forEach((c, i) => {
        const cfg = decode(tokens(c.text), 'Config');
        expect([...cfg.keys()]).toEqual([2]);
        const pol = field<Decoded>(cfg, 2)!;
        expect(field<bigint>(pol, 2)).toBe(policy ?? 0x30000n);
        expect(goSevGuestAcceptsPolicy(field<bigint>(pol, 2)!)).toBe(true);
        expect(toHex(field<Uint8Array>(pol, 11)!)).toBe(toHex(results[i]!.digest));
      });
    }
  });

  it('several configs in one text are what check refuses; each part of the stdout stream is one whole config', () => {
    const configs = goSevGuestConfigs(results);
    const stream = goSevGuestStream(configs);
    expect(() => decode(tokens(stream), 'Config')).toThrow('non-repeated field "policy" is repeated');
    const parts = splitGoSevGuestStream(stream);
    expect(parts).toHaveLength(configs.length);
    parts.forEach((p, i) => expect(toHex(field<Uint8Array>(field<Decoded>(decode(tokens(p), 'Config'), 2)!, 11)!)).toBe(toHex(results[i]!.digest)));
    expect(stream.split('\n').filter((l) => l === '# ---')).toHaveLength(configs.length - 1);
    expect(goSevGuestStreamNote(configs.length)).toMatch(/one config per file.*--out-dir/);
  });

  it('file names are unique, end in .textproto (check reads text only then) and name the configuration', () => {
    const names = goSevGuestConfigs(results).map((c) => c.fileName);
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => n.endsWith('.textproto'))).toBe(true);
    expect(names).toContain('qemu-init2-EPYC-Genoa-gf21-v8.textproto');
    expect(names).toContain('ec2-rdx-0x600-any-gf1-v2.textproto');
  });

  it('the bit-17 rule: a policy without bit 17, or with bits 26-63, is refused before any output', () => {
    for (const bad of [0n, 0x10000n, 0x20000n | (1n << 26n), 0x30000n | (1n << 63n)]) {
      expect(goSevGuestAcceptsPolicy(bad)).toBe(false);
      expect(codeOf(() => checkGuestPolicy(bad))).toBe('guest-policy');
      expect(codeOf(() => goSevGuestConfigs(results, { policy: bad }))).toBe('guest-policy');
    }
    for (const good of [0x20000n, 0x30000n, 0x3ff0000n]) expect(codeOf(() => checkGuestPolicy(good))).toBe('ok');
  });

  it('--out FILE takes one config named *.textproto; more than one points to --out-dir', () => {
    expect(codeOf(() => checkGoSevGuestOutFile('a.textproto', 1))).toBe('ok');
    expect(() => checkGoSevGuestOutFile('a.textproto', 3)).toThrow(/3 configurations; use --out-dir DIR/);
    expect(() => checkGoSevGuestOutFile('policy.txt', 1)).toThrow(/name it policy\.textproto/);
  });

  it('the tool reads its own configs back with their labels and policy', () => {
    goSevGuestConfigs(results, { policy: 0x3001fn }).forEach((c, i) => {
      const r = readCheckConfig(c.text, c.fileName);
      expect(toHex(r.measurement)).toBe(toHex(results[i]!.digest));
      expect(r.policy).toBe(0x3001fn);
      expect(r.labels).toEqual(c.labels);
    });
  });
});

describe('check\'s guest policy rule (validate.validatePolicy at af1c107)', () => {
  const R = 0x20000n; // bit 17 only
  const cases: [bigint, bigint, string | undefined][] = [
    [0x30000n, 0x30000n, undefined], [0x30000n, R, undefined],
    [R, 0x30000n, 'found unauthorized symmetric multithreading (SMT) capability'],
    [R, R | (1n << 18n), 'found unauthorized migration agent capability'],
    [0x30000n, 0xb0000n, 'found unauthorized debug capability'],
    [R | (1n << 20n), R, 'required single socket restriction not present'], [R, R | (1n << 20n), undefined],
    [R, R | (1n << 21n), 'found unauthorized CXL capability'],
    [R | (1n << 22n), R, 'found unauthorized memory encryption mode'], [R | (1n << 23n), R, 'found unauthorized RAPL capability'],
    [R | (1n << 24n), R, "chiphertext hiding in DRAM isn't enforced"], [R | (1n << 25n), R, 'found unauthorized page swap capability'],
    [R | 0x0102n, R | 0x0101n, "required policy ABI version (1.2) is greater than the report's ABI version (1.1)"], [R | 0x0102n, R | 0x0200n, undefined],
    [R, 0x10000n, 'could not parse SNP policy: bit 17 is reserved and must be 1 (go-sev-guest: "policy[17] is reserved, must be 1, got 0")'],
    [R, R | (1n << 26n), 'could not parse SNP policy: bits 26-63 must be zero (set: 0x4000000); go-sev-guest refuses the policy'],
  ];
  for (const [required, report, why] of cases) {
    it(`config ${required.toString(16)}, report ${report.toString(16)}: ${why ?? 'accepted'}`, () => expect(goSevGuestPolicyRejection(report, required)).toBe(why));
  }
});

describe('prototext reader (what the tool accepts from users)', () => {
  it('reads the forms check accepts: octal and named escapes, concatenated strings, hex integers, <> messages, lists', () => {
    const text = 'root_of_trust < product_line: "Milan" cabundle_paths: ["a", "b"] >\npolicy: { policy: 0x30000; measurement: "\\001\\x02" \'\\n\' }\n';
    const m = parsePrototext(text, 't');
    const pol = m.get('policy')![0]!;
    expect(pol.kind).toBe('message');
    if (pol.kind !== 'message') return;
    const meas = pol.fields.get('measurement')![0]!;
    expect(meas.kind === 'string' && [...meas.bytes]).toEqual([1, 2, 10]);
    expect(m.get('root_of_trust')![0]!.kind).toBe('message');
  });
  it('refuses what check refuses, with a coded error naming the line or field', () => {
    const d = `"${'\\x00'.repeat(48)}"`;
    expect(() => readCheckConfig(`policy { measurement: ${d} }\npolicy { measurement: ${d} }`, 'f')).toThrow(/non-repeated field check.Config.policy is repeated/);
    expect(() => readCheckConfig(`policy { measurment: ${d} }`, 'f')).toThrow(/Policy has no field "measurment"/);
    expect(() => readCheckConfig('policy { measurement: "\\x00" }', 'f')).toThrow(/must be 48 bytes/);
    expect(codeOf(() => readCheckConfig('policy { measurement: "\\x0', 'f'))).toBe('reference-values');
    expect(codeOf(() => parsePrototext(`${'a {'.repeat(200)}${'}'.repeat(200)}`, 'f'))).toBe('reference-values');
  });
});

describe('all profiles', () => {
  it('every profile of the sweep gives a readable config', () => {
    const all = sweep(launch, { vcpus: [2], vcpuTypes: [{ name: 'EPYC-Milan', signature: 0xa00f11n, aliases: [] }], guestFeatures: [0x1n], profiles: ALL_PROFILES }).results;
    for (const c of goSevGuestConfigs(all)) expect(readCheckConfig(c.text, c.fileName).measurement).toHaveLength(48);
  });
});
