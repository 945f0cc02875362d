// Upgrade Plan for a plan paid by card through Stripe that has not ended (stripePlanRunning,
// billing.ts): the server refuses a second checkout (9013: it would start a second subscription,
// billed next to the first) and keys (9011) then, so instead of Purchase Seats and Activate Key
// the dialog says so and opens Stripe's customer portal, where the subscription's seats and tier
// change; fiscalhub applies Stripe's customer.subscription.updated to the plan.
import { useEffect } from 'preact/hooks';
import type { Billing } from '../billing';
import { formatDate, plural } from '../format';
import { useCustomerPortal } from '../useCustomerPortal';
import { ApiErrorAlert } from './ApiErrorAlert';

interface Props {
  orgCode: string;
  billing: Billing;
  onBusy: (busy: boolean) => void;
  onClose: () => void;
}

/** "Your Growth plan (3 seats) is paid by card through Stripe, monthly." */
export function cardPlanLine(b: Billing): string {
  const every = b.stripe?.interval === 'year' ? 'yearly' : 'monthly';
  return `Your ${b.plan.name} plan (${plural(b.plan.seats, 'seat', 'seats')}) is paid by card through Stripe, ${every}.`;
}

/** Why an activation key cannot be used now, and when it can. */
export function cardPlanKeyLine(b: Billing): string {
  const end = b.expires_at ? formatDate(b.expires_at) : null;
  if (b.stripe?.cancel_at_period_end)
    return `An activation key cannot be used while this subscription runs: it is canceled at the end of its period${
      end ? `, on ${end}` : ''
    }, and a key can be activated once it has ended.`;
  return 'An activation key cannot be used while this subscription runs: cancel it in the customer portal, and activate the key once it has ended.';
}

export function CardPlanStep({ orgCode, billing: b, onBusy, onClose }: Props) {
  const portal = useCustomerPortal(orgCode);
  useEffect(() => onBusy(portal.opening), [portal.opening]);
  return (
    <div class="stack" data-testid="card-plan">
      <div class="modal-text">
        <p>{cardPlanLine(b)}</p>
        <p>
          Change its seats or tier in Stripe's customer portal; the plan here follows as soon as Stripe confirms the
          change. Purchasing seats here would start a second subscription, billed next to this one.
        </p>
        <p>{cardPlanKeyLine(b)}</p>
      </div>
      {portal.error !== null && <ApiErrorAlert error={portal.error} fallback="The customer portal could not open; please try again." />}
      <div class="modal-actions">
        <button type="button" class="btn btn--secondary" onClick={onClose} disabled={portal.opening}>
          Not now
        </button>
        {b.stripe?.portal && (
          <button type="button" class="btn btn--primary" onClick={() => void portal.open()} disabled={portal.opening}>
            {portal.opening ? 'Opening the customer portal…' : "Open Stripe's customer portal"}
          </button>
        )}
      </div>
    </div>
  );
}
