// Change trigger: the same radio group as Connect Xero, saved with
// PATCH /api/orgs/{org}/integrations/{uid} {"settings": {"trigger"}}.
// Invoices already fiscalized are not touched; the new trigger applies to
// what happens in Xero from now on.
import { useState } from 'preact/hooks';
import { fullStop } from '../format';
import { integrationsApi, isTrigger } from '../integrations';
import type { Integration, XeroTrigger } from '../types';
import { ApiErrorAlert } from './ApiErrorAlert';
import { Modal } from './Modal';
import { TriggerFieldset } from './TriggerFieldset';

interface Props {
  orgCode: string;
  integration: Integration;
  onClose: () => void;
  onSaved: (updated: Integration, trigger: XeroTrigger) => void;
}

export function ChangeTriggerDialog({ orgCode, integration, onClose, onSaved }: Props) {
  const current = integration.settings?.trigger;
  const [trigger, setTrigger] = useState<XeroTrigger>(isTrigger(current) ? current : 'payment');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const save = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const updated = await integrationsApi.update(orgCode, integration.uid, { trigger });
      onSaved(updated, trigger);
    } catch (err) {
      setError(err ?? 'failed');
      setBusy(false);
    }
  };

  return (
    <Modal
      id="change-trigger"
      title={`Change trigger of ${integration.uid}`}
      onClose={onClose}
      busy={busy}
      initialFocus={`change-trigger-${trigger}`}
      footer={
        <>
          <button type="button" class="btn btn--secondary" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" form="change-trigger-form" class="btn btn--primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </>
      }
    >
      {error !== null && <ApiErrorAlert error={error} fallback="The trigger could not be changed; please try again." />}
      <div class="modal-text">
        <p>
          {integration.tenant_name ? (
            <>
              Xero organisation <strong>{integration.tenant_name}</strong>
              {fullStop(integration.tenant_name)}{' '}
            </>
          ) : null}
          The new trigger applies to invoices approved or paid in Xero from now on; invoices already fiscalized stay
          as they are.
        </p>
      </div>
      <form id="change-trigger-form" class="form" aria-label="Change trigger" onSubmit={save}>
        <TriggerFieldset id="change-trigger" value={trigger} onChange={setTrigger} disabled={busy} />
      </form>
    </Modal>
  );
}
