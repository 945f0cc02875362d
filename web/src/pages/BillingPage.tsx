// Billing → Subscriptions: the organization's plan (tier, source - Stripe or a masked key -,
// start and expiry, seats used/total, invoices used/limit this month, invoices on hold), Upgrade
// Plan (Activate Key / Purchase Seats; for a card-paid plan that has not ended, the way to
// Stripe's customer portal instead), and the Stripe customer portal for card-paid plans: "Change
// seats, plan or payment" while the subscription runs (its seats and tier change there),
// "Manage payment and invoices" once it has ended.
// Stripe's checkout sends the buyer back here with ?checkout=success|canceled, its customer
// portal without a query.
import { useState } from 'preact/hooks';
import { billingApi, stripePlanRunning, type Billing } from '../billing';
import { ApiErrorAlert } from '../components/ApiErrorAlert';
import { LoadState } from '../components/LoadState';
import { PageHeader } from '../components/PageHeader';
import { StatusNote } from '../components/StatusNote';
import { UpgradePlanDialog } from '../components/UpgradePlanDialog';
import { formatDate, formatEvery, formatSpan, fullStop, isPast, plural, ratio } from '../format';
import { can } from '../session';
import type { OrgMembership } from '../types';
import { useCustomerPortal } from '../useCustomerPortal';
import { useResource } from '../useResource';
import { useTitle } from '../useTitle';

interface Props {
  org: OrgMembership;
}

function planLine(b: Billing): string {
  const allowance = `${plural(b.plan.seats, 'connection', 'connections')}, ${plural(
    b.invoice_limit,
    'invoice',
    'invoices',
  )} per month`;
  return b.plan.trial ? `Free trial: ${allowance}` : `${b.plan.name}: ${allowance}`;
}

function sourceLine(b: Billing): string {
  if (b.source === 'stripe')
    return `Card through Stripe, ${b.stripe?.interval === 'year' ? 'yearly' : 'monthly'}${
      b.stripe?.cancel_at_period_end ? ' (cancels at the end of the period)' : ''
    }`;
  if (b.source === 'key') return `Activation key ${b.key ?? ''}`;
  return 'Free trial';
}

function checkoutReturn(): string | null {
  const q = new URLSearchParams(window.location.search);
  const c = q.get('checkout');
  if (c === null) return null;
  window.history.replaceState(null, '', window.location.pathname);
  return c === 'success'
    ? 'Payment received. Your plan changes as soon as Stripe confirms it, usually within seconds.'
    : 'The checkout was canceled; nothing was charged.';
}

/** "Webhooks within 1 minute, polling every 5 minutes" - the plan's sync speed in words. */
function syncText(s: Billing['plan']['sync']): string {
  const poll = `polling ${formatEvery(s.poll_seconds)}`;
  if (s.webhook_delay_seconds === null) return `Polling only, ${formatEvery(s.poll_seconds)}`;
  if (s.webhook_delay_seconds === 0) return `Webhooks at once, ${poll}`;
  return `Webhooks within ${formatSpan(s.webhook_delay_seconds)}, ${poll}`;
}

function Fact({ label, children, id }: { label: string; children: preact.ComponentChildren; id: string }) {
  return (
    <div class="fact">
      <dt>{label}</dt>
      <dd data-testid={id}>{children}</dd>
    </div>
  );
}

export function BillingPage({ org }: Props) {
  useTitle('Billing');
  const { data, error, loading, reload, refresh } = useResource(
    org.code,
    (signal) => billingApi.get(org.code, signal),
    'Could not load the plan.',
  );
  const [note, setNote] = useState<string | null>(checkoutReturn);
  const [upgrading, setUpgrading] = useState(false);
  const portal = useCustomerPortal(org.code);
  const canBuy = can(org, 'billing.manage');

  return (
    <>
      <PageHeader
        title="Billing"
        description={`Plan and usage of ${org.name}${fullStop(org.name)}`}
        actions={
          canBuy ? (
            <button type="button" class="btn btn--primary" onClick={() => setUpgrading(true)}>
              Upgrade Plan
            </button>
          ) : undefined
        }
      />
      <StatusNote message={note} />
      <LoadState loading={loading} error={error} label="Loading your plan…" onRetry={reload} />
      {data && (
        <section class="panel" aria-labelledby="subscriptions-heading">
          <div class="panel-header">
            <h2 id="subscriptions-heading" class="panel-title">
              Subscriptions
            </h2>
          </div>
          <div class="subscription-body">
            <h3 class="plan-line">{planLine(data)}</h3>
            <dl class="facts">
              <Fact label="Plan" id="billing-plan">
                {data.plan.trial ? 'Free trial' : data.plan.name}
              </Fact>
              <Fact label="Source" id="billing-source">
                {sourceLine(data)}
              </Fact>
              <Fact label="Started" id="billing-start">
                {data.starts_at ? formatDate(data.starts_at) : '—'}
              </Fact>
              <Fact label="Expires" id="billing-expiry">
                {data.expires_at ? (
                  <time dateTime={data.expires_at} class={isPast(data.expires_at) ? 'text-danger' : undefined}>
                    {formatDate(data.expires_at)}
                    {data.expired ? ' (expired)' : ''}
                  </time>
                ) : (
                  'No expiry'
                )}
              </Fact>
              <Fact label="Seats used" id="billing-seats">
                {ratio(data.seats_used, data.plan.seats)}
              </Fact>
              <Fact label="Sync" id="billing-sync">
                {syncText(data.plan.sync)}
              </Fact>
              <Fact label="Invoices this month" id="billing-invoices">
                {ratio(data.invoices_this_month, data.invoice_limit)}
              </Fact>
              <Fact label="On hold" id="billing-on-hold">
                {data.invoices_on_hold === 0
                  ? 'None'
                  : `${plural(data.invoices_on_hold, 'invoice waits', 'invoices wait')} for the plan to allow ${
                      data.invoices_on_hold === 1 ? 'it' : 'them'
                    }`}
              </Fact>
            </dl>
            {portal.error !== null && <ApiErrorAlert error={portal.error} fallback="The customer portal could not open." />}
            {canBuy && data.stripe?.portal && (
              <div class="billing-actions">
                <button type="button" class="btn btn--secondary" onClick={() => void portal.open()} disabled={portal.opening}>
                  {portal.opening
                    ? 'Opening…'
                    : stripePlanRunning(data)
                      ? 'Change seats, plan or payment'
                      : 'Manage payment and invoices'}
                </button>
              </div>
            )}
          </div>
        </section>
      )}
      {upgrading && (
        <UpgradePlanDialog
          orgCode={org.code}
          onClose={() => setUpgrading(false)}
          onActivated={(_b, r) => {
            setUpgrading(false);
            setNote(`Key activated: ${r.tier_name}, ${plural(r.seats, 'seat', 'seats')}, until ${formatDate(r.expires_at)}.`);
            refresh();
          }}
        />
      )}
    </>
  );
}
