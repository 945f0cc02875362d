// One choice of a radio group (ChoiceOption): onSelect gets its value.
import type { ComponentChildren } from 'preact';
import { ChoiceOption } from './ChoiceOption';

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

export function RadioOption({ onSelect, ...rest }: Props) {
  return <ChoiceOption type="radio" {...rest} onChange={() => onSelect(rest.value)} />;
}
