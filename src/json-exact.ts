/**
 * JSON.parse loses integer precision above 2^53. Before parsing, integer literals too long to be
 * exact are turned into strings, which every numeric field accepts, so 64-bit GPAs and feature
 * masks written as plain JSON numbers keep every bit.
 */
import { fail, type ErrorCode } from './errors.js';

export function parseJsonExact(text: string, what: string, code: ErrorCode = 'manifest'): unknown {
  let out = '';
  let i = 0;
  let last = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      if (m) {
        const tok = m[0];
        if (!m[1] && !m[2] && tok.replace('-', '').length > 15 && !Number.isSafeInteger(Number(tok))) {
          out += `${text.slice(last, i)}"${tok}"`;
          last = i + tok.length;
        }
        i += tok.length;
        continue;
      }
    }
    i++;
  }
  out += text.slice(last);
  try {
    return JSON.parse(out);
  } catch (e) {
    return fail(code, `${what}: not valid JSON (${(e as Error).message})`);
  }
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

/** The first key an object of `text` repeats, with the path of that object, or undefined. */
export function duplicateJsonKey(text: string): { readonly path: string; readonly key: string } | undefined {
  const seen = new Set<string>();
  for (const k of jsonKeys(text)) {
    // Two objects at one path (array elements) have distinct paths through their index.
    const id = `${k.path}\u0000${k.key}`;
    if (seen.has(id)) return { path: k.path, key: k.key };
    seen.add(id);
  }
  return undefined;
}
