// Change settings of a Xero integration: the fiscalization trigger (the same
// radio group as Connect Xero) and what the write-back attaches to the Xero
// invoice, saved with PATCH /api/orgs/{org}/integrations/{uid} {"settings":
// {"trigger", "attach_qr", "attach_journal"}} (only what changed). Invoices
// already fiscalized are not touched; the new settings apply to what happens
// in Xero from now on.
import { useState } from 'preact/hooks';
import { fullStop } from '../format';
import { integrationsApi, isTrigger } from '../integrations';
import type { Integration, IntegrationSettings, XeroTrigger } from '../types';
import { ApiErrorAlert } from './ApiErrorAlert';
import { type Attachments, AttachmentsFieldset, attachmentsOf } from './AttachmentsFieldset';
import { Modal } from './Modal';
import { TriggerFieldset } from './TriggerFieldset';

interface Props {
  orgCode: string;
  integration: Integration;
  onClose: () => void;
  /** trigger: the new trigger when it changed, else null. */
  onSaved: (updated: Integration, trigger: XeroTrigger | null) => void;
}

export function ChangeXeroSettingsDialog({ orgCode, integration, onClose, onSaved }: Props) {
  const s = integration.settings ?? {};
  const initialTrigger: XeroTrigger = isTrigger(s.trigger) ? s.trigger : 'payment';
  const initialAttach = attachmentsOf('xero', s);
  const [trigger, setTrigger] = useState<XeroTrigger>(initialTrigger);
  const [attach, setAttach] = useState<Attachments>(initialAttach);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const save = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const changed: IntegrationSettings = {};
    if (trigger !== initialTrigger) changed.trigger = trigger;
    for (const k of ['attach_qr', 'attach_journal'] as const)
      if (attach[k] !== initialAttach[k]) changed[k] = attach[k];
    setBusy(true);
    setError(null);
    try {
      const updated = Object.keys(changed).length
        ? await integrationsApi.update(orgCode, integration.uid, changed)
        : integration;
      onSaved(updated, changed.trigger ? trigger : null);
    } catch (err) {
      setError(err ?? 'failed');
      setBusy(false);
    }
  };

  return (
    <Modal
      id="xero-settings"
      title={`Change settings of ${integration.uid}`}
      onClose={onClose}
      busy={busy}
      initialFocus={`xero-settings-${trigger}`}
      footer={
        <>
          <button type="button" class="btn btn--secondary" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" form="xero-settings-form" class="btn btn--primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </>
      }
    >
      {error !== null && <ApiErrorAlert error={error} fallback="The settings could not be changed; please try again." />}
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
      <form id="xero-settings-form" class="form" aria-label="Change settings" onSubmit={save}>
        <TriggerFieldset id="xero-settings" value={trigger} onChange={setTrigger} disabled={busy} />
        <AttachmentsFieldset
          id="xero-settings"
          type="xero"
          document="Xero invoice"
          value={attach}
          onChange={setAttach}
          disabled={busy}
        />
      </form>
    </Modal>
  );
}
