// Billing: the organization's plan as the usage object reports it. Buying a
// plan and redeeming reseller keys are not built yet; the page says so.
import { EmptyState } from '../components/EmptyState';
import { ErrorAlert } from '../components/ErrorAlert';
import { Loading } from '../components/Loading';
import { Notice } from '../components/Notice';
import { PageHeader } from '../components/PageHeader';
import { formatDate, plural } from '../format';
import type { OrgMembership, Usage } from '../types';
import { useIntegrations } from '../useIntegrations';
import { useTitle } from '../useTitle';

interface Props {
  org: OrgMembership;
}

function planLine(u: Usage): string {
  const allowance = `${plural(u.connection_limit, 'connection', 'connections')}, ${plural(
    u.invoice_limit,
    'invoice',
    'invoices',
  )} per month`;
  if (u.trial) return `Free trial: ${allowance}`;
  return `Plan: ${allowance}${u.expires_at ? `, valid until ${formatDate(u.expires_at)}` : ''}`;
}

export function BillingPage({ org }: Props) {
  useTitle('Billing');
  const { data, error, loading, reload } = useIntegrations(org.code);
  return (
    <>
      <PageHeader title="Billing" description={`Plan and usage of ${org.name}.`} />
      {loading && <Loading label="Loading your plan…" />}
      {error && (
        <ErrorAlert message={error}>
          <button type="button" class="btn btn--secondary btn--small" onClick={reload}>
            Try again
          </button>
        </ErrorAlert>
      )}
      {data && (
        <section class="panel" aria-label="Plan">
          <EmptyState icon="card" title={planLine(data.usage)}>
            <p>
              {data.usage.active_connections} of {plural(data.usage.connection_limit, 'connection', 'connections')} in
              use; {data.usage.invoices_this_month} of {data.usage.invoice_limit} invoices used this month.
            </p>
          </EmptyState>
        </section>
      )}
      <Notice>
        <p>
          Buying a plan online and redeeming a prepaid reseller key (INT-XXXX-XXXX-XXXX) are coming soon; they are not
          available in this version of fiscalhub yet.
        </p>
      </Notice>
    </>
  );
}
