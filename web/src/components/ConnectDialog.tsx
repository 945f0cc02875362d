// Step 2 of connecting an OAuth platform (Xero, Zoho Books): the platform's
// settings (the children: a form with the id `${id}-form`), then Connect.
// Connect creates the integration (pending) with the chosen certificate and
// settings, asks for its consent URL and sends the browser to the platform,
// where the user logs in, picks the organization and allows access; the
// platform then sends them back to the Integrations page.
//
// If the integration was created but the consent URL could not be had, the
// dialog stays open with the error: Connect again reuses that integration
// (saving its settings first if the user changed them), and the setup is also
// listed under Pending with Resume.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { goToConsent, integrationsApi, type OAuthPlatform } from '../integrations';
import type { Certificate, IntegrationSettings } from '../types';
import { ApiErrorAlert } from './ApiErrorAlert';
import { CertificateSummary } from './CertificateSummary';
import { Icon } from './Icon';
import { Modal, ModalActions } from './Modal';

interface Props {
  id: string;
  title: string;
  orgCode: string;
  platform: OAuthPlatform;
  certificate: Certificate;
  settings: IntegrationSettings;
  /** Back to step 1 (not offered once the integration exists). */
  onChangeCertificate: () => void;
  onClose: () => void;
  /** Tells the form that Connect is in flight (its fields are disabled then). */
  onBusy?: (busy: boolean) => void;
  initialFocus?: string;
  /** What happens after Connect, in a sentence or two. */
  footnote: ComponentChildren;
  children: ComponentChildren;
}

interface Created {
  uid: string;
  settings: string;
}

export function ConnectDialog({
  id,
  title,
  orgCode,
  platform,
  certificate,
  settings,
  onChangeCertificate,
  onClose,
  onBusy,
  initialFocus,
  footnote,
  children,
}: Props) {
  const [created, setCreated] = useState<Created | null>(null);
  const [busy, setBusyState] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const setBusy = (b: boolean) => {
    setBusyState(b);
    onBusy?.(b);
  };

  const connect = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const wanted = JSON.stringify(settings);
    try {
      let uid: string;
      if (!created) {
        const it = await integrationsApi.create(orgCode, {
          type: platform.type,
          certificate_uid: certificate.uid,
          settings,
        });
        uid = it.uid;
        setCreated({ uid, settings: wanted });
      } else {
        uid = created.uid;
        if (created.settings !== wanted) {
          await integrationsApi.update(orgCode, uid, settings);
          setCreated({ uid, settings: wanted });
        }
      }
      // The browser leaves for the consent page; the dialog stays busy until it does.
      await goToConsent(orgCode, uid, platform);
    } catch (err) {
      setError(err ?? 'failed');
      setBusy(false);
    }
  };

  return (
    <Modal
      id={id}
      title={title}
      aside={<span class="modal-step">Step 2 of 2</span>}
      onClose={onClose}
      busy={busy}
      initialFocus={initialFocus}
      footer={
        <ModalActions
          onCancel={onClose}
          busy={busy}
          form={`${id}-form`}
          label={
            <>
              <Icon name="external" />
              {busy ? `Opening ${platform.consent}…` : 'Connect'}
            </>
          }
        />
      }
    >
      {error !== null && (
        <ApiErrorAlert error={error} fallback={`${platform.consent} could not be opened; please try again.`}>
          {created && (
            <p class="alert-detail">
              The setup is saved as <code>{created.uid}</code>: Connect again, or Resume it later from the Pending
              section of the Integrations page.
            </p>
          )}
        </ApiErrorAlert>
      )}
      <CertificateSummary certificate={certificate} onChange={created ? undefined : onChangeCertificate} disabled={busy} />
      <form id={`${id}-form`} class="form" aria-label={title} onSubmit={connect} noValidate>
        {children}
      </form>
      <p class="modal-footnote">
        <strong>Next:</strong> {footnote}
      </p>
    </Modal>
  );
}
