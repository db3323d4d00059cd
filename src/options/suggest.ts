/** Did-you-mean for option names, commands and config keys (one rule everywhere). */

/** Levenshtein distance, for did-you-mean. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_v, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate within a typo's reach, if any. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase().replace(/_/g, '-');
  for (const c of candidates) {
    const kebabOfCamel = w.replace(/([a-z])([A-Z])/g, '$1-$2');
    const d = Math.min(editDistance(w, c), editDistance(kebabOfCamel.toLowerCase(), c));
    if (d < bestD) { bestD = d; best = c; }
  }
  const limit = w.length <= 3 ? 1 : w.length <= 6 ? 2 : 3;
  return best !== undefined && bestD <= limit ? best : undefined;
}
