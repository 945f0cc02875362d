// Upgrade Plan → Purchase Seats: a tier, monthly or yearly, and how many seats; Continue opens
// Stripe's hosted checkout page. The plan changes when Stripe confirms the payment (a signed
// webhook), after which Stripe sends the buyer back to the Billing page. A refusal is the server's
// sentence: a plan paid by card that started meanwhile (9013; the dialog does not offer this step
// for one it knew of) comes with the customer portal's button, an earlier checkout just paid
// (9014) says its plan shows in a moment.
import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { billingApi, STRIPE_PLAN_RUNNING, type TierInfo } from '../billing';
import { ApiErrorAlert } from './ApiErrorAlert';
import { CustomerPortalButton } from './CustomerPortalButton';
import { ModalActions } from './Modal';
import { RadioOption } from './RadioOption';

interface Props {
  orgCode: string;
  tiers: TierInfo[];
  onBusy: (busy: boolean) => void;
  onCancel: () => void;
}

const SYNC: Record<string, string> = {
  polling: 'basic sync (polling)',
  near_realtime: 'near real-time sync',
  realtime: 'real-time sync',
};

export function PurchaseSeatsStep({ orgCode, tiers, onBusy, onCancel }: Props) {
  const [tier, setTier] = useState(tiers[1]?.tier ?? tiers[0]?.tier ?? 'starter');
  const [interval, setInterval] = useState('month');
  const [seats, setSeats] = useState(1);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const buy = async () => {
    setBusy(true);
    onBusy(true);
    setError(null);
    try {
      const r = await billingApi.checkout(orgCode, tier, interval, seats);
      window.location.assign(r.url);
    } catch (e) {
      setError(e);
      setBusy(false);
      onBusy(false);
    }
  };

  return (
    <form
      class="stack"
      onSubmit={(e) => {
        e.preventDefault();
        void buy();
      }}
    >
      <fieldset class="choice-group">
        <legend class="field-label">Tier</legend>
        {tiers.map((t) => (
          <RadioOption
            key={t.tier}
            id={`tier-${t.tier}`}
            name="tier"
            value={t.tier}
            checked={tier === t.tier}
            onSelect={setTier}
            label={t.name}
            description={`${t.invoice_limit.toLocaleString('en-GB')} invoices a month, ${SYNC[t.sync.mode] ?? t.sync.mode}`}
            disabled={busy}
          />
        ))}
      </fieldset>
      <fieldset class="choice-group">
        <legend class="field-label">Billing</legend>
        <RadioOption id="interval-month" name="interval" value="month" checked={interval === 'month'} onSelect={setInterval} label="Monthly" disabled={busy} />
        <RadioOption id="interval-year" name="interval" value="year" checked={interval === 'year'} onSelect={setInterval} label="Yearly" description="Ten months' price for twelve" disabled={busy} />
      </fieldset>
      <div class="field">
        <label class="field-label" for="seats">
          Seats (connections)
        </label>
        <input
          id="seats"
          class="field-input field-input--short"
          type="number"
          min={1}
          max={99}
          value={seats}
          disabled={busy}
          onInput={(e) => setSeats(Math.max(1, Math.min(99, Number((e.target as HTMLInputElement).value) || 1)))}
        />
      </div>
      {error !== null && (
        <ApiErrorAlert error={error} fallback="The checkout could not start; please try again.">
          {error instanceof ApiError && error.code === STRIPE_PLAN_RUNNING && <CustomerPortalButton orgCode={orgCode} />}
        </ApiErrorAlert>
      )}
      <div class="modal-actions">
        <ModalActions onCancel={onCancel} busy={busy} busyLabel="Opening checkout…" label="Continue to payment" />
      </div>
    </form>
  );
}
