// Edits a memory's attributes as rows of key, type and value.
import type { AttributeRow, AttributeType } from '../lib/attributes.js';

const kTypes: AttributeType[] = ['string', 'number', 'boolean'];

export function AttributeEditor({ rows, onChange }: { rows: readonly AttributeRow[]; onChange: (rows: AttributeRow[]) => void }) {
  const set = (i: number, patch: Partial<AttributeRow>): void => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <fieldset class="attributes">
      <legend>Attributes</legend>
      {rows.length === 0 ? <p class="hint">No attributes. Add one below.</p> : null}
      {rows.map((row, i) => (
        <div class="attribute-row" key={i}>
          <div class="field">
            <label for={`attr-key-${i}`}>Key {i + 1}</label>
            <input
              id={`attr-key-${i}`}
              type="text"
              value={row.key}
              autoComplete="off"
              onInput={(e) => set(i, { key: e.currentTarget.value })}
            />
          </div>
          <div class="field">
            <label for={`attr-type-${i}`}>Type {i + 1}</label>
            <select
              id={`attr-type-${i}`}
              value={row.type}
              onChange={(e) =>
                set(i, {
                  type: e.currentTarget.value as AttributeType,
                  ...(e.currentTarget.value === 'boolean' ? { value: row.value === 'false' ? 'false' : 'true' } : {}),
                })
              }
            >
              {kTypes.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for={`attr-value-${i}`}>Value {i + 1}</label>
            {row.type === 'boolean' ? (
              <select id={`attr-value-${i}`} value={row.value} onChange={(e) => set(i, { value: e.currentTarget.value })}>
                <option value="true">true</option>
                <option value="false">false</option>
              </select>
            ) : (
              <input
                id={`attr-value-${i}`}
                type="text"
                inputMode={row.type === 'number' ? 'decimal' : 'text'}
                value={row.value}
                autoComplete="off"
                onInput={(e) => set(i, { value: e.currentTarget.value })}
              />
            )}
          </div>
          <button
            type="button"
            class="quiet"
            aria-label={`Remove attribute ${row.key === '' ? i + 1 : row.key}`}
            onClick={() => onChange(rows.filter((_, j) => j !== i))}
          >
            Remove
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...rows, { key: '', type: 'string', value: '' }])}>
        Add attribute
      </button>
    </fieldset>
  );
}
