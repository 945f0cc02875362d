// Change settings of a Xero integration: the fiscalization trigger (the same
// radio group as Connect Xero) and what the write-back attaches to the Xero
// invoice ({"trigger", "attach_qr", "attach_journal"}, only what changed).
// Invoices already fiscalized are not touched; the new settings apply to
// what happens in Xero from now on.
import { useState } from 'preact/hooks';
import { fullStop } from '../format';
import { isTrigger } from '../integrations';
import type { Integration, IntegrationSettings, XeroTrigger } from '../types';
import { type Attachments, AttachmentsFieldset, attachmentsOf, changedAttachments } from './AttachmentsFieldset';
import { SettingsDialog } from './SettingsDialog';
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

  const changed = () => {
    const c: IntegrationSettings = changedAttachments(initialAttach, attach);
    if (trigger !== initialTrigger) c.trigger = trigger;
    return c;
  };

  return (
    <SettingsDialog
      id="xero-settings"
      orgCode={orgCode}
      integration={integration}
      initialFocus={`xero-settings-${trigger}`}
      changed={changed}
      onClose={onClose}
      onSaved={(updated, c) => onSaved(updated, c.trigger ? trigger : null)}
      intro={
        <>
          {integration.tenant_name ? (
            <>
              Xero organisation <strong>{integration.tenant_name}</strong>
              {fullStop(integration.tenant_name)}{' '}
            </>
          ) : null}
          The new trigger applies to invoices approved or paid in Xero from now on; invoices already fiscalized stay as
          they are.
        </>
      }
    >
      {(busy) => (
        <>
          <TriggerFieldset id="xero-settings" value={trigger} onChange={setTrigger} disabled={busy} />
          <AttachmentsFieldset
            id="xero-settings"
            type="xero"
            value={attach}
            onChange={setAttach}
            disabled={busy}
          />
        </>
      )}
    </SettingsDialog>
  );
}
