// The dialog that offers more seats when the plan allows no new integration (every seat in use,
// or the licence expired). It opens two ways: Create Integration found no free seat in the
// organization's usage before the user started a setup (showSeatLimit, billing.ts), or a request
// was refused 402 anyway (onPaymentRequired, api.ts: the backstop - another member took the last
// seat meanwhile, or the page was opened directly); the refused request created nothing. The
// plan is read first (GET .../billing): a plan paid by card through Stripe that has not ended gets
// its seats in Stripe's customer portal, not from a key or another purchase, and the dialog says
// so; Get more seats then opens Upgrade Plan, which offers that portal.
import { useEffect, useState } from 'preact/hooks';
import { onPaymentRequired } from '../api';
import { billingApi, LICENCE_EXPIRED, onSeatLimit, stripePlanRunning, type SeatRefusal } from '../billing';
import { Modal } from './Modal';
import { UpgradePlanDialog } from './UpgradePlanDialog';

interface Props {
  orgCode: string;
  canBuy: boolean;
}

function explanation(r: SeatRefusal | null, card: boolean): string {
  if (card && !r?.expired)
    return r?.refused
      ? 'Each active integration takes a seat. Your plan is paid by card through Stripe: add seats in Stripe\'s customer portal, or remove an integration you no longer use. Nothing was created.'
      : 'Each active integration takes a seat, and none is free. Your plan is paid by card through Stripe: add seats in Stripe\'s customer portal, or remove an integration you no longer use, before you create another.';
  if (r?.expired)
    return r.refused
      ? 'Renew your plan or activate a key to add integrations. Nothing was created.'
      : 'Renew your plan or activate a key to add integrations.';
  return r?.refused
    ? 'Each active integration takes a seat. Buy more seats or activate a key with more seats, or remove an integration you no longer use. Nothing was created.'
    : 'Each active integration takes a seat, and none is free. Buy more seats or activate a key with more seats, or remove an integration you no longer use, before you create another.';
}

export function SeatLimitHost({ orgCode, canBuy }: Props) {
  const [refusal, setRefusal] = useState<SeatRefusal | null>(null);
  const [upgrading, setUpgrading] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  // the plan is paid by card through Stripe and has not ended (read when the dialog opens)
  const [card, setCard] = useState(false);

  useEffect(() => {
    let opened = 0;
    const open = (r: SeatRefusal) => {
      const mine = ++opened;
      setDone(null);
      setUpgrading(false);
      // the dialog opens once the plan is known (or could not be read: the general words)
      billingApi
        .get(orgCode)
        .then(stripePlanRunning, () => false)
        .then((c) => {
          if (mine !== opened) return;
          setCard(c);
          setRefusal(r);
        });
    };
    onPaymentRequired((e) => open({ expired: e.code === LICENCE_EXPIRED, detail: e.detail, refused: true }));
    onSeatLimit(open);
    return () => {
      onPaymentRequired(null);
      onSeatLimit(null);
    };
  }, []);

  if (upgrading)
    return (
      <UpgradePlanDialog
        orgCode={orgCode}
        onClose={() => setUpgrading(false)}
        onActivated={(_b, r) => {
          setUpgrading(false);
          setDone(
            `Activated: ${r.tier_name}, ${r.seats} seats. ${refusal?.refused ? 'Create the integration again.' : 'You can create the integration now.'}`,
          );
          setRefusal(null);
        }}
      />
    );
  if (!refusal && !done) return null;
  const expired = !!refusal?.expired;
  return (
    <Modal
      id="seat-limit"
      title={done ? 'Plan upgraded' : expired ? 'Your licence has expired' : 'All seats are in use'}
      onClose={() => {
        setRefusal(null);
        setDone(null);
      }}
      footer={
        done ? undefined : (
          <>
            <button type="button" class="btn btn--secondary" onClick={() => setRefusal(null)}>
              Not now
            </button>
            {canBuy && (
              <button type="button" class="btn btn--primary" onClick={() => setUpgrading(true)}>
                {expired ? 'Renew plan' : 'Get more seats'}
              </button>
            )}
          </>
        )
      }
    >
      {done ? (
        <p class="modal-text">{done}</p>
      ) : (
        <div class="modal-text">
          <p>{explanation(refusal, card)}</p>
          {refusal?.detail && (
            <p class="field-hint" data-testid="seat-limit-detail">
              {refusal.detail}
            </p>
          )}
          {!canBuy && <p>Only an owner of the organization can change its plan.</p>}
        </div>
      )}
    </Modal>
  );
}
