// Change settings of a Zoho Books integration: which invoices it fiscalizes,
// the data center its consent starts at and what the write-back attaches (the
// QR code, the receipt as a PDF), saved with PATCH /api/orgs/{org}/integrations/{uid}
// {"settings": {"fiscalize", "data_center", "attach_qr", "attach_journal"}} (only what
// changed). A new rule applies to what happens in Zoho Books from now on; a
// new data center to the next Reconnect. Invoices already fiscalized are not
// touched.
import { useState } from 'preact/hooks';
import { fullStop } from '../format';
import type { Integration, IntegrationSettings } from '../types';
import { DATA_CENTERS, DEFAULT_DATA_CENTER, DEFAULT_FISCALIZE, FISCALIZE_CHOICES } from '../zoho';
import { type Attachments, AttachmentsFieldset, attachmentsOf, changedAttachments } from './AttachmentsFieldset';
import { DataCenterSelect } from './DataCenterSelect';
import { FiscalizeFieldset } from './FiscalizeFieldset';
import { SettingsDialog } from './SettingsDialog';

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
  const initialAttach = attachmentsOf('zoho_books', s);
  const [fiscalize, setFiscalize] = useState(initialFiscalize);
  const [dataCenter, setDataCenter] = useState(initialDc);
  const [attach, setAttach] = useState<Attachments>(initialAttach);

  const changed = () => {
    const c: IntegrationSettings = changedAttachments(initialAttach, attach);
    if (fiscalize !== s.fiscalize) c.fiscalize = fiscalize;
    if (dataCenter !== s.data_center) c.data_center = dataCenter;
    return c;
  };

  return (
    <SettingsDialog
      id="zoho-settings"
      orgCode={orgCode}
      integration={integration}
      initialFocus={`zoho-settings-${fiscalize}`}
      changed={changed}
      onClose={onClose}
      onSaved={(updated) => onSaved(updated)}
      intro={
        <>
          {integration.tenant_name ? (
            <>
              Zoho Books organization <strong>{integration.tenant_name}</strong>
              {fullStop(integration.tenant_name)}{' '}
            </>
          ) : null}
          A new choice of invoices applies to what happens in Zoho Books from now on; invoices already fiscalized stay
          as they are. A new data center is used from the next Reconnect.
        </>
      }
    >
      {(busy) => (
        <>
          <FiscalizeFieldset id="zoho-settings" value={fiscalize} onChange={setFiscalize} disabled={busy} />
          <DataCenterSelect id="zoho-settings-dc" value={dataCenter} onChange={setDataCenter} disabled={busy} />
          <AttachmentsFieldset
            id="zoho-settings"
            type="zoho_books"
            value={attach}
            onChange={setAttach}
            disabled={busy}
          />
        </>
      )}
    </SettingsDialog>
  );
}
