// Which invoices from before the connection the first sync reads
// (settings.backfill_days): none by default, or those the platform changed in
// the last day, week, month, quarter or year. They are fiscalized like new
// ones when they meet the integration's rule, so the hint warns about
// invoices another system has already fiscalized. Used by the Connect Xero
// and Connect Zoho Books dialogs.
import { BACKFILL_DAYS, backfillLabel } from '../integrations';

interface Props {
  id: string;
  /** "Xero" or "Zoho Books". */
  platformName: string;
  /** What decides whether an invoice is fiscalized, e.g. "the trigger". */
  rule: string;
  value: number;
  onChange: (value: number) => void;
  disabled?: boolean;
}

export function BackfillSelect({ id, platformName, rule, value, onChange, disabled }: Props) {
  const hintId = `${id}-hint`;
  return (
    <div class="field">
      <label class="field-label" for={id}>
        Earlier invoices
      </label>
      <select
        id={id}
        class="field-input"
        value={String(value)}
        disabled={disabled}
        aria-describedby={hintId}
        onChange={(e) => onChange(Number((e.currentTarget as HTMLSelectElement).value))}
      >
        {BACKFILL_DAYS.map((d) => (
          <option key={d} value={String(d)}>
            {backfillLabel(d)}
          </option>
        ))}
      </select>
      <p class="field-hint" id={hintId}>
        The first sync also reads the {platformName} invoices changed in this period before you connect, and fiscalizes
        those that meet {rule}. Choose a period only if no other system has fiscalized them: the tax authority would
        register them a second time.
      </p>
    </div>
  );
}
