// Which Zoho Books invoices fiscalhub fiscalizes (settings.fiscalize), as a
// radio group with what each choice means. Used by the Connect Zoho Books
// dialog and by Change settings.
import { DEFAULT_FISCALIZE, FISCALIZE_CHOICES } from '../zoho';
import { RadioOption } from './RadioOption';

interface Props {
  /** Prefix for the element ids. */
  id: string;
  value: string;
  onChange: (value: string) => void;
  disabled?: boolean;
}

export function FiscalizeFieldset({ id, value, onChange, disabled }: Props) {
  return (
    <fieldset class="choice-group" aria-describedby={`${id}-fiscalize-hint`}>
      <legend class="field-label">Invoices to fiscalize</legend>
      <p class="field-hint" id={`${id}-fiscalize-hint`}>
        When fiscalhub fiscalizes a Zoho Books invoice. Drafts and void invoices are never fiscalized, and an
        invoice is fiscalized only once, however often it is edited afterwards.
      </p>
      {FISCALIZE_CHOICES.map((c) => (
        <RadioOption
          key={c.value}
          id={`${id}-${c.value}`}
          name={`${id}-fiscalize`}
          value={c.value}
          checked={value === c.value}
          onSelect={onChange}
          label={
            <>
              {c.label}
              {c.value === DEFAULT_FISCALIZE && (
                <>
                  {' '}
                  <span class="choice-tag">
                    <span class="visually-hidden">(</span>Default<span class="visually-hidden">)</span>
                  </span>
                </>
              )}
            </>
          }
          description={c.description}
          disabled={disabled}
        />
      ))}
    </fieldset>
  );
}
