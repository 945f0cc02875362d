// Integrations → a Custom / Webhook integration's deliveries: its endpoint
// (URL, events, header names) with Configure, and the delivery log with
// Redeliver. The log refreshes by itself while a delivery is pending, and
// pages back with "Show older".
import { useEffect, useState } from 'preact/hooks';
import { ApiErrorAlert } from '../components/ApiErrorAlert';
import { DeliveriesTable } from '../components/DeliveriesTable';
import { EmptyState } from '../components/EmptyState';
import { GuardedButton } from '../components/GuardedButton';
import { Icon } from '../components/Icon';
import { Link } from '../components/Link';
import { LoadState } from '../components/LoadState';
import { PageHeader } from '../components/PageHeader';
import { StatusNote } from '../components/StatusNote';
import { WebhookDialog } from '../components/WebhookDialog';
import { customApi, eventLabel, type Delivery } from '../custom';
import { can } from '../session';
import type { OrgMembership } from '../types';
import { useResource } from '../useResource';
import { useTitle } from '../useTitle';
import '../styles/custom.css';

interface Props {
  org: OrgMembership;
  uid: string;
}

const CONFIGURE_DENIED = 'Only admins and owners of this organization can change the endpoint.';
const REDELIVER_DENIED = 'Your role cannot redeliver events in this organization.';
const REFRESH_MS = 3000;

export function DeliveriesPage({ org, uid }: Props) {
  useTitle(`Deliveries · ${uid}`);
  const { data, error, loading, reload, refresh } = useResource(
    `${org.code}/${uid}`,
    async (signal) => {
      const [endpoint, page] = await Promise.all([
        customApi.webhook(org.code, uid, signal),
        customApi.deliveries(org.code, uid, null, signal),
      ]);
      return { endpoint, page };
    },
    'Could not load the deliveries.',
  );
  const [older, setOlder] = useState<Delivery[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [olderBusy, setOlderBusy] = useState(false);
  const [configuring, setConfiguring] = useState(false);
  const [busyId, setBusyId] = useState<number | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);

  const first = data?.page.deliveries ?? [];
  const all = [...first, ...older.filter((o) => !first.some((f) => f.id === o.id))];
  const pending = all.some((d) => d.status === 'pending');
  const nextCursor = older.length > 0 ? cursor : data?.page.next_cursor ?? null;

  useEffect(() => {
    if (!pending) return undefined;
    const t = window.setTimeout(refresh, REFRESH_MS);
    return () => window.clearTimeout(t);
  }, [data, pending]);

  const showOlder = async () => {
    if (!nextCursor) return;
    setOlderBusy(true);
    try {
      const p = await customApi.deliveries(org.code, uid, nextCursor);
      setOlder((o) => [...o, ...p.deliveries]);
      setCursor(p.next_cursor);
    } catch (e) {
      setActionError(e);
    }
    setOlderBusy(false);
  };

  const redeliver = async (d: Delivery) => {
    setBusyId(d.id);
    setActionError(null);
    setNote(null);
    try {
      await customApi.redeliver(org.code, uid, d.id);
      setNote(`Event ${d.event_id} is being delivered again.`);
      setOlder((o) => o.map((x) => (x.id === d.id ? { ...x, status: 'pending' } : x)));
      refresh();
    } catch (e) {
      setActionError(e);
    }
    setBusyId(null);
  };

  const ep = data?.endpoint;
  return (
    <>
      <Link href="/integrations" class="back-link">
        <Icon name="arrow-left" />
        Back to Integrations
      </Link>
      <PageHeader
        title="Webhook deliveries"
        description={
          <>
            Custom / Webhook integration <code class="uid">{uid}</code>. Every event is retried with backoff for 24 hours
            until the endpoint answers 2xx; Redeliver sends the same event (same id) again.
          </>
        }
        actions={
          <GuardedButton
            id="configure-webhook-button"
            allowed={can(org, 'integrations.manage')}
            reason={CONFIGURE_DENIED}
            variant="secondary"
            onClick={() => setConfiguring(true)}
          >
            Configure
          </GuardedButton>
        }
      />
      <StatusNote message={note} />
      {actionError !== null && (
        <ApiErrorAlert error={actionError} fallback="The request failed; please try again." />
      )}
      <LoadState loading={loading} error={error} label="Loading deliveries…" onRetry={reload} />
      {ep && (
        <section class="panel panel-pad endpoint-summary" aria-label="Endpoint">
          <dl class="facts">
            <div class="fact">
              <dt>Endpoint URL</dt>
              <dd>
                <code data-testid="endpoint-url">{ep.url}</code>
              </dd>
            </div>
            <div class="fact">
              <dt>Events</dt>
              <dd>{ep.events.map(eventLabel).join(', ')}</dd>
            </div>
            <div class="fact">
              <dt>Custom headers</dt>
              <dd>{ep.headers.length ? ep.headers.map((h) => h.name).join(', ') : 'None'}</dd>
            </div>
          </dl>
        </section>
      )}
      {data && (
        <section class="panel" aria-labelledby="deliveries-heading">
          <div class="panel-header">
            <h2 id="deliveries-heading" class="panel-title">
              Delivery log
            </h2>
            <button type="button" class="btn btn--ghost btn--small" onClick={refresh}>
              <Icon name="refresh" />
              Refresh
            </button>
          </div>
          {all.length === 0 ? (
            <EmptyState icon="inbox" title="No events sent yet">
              <p>Events appear here as soon as an invoice of this certificate is fiscalized or fails.</p>
            </EmptyState>
          ) : (
            <DeliveriesTable
              deliveries={all}
              canOperate={can(org, 'integrations.operate')}
              deniedReason={REDELIVER_DENIED}
              busyId={busyId}
              onRedeliver={redeliver}
            />
          )}
          {nextCursor && (
            <div class="panel-pad">
              <button type="button" class="btn btn--secondary btn--small" disabled={olderBusy} onClick={showOlder}>
                {olderBusy ? 'Loading…' : 'Show older'}
              </button>
            </div>
          )}
        </section>
      )}
      {configuring && ep && (
        <WebhookDialog
          orgCode={org.code}
          uid={uid}
          endpoint={ep}
          onClose={() => setConfiguring(false)}
          onSaved={(m) => {
            setConfiguring(false);
            setNote(m);
            reload();
          }}
        />
      )}
    </>
  );
}
