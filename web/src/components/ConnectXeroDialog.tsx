// Connect Xero, step 2: the fiscalization trigger, then Connect. Connect
// creates the integration (pending) with the chosen certificate and trigger,
// asks for its consent URL and sends the browser to Xero, where the user logs
// in, picks the organisation and allows access; Xero then sends them back to
// the Integrations page.
//
// If the integration was created but the consent URL could not be had, the
// dialog stays open with the error: Connect again reuses that integration
// (changing its trigger first if the user picked another one), and the setup
// is also listed under Pending with Resume.
import { useState } from 'preact/hooks';
import { DEFAULT_TRIGGER, goToConsent, integrationsApi } from '../integrations';
import type { Certificate, XeroTrigger } from '../types';
import { ApiErrorAlert } from './ApiErrorAlert';
import { Icon } from './Icon';
import { Modal } from './Modal';
import { TriggerFieldset } from './TriggerFieldset';

interface Props {
  orgCode: string;
  certificate: Certificate;
  /** Back to step 1 (not offered once the integration exists). */
  onChangeCertificate: () => void;
  onClose: () => void;
}

interface Created {
  uid: string;
  trigger: XeroTrigger;
}

export function ConnectXeroDialog({ orgCode, certificate, onChangeCertificate, onClose }: Props) {
  const [trigger, setTrigger] = useState<XeroTrigger>(DEFAULT_TRIGGER);
  const [created, setCreated] = useState<Created | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const connect = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      let uid: string;
      if (!created) {
        const it = await integrationsApi.create(orgCode, {
          type: 'xero',
          certificate_uid: certificate.uid,
          settings: { trigger },
        });
        uid = it.uid;
        setCreated({ uid, trigger });
      } else {
        uid = created.uid;
        if (created.trigger !== trigger) {
          await integrationsApi.update(orgCode, uid, { trigger });
          setCreated({ uid, trigger });
        }
      }
      // The browser leaves for Xero; the dialog stays busy until it does.
      await goToConsent(orgCode, uid);
    } catch (err) {
      setError(err ?? 'failed');
      setBusy(false);
    }
  };

  return (
    <Modal
      id="connect-xero"
      title="Connect Xero"
      aside={<span class="modal-step">Step 2 of 2</span>}
      onClose={onClose}
      busy={busy}
      initialFocus={`connect-xero-${trigger}`}
      footer={
        <>
          <button type="button" class="btn btn--secondary" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" form="connect-xero-form" class="btn btn--primary" disabled={busy}>
            <Icon name="external" />
            {busy ? 'Opening Xero…' : 'Connect'}
          </button>
        </>
      }
    >
      {error !== null && (
        <ApiErrorAlert error={error} fallback="Xero could not be opened; please try again.">
          {created && (
            <p class="alert-detail">
              The setup is saved as <code>{created.uid}</code>: Connect again, or Resume it later from the Pending
              section of the Integrations page.
            </p>
          )}
        </ApiErrorAlert>
      )}
      <div class="cert-summary">
        <Icon name="shield" />
        <div class="cert-summary-text">
          <span class="cert-summary-label">Certificate</span>
          <span class="cert-summary-value">
            {certificate.taxpayer}
            {certificate.location ? `, ${certificate.location}` : ''} · <code>{certificate.uid}</code>
          </span>
        </div>
        {!created && (
          <button type="button" class="btn btn--ghost btn--small" onClick={onChangeCertificate} disabled={busy}>
            Change<span class="visually-hidden"> certificate</span>
          </button>
        )}
      </div>
      <form id="connect-xero-form" class="form" aria-label="Connect Xero" onSubmit={connect}>
        <TriggerFieldset id="connect-xero" value={trigger} onChange={setTrigger} disabled={busy} />
      </form>
      <p class="modal-footnote">
        <strong>Next:</strong> Xero asks you to log in, pick the organisation to connect and allow access. Xero then
        brings you back here, and the integration is Active.
      </p>
    </Modal>
  );
}
