// Upgrade Plan → Activate Key: enter the reseller key, Validate (read-only: product, tier,
// seats, period and what it does to the current plan), then Activate. Each refusal (typo, POS
// key, unknown, used, expired, and a plan paid by card through Stripe that has not ended - which
// comes with the customer portal's button) is the server's own sentence.
import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { billingApi, KEY_STRIPE_ACTIVE, type Billing, type KeyReview } from '../billing';
import { formatDate, plural } from '../format';
import { ApiErrorAlert } from './ApiErrorAlert';
import { CustomerPortalButton } from './CustomerPortalButton';
import { ModalActions } from './Modal';
import { TextField } from './TextField';

interface Props {
  orgCode: string;
  onBusy: (busy: boolean) => void;
  onActivated: (b: Billing | undefined, review: KeyReview) => void;
  onCancel: () => void;
}

function Fact({ label, value, id }: { label: string; value: string; id?: string }) {
  return (
    <div class="fact">
      <dt>{label}</dt>
      <dd data-testid={id}>{value}</dd>
    </div>
  );
}

function effectLine(r: KeyReview): string {
  if (r.effect === 'extends') return `Extends your current ${r.tier_name} plan until ${formatDate(r.expires_at)}.`;
  if (r.effect === 'replaces')
    return `Replaces your current plan from now on; valid until ${formatDate(r.expires_at)}.`;
  return `Starts when you activate it and runs until ${formatDate(r.expires_at)}.`;
}

export function ActivateKeyStep({ orgCode, onBusy, onActivated, onCancel }: Props) {
  const [key, setKey] = useState('');
  const [review, setReview] = useState<KeyReview | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const run = async (activate: boolean) => {
    setBusy(true);
    onBusy(true);
    setError(null);
    try {
      const r = activate ? await billingApi.activate(orgCode, key) : await billingApi.validate(orgCode, key);
      if (activate) onActivated(r.billing, r);
      else setReview(r);
    } catch (e) {
      setError(e);
      setReview(null);
    } finally {
      setBusy(false);
      onBusy(false);
    }
  };

  return (
    <form
      class="stack"
      onSubmit={(e) => {
        e.preventDefault();
        void run(!!review);
      }}
    >
      <TextField
        id="activation-key"
        label="Activation key"
        value={key}
        onInput={(v) => {
          setKey(v);
          setReview(null);
        }}
        hint="The INT-XXXX-XXXX-XXXX key your reseller gave you."
        autoCapitalize="characters"
        spellCheck={false}
        maxLength={64}
        invalid={!!error}
        disabled={busy}
      />
      {error !== null && (
        <ApiErrorAlert error={error} fallback="The key could not be checked; please try again.">
          {error instanceof ApiError && error.code === KEY_STRIPE_ACTIVE && <CustomerPortalButton orgCode={orgCode} />}
        </ApiErrorAlert>
      )}
      {review && (
        <section class="key-review" aria-label="Key details">
          <dl class="facts">
            <Fact label="Product" value="Integrations" />
            <Fact label="Tier" value={review.tier_name} id="review-tier" />
            <Fact label="Seats" value={plural(review.seats, 'connection', 'connections')} id="review-seats" />
            <Fact label="Period" value={plural(review.months, 'month', 'months')} id="review-period" />
            <Fact label="Invoices" value={`${review.invoice_limit.toLocaleString('en-GB')} a month`} />
          </dl>
          <p>{effectLine(review)}</p>
        </section>
      )}
      <div class="modal-actions">
        <ModalActions
          onCancel={onCancel}
          busy={busy}
          disabled={!review && key.trim() === ''}
          busyLabel={review ? 'Activating…' : 'Validating…'}
          label={review ? 'Activate' : 'Validate'}
        />
      </div>
    </form>
  );
}
