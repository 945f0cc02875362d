// Xero's fiscalization trigger as a radio group: when a payment is added
// (the default) or when the invoice is approved, each with what it means.
// Used by the Connect Xero dialog and by Change settings.
import { TRIGGERS } from '../integrations';
import type { XeroTrigger } from '../types';
import { RadioOption } from './RadioOption';

interface Props {
  /** Prefix for the element ids (two dialogs never show at once, but ids stay unique). */
  id: string;
  value: XeroTrigger;
  onChange: (value: XeroTrigger) => void;
  disabled?: boolean;
}

export function TriggerFieldset({ id, value, onChange, disabled }: Props) {
  return (
    <fieldset class="choice-group" aria-describedby={`${id}-hint`}>
      <legend class="field-label">Fiscalization trigger</legend>
      <p class="field-hint" id={`${id}-hint`}>
        When fiscalhub fiscalizes a Xero sales invoice. Drafts are never fiscalized, and an invoice is fiscalized
        only once, however often it is edited afterwards.
      </p>
      {TRIGGERS.map((t) => (
        <RadioOption
          key={t.value}
          id={`${id}-${t.value}`}
          name={`${id}-trigger`}
          value={t.value}
          checked={value === t.value}
          onSelect={(v) => onChange(v === 'approval' ? 'approval' : 'payment')}
          label={
            <>
              {t.label}
              {t.value === 'payment' && (
                <>
                  {' '}
                  <span class="choice-tag">
                    <span class="visually-hidden">(</span>Default<span class="visually-hidden">)</span>
                  </span>
                </>
              )}
            </>
          }
          description={t.description}
          disabled={disabled}
        />
      ))}
    </fieldset>
  );
}
