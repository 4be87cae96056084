import { describe, expect, it } from 'vitest';
import { attributesOf, formatAttributeValue, formatFilter, parseAttributeValue, parseFilter, rowsOf } from '../src/lib/attributes.js';

describe('attribute filters as typed', () => {
  it('types values: booleans, numbers, "quoted" text, and plain text', () => {
    expect(parseFilter('source=chat, pinned=true, year=2024, score=-0.5, code="42", empty=')).toEqual({
      source: 'chat',
      pinned: true,
      year: 2024,
      score: -0.5,
      code: '42',
      empty: '',
    });
    expect(parseFilter('  ')).toBeUndefined();
    expect(parseFilter('url=https://x.y/?a=b')).toEqual({ url: 'https://x.y/?a=b' });
  });

  it('writes a filter back so that it reads the same', () => {
    const filter = { source: 'chat', pinned: true, year: 2024, code: '42', flag: 'true', text: 'plain words' };
    expect(parseFilter(formatFilter(filter))).toEqual(filter);
    expect(formatAttributeValue('42')).toBe('"42"');
    expect(parseAttributeValue(formatAttributeValue('false'))).toBe('false');
  });

  it('says which piece is wrong', () => {
    expect(() => parseFilter('source=chat, pinned')).toThrow('"pinned" is not key=value; write filters like source=chat, pinned=true');
    expect(() => parseFilter('=x')).toThrow('"=x" is not key=value');
    expect(() => parseFilter('a=1, a=2')).toThrow('the key "a" is given twice');
  });
});

describe('the attribute editor rows', () => {
  it('round-trip attributes of every type', () => {
    const attributes = { source: 'chat', pinned: true, year: 2024, ratio: 0.25 };
    expect(rowsOf(attributes)).toEqual([
      { key: 'source', type: 'string', value: 'chat' },
      { key: 'pinned', type: 'boolean', value: 'true' },
      { key: 'year', type: 'number', value: '2024' },
      { key: 'ratio', type: 'number', value: '0.25' },
    ]);
    expect(attributesOf(rowsOf(attributes))).toEqual(attributes);
  });

  it('skips blank rows and names the row that is wrong', () => {
    expect(
      attributesOf([
        { key: '', type: 'string', value: '' },
        { key: ' k ', type: 'string', value: ' v ' },
      ]),
    ).toEqual({ k: ' v ' });
    expect(() => attributesOf([{ key: '', type: 'string', value: 'v' }])).toThrow('row 1 has a value but no key');
    expect(() =>
      attributesOf([
        { key: 'a', type: 'string', value: '' },
        { key: 'a', type: 'string', value: '' },
      ]),
    ).toThrow('row 2 repeats the key "a"');
    expect(() => attributesOf([{ key: 'n', type: 'number', value: 'ten' }])).toThrow('row 1 (n) must be a number, got "ten"');
    expect(() => attributesOf([{ key: 'n', type: 'number', value: ' ' }])).toThrow('row 1 (n) must be a number, got " "');
    expect(() => attributesOf([{ key: 'b', type: 'boolean', value: 'yes' }])).toThrow('row 1 (b) must be true or false, got "yes"');
  });
});
