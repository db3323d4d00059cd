/**
 * A strict JSON (RFC 8259) parser for the files users hand this tool: manifests, metadata,
 * reference values. It differs from JSON.parse where JSON.parse would silently lose data:
 * - an integer literal too long to be exact as a double is kept as its decimal string, which every
 *   numeric field accepts, so 64-bit GPAs and feature masks written as plain numbers keep every bit
 *   (and a literal of any length reaches the field's own number check, never a syntax error);
 * - a key repeated in one object is refused (`json-duplicate-key`), where JSON.parse keeps the last
 *   value: two readers of the same file must not disagree about which value counts.
 * Errors name the line and column. Nesting is limited to MAX_JSON_DEPTH levels.
 */
import { fail, type ErrorCode } from './errors.js';

/** Deeper than any manifest or reference-values file (they nest 4 levels); keeps recursion bounded. */
export const MAX_JSON_DEPTH = 256;

/** Line and column (both from 1) of character `offset` of `text`. */
export function jsonPosition(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) { line++; start = i + 1; }
  return `line ${line}, column ${offset - start + 1}`;
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class JsonReader {
  private i = 0;
  constructor(private readonly text: string, private readonly what: string, private readonly code: ErrorCode) {}

  parse(): unknown {
    this.space();
    const v = this.value(0);
    this.space();
    if (this.i < this.text.length) this.syntax('unexpected data after the JSON value');
    return v;
  }

  private syntax(why: string, at = this.i): never {
    return fail(this.code, `${this.what}: not valid JSON: ${why} at ${jsonPosition(this.text, at)}`, { offset: at });
  }

  private space(): void {
    const t = this.text;
    let i = this.i;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  private describeHere(): string {
    if (this.i >= this.text.length) return 'end of input';
    return `character ${JSON.stringify(this.text[this.i])}`;
  }

  private value(depth: number): unknown {
    const c = this.text[this.i];
    switch (c) {
      case '{': return this.object(depth + 1);
      case '[': return this.array(depth + 1);
      case '"': return this.string();
      case 't': return this.literal('true', true);
      case 'f': return this.literal('false', false);
      case 'n': return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        return this.syntax(`unexpected ${this.describeHere()}`);
    }
  }

  private literal<T>(word: string, v: T): T {
    if (!this.text.startsWith(word, this.i)) this.syntax(`unexpected ${this.describeHere()}`);
    this.i += word.length;
    return v;
  }

  private number(): number | string {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.text);
    if (!m) return this.syntax('malformed number');
    const tok = m[0];
    this.i += tok.length;
    const n = Number(tok);
    // Integers beyond 2^53 keep their digits; the field that reads them checks the range.
    if (!m[1] && !m[2] && !Number.isSafeInteger(n)) return tok;
    return n;
  }

  private string(): string {
    const t = this.text;
    const start = this.i;
    let i = start + 1;
    let out = '';
    let run = i;
    for (;;) {
      if (i >= t.length) return this.syntax('unterminated string', start);
      const c = t.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) return this.syntax('control character in a string', i);
      if (c === 0x5c) {
        out += t.slice(run, i);
        const e = t[i + 1];
        if (e === 'u') {
          const h = t.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) return this.syntax('bad \\u escape', i);
          out += String.fromCharCode(parseInt(h, 16));
          i += 6;
        } else {
          const r = e === undefined ? undefined : ESCAPES[e];
          if (r === undefined) return this.syntax('bad escape', i);
          out += r;
          i += 2;
        }
        run = i;
        continue;
      }
      i++;
    }
    out += t.slice(run, i);
    this.i = i + 1;
    return out;
  }

  private array(depth: number): unknown[] {
    if (depth > MAX_JSON_DEPTH) this.syntax(`nested more than ${MAX_JSON_DEPTH} levels`);
    this.i++;
    const out: unknown[] = [];
    this.space();
    if (this.text[this.i] === ']') { this.i++; return out; }
    for (;;) {
      this.space();
      out.push(this.value(depth));
      this.space();
      const c = this.text[this.i];
      if (c === ',') { this.i++; continue; }
      if (c === ']') { this.i++; return out; }
      return this.syntax(`expected , or ] but found ${this.describeHere()}`);
    }
  }

  private object(depth: number): Record<string, unknown> {
    if (depth > MAX_JSON_DEPTH) this.syntax(`nested more than ${MAX_JSON_DEPTH} levels`);
    this.i++;
    const out: Record<string, unknown> = {};
    const seen = new Map<string, number>();
    this.space();
    if (this.text[this.i] === '}') { this.i++; return out; }
    for (;;) {
      this.space();
      if (this.text[this.i] !== '"') return this.syntax(`expected a key string but found ${this.describeHere()}`);
      const keyAt = this.i;
      const key = this.string();
      const first = seen.get(key);
      if (first !== undefined) {
        fail('json-duplicate-key', `${this.what}: key ${JSON.stringify(key)} appears twice in one object, at ${jsonPosition(this.text, first)} and at ${jsonPosition(this.text, keyAt)}; which one counts is ambiguous`, { field: key, offset: keyAt });
      }
      seen.set(key, keyAt);
      this.space();
      if (this.text[this.i] !== ':') return this.syntax(`expected : but found ${this.describeHere()}`);
      this.i++;
      this.space();
      const v = this.value(depth);
      // An own property even for "__proto__", as JSON.parse makes it (plain assignment would set the prototype).
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, writable: true, enumerable: true, configurable: true });
      else out[key] = v;
      this.space();
      const c = this.text[this.i];
      if (c === ',') { this.i++; continue; }
      if (c === '}') { this.i++; return out; }
      return this.syntax(`expected , or } but found ${this.describeHere()}`);
    }
  }
}

/** Parses JSON text exactly (see the module comment); syntax errors are `code`, repeated keys `json-duplicate-key`. */
export function parseJsonExact(text: string, what: string, code: ErrorCode = 'manifest'): unknown {
  return new JsonReader(text, what, code).parse();
}

/** A key of a JSON object: the path of the object (`launches.web`, `a[2]`), the key, and where it is written. */
export interface JsonKey { readonly path: string; readonly key: string; readonly offset: number }

/**
 * Every object key of `text` in document order, with repeats (JSON.parse keeps only the last of
 * two equal keys, silently). Text that is not JSON is left for the parser to refuse.
 */
export function jsonKeys(text: string): JsonKey[] {
  type Frame = { readonly path: string; readonly object: boolean; expectKey: boolean; lastKey: string; index: number };
  const stack: Frame[] = [];
  const out: JsonKey[] = [];
  const childPath = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    if (!top.object) return `${top.path}[${top.index}]`;
    return top.path ? `${top.path}.${top.lastKey}` : top.lastKey;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const top = stack[stack.length - 1];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (top?.object && top.expectKey) {
        let key: string;
        try { key = JSON.parse(text.slice(start, i + 1)) as string; } catch { return out; }
        out.push({ path: top.path, key, offset: start });
        top.lastKey = key;
        top.expectKey = false;
      }
    } else if (c === '{' || c === '[') {
      stack.push({ path: childPath(), object: c === '{', expectKey: c === '{', lastKey: '', index: 0 });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',' && top) {
      if (top.object) top.expectKey = true; else top.index++;
    }
  }
  return out;
}
