// The recency a time-decayed search used for a hit, read back from its score.

/**
 * With time decay, feather-serve scores `((1 − timeWeight) · similarity + timeWeight · recency) · importance`
 * (design §2), so the recency it used is `(score / importance − (1 − timeWeight) · similarity) / timeWeight`.
 * Reading it back from the score shows exactly what the server ranked by, with its clock and its recall
 * counts. Undefined when recency played no part (timeWeight 0) or cannot be told (importance 0).
 */
export function recencyOf(hit: { score: number; similarity: number; importance: number }, timeWeight: number): number | undefined {
  if (!(timeWeight > 0) || !(hit.importance > 0)) return undefined;
  const recency = (hit.score / hit.importance - (1 - timeWeight) * hit.similarity) / timeWeight;
  // Float rounding only: recency is 0.5^x, within [0, 1].
  return Math.min(1, Math.max(0, recency));
}
