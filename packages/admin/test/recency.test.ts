import { describe, expect, it } from 'vitest';
import { recencyOf } from '../src/lib/recency.js';

/** design.md §2: score = ((1 − timeWeight) · similarity + timeWeight · recency) · importance. */
const scoreOf = (similarity: number, recency: number, importance: number, timeWeight: number): number =>
  ((1 - timeWeight) * similarity + timeWeight * recency) * importance;

describe('recencyOf', () => {
  it('reads back the recency a decayed score was made of', () => {
    for (const [similarity, recency, importance, timeWeight] of [
      [0.8, 0.5, 1, 0.3],
      [0.2, 0.9, 2.5, 0.3],
      [0.95, 0.01, 0.4, 0.7],
      [0.5, 1, 1, 1],
      [-0.1, 0.25, 3, 0.05],
    ] as const) {
      expect(recencyOf({ score: scoreOf(similarity, recency, importance, timeWeight), similarity, importance }, timeWeight)).toBeCloseTo(
        recency,
        12,
      );
    }
  });

  it('is undefined when recency played no part or cannot be told, and stays within [0, 1]', () => {
    expect(recencyOf({ score: 0.8, similarity: 0.8, importance: 1 }, 0)).toBeUndefined();
    expect(recencyOf({ score: 0, similarity: 0.8, importance: 0 }, 0.3)).toBeUndefined();
    expect(recencyOf({ score: scoreOf(0.8, 1, 1, 0.3) + 1e-12, similarity: 0.8, importance: 1 }, 0.3)).toBe(1);
  });
});
