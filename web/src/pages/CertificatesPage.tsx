// Integrations → Certificates: the taxpayer certificates (PFX) fiscalhub
// signs the organization's invoices with. Upload Certificate opens the
// dialog; Revoke asks first, because revoking is final.
import { useState } from 'preact/hooks';
import { certificates } from '../certificates';
import { CertificatesTable } from '../components/CertificatesTable';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { EmptyState } from '../components/EmptyState';
import { GuardedButton } from '../components/GuardedButton';
import { LoadState } from '../components/LoadState';
import { PageHeader } from '../components/PageHeader';
import { StatusNote } from '../components/StatusNote';
import { UploadCertificateDialog } from '../components/UploadCertificateDialog';
import { can } from '../session';
import type { Certificate, OrgMembership } from '../types';
import { useResource } from '../useResource';
import { useTitle } from '../useTitle';

interface Props {
  org: OrgMembership;
}

export const MANAGE_CERTS_DENIED = 'Only admins and owners of this organization can upload or revoke certificates.';

export function CertificatesPage({ org }: Props) {
  useTitle('Certificates');
  const canManage = can(org, 'integrations.manage');
  const { data, error, loading, reload } = useResource(
    org.code,
    (signal) => certificates.list(org.code, signal),
    'Could not load the certificates.',
  );
  const [uploading, setUploading] = useState(false);
  const [revoking, setRevoking] = useState<Certificate | null>(null);
  const [note, setNote] = useState<string | null>(null);

  const list = data?.certificates ?? [];
  const hasRows = list.length > 0;

  const openUpload = () => {
    setNote(null);
    setUploading(true);
  };

  const uploadButton = (
    <GuardedButton
      id="upload-certificate-button"
      allowed={canManage}
      reason={MANAGE_CERTS_DENIED}
      role={org.role}
      showReason
      icon="upload"
      onClick={openUpload}
    >
      Upload Certificate
    </GuardedButton>
  );

  return (
    <>
      <PageHeader
        title="Certificates"
        description={`The taxpayer certificates ${org.name} fiscalizes invoices with. Each integration signs through one of them; the V-SDC address and TIN come from the certificate.`}
        actions={hasRows ? uploadButton : undefined}
      />
      <StatusNote message={note} />

      <LoadState loading={loading} error={error} label="Loading certificates…" onRetry={reload} />

      {data &&
        (hasRows ? (
          <CertificatesTable
            certificates={list}
            canManage={canManage}
            deniedReason={MANAGE_CERTS_DENIED}
            onRevoke={(c) => {
              setNote(null);
              setRevoking(c);
            }}
          />
        ) : (
          <section class="panel" aria-label="Certificates list">
            <EmptyState icon="shield" title="No certificates yet" action={uploadButton}>
              <p>
                Upload the taxpayer certificate (PFX file), its password and the PAC you received from the tax
                authority. fiscalhub signs every invoice it fiscalizes for {org.name} with it.
              </p>
            </EmptyState>
          </section>
        ))}

      {uploading && (
        <UploadCertificateDialog
          orgCode={org.code}
          onClose={() => setUploading(false)}
          onUploaded={(c) => {
            setUploading(false);
            setNote(`Certificate ${c.uid} (${c.taxpayer}) uploaded.`);
            reload();
          }}
        />
      )}

      {revoking && (
        <ConfirmDialog
          id="revoke-certificate"
          title={`Revoke certificate ${revoking.uid}?`}
          confirmLabel="Revoke certificate"
          busyLabel="Revoking…"
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            const c = await certificates.revoke(org.code, revoking.uid);
            setRevoking(null);
            setNote(`Certificate ${c.uid} revoked.`);
            reload();
          }}
        >
          <p>
            <strong>{revoking.taxpayer}</strong>
            {revoking.location ? `, ${revoking.location}` : ''}.
          </p>
          <p>
            Revoking is final. fiscalhub erases the stored certificate file, password and PAC at once, so no invoice
            can be fiscalized with this certificate again, and its UID cannot be uploaded to this organization again.
            Invoices already fiscalized stay in the history.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
