// Feather.open's options (options.ts): defaults, ranges, modalities and FEATHER_LOAD_THREADS.
import { FeatherError, kDefaultHnswOptions } from '@feather-db/core';
import { describe, expect, it } from 'vitest';
import { defaultThreads, resolveOpenOptions } from '../src/options.js';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FeatherError);
    expect((error as FeatherError).code).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    return (error as FeatherError).message;
  }
  throw new Error('expected a refusal');
}

describe('resolveOpenOptions', () => {
  it('fills the defaults: the index defaults, fsync, a 64 MiB auto-save, no modalities without dim', () => {
    const o = resolveOpenOptions('a.feather', { threads: 3 });
    expect(o).toMatchObject({
      dim: undefined,
      metric: kDefaultHnswOptions.metric,
      m: 16,
      efConstruction: 200,
      efSearch: 128,
      threads: 3,
      modalities: undefined,
      efSearchGiven: false,
      readOnly: false,
      durability: 'fsync',
      autoSaveWalBytes: 64 * 2 ** 20,
      poolPriority: 'below-normal',
    });
    expect(resolveOpenOptions('a.feather', { dim: 8, metric: 'l2', efSearch: 50, threads: 1 })).toMatchObject({
      modalities: { text: { dim: 8, metric: 'l2' } },
      efSearchGiven: true,
    });
  });

  it('adds declared modalities beside text, each with its own dim and metric', () => {
    const o = resolveOpenOptions('a.feather', { dim: 8, threads: 1, modalities: { image: { dim: 4, metric: 'ip' }, audio: { dim: 2 } } });
    expect(o.modalities).toEqual({
      text: { dim: 8, metric: 'cosine' },
      image: { dim: 4, metric: 'ip' },
      audio: { dim: 2, metric: 'cosine' },
    });
    expect(refusal(() => resolveOpenOptions('a', { threads: 1, modalities: { image: { dim: 4 } } }))).toMatch(/needs options.dim too/);
    expect(refusal(() => resolveOpenOptions('a', { dim: 8, threads: 1, modalities: { text: { dim: 4 } } }))).toMatch(/not 'text'/);
  });

  it("takes poolPriority 'normal' or 'below-normal' and refuses anything else, naming the choices", () => {
    expect(resolveOpenOptions('a', { threads: 1, poolPriority: 'normal' }).poolPriority).toBe('normal');
    expect(refusal(() => resolveOpenOptions('a', { threads: 1, poolPriority: 'low' as 'normal' }))).toBe(
      "options.poolPriority must be 'below-normal' (the default) or 'normal', got \"low\"",
    );
  });

  it('refuses what is out of range, naming the option and the value', () => {
    expect(refusal(() => resolveOpenOptions('', {}))).toMatch(/^path must be a non-empty string/);
    expect(refusal(() => resolveOpenOptions('a', { dim: 0 }))).toBe('options.dim must be an integer in [1, 65536], got 0');
    expect(refusal(() => resolveOpenOptions('a', { dim: 4, metric: 'manhattan' as never }))).toMatch(
      /options.metric must be one of 'cosine', 'l2', 'ip', got "manhattan"/,
    );
    expect(refusal(() => resolveOpenOptions('a', { m: 1, threads: 1 }))).toBe('options.m must be an integer in [2, 256], got 1');
    expect(refusal(() => resolveOpenOptions('a', { threads: 0 }))).toBe('options.threads must be an integer in [1, 256], got 0');
    expect(refusal(() => resolveOpenOptions('a', { threads: 1, durability: 'sometimes' as never }))).toMatch(
      /options.durability must be 'fsync', 'os' or 'none'/,
    );
    expect(refusal(() => resolveOpenOptions('a', { threads: 1, embeddingModel: 'é'.repeat(33) }))).toMatch(/at most 64 UTF-8 bytes/);
    expect(refusal(() => resolveOpenOptions('a', { threads: 1, readOnly: 'yes' as never }))).toMatch(
      /options.readOnly must be true or false/,
    );
    expect(refusal(() => resolveOpenOptions('a', { colour: 1 }))).toMatch(/options.colour is not a known option/);
  });
});

describe('defaultThreads', () => {
  it('reads FEATHER_LOAD_THREADS, and the core count when it is unset or empty', () => {
    expect(defaultThreads({ FEATHER_LOAD_THREADS: '3' })).toBe(3);
    expect(defaultThreads({})).toBeGreaterThanOrEqual(1);
    expect(defaultThreads({ FEATHER_LOAD_THREADS: '' })).toBe(defaultThreads({}));
    for (const bad of ['0', '257', '1.5', 'two'])
      expect(refusal(() => defaultThreads({ FEATHER_LOAD_THREADS: bad }))).toMatch(/FEATHER_LOAD_THREADS must be an integer in \[1, 256\]/);
  });
});

describe('options.maintenance', () => {
  it('defaults to insert-path repair at a tenth; false turns repair off; background may rebuild past compactAt', () => {
    expect(resolveOpenOptions('a.feather', {}).maintenance).toEqual({ repairAt: 0.1, mode: 'insert', compactAt: Number.POSITIVE_INFINITY });
    expect(resolveOpenOptions('a.feather', { maintenance: false }).maintenance.repairAt).toBe(Number.POSITIVE_INFINITY);
    expect(resolveOpenOptions('a.feather', { maintenance: { mode: 'background', repairAt: 0.2, compactAt: 0.5 } }).maintenance).toEqual({
      repairAt: 0.2,
      mode: 'background',
      compactAt: 0.5,
    });
  });

  it('refuses bad values typed, naming the option and what it takes', () => {
    expect(refusal(() => resolveOpenOptions('a.feather', { maintenance: true }))).toMatch(
      /options\.maintenance must be false or an object/,
    );
    expect(refusal(() => resolveOpenOptions('a.feather', { maintenance: { repairAt: 0 } }))).toMatch(
      /repairAt must be a fraction in \(0, 1\], got 0/,
    );
    expect(refusal(() => resolveOpenOptions('a.feather', { maintenance: { repairAt: 1.5 } }))).toMatch(/got 1\.5/);
    expect(refusal(() => resolveOpenOptions('a.feather', { maintenance: { mode: 'nightly' } }))).toMatch(/'insert' or 'background'/);
    expect(refusal(() => resolveOpenOptions('a.feather', { maintenance: { every: 3 } }))).toMatch(/maintenance\.every is not an option/);
    expect(refusal(() => resolveOpenOptions('a.feather', { maintenance: { compactAt: 0.5 } }))).toMatch(
      /compactAt needs mode: 'background'/,
    );
  });
});
