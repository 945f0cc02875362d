// Change certificate: the integration signs the invoices it receives from now
// on with another of the organization's active certificates (a renewal, or a
// certificate that replaces a revoked one; a Custom / Webhook integration
// follows that certificate's invoices instead), saved with
// PATCH /api/orgs/{org}/integrations/{uid} {"certificate_uid"}. Invoices
// already received keep the certificate they were submitted with. A new
// certificate is uploaded on the Certificates page first. The documents
// fiscalhub could not fiscalize (e.g. under a revoked certificate) are looked
// at again with the new one, which the dialog says when there are any.
import { useState } from 'preact/hooks';
import { certificates } from '../certificates';
import { isPast, plural } from '../format';
import { integrationsApi } from '../integrations';
import type { Certificate, CertificatesReply, Integration } from '../types';
import { useResource } from '../useResource';
import { ApiErrorAlert } from './ApiErrorAlert';
import { CertificateOption } from './CertificateOption';
import { ErrorAlert } from './ErrorAlert';
import { Link } from './Link';
import { Loading } from './Loading';
import { Modal, ModalActions } from './Modal';

interface Props {
  orgCode: string;
  integration: Integration;
  onClose: () => void;
  onSaved: (updated: Integration) => void;
}

export function ChangeCertificateDialog({ orgCode, integration, onClose, onSaved }: Props) {
  const { data, error, loading } = useResource<CertificatesReply>(
    orgCode,
    (signal) => certificates.list(orgCode, signal),
    'The certificates could not be loaded.',
  );
  const [selected, setSelected] = useState<string | null>(integration.certificate_uid ?? null);
  const [busy, setBusy] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  const usable = (data?.certificates ?? []).filter((c: Certificate) => c.status === 'active' && !isPast(c.expires_at));
  const changed = selected !== null && selected !== integration.certificate_uid;
  const waiting = integration.not_fiscalized?.count ?? 0;

  const save = async (e: Event) => {
    e.preventDefault();
    if (busy || !changed || !selected) return;
    setBusy(true);
    setSaveError(null);
    try {
      onSaved(await integrationsApi.setCertificate(orgCode, integration.uid, selected));
    } catch (err) {
      setSaveError(err ?? 'failed');
      setBusy(false);
    }
  };

  return (
    <Modal
      id="change-certificate"
      title={`Change certificate of ${integration.uid}`}
      onClose={onClose}
      busy={busy}
      footer={
        <ModalActions
          onCancel={onClose}
          busy={busy}
          form="change-certificate-form"
          disabled={!changed}
          busyLabel="Saving…"
          label="Save"
        />
      }
    >
      {saveError !== null && <ApiErrorAlert error={saveError} fallback="The certificate could not be changed; please try again." />}
      <div class="modal-text">
        <p>
          {integration.type === 'webhook'
            ? 'From now on this integration sends the events of the invoices signed with the certificate you choose.'
            : 'The invoices this integration receives from now on are signed with the certificate you choose; those already received keep theirs.'}{' '}
          To use a new certificate, upload it on the <Link href="/certificates">Certificates</Link> page first.
        </p>
        {waiting > 0 && (
          <p data-testid="change-certificate-again">
            fiscalhub then looks again at the {plural(waiting, 'document', 'documents')} it could not fiscalize.
          </p>
        )}
      </div>
      {loading && <Loading label="Loading certificates…" />}
      {error && <ErrorAlert message={error} />}
      {data && (
        <form id="change-certificate-form" class="form" aria-label="Change certificate" onSubmit={save}>
          {usable.length === 0 ? (
            <p class="choice-empty">No certificate of this organization is active and unexpired.</p>
          ) : (
            <fieldset class="choice-group">
              <legend class="field-label">Active certificates</legend>
              {usable.map((c) => (
                <CertificateOption
                  key={c.uid}
                  idPrefix="change-cert"
                  certificate={c}
                  checked={selected === c.uid}
                  onSelect={setSelected}
                  disabled={busy}
                  note={c.uid === integration.certificate_uid ? ' (current)' : null}
                />
              ))}
            </fieldset>
          )}
        </form>
      )}
    </Modal>
  );
}
