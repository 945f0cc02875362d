// A labelled file input with a hint and a validation message, tied to the
// input through aria-describedby like TextField. The chosen file goes to
// onChange (null when the choice is cleared).
interface Props {
  id: string;
  label: string;
  accept?: string;
  hint?: string;
  error?: string | null;
  /** Marks the input invalid without a message of its own (the dialog's alert explains). */
  invalid?: boolean;
  disabled?: boolean;
  onChange: (file: File | null) => void;
}

export function FileField({ id, label, accept, hint, error, invalid, disabled, onChange }: Props) {
  const hintId = hint ? `${id}-hint` : null;
  const errorId = error ? `${id}-error` : null;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  const bad = !!error || !!invalid;
  return (
    <div class={bad ? 'field field--invalid' : 'field'}>
      <label class="field-label" for={id}>
        {label}
      </label>
      <input
        id={id}
        name={id}
        class="field-input field-file"
        type="file"
        accept={accept}
        required
        disabled={disabled}
        aria-invalid={bad ? 'true' : undefined}
        aria-describedby={describedBy}
        onChange={(e) => onChange((e.currentTarget as HTMLInputElement).files?.[0] ?? null)}
      />
      {hint && (
        <p class="field-hint" id={hintId ?? undefined}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={errorId ?? undefined}>
          {error}
        </p>
      )}
    </div>
  );
}
