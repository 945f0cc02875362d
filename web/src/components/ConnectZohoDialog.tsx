// Connect Zoho Books, step 2: the data center of the Zoho account, which
// invoices to fiscalize and the earlier ones the first sync reads, then
// Connect (ConnectDialog creates the integration and sends the browser to the
// Zoho sign-in of that data center).
import { useState } from 'preact/hooks';
import type { OAuthPlatform } from '../integrations';
import type { Certificate } from '../types';
import { DEFAULT_DATA_CENTER, DEFAULT_FISCALIZE } from '../zoho';
import { BackfillSelect } from './BackfillSelect';
import { ConnectDialog } from './ConnectDialog';
import { DataCenterSelect } from './DataCenterSelect';
import { FiscalizeFieldset } from './FiscalizeFieldset';

interface Props {
  orgCode: string;
  platform: OAuthPlatform;
  certificate: Certificate;
  onChangeCertificate: () => void;
  onClose: () => void;
}

export function ConnectZohoDialog({ orgCode, platform, certificate, onChangeCertificate, onClose }: Props) {
  const [dataCenter, setDataCenter] = useState(DEFAULT_DATA_CENTER);
  const [fiscalize, setFiscalize] = useState(DEFAULT_FISCALIZE);
  const [backfillDays, setBackfillDays] = useState(0);
  const [busy, setBusy] = useState(false);
  return (
    <ConnectDialog
      id="connect-zoho"
      title="Connect Zoho Books"
      orgCode={orgCode}
      platform={platform}
      certificate={certificate}
      settings={{ data_center: dataCenter, fiscalize, backfill_days: backfillDays }}
      onChangeCertificate={onChangeCertificate}
      onClose={onClose}
      onBusy={setBusy}
      initialFocus="connect-zoho-dc"
      footnote="Zoho asks you to sign in, choose the Zoho Books organization to connect and accept. Zoho then brings you back here, and the integration is Active. Set up the workflow webhook afterwards (the Integrations page shows how); until then fiscalhub checks Zoho Books for new invoices regularly (as often as your plan allows: every 15 minutes on Starter, every 6 on Growth and Scale)."
    >
      <DataCenterSelect id="connect-zoho-dc" value={dataCenter} onChange={setDataCenter} disabled={busy} />
      <FiscalizeFieldset id="connect-zoho" value={fiscalize} onChange={setFiscalize} disabled={busy} />
      <BackfillSelect
        id="connect-zoho-backfill"
        platformName="Zoho Books"
        rule="your choice above"
        value={backfillDays}
        onChange={setBackfillDays}
        disabled={busy}
      />
    </ConnectDialog>
  );
}
