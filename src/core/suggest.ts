// "Did you mean": the known name closest to a misspelled one. One function for every file and object
// mirrorscope reads (registries.conf, registries.d, policy.json, the mirror objects `render` reads).

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const rows: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= t.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= s.length; i++)
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  return rows[s.length]![t.length]!;
}

/**
 * The candidate `name` most likely stands for, or null when none is close: at most one edit for
 * short names, about one in four characters for longer ones (`mirror-by-digest-onyl` →
 * `mirror-by-digest-only`, `mirrors` → `mirror`, `imageDigestMirror` → `imageDigestMirrors`).
 */
export function didYouMean(name: string, candidates: Iterable<string>): string | null {
  if (name.length > 256) return null;
  const limit = Math.max(1, Math.floor(name.length / 4));
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === name) continue;
    const d = editDistance(name, candidate);
    if (d <= limit && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** `; did you mean "x"?` or the empty string. */
export function didYouMeanClause(name: string, candidates: Iterable<string>): string {
  const match = didYouMean(name, candidates);
  return match === null ? '' : `; did you mean "${match}"?`;
}
