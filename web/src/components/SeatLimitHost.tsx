// Listens for requests the plan refused (402: every seat in use, or the licence expired) and
// opens the dialog that offers more seats. The refused request created nothing.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, onPaymentRequired } from '../api';
import { LICENCE_EXPIRED } from '../billing';
import { Modal } from './Modal';
import { UpgradePlanDialog } from './UpgradePlanDialog';

interface Props {
  orgCode: string;
  canBuy: boolean;
}

export function SeatLimitHost({ orgCode, canBuy }: Props) {
  const [refusal, setRefusal] = useState<ApiError | null>(null);
  const [upgrading, setUpgrading] = useState(false);
  const [done, setDone] = useState<string | null>(null);

  useEffect(() => {
    onPaymentRequired((e) => {
      setDone(null);
      setRefusal(e);
    });
    return () => onPaymentRequired(null);
  }, []);

  if (upgrading)
    return (
      <UpgradePlanDialog
        orgCode={orgCode}
        onClose={() => setUpgrading(false)}
        onActivated={(_b, r) => {
          setUpgrading(false);
          setDone(`Activated: ${r.tier_name}, ${r.seats} seats. Create the integration again.`);
          setRefusal(null);
        }}
      />
    );
  if (!refusal && !done) return null;
  const expired = refusal?.code === LICENCE_EXPIRED;
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
          <p>
            {expired
              ? 'Renew your plan or activate a key to add integrations. Nothing was created.'
              : 'Each active integration takes a seat. Buy more seats or activate a key with more seats, or remove an integration you no longer use. Nothing was created.'}
          </p>
          <p class="field-hint">{refusal?.detail}</p>
          {!canBuy && <p>Only an owner of the organization can change its plan.</p>}
        </div>
      )}
    </Modal>
  );
}
