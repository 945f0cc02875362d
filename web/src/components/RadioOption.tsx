// One choice of a radio group, drawn as a bordered option with a short
// description. The radio's name is the label alone; the description is tied
// to it with aria-describedby, so screen readers read both without the
// name growing long.
import type { ComponentChildren } from 'preact';

interface Props {
  id: string;
  name: string;
  value: string;
  checked: boolean;
  onSelect: (value: string) => void;
  label: ComponentChildren;
  description?: ComponentChildren;
  disabled?: boolean;
}

export function RadioOption({ id, name, value, checked, onSelect, label, description, disabled }: Props) {
  const labelId = `${id}-label`;
  const descId = description ? `${id}-description` : undefined;
  return (
    <label class={checked ? 'choice choice--checked' : 'choice'} for={id}>
      <input
        id={id}
        class="choice-input"
        type="radio"
        name={name}
        value={value}
        checked={checked}
        disabled={disabled}
        aria-labelledby={labelId}
        aria-describedby={descId}
        onChange={() => onSelect(value)}
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
