// Argument checks of the facade (main/input.ts): what each accepts, and the code, path and message of what
// it refuses.
import { FeatherError } from '@feather-db/core';
import { describe, expect, it } from 'vitest';
import {
  checkAttributes,
  checkFields,
  checkId,
  checkIds,
  checkK,
  checkLinkOptions,
  checkNamespace,
  checkOptions,
  checkPatch,
  checkSaveGraph,
  checkTime,
  kMaxTextLength,
} from '../src/main/input.js';

function refusal(fn: () => unknown): { code: string; message: string; path: unknown } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FeatherError);
    const e = error as FeatherError;
    return { code: e.code, message: e.message, path: e.details?.['path'] };
  }
  throw new Error('expected a refusal');
}

describe('input checks', () => {
  it('ids: non-empty strings up to 512 characters or non-negative safe integers, type kept', () => {
    expect(checkId(0, 'id')).toBe(0);
    expect(checkId('0', 'id')).toBe('0');
    expect(checkIds([1, 'a'], 'ids')).toEqual([1, 'a']);
    expect(checkIds(7, 'ids')).toEqual([7]);
    for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, '', 'x'.repeat(513), null, {}]) {
      expect(refusal(() => checkId(bad, 'options.id')).code).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    }
    expect(refusal(() => checkIds([1, -2], 'ids'))).toMatchObject({ path: 'ids[1]' });
  });

  it("namespaces: names of 1-256 characters, never '*' (purge's wildcard)", () => {
    expect(checkNamespace('user-1', 'options.namespace')).toBe('user-1');
    expect(refusal(() => checkNamespace('*', 'options.namespace')).message).toMatch(/must not be '\*'/);
    expect(refusal(() => checkNamespace('x'.repeat(257), 'options.namespace')).message).toMatch(/at most 256 characters/);
  });

  it('times: finite ms or a valid Date, as ms', () => {
    expect(checkTime(new Date(5), 'options.now')).toBe(5);
    expect(checkTime(-3, 'options.now')).toBe(-3);
    expect(refusal(() => checkTime(new Date(Number.NaN), 'options.now'))).toMatchObject({
      code: 'FEATHER_ERR_INVALID_ARGUMENT',
      path: 'options.now',
    });
    expect(refusal(() => checkTime(Number.POSITIVE_INFINITY, 'options.now')).message).toMatch(/finite number/);
  });

  it('attributes: string, finite number or boolean values, at most 64 keys, frozen copy', () => {
    const a = checkAttributes({ s: 'x', n: 1, b: false }, 'options.attributes');
    expect(a).toEqual({ s: 'x', n: 1, b: false });
    expect(refusal(() => checkAttributes({ n: Number.NaN }, 'options.attributes')).path).toBe('options.attributes.n');
    expect(refusal(() => checkAttributes({ s: 'x'.repeat(4097) }, 'options.attributes')).message).toMatch(/up to 4096 characters/);
    expect(refusal(() => checkAttributes(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])), 'f')).message).toMatch(
      /at most 64 keys/,
    );
    expect(refusal(() => checkAttributes([1], 'options.filter')).message).toMatch(/must be an object/);
  });

  it('fields: text up to kMaxTextLength, Date timestamps as ms, importance >= 0', () => {
    expect(checkFields({ text: 'hi', timestamp: new Date(9), importance: 0, entity: null }, 'options')).toEqual({
      text: 'hi',
      timestamp: 9,
      importance: 0,
      entity: null,
    });
    expect(refusal(() => checkFields({ text: 'x'.repeat(kMaxTextLength + 1) }, 'options')).message).toMatch(/split the document/);
    expect(refusal(() => checkFields({ importance: -1 }, 'options')).path).toBe('options.importance');
  });

  it('patches must change something, and only known fields', () => {
    expect(checkPatch({ importance: 2 })).toEqual({ importance: 2 });
    expect(refusal(() => checkPatch({})).message).toMatch(/at least one of/);
    expect(refusal(() => checkPatch({ text: 'a', colour: 'red' })).message).toMatch(/patch.colour is not a known option/);
  });

  it('options objects: undefined is empty, unknown keys and non-objects are refused', () => {
    expect(checkOptions(undefined, ['k'], 'options', '{ k: 1 }')).toEqual({});
    expect(refusal(() => checkOptions(3, ['k'], 'options', '{ k: 1 }')).message).toBe('options must be an object like { k: 1 }, got 3');
    expect(refusal(() => checkOptions({ kk: 1 }, ['k'], 'options', '{ k: 1 }')).message).toMatch(
      /options.kk is not a known option; expected one of k/,
    );
  });

  it('k and ef are integers in [1, 100000]', () => {
    expect(checkK(1, 'options.k')).toBe(1);
    expect(refusal(() => checkK(0, 'options.k')).message).toBe('options.k must be an integer in [1, 100000], got 0');
    expect(refusal(() => checkK(100_001, 'options.ef')).code).toBe('FEATHER_ERR_INVALID_ARGUMENT');
  });

  it("link options default to 'related_to' and weight 1; weights are finite and >= 0", () => {
    expect(checkLinkOptions(undefined)).toEqual({ edgeType: 'related_to', weight: 1 });
    expect(checkLinkOptions({ type: 'caused_by', weight: 0 })).toEqual({ edgeType: 'caused_by', weight: 0 });
    expect(refusal(() => checkLinkOptions({ weight: -0.5 })).message).toBe('options.weight must be a finite number >= 0, got -0.5');
  });

  it("save's graph option is 'auto' by default and one of three", () => {
    expect(checkSaveGraph(undefined)).toBe('auto');
    expect(checkSaveGraph({ graph: 'never' })).toBe('never');
    expect(refusal(() => checkSaveGraph({ graph: 'sometimes' })).message).toBe(
      `options.graph must be 'auto', 'always' or 'never', got "sometimes"`,
    );
  });
});
