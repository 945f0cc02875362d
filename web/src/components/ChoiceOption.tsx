// One option of a radio group or of a group of checkboxes, drawn as a
// bordered option with a short description. The input's name is the label
// alone; the description is tied to it with aria-describedby, so screen
// readers read both without the name growing long. RadioOption and
// CheckOption are its two kinds.
import type { ComponentChildren } from 'preact';

interface Props {
  id: string;
  type: 'radio' | 'checkbox';
  /** The radio group's name (radios only). */
  name?: string;
  value?: string;
  checked: boolean;
  /** The input's checked state after the user's change. */
  onChange: (checked: boolean) => void;
  label: ComponentChildren;
  description?: ComponentChildren;
  disabled?: boolean;
}

export function ChoiceOption({ id, type, name, value, checked, onChange, label, description, disabled }: Props) {
  const labelId = `${id}-label`;
  const descId = description ? `${id}-description` : undefined;
  return (
    <label class={checked ? 'choice choice--checked' : 'choice'} for={id}>
      <input
        id={id}
        class="choice-input"
        type={type}
        name={name}
        value={value}
        checked={checked}
        disabled={disabled}
        aria-labelledby={labelId}
        aria-describedby={descId}
        onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)}
      />
      <span class="choice-text">
        <span class="choice-label" id={labelId}>
          {label}
        </span>
        {description && (
          <span class="choice-description" id={descId}>
            {description}
          </span>
        )}
      </span>
    </label>
  );
}
