// Connecting an OAuth platform (Xero, Zoho Books), step 1: the taxpayer
// certificate the integration signs its invoices with. One of the organization's active certificates, or a new one
// (Upload a new certificate opens the standalone Upload Certificate dialog).
import type { OAuthPlatform } from '../integrations';
import type { Certificate } from '../types';
import { CertificateOption } from './CertificateOption';
import { Icon } from './Icon';
import { Loading } from './Loading';
import { RetryAlert } from './LoadState';
import { Modal, ModalActions } from './Modal';

interface Props {
  orgName: string;
  platform: OAuthPlatform;
  /** null while loading. */
  certificates: Certificate[] | null;
  loadError: string | null;
  onRetry: () => void;
  selected: string | null;
  onSelect: (uid: string) => void;
  onUpload: () => void;
  onNext: () => void;
  onClose: () => void;
}

export function ChooseCertificateDialog({
  orgName,
  platform,
  certificates,
  loadError,
  onRetry,
  selected,
  onSelect,
  onUpload,
  onNext,
  onClose,
}: Props) {
  const none = certificates !== null && certificates.length === 0;
  return (
    <Modal
      id="choose-certificate"
      title="Choose a certificate"
      aside={<span class="modal-step">Step 1 of 2</span>}
      onClose={onClose}
      initialFocus={none ? 'choose-certificate-upload' : undefined}
      footer={<ModalActions onCancel={onClose} form="choose-certificate-form" disabled={!selected} label="Next" />}
    >
      <div class="modal-text">
        <p>
          fiscalhub signs every {platform.name} invoice it fiscalizes with one of {orgName}’s taxpayer certificates.
          Choose the certificate for this {platform.name} {platform.org}, or upload a new one.
        </p>
      </div>
      {certificates === null && !loadError && <Loading label="Loading certificates…" />}
      {loadError && (
        <RetryAlert message={loadError} onRetry={onRetry} />
      )}
      <form
        id="choose-certificate-form"
        class="form"
        aria-label="Choose a certificate"
        onSubmit={(e) => {
          e.preventDefault();
          if (selected) onNext();
        }}
      >
        {none && (
          <p class="choice-empty">
            <strong>{orgName} has no active certificate yet.</strong> Upload the PFX file, password and PAC the tax
            authority issued to continue.
          </p>
        )}
        {certificates && certificates.length > 0 && (
          <fieldset class="choice-group">
            <legend class="field-label">Active certificates</legend>
            {certificates.map((c) => (
              <CertificateOption key={c.uid} idPrefix="cert-choice" certificate={c} checked={selected === c.uid} onSelect={onSelect} />
            ))}
          </fieldset>
        )}
        {certificates !== null && (
          <div>
            <button
              type="button"
              id="choose-certificate-upload"
              class={none ? 'btn btn--primary' : 'btn btn--secondary btn--small'}
              onClick={onUpload}
            >
              <Icon name="upload" />
              Upload a new certificate
            </button>
          </div>
        )}
      </form>
    </Modal>
  );
}
