// Connection usage, invoices this month and the subscription state, from the
// `usage` object of GET /api/orgs/{org}/integrations. Invoices on hold link to
// POS Invoices filtered to them.
import { formatDate, isPast, plural, ratio } from '../format';
import type { Usage } from '../types';
import { Link } from './Link';

interface Props {
  usage: Usage;
}

export function UsagePanel({ usage }: Props) {
  const connectionsFull = usage.active_connections >= usage.connection_limit;
  const invoicesFull = usage.invoices_this_month >= usage.invoice_limit;
  const expired = isPast(usage.expires_at);
  return (
    <section class="usage" aria-labelledby="usage-heading">
      <h2 id="usage-heading" class="visually-hidden">
        Usage
      </h2>
      <dl class="usage-grid">
        <div class="stat">
          <dt class="stat-label">Connection usage</dt>
          <dd class="stat-value" data-testid="usage-connections">
            {ratio(usage.active_connections, usage.connection_limit)}
          </dd>
          <dd class="stat-meter">
            <meter
              min={0}
              max={Math.max(usage.connection_limit, 1)}
              value={usage.active_connections}
              high={Math.max(usage.connection_limit, 1) * 0.99}
              aria-hidden="true"
            />
          </dd>
          <dd class="stat-note" data-testid="usage-connections-note">
            {usage.active_connections > usage.connection_limit
              ? usage.active_connections - usage.connection_limit === 1
                ? 'Over the limit: the newest integration waits for a seat'
                : `Over the limit: the ${usage.active_connections - usage.connection_limit} newest integrations wait for a seat`
              : connectionsFull
                ? 'Limit reached'
                : 'Active integrations vs. your limit'}
          </dd>
        </div>
        <div class="stat">
          <dt class="stat-label">Invoices this month</dt>
          <dd class="stat-value" data-testid="usage-invoices">
            {ratio(usage.invoices_this_month, usage.invoice_limit)}
          </dd>
          <dd class="stat-meter">
            <meter
              min={0}
              max={Math.max(usage.invoice_limit, 1)}
              value={usage.invoices_this_month}
              high={Math.max(usage.invoice_limit, 1) * 0.8}
              aria-hidden="true"
            />
          </dd>
          <dd class="stat-note">
            {usage.invoices_on_hold ? (
              <>
                <Link href="/pos/invoices?status=on_hold" testId="usage-on-hold">
                  {plural(usage.invoices_on_hold, 'invoice', 'invoices')} on hold
                </Link>{' '}
                until the plan allows {usage.invoices_on_hold === 1 ? 'it' : 'them'}
              </>
            ) : invoicesFull
                ? 'Limit reached: new invoices wait until next month'
                : 'Fiscalized across all integrations'}
          </dd>
        </div>
        <div class="stat">
          <dt class="stat-label">{usage.expires_at ? 'Subscription expiry' : 'Subscription'}</dt>
          <dd class="stat-value" data-testid="usage-subscription">
            {usage.expires_at ? (
              <time dateTime={usage.expires_at} class={expired ? 'text-danger' : undefined}>
                {formatDate(usage.expires_at)}
              </time>
            ) : usage.trial ? (
              'Free trial'
            ) : (
              'No expiry'
            )}
          </dd>
          <dd class="stat-note">
            {usage.trial ? (
              <>
                Trial allowance: {plural(usage.connection_limit, 'connection', 'connections')},{' '}
                {plural(usage.invoice_limit, 'invoice', 'invoices')} a month
              </>
            ) : expired ? (
              'Expired: renew to keep syncing'
            ) : (
              `${usage.tier_name ?? 'Paid'} plan`
            )}
          </dd>
        </div>
      </dl>
    </section>
  );
}
