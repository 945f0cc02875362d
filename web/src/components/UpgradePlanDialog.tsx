// Upgrade Plan: two ways in - Activate Key (a prepaid reseller key) or Purchase Seats (Stripe
// checkout). The tiers on offer come from GET .../billing, read before anything is offered: a
// plan paid by card through Stripe that has not ended takes neither (the server refuses a second
// checkout, 9013, and keys, 9011), so the dialog then explains that and opens Stripe's customer
// portal instead (CardPlanStep), where that subscription's seats and tier change.
import { useEffect, useState } from 'preact/hooks';
import { billingApi, stripePlanRunning, type Billing, type KeyReview } from '../billing';
import { ActivateKeyStep } from './ActivateKeyStep';
import { CardPlanStep } from './CardPlanStep';
import { Loading } from './Loading';
import { Modal } from './Modal';
import { PurchaseSeatsStep } from './PurchaseSeatsStep';

interface Props {
  orgCode: string;
  /** Why the dialog opened (e.g. every seat in use), shown first. */
  reason?: string;
  onClose: () => void;
  onActivated: (b: Billing | undefined, review: KeyReview) => void;
}

type Mode = 'choose' | 'key' | 'buy';

export function UpgradePlanDialog({ orgCode, reason, onClose, onActivated }: Props) {
  const [mode, setMode] = useState<Mode>('choose');
  const [busy, setBusy] = useState(false);
  // undefined while loading; null when the plan could not be read (the choices are offered, and
  // the server's refusal, if any, is shown)
  const [billing, setBilling] = useState<Billing | null | undefined>(undefined);

  useEffect(() => {
    const ctl = new AbortController();
    billingApi
      .get(orgCode, ctl.signal)
      .then((b) => setBilling(b))
      .catch(() => {
        if (!ctl.signal.aborted) setBilling(null);
      });
    return () => ctl.abort();
  }, [orgCode]);

  const tiers = billing?.tiers ?? [];
  const card = !!billing && stripePlanRunning(billing);
  const title = mode === 'key' ? 'Activate Key' : mode === 'buy' ? 'Purchase Seats' : 'Upgrade Plan';
  return (
    <Modal id="upgrade-plan" title={title} onClose={onClose} busy={busy}>
      {reason && mode === 'choose' && <p class="modal-text">{reason}</p>}
      {billing === undefined && <Loading label="Loading your plan…" />}
      {billing && card && <CardPlanStep orgCode={orgCode} billing={billing} onBusy={setBusy} onClose={onClose} />}
      {billing !== undefined && !card && mode === 'choose' && (
        <div class="upgrade-choices">
          <button type="button" class="btn btn--primary" onClick={() => setMode('key')}>
            Activate Key
          </button>
          <button type="button" class="btn btn--secondary" onClick={() => setMode('buy')} disabled={tiers.length === 0}>
            Purchase Seats
          </button>
          <p class="field-hint">
            A reseller key (INT-XXXX-XXXX-XXXX) starts its plan when you activate it. Purchasing seats pays by card
            through Stripe, monthly or yearly, and renews automatically.
          </p>
        </div>
      )}
      {!card && mode === 'key' && (
        <ActivateKeyStep orgCode={orgCode} onBusy={setBusy} onActivated={onActivated} onCancel={() => setMode('choose')} />
      )}
      {!card && mode === 'buy' && (
        <PurchaseSeatsStep orgCode={orgCode} tiers={tiers} onBusy={setBusy} onCancel={() => setMode('choose')} />
      )}
    </Modal>
  );
}
