// Integrations → Integrations: codes, usage, pending setups and the table of
// connected platforms (or the empty state), with each row's actions.
//
// The consent of Xero or Zoho Books comes back here (through
// /oauth/xero/callback, /oauth/zoho/callback) as ?connected=<uid> (a success
// notice; the row is Active) or ?error=<code>&uid=<uid> (what went wrong, with
// Resume or Reconnect). The query is read once and removed from the address,
// so a reload does not repeat the notice; the notice names the platform once
// the list says which the integration is.
//
// Under the table, each active Zoho Books integration has its Webhook Setup
// panel.
//
// The page does not poll. After Look again, and after a certificate change of
// an integration with documents not fiscalized (the server looks at them
// again then too), it reloads the list in the background a few times
// (FOLLOW_UP_MS), so documents that are now fiscalized leave the warning
// without a reload.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ConsentError } from '../components/ConsentError';
import { ChangeCertificateDialog } from '../components/ChangeCertificateDialog';
import { ChangeXeroSettingsDialog } from '../components/ChangeXeroSettingsDialog';
import { ChangeZohoSettingsDialog } from '../components/ChangeZohoSettingsDialog';
import { CopyField } from '../components/CopyField';
import { CreateIntegrationButton } from '../components/CreateIntegrationButton';
import { EmptyState } from '../components/EmptyState';
import { MANAGE_DENIED } from '../components/IntegrationActions';
import { IntegrationsTable } from '../components/IntegrationsTable';
import { LoadState } from '../components/LoadState';
import { PageHeader } from '../components/PageHeader';
import { PendingSection } from '../components/PendingSection';
import { StatusNote } from '../components/StatusNote';
import { TaxMappingDialog } from '../components/TaxMappingDialog';
import { UpgradePlanDialog } from '../components/UpgradePlanDialog';
import { UsagePanel } from '../components/UsagePanel';
import { ZohoWebhookPanel } from '../components/ZohoWebhookPanel';
import { formatDate, plural } from '../format';
import { integrationsApi, oauthPlatform, triggerLabel } from '../integrations';
import { portal } from '../portal';
import { can } from '../session';
import type { Integration, Me, OrgMembership, PendingIntegration } from '../types';
import { useResource } from '../useResource';
import { useTitle } from '../useTitle';

interface Props {
  me: Me;
  org: OrgMembership;
}

interface ConsentReturn {
  connected: string | null;
  error: string | null;
  uid: string;
}

const UID_RE = /^[A-Za-z0-9_-]{1,32}$/;

/** The consent outcome in the address, once; the address is then cleaned. */
function readConsentReturn(): ConsentReturn | null {
  const q = new URLSearchParams(window.location.search);
  const connected = q.get('connected');
  const error = q.get('error');
  if (connected === null && error === null) return null;
  window.history.replaceState(null, '', window.location.pathname);
  const uid = connected ?? q.get('uid') ?? '';
  return {
    connected: connected !== null && UID_RE.test(connected) ? connected : null,
    error: error !== null ? error.slice(0, 60) : null,
    uid: UID_RE.test(uid) ? uid : '',
  };
}

type Removing = Integration | PendingIntegration;

/** When the list is read again after documents were sent to be looked at again. */
const FOLLOW_UP_MS = [1500, 4000, 10000, 20000];

