// The frame of an integration's Change settings dialog (Xero, Zoho Books):
// the title, what the change means, the fields, Cancel and Save. Save sends
// only the settings that changed, with PATCH /api/orgs/{org}/integrations/{uid}
// {"settings": {...}} (nothing when none did), and shows the API's error in
// the dialog when it refuses them.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { integrationsApi } from '../integrations';
import type { Integration, IntegrationSettings } from '../types';
import { ApiErrorAlert } from './ApiErrorAlert';
import { Modal, ModalActions } from './Modal';

interface Props {
  /** Prefix for the element ids. */
  id: string;
  orgCode: string;
  integration: Integration;
  initialFocus: string;
  /** What the new settings mean, above the fields. */
  intro: ComponentChildren;
  /** The settings that differ from the integration's. */
  changed: () => IntegrationSettings;
  /** The fields, disabled while saving. */
  children: (busy: boolean) => ComponentChildren;
  onClose: () => void;
  onSaved: (updated: Integration, changed: IntegrationSettings) => void;
}

export function SettingsDialog({ id, orgCode, integration, initialFocus, intro, changed, children, onClose, onSaved }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const save = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const diff = changed();
    setBusy(true);
    setError(null);
    try {
      const updated = Object.keys(diff).length ? await integrationsApi.update(orgCode, integration.uid, diff) : integration;
      onSaved(updated, diff);
    } catch (err) {
      setError(err ?? 'failed');
      setBusy(false);
    }
  };

  return (
    <Modal
      id={id}
      title={`Change settings of ${integration.uid}`}
      onClose={onClose}
      busy={busy}
      initialFocus={initialFocus}
      footer={<ModalActions onCancel={onClose} busy={busy} form={`${id}-form`} busyLabel="Saving…" label="Save" />}
    >
      {error !== null && <ApiErrorAlert error={error} fallback="The settings could not be changed; please try again." />}
      <div class="modal-text">
        <p>{intro}</p>
      </div>
      <form id={`${id}-form`} class="form" aria-label="Change settings" onSubmit={save}>
        {children(busy)}
      </form>
    </Modal>
  );
}
