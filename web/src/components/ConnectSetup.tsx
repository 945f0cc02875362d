// Connecting an OAuth platform (Xero, Zoho Books) on the Create Integration
// page: choose (or upload) a certificate, then the platform's step 2 dialog
// (Connect Xero: the trigger; Connect Zoho Books: the data center and which
// invoices to fiscalize). One dialog shows at a time; the flow ends by
// leaving for the platform's consent page or by Cancel.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { certificates as certificatesApi } from '../certificates';
import { isPast } from '../format';
import type { OAuthPlatform } from '../integrations';
import type { Certificate, OrgMembership } from '../types';
import { ChooseCertificateDialog } from './ChooseCertificateDialog';
import { ConnectXeroDialog } from './ConnectXeroDialog';
import { ConnectZohoDialog } from './ConnectZohoDialog';
import { UploadCertificateDialog } from './UploadCertificateDialog';

interface Props {
  org: OrgMembership;
  platform: OAuthPlatform;
  onClose: () => void;
}

type Step = 'certificate' | 'upload' | 'settings';

const usable = (c: Certificate) => c.status === 'active' && !isPast(c.expires_at);

export function ConnectSetup({ org, platform, onClose }: Props) {
  const [step, setStep] = useState<Step>('certificate');
  const [list, setList] = useState<Certificate[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [nonce, setNonce] = useState(0);
  const [selected, setSelected] = useState<string | null>(null);

  useEffect(() => {
    const ctl = new AbortController();
    setLoadError(null);
    certificatesApi
      .list(org.code, ctl.signal)
      .then((r) => {
        const active = r.certificates.filter(usable);
        setList(active);
        // The newest certificate is the likely one.
        setSelected((s) => s ?? active[active.length - 1]?.uid ?? null);
      })
      .catch((e: unknown) => {
        if (ctl.signal.aborted) return;
        setLoadError(e instanceof ApiError ? e.message : 'Could not load the certificates.');
      });
    return () => ctl.abort();
  }, [org.code, nonce]);

  const chosen = list?.find((c) => c.uid === selected) ?? null;

  if (step === 'upload') {
    return (
      <UploadCertificateDialog
        orgCode={org.code}
        onClose={() => setStep('certificate')}
        onUploaded={(c) => {
          setList((l) => [...(l ?? []).filter((x) => x.uid !== c.uid), c]);
          setSelected(c.uid);
          setStep('settings');
        }}
      />
    );
  }
  if (step === 'settings' && chosen) {
    const Dialog = platform.type === 'zoho_books' ? ConnectZohoDialog : ConnectXeroDialog;
    return (
      <Dialog
        orgCode={org.code}
        platform={platform}
        certificate={chosen}
        onChangeCertificate={() => setStep('certificate')}
        onClose={onClose}
      />
    );
  }
  return (
    <ChooseCertificateDialog
      orgName={org.name}
      platform={platform}
      certificates={list}
      loadError={loadError}
      onRetry={() => setNonce((n) => n + 1)}
      selected={selected}
      onSelect={setSelected}
      onUpload={() => setStep('upload')}
      onNext={() => setStep('settings')}
      onClose={onClose}
    />
  );
}
