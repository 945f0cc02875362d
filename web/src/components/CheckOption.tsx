// One checkbox of a group, drawn like RadioOption: a bordered option with a
// short description tied to it by aria-describedby.
import type { ComponentChildren } from 'preact';

interface Props {
  id: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  label: ComponentChildren;
  description?: ComponentChildren;
  disabled?: boolean;
}

export function CheckOption({ id, checked, onChange, label, description, disabled }: Props) {
  const descId = description ? `${id}-description` : undefined;
  return (
    <label class={checked ? 'choice choice--checked' : 'choice'} for={id}>
      <input
        id={id}
        class="choice-input"
        type="checkbox"
        checked={checked}
        disabled={disabled}
        aria-describedby={descId}
        onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)}
      />
      <span class="choice-text">
        <span class="choice-label">{label}</span>
        {description && (
          <span class="choice-description" id={descId}>
            {description}
          </span>
        )}
      </span>
    </label>
  );
}
