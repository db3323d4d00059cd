/**
 * A reader for the protobuf text format (protobuf.dev "Text Format Language Specification"), as far
 * as configuration files use it: fields `name: value`, messages `name { ... }` or `name: < ... >`,
 * lists `name: [a, b]`, `#` comments, string literals with C escapes (bytes kept exact), integers
 * in decimal, hex and octal, identifiers. It builds a schema-free tree; the caller checks names.
 */
import { fail } from '../errors.js';

export type PtValue =
  | { readonly kind: 'scalar'; readonly token: string; readonly line: number }
  | { readonly kind: 'string'; readonly bytes: Uint8Array; readonly line: number }
  | { readonly kind: 'message'; readonly fields: PtMessage; readonly line: number };

/** Field name to its values in file order (a list or a repeated field gives several). */
export type PtMessage = Map<string, PtValue[]>;

/** Deep enough for any real config, shallow enough that hostile nesting cannot exhaust the stack. */
const MAX_DEPTH = 64;

class Lexer {
  pos = 0;
  line = 1;
  constructor(readonly src: string, readonly what: string) {}

  error(msg: string): never {
    return fail('reference-values', `${this.what} line ${this.line}: ${msg}`);
  }

  skipSpace(): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c === '\n') { this.line++; this.pos++; } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') this.pos++;
      else if (c === '#') { while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++; } else return;
    }
  }

  peek(): string | undefined { this.skipSpace(); return this.src[this.pos]; }

  eat(c: string): boolean {
    if (this.peek() === c) { this.pos++; return true; }
    return false;
  }

  word(): string | undefined {
    this.skipSpace();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos, this.pos + 256));
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  /** A number or identifier token (sign included). */
  scalar(): string {
    this.skipSpace();
    const m = /^-?\s*(0[xX][0-9a-fA-F]+|[0-9][0-9.eE+-]*[fF]?|[A-Za-z_][A-Za-z0-9_]*)/.exec(this.src.slice(this.pos, this.pos + 400));
    if (!m) this.error(`expected a value, found ${JSON.stringify(this.src.slice(this.pos, this.pos + 12))}`);
    this.pos += m[0].length;
    return m[0].replace(/\s+/g, '');
  }

  /** One or more adjacent string literals, concatenated, as bytes. */
  strings(): Uint8Array {
    const parts: number[] = [];
    while (this.peek() === '"' || this.peek() === "'") this.stringInto(parts);
    return Uint8Array.from(parts);
  }

  private stringInto(out: number[]): void {
    const quote = this.src[this.pos++]!;
    const enc = new TextEncoder();
    for (;;) {
      if (this.pos >= this.src.length || this.src[this.pos] === '\n') this.error('unterminated string');
      const c = this.src[this.pos++]!;
      if (c === quote) return;
      if (c !== '\\') {
        const cp = this.src.codePointAt(this.pos - 1)!;
        if (cp > 0xffff) this.pos++;
        for (const b of enc.encode(String.fromCodePoint(cp))) out.push(b);
        continue;
      }
      const e = this.src[this.pos++];
      const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, "'": 39, '"': 34, '?': 63 };
      if (e !== undefined && Object.hasOwn(simple, e)) { out.push(simple[e]!); continue; }
      if (e === 'x' || e === 'X') {
        const m = /^[0-9a-fA-F]{1,2}/.exec(this.src.slice(this.pos, this.pos + 2));
        if (!m) this.error('\\x needs a hex digit');
        out.push(parseInt(m[0], 16));
        this.pos += m[0].length;
        continue;
      }
      if (e !== undefined && e >= '0' && e <= '7') {
        const m = /^[0-7]{1,3}/.exec(this.src.slice(this.pos - 1, this.pos + 2))!;
        const v = parseInt(m[0], 8);
        if (v > 255) this.error(`octal escape \\${m[0]} is above 255`);
        out.push(v);
        this.pos += m[0].length - 1;
        continue;
      }
      if (e === 'u' || e === 'U') {
        const n = e === 'u' ? 4 : 8;
        const h = this.src.slice(this.pos, this.pos + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h) || parseInt(h, 16) > 0x10ffff) this.error(`\\${e} needs ${n} hex digits of a code point`);
        for (const b of enc.encode(String.fromCodePoint(parseInt(h, 16)))) out.push(b);
        this.pos += n;
        continue;
      }
      this.error(`unknown escape \\${e ?? ''}`);
    }
  }
}

function value(lx: Lexer, depth: number): PtValue {
  const line = lx.line;
  const c = lx.peek();
  if (c === '{' || c === '<') return { kind: 'message', fields: block(lx, depth + 1), line };
  if (c === '"' || c === "'") return { kind: 'string', bytes: lx.strings(), line };
  return { kind: 'scalar', token: lx.scalar(), line };
}

function block(lx: Lexer, depth: number): PtMessage {
  if (depth > MAX_DEPTH) lx.error(`messages nested deeper than ${MAX_DEPTH}`);
  const close = lx.eat('{') ? '}' : (lx.eat('<'), '>');
  const fields = body(lx, depth);
  if (!lx.eat(close)) lx.error(`expected "${close}"`);
  return fields;
}

function body(lx: Lexer, depth: number): PtMessage {
  const fields: PtMessage = new Map();
  for (;;) {
    const c = lx.peek();
    if (c === undefined || c === '}' || c === '>') return fields;
    let name: string | undefined;
    if (c === '[') {
      // An extension or Any type URL: kept under its bracketed name.
      const end = lx.src.indexOf(']', lx.pos);
      if (end < 0) lx.error('unterminated [extension] name');
      name = lx.src.slice(lx.pos, end + 1).replace(/\s+/g, '');
      lx.pos = end + 1;
    } else {
      name = lx.word();
      if (name === undefined) lx.error(`expected a field name, found ${JSON.stringify(lx.src.slice(lx.pos, lx.pos + 12))}`);
    }
    const colon = lx.eat(':');
    const next = lx.peek();
    const values: PtValue[] = [];
    if (next === '{' || next === '<') values.push(value(lx, depth));
    else if (!colon) lx.error(`field ${name} needs ":" before a scalar value`);
    else if (next === '[') {
      lx.eat('[');
      if (!lx.eat(']')) {
        do values.push(value(lx, depth)); while (lx.eat(','));
        if (!lx.eat(']')) lx.error(`expected "]" closing the list of ${name}`);
      }
    } else values.push(value(lx, depth));
    const list = fields.get(name);
    if (list) list.push(...values); else fields.set(name, values);
    if (!lx.eat(';')) lx.eat(',');
  }
}

/** Parses a whole text-format message. */
export function parsePrototext(text: string, what: string): PtMessage {
  const lx = new Lexer(text, what);
  const m = body(lx, 0);
  if (lx.peek() !== undefined) lx.error(`unexpected ${JSON.stringify(lx.src[lx.pos])}`);
  return m;
}

/** An unsigned integer token as protobuf text format writes it (decimal, 0x hex, 0 octal). */
export function ptUnsigned(v: PtValue, what: string): bigint {
  if (v.kind !== 'scalar' || !/^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(v.token)) {
    return fail('reference-values', `${what} (line ${v.line}) is not an unsigned integer`);
  }
  const t = v.token;
  return /^0[0-7]+$/.test(t) ? BigInt(`0o${t.slice(1)}`) : BigInt(t);
}
