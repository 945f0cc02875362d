// Opens Stripe's customer portal for the organization (POST .../billing/portal → {url}, then the
// browser goes there; Stripe sends it back to the Billing page). The Billing page's button and
// the Upgrade Plan dialog of a card-paid plan share it. `opening` stays true while the browser
// leaves; `error` is the refusal (e.g. 9010, no Stripe customer), for ApiErrorAlert.
import { useState } from 'preact/hooks';
import { billingApi } from './billing';

export interface CustomerPortal {
  open: () => Promise<void>;
  opening: boolean;
  error: unknown;
}

export function useCustomerPortal(orgCode: string): CustomerPortal {
  const [opening, setOpening] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const open = async () => {
    setOpening(true);
    setError(null);
    try {
      window.location.assign((await billingApi.portal(orgCode)).url);
    } catch (e) {
      setError(e ?? 'failed');
      setOpening(false);
    }
  };
  return { open, opening, error };
}
