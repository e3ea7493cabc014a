/**
 * A labelled form field: the label, a hint and the field's error, tied to the control with
 * aria-describedby / aria-invalid so screen readers read them with it.
 */
import { cloneElement, useId, type ReactElement } from 'react';

export function Field({
  label,
  hint,
  error,
  children,
}: {
  readonly label: string;
  readonly hint?: string;
  readonly error?: string;
  /** One control (input, select, textarea); it gets the id and the descriptions. */
  readonly children: ReactElement<Record<string, unknown>>;
}) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, {
        id,
        'aria-describedby': describedBy,
        'aria-invalid': error ? true : undefined,
      })}
      {hint && (
        <span id={hintId} className="hint">
          {hint}
        </span>
      )}
      {error && (
        <span id={errorId} className="field-error">
          {error}
        </span>
      )}
    </div>
  );
}

/** The list of a form's errors, shown above it after a failed submit, each linking to its field. */
export function ErrorSummary({
  errors,
  labels,
}: {
  readonly errors: Record<string, string>;
  readonly labels: Record<string, string>;
}) {
  const entries = Object.entries(errors);
  if (entries.length === 0) return null;
  return (
    <div className="state error" role="alert" tabIndex={-1}>
      <p className="title">
        {entries.length === 1 ? 'One field needs a change' : `${entries.length} fields need a change`} before
        this can be sent:
      </p>
      <ul>
        {entries.map(([field, message]) => (
          <li key={field}>
            <strong>{labels[field] ?? field}</strong>: {message}
          </li>
        ))}
      </ul>
    </div>
  );
}
