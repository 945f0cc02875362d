// Change settings of a Zoho Books integration: which invoices it fiscalizes,
// the data center its consent starts at and whether the write-back attaches
// the QR code, saved with PATCH /api/orgs/{org}/integrations/{uid}
// {"settings": {"fiscalize", "data_center", "attach_qr"}} (only what
// changed). A new rule applies to what happens in Zoho Books from now on; a
// new data center to the next Reconnect. Invoices already fiscalized are not
// touched.
import { useState } from 'preact/hooks';
import { fullStop } from '../format';
import { integrationsApi } from '../integrations';
import type { Integration, IntegrationSettings } from '../types';
import { DATA_CENTERS, DEFAULT_DATA_CENTER, DEFAULT_FISCALIZE, FISCALIZE_CHOICES } from '../zoho';
import { ApiErrorAlert } from './ApiErrorAlert';
import { type Attachments, AttachmentsFieldset, attachmentsOf } from './AttachmentsFieldset';
import { DataCenterSelect } from './DataCenterSelect';
import { FiscalizeFieldset } from './FiscalizeFieldset';
import { Modal } from './Modal';

interface Props {
  orgCode: string;
  integration: Integration;
  onClose: () => void;
  onSaved: (updated: Integration) => void;
}

export function ChangeZohoSettingsDialog({ orgCode, integration, onClose, onSaved }: Props) {
  const s = integration.settings ?? {};
  const initialFiscalize = FISCALIZE_CHOICES.some((c) => c.value === s.fiscalize) ? (s.fiscalize as string) : DEFAULT_FISCALIZE;
  const initialDc = DATA_CENTERS.some((d) => d.value === s.data_center) ? (s.data_center as string) : DEFAULT_DATA_CENTER;
  const [fiscalize, setFiscalize] = useState(initialFiscalize);
  const [dataCenter, setDataCenter] = useState(initialDc);
  const initialAttach = attachmentsOf('zoho_books', s);
  const [attach, setAttach] = useState<Attachments>(initialAttach);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const save = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const changed: IntegrationSettings = {};
    if (fiscalize !== s.fiscalize) changed.fiscalize = fiscalize;
    if (dataCenter !== s.data_center) changed.data_center = dataCenter;
    if (attach.attach_qr !== initialAttach.attach_qr) changed.attach_qr = attach.attach_qr;
    setBusy(true);
    setError(null);
    try {
      const updated = Object.keys(changed).length
        ? await integrationsApi.update(orgCode, integration.uid, changed)
        : integration;
      onSaved(updated);
    } catch (err) {
      setError(err ?? 'failed');
      setBusy(false);
    }
  };

  return (
    <Modal
      id="zoho-settings"
      title={`Change settings of ${integration.uid}`}
      onClose={onClose}
      busy={busy}
      initialFocus={`zoho-settings-${fiscalize}`}
      footer={
        <>
          <button type="button" class="btn btn--secondary" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" form="zoho-settings-form" class="btn btn--primary" disabled={busy}>
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
              Zoho Books organization <strong>{integration.tenant_name}</strong>
              {fullStop(integration.tenant_name)}{' '}
            </>
          ) : null}
          A new choice of invoices applies to what happens in Zoho Books from now on; invoices already fiscalized stay
          as they are. A new data center is used from the next Reconnect.
        </p>
      </div>
      <form id="zoho-settings-form" class="form" aria-label="Change settings" onSubmit={save}>
        <FiscalizeFieldset id="zoho-settings" value={fiscalize} onChange={setFiscalize} disabled={busy} />
        <DataCenterSelect id="zoho-settings-dc" value={dataCenter} onChange={setDataCenter} disabled={busy} />
        <AttachmentsFieldset
          id="zoho-settings"
          type="zoho_books"
          document="Zoho Books invoice"
          value={attach}
          onChange={setAttach}
          disabled={busy}
        />
      </form>
    </Modal>
  );
}
