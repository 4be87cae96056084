// A record of a table (a CSV line, a Parquet row) as an ingest row: known columns become fields, the vector
// column a vector, and every other non-empty column an attribute.
import { FeatherError, type AttributeValue, type IngestRow } from 'feather-db';

const kFieldColumns = new Set([
  'id',
  'vector',
  'text',
  'namespace',
  'entity',
  'importance',
  'timestamp',
  'attributes',
  'links',
  'recallCount',
  'lastRecalled',
]);

/** A cell: text from CSV (already typed values from Parquet); null or '' means absent. */
export type Cell =
  string | number | bigint | boolean | Date | null | undefined | readonly unknown[] | ArrayLike<number> | Record<string, unknown>;

/** Builds the row; throws a FeatherError naming `where` (e.g. `line 7 of data.csv`) and the column at fault. */
export function tableRow(columns: readonly string[], cells: readonly Cell[], where: string): IngestRow {
  const row: Record<string, unknown> = {};
  const attributes: Record<string, AttributeValue> = {};
  columns.forEach((column, i) => {
    const cell = cells[i];
    if (cell === null || cell === undefined || cell === '') return;
    const at = `${where}, column ${column}`;
    if (!kFieldColumns.has(column)) {
      attributes[column] = attribute(cell, at);
      return;
    }
    switch (column) {
      case 'id':
        row['id'] = id(cell, at);
        return;
      case 'vector':
        row['vector'] = vector(cell, at);
        return;
      case 'importance':
      case 'recallCount':
        row[column] = number(cell, at);
        return;
      case 'timestamp':
      case 'lastRecalled':
        row[column] = time(cell, at);
        return;
      case 'attributes':
        Object.assign(attributes, json(cell, at, 'a JSON object'));
        return;
      case 'links':
        row['links'] = json(cell, at, 'a JSON array of { to, type, weight }');
        return;
      default:
        row[column] = text(cell, at);
    }
  });
  if (Object.keys(attributes).length > 0) row['attributes'] = attributes;
  return row;
}

function bad(at: string, expected: string, cell: Cell): FeatherError {
  const shown = typeof cell === 'string' ? JSON.stringify(cell.length > 40 ? `${cell.slice(0, 40)}…` : cell) : typeof cell;
  return new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${at} must be ${expected}, got ${shown}`);
}

/** A canonical non-negative integer ("42", not "042") is an integer id; any other text a string id. */
function id(cell: Cell, at: string): string | number {
  if (typeof cell === 'bigint') return Number(cell);
  if (typeof cell === 'number') return cell;
  if (typeof cell !== 'string') throw bad(at, 'a string or integer id', cell);
  const n = Number(cell);
  return /^(0|[1-9]\d*)$/.test(cell) && Number.isSafeInteger(n) ? n : cell;
}

/** `[0.1, 0.2]` (JSON) or `0.1;0.2` (semicolon-separated) in CSV; a list column in Parquet. */
function vector(cell: Cell, at: string): number[] | ArrayLike<number> {
  if (typeof cell !== 'string') {
    if (typeof cell === 'object' && cell !== null && 'length' in cell) return cell as ArrayLike<number>;
    throw bad(at, 'a list of numbers', cell);
  }
  const text = cell.trim();
  const parts = text.startsWith('[') ? (json(text, at, 'a JSON array of numbers') as unknown[]) : text.split(';');
  if (!Array.isArray(parts)) throw bad(at, 'a JSON array of numbers or numbers separated by ;', cell);
  return parts.map((p) => {
    const n = typeof p === 'number' ? p : typeof p === 'string' && p.trim() !== '' ? Number(p) : Number.NaN;
    if (!Number.isFinite(n)) throw bad(at, 'numbers only (a JSON array, or numbers separated by ;)', cell);
    return n;
  });
}

function text(cell: Cell, at: string): string {
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'number' || typeof cell === 'bigint' || typeof cell === 'boolean') return String(cell);
  throw bad(at, 'text', cell);
}

function number(cell: Cell, at: string): number {
  const n = typeof cell === 'bigint' ? Number(cell) : typeof cell === 'string' ? Number(cell.trim()) : cell;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw bad(at, 'a number', cell);
  return n;
}

/** ms since the epoch, or a date text such as 2026-01-31T12:00:00Z. */
function time(cell: Cell, at: string): number {
  if (cell instanceof Date) return cell.getTime();
  if (typeof cell === 'string' && !/^-?\d+(\.\d+)?$/.test(cell.trim())) {
    const ms = Date.parse(cell);
    if (Number.isNaN(ms)) throw bad(at, 'ms since the epoch or an ISO date', cell);
    return ms;
  }
  return number(cell, at);
}

function json(cell: Cell, at: string, expected: string): unknown {
  if (typeof cell !== 'string') return cell;
  try {
    return JSON.parse(cell) as unknown;
  } catch {
    throw bad(at, expected, cell);
  }
}

function attribute(cell: Cell, at: string): AttributeValue {
  if (typeof cell === 'string' || typeof cell === 'boolean') return cell;
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'bigint' && Number.isSafeInteger(Number(cell))) return Number(cell);
  if (cell instanceof Date) return cell.toISOString();
  throw bad(at, 'a string, number or boolean (other columns become attributes)', cell);
}