export function IntegrationsPage({ me, org }: Props) {
  useTitle('Integrations');
  const { data, error, loading, reload, refresh } = useResource(
    org.code,
    (signal) => portal.integrations(org.code, signal),
    'Could not load the integrations.',
  );
  const canManage = can(org, 'integrations.manage');
  const canOperate = can(org, 'integrations.operate');
  const hasRows = !!data && data.integrations.length > 0;

  const [consent, setConsent] = useState<ConsentReturn | null>(readConsentReturn);
  const [note, setNoteText] = useState<string | null>(null);
  // The integration a consent just connected, until another message replaces the notice.
  const [connectedUid, setConnectedUid] = useState<string | null>(consent?.connected ?? null);
  const [changing, setChanging] = useState<Integration | null>(null);
  const [mapping, setMapping] = useState<Integration | null>(null);
  const [recertifying, setRecertifying] = useState<Integration | null>(null);
  const [upgrading, setUpgrading] = useState(false);
  const [removing, setRemoving] = useState<Removing | null>(null);

  const followUps = useRef<number[]>([]);
  useEffect(() => () => followUps.current.forEach((t) => window.clearTimeout(t)), []);
  /** Reads the list again a few times over the next seconds. */
  const followUp = () => {
    followUps.current.forEach((t) => window.clearTimeout(t));
    followUps.current = FOLLOW_UP_MS.map((ms) => window.setTimeout(refresh, ms));
  };

  const setNote = (text: string | null) => {
    setConnectedUid(null);
    setNoteText(text);
  };

  const find = (uid: string | null | undefined) =>
    uid && data ? ([...data.integrations, ...data.pending] as Removing[]).find((i) => i.uid === uid) ?? null : null;
  const connected = connectedUid && data ? find(connectedUid) : null;
  const connectedNote =
    connectedUid && data
      ? `${oauthPlatform(connected?.type)?.name ?? 'The integration'} is connected: integration ${connectedUid} is Active, and fiscalhub has started fetching its invoices.`
      : null;

  const consentError = consent?.error ? consent : null;
  const removingPending = !!removing && removing.status === 'pending';
  const removingPlatform = oauthPlatform(removing?.type);
  const zohoPanels = data?.integrations.filter((i) => i.type === 'zoho_books' && i.status === 'active') ?? [];

  return (
    <>
      <PageHeader
        title="Integrations"
        description={`The platforms ${org.name} has connected; fiscalhub fiscalizes their invoices and writes the fiscal result back.`}
        actions={
          <>
            {can(org, 'billing.manage') && (
              <button type="button" class="btn btn--secondary" onClick={() => setUpgrading(true)}>
                Upgrade Plan
              </button>
            )}
            {hasRows && <CreateIntegrationButton orgCode={org.code} canManage={canManage} role={org.role} showReason />}
          </>
        }
      />
      {upgrading && (
        <UpgradePlanDialog
          orgCode={org.code}
          onClose={() => setUpgrading(false)}
          onActivated={(_b, r) => {
            setUpgrading(false);
            setNote(`Key activated: ${r.tier_name}, ${r.seats} seats, until ${formatDate(r.expires_at)}.`);
            refresh();
          }}
        />
      )}

      <StatusNote message={note ?? connectedNote} />
      {consentError && (data || error) && (
        <ConsentError
          orgCode={org.code}
          code={consentError.error ?? ''}
          uid={consentError.uid}
          platform={oauthPlatform(find(consentError.uid)?.type)}
          connected={!!data?.integrations.some((i) => i.uid === consentError.uid)}
          canManage={canManage}
          deniedReason={MANAGE_DENIED}
          onDismiss={() => setConsent(null)}
        />
      )}

      <section class="panel summary" aria-labelledby="summary-heading">
        <h2 id="summary-heading" class="visually-hidden">
          Account codes
        </h2>
        <dl class="summary-codes">
          <CopyField id="tenant-code" label="Tenant Code" value={me.tenant.code} />
          <CopyField id="org-code" label="Organization Code" value={org.code} />
        </dl>
      </section>

      <LoadState loading={loading} error={error} label="Loading integrations…" onRetry={reload} />

      {data && (
        <>
          <UsagePanel usage={data.usage} />
          {data.pending.length > 0 && (
            <PendingSection
              orgCode={org.code}
              pending={data.pending}
              canManage={canManage}
              onRemove={(p) => {
                setNote(null);
                setRemoving(p);
              }}
            />
          )}
          {hasRows ? (
            <IntegrationsTable
              orgCode={org.code}
              integrations={data.integrations}
              usage={data.usage}
              canManage={canManage}
              canOperate={canOperate}
              onChanged={() => {
                setNote(null);
                refresh();
              }}
              onLookedAgain={followUp}
              onChangeSettings={(it) => {
                setNote(null);
                setChanging(it);
              }}
              onTaxMapping={(it) => {
                setNote(null);
                setMapping(it);
              }}
              onChangeCertificate={(it) => {
                setNote(null);
                setRecertifying(it);
              }}
              onRemove={(it) => {
                setNote(null);
                setRemoving(it);
              }}
            />
          ) : (
            <section class="panel" aria-label="Integrations list">
              <EmptyState
                icon="plug"
                title="No integrations yet"
                action={<CreateIntegrationButton orgCode={org.code} canManage={canManage} role={org.role} showReason />}
              >
                <p>
                  Connect Xero, Zoho Books or your own software. fiscalhub signs each invoice that must be fiscalized
                  with your fiscal certificate, reports it to the tax authority exactly once, and writes the fiscal
                  number, verification URL and QR code back to where the invoice came from.
                </p>
              </EmptyState>
            </section>
          )}
          {zohoPanels.map((it) => (
            <ZohoWebhookPanel key={it.uid} orgCode={org.code} integration={it} canManage={canManage} onChanged={refresh} />
          ))}
        </>
      )}

      {changing?.type === 'zoho_books' && (
        <ChangeZohoSettingsDialog
          orgCode={org.code}
          integration={changing}
          onClose={() => setChanging(null)}
          onSaved={(updated) => {
            setChanging(null);
            setNote(`The settings of integration ${updated.uid ?? changing.uid} were saved.`);
            refresh();
          }}
        />
      )}

      {recertifying && (
        <ChangeCertificateDialog
          orgCode={org.code}
          integration={recertifying}
          onClose={() => setRecertifying(null)}
          onSaved={(updated) => {
            const waiting = recertifying.not_fiscalized?.count ?? 0;
            setRecertifying(null);
            setNote(
              `Integration ${updated.uid} now signs the invoices it receives with certificate ${updated.certificate_uid}.${
                waiting > 0 ? ` fiscalhub is looking at its ${plural(waiting, 'document', 'documents')} not fiscalized again.` : ''
              }`,
            );
            refresh();
            if (waiting > 0) followUp();
          }}
        />
      )}

      {mapping && (
        <TaxMappingDialog
          orgCode={org.code}
          integration={mapping}
          onClose={() => setMapping(null)}
          onSaved={(updated) => {
            setMapping(null);
            setNote(`The tax mapping of integration ${updated.uid ?? mapping.uid} was saved; it applies to invoices fiscalized from now on.`);
            refresh();
          }}
        />
      )}

      {changing?.type === 'xero' && (
        <ChangeXeroSettingsDialog
          orgCode={org.code}
          integration={changing}
          onClose={() => setChanging(null)}
          onSaved={(updated, trigger) => {
            const uid = updated.uid ?? changing.uid;
            setChanging(null);
            setNote(
              trigger
                ? `Integration ${uid} now fiscalizes ${triggerLabel(trigger).toLowerCase()}.`
                : `The settings of integration ${uid} were saved.`,
            );
            refresh();
          }}
        />
      )}

      {removing?.uid && (
        <ConfirmDialog
          id="remove-integration"
          title={removingPending ? `Remove the setup ${removing.uid}?` : `Remove integration ${removing.uid}?`}
          confirmLabel={removingPending ? 'Remove setup' : 'Remove integration'}
          busyLabel="Removing…"
          danger
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            const uid = removing.uid as string;
            await integrationsApi.remove(org.code, uid);
            setRemoving(null);
            setNote(removingPending ? `The setup ${uid} was removed.` : `Integration ${uid} was removed.`);
            if (consent?.uid === uid) setConsent(null);
            refresh();
          }}
        >
          {removingPending ? (
            <p>
              The {removing.type_name ?? 'integration'} setup is discarded. It never connected, so nothing was
              synced or fiscalized through it. You can start a new one from Create Integration.
            </p>
          ) : (
            <>
              <p>
                <strong>
                  {removing.type_name ?? removing.type}
                  {removing.tenant_name ? ` · ${removing.tenant_name}` : ''}
                </strong>
              </p>
              <p>
                Syncing stops at once: fiscalhub no longer fetches or fiscalizes invoices from{' '}
                {removingPlatform?.name ?? 'this platform'} and writes nothing more back.
                {removing.type === 'xero' &&
                  ' fiscalhub’s access to the Xero organisation is revoked (the connection is removed in Xero).'}
                {removing.type === 'zoho_books' &&
                  ' fiscalhub’s access to Zoho Books is revoked (its token is revoked at Zoho), and the webhook URL stops accepting deliveries; delete the workflow rule in Zoho Books too.'}
              </p>
              <p>
                Invoices already fiscalized stay in POS Invoices, with their fiscal numbers and verification links. To
                sync this {removingPlatform?.org ?? 'organization'} again later, create a new integration.
              </p>
            </>
          )}
        </ConfirmDialog>
      )}
    </>
  );
}
