// The Xero setup flow on the Create Integration page: choose (or upload) a
// certificate, then the Connect Xero dialog. One dialog shows at a time; the
// flow ends by leaving for Xero's consent page or by Cancel.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { certificates as certificatesApi } from '../certificates';
import { isPast } from '../format';
import type { Certificate, OrgMembership } from '../types';
import { ChooseCertificateDialog } from './ChooseCertificateDialog';
import { ConnectXeroDialog } from './ConnectXeroDialog';
import { UploadCertificateDialog } from './UploadCertificateDialog';

interface Props {
  org: OrgMembership;
  onClose: () => void;
}

type Step = 'certificate' | 'upload' | 'trigger';

const usable = (c: Certificate) => c.status === 'active' && !isPast(c.expires_at);

export function XeroSetup({ org, onClose }: Props) {
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
          setStep('trigger');
        }}
      />
    );
  }
  if (step === 'trigger' && chosen) {
    return (
      <ConnectXeroDialog
        orgCode={org.code}
        certificate={chosen}
        onChangeCertificate={() => setStep('certificate')}
        onClose={onClose}
      />
    );
  }
  return (
    <ChooseCertificateDialog
      orgName={org.name}
      certificates={list}
      loadError={loadError}
      onRetry={() => setNonce((n) => n + 1)}
      selected={selected}
      onSelect={setSelected}
      onUpload={() => setStep('upload')}
      onNext={() => setStep('trigger')}
      onClose={onClose}
    />
  );
}
