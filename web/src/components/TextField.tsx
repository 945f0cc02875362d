// A labelled input with an optional hint and a validation message, both tied
// to the input through aria-describedby.
interface Props {
  id: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  type?: 'text' | 'email' | 'password';
  autoComplete?: string;
  hint?: string;
  error?: string | null;
  /** Marks the input invalid without a message of its own (an alert nearby explains). */
  invalid?: boolean;
  maxLength?: number;
  disabled?: boolean;
  /** Defaults to true; an optional field says so in its label or hint. */
  required?: boolean;
  autoCapitalize?: 'off' | 'characters';
  spellCheck?: boolean;
}

export function TextField({ id, label, value, onInput, type = 'text', autoComplete, hint, error, invalid, maxLength, disabled, required = true, autoCapitalize, spellCheck }: Props) {
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
        class="field-input"
        type={type}
        value={value}
        autoComplete={autoComplete}
        maxLength={maxLength}
        required={required}
        disabled={disabled}
        autoCapitalize={autoCapitalize}
        spellcheck={spellCheck}
        aria-invalid={bad ? 'true' : undefined}
        aria-describedby={describedBy}
        onInput={(e) => onInput((e.currentTarget as HTMLInputElement).value)}
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
