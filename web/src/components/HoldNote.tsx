// Why an invoice is on hold (its hold_reason, as the server words it) and what
// releases it (docs/api/billing.md "Invoices on hold", src/billing/release.c):
// nothing is dropped, and fiscalhub fiscalizes held invoices by itself, oldest
// first, as soon as the plan allows them. A month's limit used up: the new
// month (UTC), or a plan with a higher monthly limit (an activation key, or
// seats bought through Stripe). An expired licence: only a renewal or a new
// key; a new month releases nothing while the licence is expired. An
// integration over the seat limit: a seat for it (another integration
// removed, or more seats).
import { Link } from './Link';
import { Warning } from './Warning';

interface Props {
  reason: string | null | undefined;
  /** What the invoice waits for (hold_kind); an expired licence outweighs it. */
  kind?: string | null;
  /** The organization's licence has expired (usage.expired); undefined while unknown. */
  expired: boolean | undefined;
  /** The user may change the plan (billing.manage: owners). */
  canBuy: boolean;
}

export function HoldNote({ reason, kind, expired, canBuy }: Props) {
  return (
    <Warning testId="hold-note" title="On hold: the plan does not allow this invoice yet.">
      {reason && (
        <p class="alert-detail" data-testid="hold-reason">
          {reason}
        </p>
      )}
      <p class="alert-detail" data-testid="hold-release">
        {expired === undefined
          ? 'Nothing is lost and nothing needs to be sent again: fiscalhub fiscalizes the invoices on hold automatically, oldest first, as soon as the plan allows them.'
          : expired
            ? 'Nothing is lost and nothing needs to be sent again: once the plan is renewed or a new key is activated on Billing, fiscalhub fiscalizes the invoices on hold automatically, oldest first. A new month does not release them while the licence is expired.'
            : kind === 'seat_limit'
              ? "Nothing is lost and nothing needs to be sent again: fiscalhub fiscalizes this integration's invoices on hold automatically, oldest first, as soon as it has a seat: when another integration is removed, or the plan gets more seats on Billing. A new month does not release them."
              : 'Nothing is lost and nothing needs to be sent again: fiscalhub fiscalizes the invoices on hold automatically, oldest first, when the new month starts (UTC), or as soon as a plan with a higher monthly invoice limit is activated on Billing (an activation key, or seats purchased by card).'}
        {canBuy ? '' : ' Only an owner of the organization can change its plan.'}
      </p>
      <Link href="/billing" class="btn btn--secondary btn--small">
        Go to Billing
      </Link>
    </Warning>
  );
}
