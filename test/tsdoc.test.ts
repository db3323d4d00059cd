// Every name the public entries export carries a TSDoc comment (`/** ... */`) directly above its
// definition (issue 14). TypeScript 7 ships no JS compiler API, so this reads the module text: export
// lists (`export { a, type B as C } from './x.js'`, `export type { ... }`), `export * from`, imports
// of names re-exported from a local list, and local `export` declarations. Re-export chains are
// followed to the module that defines the name.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO } from './helpers.js';

interface Module {
  readonly text: string;
  /** Exported name -> where it comes from. */
  readonly exports: Map<string, { readonly from?: string; readonly name: string }>;
  readonly stars: string[];
  /** Local name -> imported (module, name). */
  readonly imports: Map<string, { readonly from: string; readonly name: string }>;
}

const cache = new Map<string, Module>();

function specifiers(list: string): { local: string; exported: string }[] {
  return list.split(',').map((s) => s.replace(/\/\/.*$/gm, '').trim()).filter(Boolean).map((s) => {
    const [local, exported] = s.replace(/^type\s+/, '').split(/\s+as\s+/).map((x) => x.trim());
    return { local: local!, exported: exported ?? local! };
  });
}

function load(file: string): Module {
  const hit = cache.get(file);
  if (hit) return hit;
  const text = readFileSync(file, 'utf8');
  const toFile = (spec: string): string => resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
  const exports = new Map<string, { from?: string; name: string }>();
  const imports = new Map<string, { from: string; name: string }>();
  const stars: string[] = [];
  for (const m of text.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}\s*(?:from\s*'([^']+)')?/gm)) {
    for (const { local, exported } of specifiers(m[1]!)) {
      exports.set(exported, m[2] ? { from: toFile(m[2]), name: local } : { name: local });
    }
  }
  for (const m of text.matchAll(/^export\s+\*\s+from\s*'([^']+)'/gm)) stars.push(toFile(m[1]!));
  for (const m of text.matchAll(/^import\s+(?:type\s+)?\{([^}]*)\}\s*from\s*'([^']+)'/gm)) {
    for (const { local, exported } of specifiers(m[1]!)) imports.set(exported, { from: toFile(m[2]!), name: local });
  }
  const mod = { text, exports, stars, imports };
  cache.set(file, mod);
  return mod;
}

const DECLARATION = (name: string, exported: boolean): RegExp => new RegExp(
  `^${exported ? 'export\\s+' : '(?:export\\s+)?'}(?:declare\\s+)?(?:abstract\\s+)?(?:async\\s+)?` +
  `(?:function\\*?|const|let|var|class|interface|type|enum)\\s+${name.replace(/\$/g, '\\$')}\\b`, 'm');

/** True when a `/** ... *\/` comment ends directly (whitespace only) before `index`. */
function documentedAt(text: string, index: number): boolean {
  const before = text.slice(0, index).trimEnd();
  if (!before.endsWith('*/')) return false;
  const open = before.lastIndexOf('/**');
  return open >= 0 && before.indexOf('*/', open) === before.length - 2;
}

type Where = { file: string; name: string; documented: boolean };

/** Finds where `name`, as exported by `file`, is defined; undefined when it is not exported there. */
function definition(file: string, name: string, seen = new Set<string>()): Where | undefined {
  const key = `${file}#${name}`;
  if (seen.has(key)) return undefined;
  seen.add(key);
  const mod = load(file);
  const local = DECLARATION(name, true).exec(mod.text);
  if (local) return { file, name, documented: documentedAt(mod.text, local.index) };
  const listed = mod.exports.get(name);
  if (listed?.from) return definition(listed.from, listed.name, seen);
  if (listed) {
    const imported = mod.imports.get(listed.name);
    if (imported) return definition(imported.from, imported.name, seen);
    const decl = DECLARATION(listed.name, false).exec(mod.text);
    if (decl) return { file, name: listed.name, documented: documentedAt(mod.text, decl.index) };
    return { file, name: listed.name, documented: false };
  }
  for (const star of mod.stars) {
    const found = definition(star, name, seen);
    if (found) return found;
  }
  return undefined;
}

/** Every name `file` exports, own and through `export *`. */
function exportedNames(file: string): Set<string> {
  const mod = load(file);
  const names = new Set<string>(mod.exports.keys());
  for (const m of mod.text.matchAll(/^export\s+(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|const|let|var|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/gm)) names.add(m[1]!);
  for (const star of mod.stars) for (const n of exportedNames(star)) names.add(n);
  return names;
}

const ENTRIES = ['src/index.ts', 'src/node/index.ts'];

describe('public exports carry TSDoc', () => {
  for (const entry of ENTRIES) {
    it(`${entry}: every export is documented at its definition`, () => {
      const file = join(REPO, entry);
      const names = [...exportedNames(file)];
      // The parser must see the whole surface, not an empty list that passes trivially.
      expect(names.length).toBeGreaterThan(120);
      const missing: string[] = [];
      for (const name of names.sort()) {
        const where = definition(file, name);
        if (!where) missing.push(`${name}: definition not found`);
        else if (!where.documented) missing.push(`${name} (${relative(REPO, where.file)}: ${where.name})`);
      }
      expect(missing).toEqual([]);
    });
  }

  it('the checker sees a missing comment', () => {
    const text = 'export { a as b } from "./x.js";\n/** A. */\nexport function a() {}\nconst c = 1;\n';
    expect(documentedAt(text, text.indexOf('export function a'))).toBe(true);
    expect(documentedAt(text, text.indexOf('const c'))).toBe(false);
    expect(documentedAt('/** x */ // y\nconst z = 1;', 14)).toBe(false);
  });

  it('follows re-export chains and local `export { x as y }` to the definition', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsdoc-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "export { b as c } from './b.js';\nexport * from './d.js';\n");
      writeFileSync(join(dir, 'b.ts'), "import { e } from './e.js';\n/** B. */\nfunction x() {}\nexport { x as b, e };\n");
      writeFileSync(join(dir, 'd.ts'), 'export interface D {}\n');
      writeFileSync(join(dir, 'e.ts'), '/** E. */\nexport const e = 1;\n');
      const a = join(dir, 'a.ts');
      expect([...exportedNames(a)].sort()).toEqual(['D', 'c']);
      expect(definition(a, 'c')).toEqual({ file: join(dir, 'b.ts'), name: 'x', documented: true });
      expect(definition(a, 'D')).toEqual({ file: join(dir, 'd.ts'), name: 'D', documented: false });
      expect(definition(join(dir, 'b.ts'), 'e')).toEqual({ file: join(dir, 'e.ts'), name: 'e', documented: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
