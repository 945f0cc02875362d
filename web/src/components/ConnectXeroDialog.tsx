// Connect Xero, step 2: the fiscalization trigger and the earlier invoices the
// first sync reads, then Connect (ConnectDialog creates the integration and
// sends the browser to Xero's consent page).
import { useState } from 'preact/hooks';
import { DEFAULT_TRIGGER, type OAuthPlatform } from '../integrations';
import type { Certificate, XeroTrigger } from '../types';
import { BackfillSelect } from './BackfillSelect';
import { ConnectDialog } from './ConnectDialog';
import { TriggerFieldset } from './TriggerFieldset';

interface Props {
  orgCode: string;
  platform: OAuthPlatform;
  certificate: Certificate;
  onChangeCertificate: () => void;
  onClose: () => void;
}

export function ConnectXeroDialog({ orgCode, platform, certificate, onChangeCertificate, onClose }: Props) {
  const [trigger, setTrigger] = useState<XeroTrigger>(DEFAULT_TRIGGER);
  const [backfillDays, setBackfillDays] = useState(0);
  const [busy, setBusy] = useState(false);
  return (
    <ConnectDialog
      id="connect-xero"
      title="Connect Xero"
      orgCode={orgCode}
      platform={platform}
      certificate={certificate}
      settings={{ trigger, backfill_days: backfillDays }}
      onChangeCertificate={onChangeCertificate}
      onClose={onClose}
      onBusy={setBusy}
      initialFocus={`connect-xero-${trigger}`}
      footnote="Xero asks you to log in, pick the organisation to connect and allow access. Xero then brings you back here, and the integration is Active."
    >
      <TriggerFieldset id="connect-xero" value={trigger} onChange={setTrigger} disabled={busy} />
      <BackfillSelect
        id="connect-xero-backfill"
        platformName="Xero"
        rule="the trigger"
        value={backfillDays}
        onChange={setBackfillDays}
        disabled={busy}
      />
    </ConnectDialog>
  );
}
