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
