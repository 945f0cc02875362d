// A secret shown exactly once (an API key's secret, a webhook's signing
// secret): the values with Copy buttons and a warning that they cannot be
// shown again. fiscalhub keeps only a hash (API keys) or an encrypted copy it
// never returns (signing secrets), so closing this is final.
import { CopyField } from './CopyField';
import { Icon } from './Icon';

interface Props {
  /** [id, label, value] of each value to show. */
  values: [string, string, string][];
  what: string;
}

export function SecretReveal({ values, what }: Props) {
  return (
    <div class="secret-reveal" data-testid="secret-reveal">
      <div class="alert alert--info" role="note">
        <Icon name="info" class="alert-icon" />
        <div class="alert-body">
          <p class="alert-message">Copy the {what} now: it is shown only this once.</p>
          <p class="alert-detail">
            fiscalhub does not keep it in a form it can show again. If it is lost, create a new one and revoke the old.
          </p>
        </div>
      </div>
      <dl class="secret-values">
        {values.map(([id, label, value]) => (
          <CopyField key={id} id={id} label={label} value={value} />
        ))}
      </dl>
    </div>
  );
}
