// One checkbox of a group (ChoiceOption), drawn like RadioOption.
import type { ComponentChildren } from 'preact';
import { ChoiceOption } from './ChoiceOption';

interface Props {
  id: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  label: ComponentChildren;
  description?: ComponentChildren;
  disabled?: boolean;
}

export function CheckOption(props: Props) {
  return <ChoiceOption type="checkbox" {...props} />;
}
