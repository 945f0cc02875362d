// Upgrade Plan: two ways in - Activate Key (a prepaid reseller key) or Purchase Seats (Stripe
// checkout). The tiers on offer come from GET .../billing.
import { useEffect, useState } from 'preact/hooks';
import { billingApi, type Billing, type KeyReview, type TierInfo } from '../billing';
import { ActivateKeyStep } from './ActivateKeyStep';
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
  const [tiers, setTiers] = useState<TierInfo[]>([]);

  useEffect(() => {
    const ctl = new AbortController();
    billingApi
      .get(orgCode, ctl.signal)
      .then((b) => setTiers(b.tiers))
      .catch(() => setTiers([]));
    return () => ctl.abort();
  }, [orgCode]);

  const title = mode === 'key' ? 'Activate Key' : mode === 'buy' ? 'Purchase Seats' : 'Upgrade Plan';
  return (
    <Modal id="upgrade-plan" title={title} onClose={onClose} busy={busy}>
      {reason && mode === 'choose' && <p class="modal-text">{reason}</p>}
      {mode === 'choose' && (
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
      {mode === 'key' && (
        <ActivateKeyStep orgCode={orgCode} onBusy={setBusy} onActivated={onActivated} onCancel={() => setMode('choose')} />
      )}
      {mode === 'buy' && (
        <PurchaseSeatsStep orgCode={orgCode} tiers={tiers} onBusy={setBusy} onCancel={() => setMode('choose')} />
      )}
    </Modal>
  );
}
