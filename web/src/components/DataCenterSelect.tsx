// The Zoho data center of the account being connected: Zoho keeps each
// account in one region, with its own sign-in server, and the consent must
// start there. Regions are named as Zoho names them, with the address the
// user signs in at so they can tell which is theirs.
import { DATA_CENTERS } from '../zoho';

interface Props {
  id: string;
  value: string;
  onChange: (value: string) => void;
  disabled?: boolean;
}

export function DataCenterSelect({ id, value, onChange, disabled }: Props) {
  const hintId = `${id}-hint`;
  return (
    <div class="field">
      <label class="field-label" for={id}>
        Data center
      </label>
      <select
        id={id}
        class="field-input"
        value={value}
        disabled={disabled}
        aria-describedby={hintId}
        onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}
      >
        {DATA_CENTERS.map((dc) => (
          <option key={dc.value} value={dc.value}>
            {dc.region} ({dc.domain})
          </option>
        ))}
      </select>
      <p class="field-hint" id={hintId}>
        The region your Zoho account is in: the address you sign in to Zoho Books at ends in it (books.zoho.eu is
        Europe). fiscalhub sends you to that region’s Zoho sign-in page.
      </p>
    </div>
  );
}
