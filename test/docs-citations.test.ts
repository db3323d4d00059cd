/**
 * Citations in the documentation and the code: every docs/spec section cited exists, every relative
 * Markdown link resolves (with its #anchor), every "FILE.md section N" names a numbered section of an
 * existing file, and nothing cites the spec documents of the development workspace, which the package
 * does not ship.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO } from './helpers.js';

function walk(dir: string, keep: (rel: string) => boolean): string[] {
  if (!existsSync(join(REPO, dir))) return [];
  return readdirSync(join(REPO, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(REPO, join(e.parentPath, e.name)).split('\\').join('/'))
    .filter(keep)
    .sort();
}

/** The Markdown the package and the repository present as documentation (generated API pages excluded). */
const MARKDOWN = [
  'README.md', 'CHANGELOG.md', 'vectors/README.md', 'vectors/fixtures/README.md',
  ...walk('docs', (f) => f.endsWith('.md') && !f.startsWith('docs/api/')),
];
/** Code whose comments and messages may cite documentation. This file spells the banned names in pieces. */
const CODE = [
  ...walk('src', (f) => f.endsWith('.ts')), ...walk('test', (f) => /\.(ts|mjs)$/.test(f) && f !== 'test/docs-citations.test.ts'),
  ...walk('bench', (f) => /\.(ts|mjs|js)$/.test(f)), ...walk('scripts', (f) => /\.(mjs|js)$/.test(f)), ...walk('bin', (f) => f.endsWith('.js')),
];
/** Owned elsewhere and awaiting a rewording pass: checked for citations, not for internal wording. */
const WORDING_EXEMPT = new Set(['docs/performance.md', 'docs/robustness.md', 'docs/attestation.md']);

const text = (file: string): string => readFileSync(join(REPO, file), 'utf8');

/** GitHub's heading anchors: lowercase, punctuation other than - and _ dropped, spaces to -, repeats numbered. */
export function anchorsOf(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) { fenced = !fenced; continue; }
    if (fenced) continue;
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = h[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').trim().replace(/\s/g, '-');
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(m[1]!);
  }
  return out;
}

/** Numbers of numbered headings ("## 3. Construction" gives 3 and, for "### 3.1 ...", 3.1). */
function numberedSections(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s/gm)) out.add(m[1]!);
  return out;
}

export interface Problem { file: string; line: number; problem: string }

