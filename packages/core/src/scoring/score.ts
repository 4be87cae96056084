import type { Metric } from '../hnsw/hnsw-options.js';

/** Time-decay parameters of a search; absent means rank by similarity alone. */
export interface DecayOptions {
  /** Days for recency to halve (stretched by stickiness). Default 30. */
  halfLife: number;
  /** Weight of recency against similarity, 0..1. Default 0.3. */
  timeWeight: number;
}

export const kDefaultDecay: Readonly<DecayOptions> = Object.freeze({ halfLife: 30, timeWeight: 0.3 });

/** Milliseconds per day: halfLife and purge ages are in days. */
export const kMsPerDay = 86_400_000;

/** cosine: cos θ; ip: dot product; l2: 1 / (1 + squared distance), from the kernels' ranking distance. */
export function similarityOf(metric: Metric, distance: number): number {
  // cosine and ip rank by 1 - dot on unit (cosine) or raw (ip) vectors.
  return metric === 'l2' ? 1 / (1 + distance) : 1 - distance;
}

/** 1 + ln(1 + recallCount): memories recalled often decay more slowly. */
export function stickiness(recallCount: number): number {
  return 1 + Math.log1p(recallCount);
}

/**
 * The Python Feather engine's score:
 * recency = 0.5 ^ ((ageDays / stickiness) / halfLife),
 * score = ((1 - timeWeight) · similarity + timeWeight · recency) · importance.
 * Ages below zero (timestamps in the future) count as zero.
 */
export function decayedScore(
  similarity: number,
  fields: { importance: number; timestamp: number; recallCount: number },
  now: number,
  decay: DecayOptions,
): number {
  const ageDays = Math.max(0, now - fields.timestamp) / kMsPerDay;
  const recency = 0.5 ** (ageDays / stickiness(fields.recallCount) / decay.halfLife);
  return ((1 - decay.timeWeight) * similarity + decay.timeWeight * recency) * fields.importance;
}
