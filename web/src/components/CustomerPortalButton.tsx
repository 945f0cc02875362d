// "Open Stripe's customer portal" (useCustomerPortal) as a small button with its own error, for
// the refusals that point there: a checkout (9013) or a key (9011) refused because the plan is
// paid by card through Stripe and has not ended (another owner bought it meanwhile).
import { useCustomerPortal } from '../useCustomerPortal';
import { ApiErrorAlert } from './ApiErrorAlert';

export function CustomerPortalButton({ orgCode }: { orgCode: string }) {
  const portal = useCustomerPortal(orgCode);
  return (
    <>
      <div class="alert-actions">
        <button type="button" class="btn btn--secondary btn--small" onClick={() => void portal.open()} disabled={portal.opening}>
          {portal.opening ? 'Opening the customer portal…' : "Open Stripe's customer portal"}
        </button>
      </div>
      {portal.error !== null && <ApiErrorAlert error={portal.error} fallback="The customer portal could not open; please try again." />}
    </>
  );
}
