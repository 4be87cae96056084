// Attributes as people type them: filters as `key=value, key=value`, and the editor's rows.
import type { AttributeValue, Attributes } from '../api/types.js';

/** A typed value: true/false are booleans, numbers are numbers, "quoted" text is always a string. */
export function parseAttributeValue(raw: string): AttributeValue {
  const text = raw.trim();
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) return text.slice(1, -1);
  if (text !== '' && /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return Number(text);
  return text;
}

/** How a value is written back in a filter (so that parse(format(v)) === v). */
export function formatAttributeValue(value: AttributeValue): string {
  if (typeof value === 'string' && parseAttributeValue(value) !== value) return `"${value}"`;
  return String(value);
}

/**
 * `source=chat, pinned=true, year=2024` as an exact-match filter. Empty text is no filter.
 * @throws Error naming the piece that is not `key=value`, or a key given twice.
 */
export function parseFilter(text: string): Attributes | undefined {
  if (text.trim() === '') return undefined;
  const filter: Attributes = {};
  for (const piece of text.split(',')) {
    const eq = piece.indexOf('=');
    const key = eq < 0 ? '' : piece.slice(0, eq).trim();
    if (key === '') throw new Error(`"${piece.trim()}" is not key=value; write filters like source=chat, pinned=true`);
    if (key in filter) throw new Error(`the key "${key}" is given twice; a filter holds each key once`);
    filter[key] = parseAttributeValue(piece.slice(eq + 1));
  }
  return filter;
}

export function formatFilter(filter: Attributes): string {
  return Object.entries(filter)
    .map(([key, value]) => `${key}=${formatAttributeValue(value)}`)
    .join(', ');
}

export type AttributeType = 'string' | 'number' | 'boolean';

/** One row of the attribute editor. */
export interface AttributeRow {
  key: string;
  type: AttributeType;
  value: string;
}

export function rowsOf(attributes: Attributes): AttributeRow[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, type: typeof value as AttributeType, value: String(value) }));
}

/**
 * The editor's rows as attributes. Rows with neither key nor value are skipped.
 * @throws Error naming the row (1-based) with an empty or repeated key, or a value its type cannot hold.
 */
export function attributesOf(rows: readonly AttributeRow[]): Attributes {
  const attributes: Attributes = {};
  rows.forEach((row, i) => {
    const key = row.key.trim();
    if (key === '' && row.value.trim() === '') return;
    if (key === '') throw new Error(`row ${i + 1} has a value but no key`);
    if (key in attributes) throw new Error(`row ${i + 1} repeats the key "${key}"`);
    switch (row.type) {
      case 'string':
        attributes[key] = row.value;
        break;
      case 'number': {
        const n = Number(row.value);
        if (row.value.trim() === '' || !Number.isFinite(n)) throw new Error(`row ${i + 1} (${key}) must be a number, got "${row.value}"`);
        attributes[key] = n;
        break;
      }
      case 'boolean':
        if (row.value !== 'true' && row.value !== 'false')
          throw new Error(`row ${i + 1} (${key}) must be true or false, got "${row.value}"`);
        attributes[key] = row.value === 'true';
        break;
    }
  });
  return attributes;
}