/** Checks one file's citations; `read` gives a repository file's text or undefined when it does not exist. */
export function checkCitations(file: string, content: string, read: (repoPath: string) => string | undefined, wording = true): Problem[] {
  const problems: Problem[] = [];
  const lines = content.split('\n');
  const isMarkdown = file.endsWith('.md');
  const report = (i: number, problem: string): void => { problems.push({ file, line: i + 1, problem }); };
  const checkTarget = (i: number, target: string, anchor: string | undefined, shown: string): void => {
    const body = read(target);
    if (body === undefined) { report(i, `${shown}: ${target} does not exist`); return; }
    if (anchor !== undefined && target.endsWith('.md') && !anchorsOf(body).has(anchor)) report(i, `${shown}: ${target} has no section #${anchor}`);
  };
  let fenced = false;
  lines.forEach((line, i) => {
    if (isMarkdown && /^\s*(```|~~~)/.test(line)) fenced = !fenced;
    // Documents of the development workspace: not in the package, so never cited.
    const banned = new RegExp(['snp-launch-' + 'digest\\.md', 'vmfwupdate-' + 'replay\\.md', 'vmfwupdate-' + 'history\\.md', 'shared/' + '(spec|conformance)', '\u00a7'].join('|'));
    const b = banned.exec(line);
    if (b) report(i, `cites ${JSON.stringify(b[0])}, which the package does not ship: cite docs/spec/FILE.md#section`);
    if (wording && !fenced) {
      const w = /\b(the issue asks|issue \d+ asks|this session|the lead|helper session|held-out)\b/i.exec(line);
      if (w) report(i, `internal wording ${JSON.stringify(w[0])}`);
    }
    // Paths cited from the repository root, in any file.
    for (const m of line.matchAll(/(?<![\w./-])((?:docs|vectors)\/[\w./-]*?\.md)(?:#([\w-]+))?/g)) checkTarget(i, m[1]!, m[2], m[0]);
    // "FILE.md section N": a numbered section of an existing file.
    for (const m of line.matchAll(/(?<![\w./-])((?:docs|vectors)\/[\w./-]*?\.md),? sections? (\d+(?:\.\d+)*)/g)) {
      const body = read(m[1]!);
      if (body !== undefined && !numberedSections(body).has(m[2]!)) report(i, `${m[0]}: ${m[1]} has no section ${m[2]}`);
    }
    for (const m of line.matchAll(/(?<![\w/-])([\w-]+\.md),? sections? \d/g)) {
      if (!/\//.test(m[1]!)) report(i, `${m[0]}: name the file by its path from the repository root`);
    }
    // Relative Markdown links, resolved against the file's folder.
    if (isMarkdown && !fenced) {
      for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
        const href = m[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue;
        const [path, anchor] = href.split('#') as [string, string | undefined];
        const target = relative(REPO, resolve(REPO, dirname(file), path)).split('\\').join('/');
        if (target.startsWith('..')) { report(i, `link ${href} leaves the repository`); continue; }
        if (path === '') {
          if (anchor !== undefined && !anchorsOf(content).has(anchor)) report(i, `link ${href}: no section #${anchor} in this file`);
          continue;
        }
        if (path.endsWith('/') || read(target) === '') continue; // a folder
        checkTarget(i, target, anchor, `link ${href}`);
      }
    }
  });
  return problems;
}

function readRepo(p: string): string | undefined {
  const full = join(REPO, p);
  if (!existsSync(full)) return undefined;
  try { return readFileSync(full, 'utf8'); } catch { return ''; }
}

describe('documentation citations', () => {
  it('finds the documents to check', () => {
    expect(MARKDOWN).toEqual(expect.arrayContaining(['README.md', 'docs/regions.md', 'docs/spec/README.md', 'docs/spec/regions.md']));
    expect(CODE.length).toBeGreaterThan(50);
  });
  for (const file of [...MARKDOWN, ...CODE]) {
    it(file, () => { expect(checkCitations(file, text(file), readRepo, !WORDING_EXEMPT.has(file))).toEqual([]); });
  }
  it('every docs/spec page is reachable from the spec index', () => {
    const index = text('docs/spec/README.md');
    for (const page of walk('docs/spec', (f) => f.endsWith('.md') && f !== 'docs/spec/README.md')) {
      expect(index, page).toContain(`](${page.slice('docs/spec/'.length)})`);
    }
  });
  it('docs/regions.md says IGVM_IMAGE regions run', () => {
    const regions = text('docs/regions.md');
    expect(regions).toMatch(/IGVM_IMAGE[^\n]*\| the IGVM image in the region's source bytes runs in place/);
    expect(regions).not.toMatch(/not supported yet|igvm-unsupported`\)/);
  });
});

describe('the citation checker', () => {
  const docs: Record<string, string> = {
    'docs/spec/a.md': '# A\n\n## Page info record\n\n## Page info record\n\n```\n## not a heading\n```\n',
    'docs/spec/README.md': '',
    'vectors/x.md': '## 3. Construction\n### 3.1 Footer\n',
  };
  const read = (p: string): string | undefined => docs[p];
  const problems = (file: string, content: string): string[] => checkCitations(file, content, read).map((p) => p.problem);

  it('accepts existing files and anchors, repeated headings numbered as GitHub does', () => {
    expect(problems('src/x.ts', '// see docs/spec/a.md#page-info-record and docs/spec/a.md#page-info-record-1')).toEqual([]);
    expect(problems('docs/b.md', 'See [a](spec/a.md#page-info-record), [here](#b).\n\n## B')).toEqual([]);
    expect(problems('src/x.ts', '// vectors/x.md section 3.1')).toEqual([]);
  });
  it('reports a missing anchor, a missing file, a heading inside a code fence and a missing numbered section', () => {
    expect(problems('src/x.ts', '// docs/spec/a.md#page-types')).toEqual(['docs/spec/a.md#page-types: docs/spec/a.md has no section #page-types']);
    expect(problems('docs/b.md', '[x](spec/missing.md)')).toEqual(['link spec/missing.md: docs/spec/missing.md does not exist']);
    expect(problems('docs/b.md', '[x](spec/a.md#not-a-heading)')).toEqual(['link spec/a.md#not-a-heading: docs/spec/a.md has no section #not-a-heading']);
    expect(problems('src/x.ts', '// vectors/x.md section 4')).toEqual(['vectors/x.md section 4: vectors/x.md has no section 4']);
  });
  it('reports citations of the workspace spec documents and unrooted section citations', () => {
    expect(problems('src/x.ts', `// ${'snp-launch-' + 'digest.md'} section 7`)).toHaveLength(2);
    expect(problems('docs/b.md', 'see \u00a77.5')).toHaveLength(1);
  });
});
