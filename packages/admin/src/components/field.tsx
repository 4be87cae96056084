// A labelled text, search or number input in its .field box (a hint, when given, below it): the form rows the
// views are built of.
import type { ComponentChildren } from 'preact';

export interface FieldProps {
  id: string;
  label: string;
  type: 'text' | 'search' | 'number';
  value: string;
  /** Receives the input's new value on every keystroke. */
  onValue: (value: string) => void;
  /** The box's width: `narrow`, `grow` or `wide` (default: what its label needs). */
  width?: 'narrow' | 'grow' | 'wide';
  min?: string;
  max?: string;
  step?: string;
  placeholder?: string;
  autoComplete?: string;
  disabled?: boolean;
  /** The id of the text that explains the input (`aria-describedby`). */
  describedBy?: string;
  invalid?: boolean;
  /** Shown below the input (a hint, whose id describedBy names). */
  children?: ComponentChildren;
}

export function Field({ id, label, type, value, onValue, width, describedBy, invalid, children, ...limits }: FieldProps) {
  const props = {
    id,
    value,
    ...limits,
    'aria-describedby': describedBy,
    'aria-invalid': invalid,
    onInput: (e: { currentTarget: HTMLInputElement }) => onValue(e.currentTarget.value),
  };
  return (
    <div class={width === undefined ? 'field' : `field ${width}`}>
      <label for={id}>{label}</label>
      {/* One literal type per element: Preact types each input type's attributes apart. */}
      {type === 'number' ? (
        <input type="number" {...props} />
      ) : type === 'search' ? (
        <input type="search" {...props} />
      ) : (
        <input type="text" {...props} />
      )}
      {children}
    </div>
  );
}
