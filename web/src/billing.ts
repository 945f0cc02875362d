// Licensing endpoints (docs/api/billing.md), typed. A request refused 402 with 9005 (every
// seat in use) or 9006 (licence expired) reaches SeatLimitHost through onPaymentRequired (api.ts),
// which offers more seats; nothing was created. Create Integration asks first (seatRefusal of the
// usage) and, when no seat is free, opens the same dialog through showSeatLimit before the user
// starts a setup that the server would refuse at its end. A plan paid by card through Stripe
// that has not ended (stripePlanRunning) takes neither a second checkout nor a key: its seats
// and tier change in Stripe's customer portal.
import { ApiError, api, seg } from './api';
import { formatDate } from './format';
import type { Usage } from './types';

export interface TierInfo {
  tier: string;
  name: string;
  invoice_limit: number;
  /** How fast the tier syncs: webhook_delay_seconds null when it takes no webhooks (polling only). */
  sync: { mode: string; poll_seconds: number; webhook_delay_seconds: number | null };
}

export interface Billing {
  plan: TierInfo & { trial: boolean; seats: number };
  source: 'trial' | 'key' | 'stripe';
  key: string | null;
  starts_at: string | null;
  expires_at: string | null;
  expired: boolean;
  seats_used: number;
  invoices_this_month: number;
  invoice_limit: number;
  invoices_on_hold: number;
  month: string;
  stripe: { interval: string | null; status: string | null; cancel_at_period_end: boolean; portal: boolean } | null;
  tiers: TierInfo[];
}

export interface KeyReview {
  product: string;
  key: string;
  tier: string;
  tier_name: string;
  seats: number;
  months: number;
  invoice_limit: number;
  redeem_by: string;
  effect: 'starts' | 'extends' | 'replaces';
  starts_at: string;
  expires_at: string;
  billing?: Billing;
}

export const billingApi = {
  get: (org: string, signal?: AbortSignal) => api.get<Billing>(`/api/orgs/${seg(org)}/billing`, { signal }),
  validate: (org: string, key: string) => api.post<KeyReview>(`/api/orgs/${seg(org)}/billing/keys/validate`, { key }),
  activate: (org: string, key: string) => api.post<KeyReview>(`/api/orgs/${seg(org)}/billing/keys/activate`, { key }),
  checkout: (org: string, tier: string, interval: string, seats: number) =>
    api.post<{ url: string }>(`/api/orgs/${seg(org)}/billing/checkout`, { tier, interval, seats }),
  portal: (org: string) => api.post<{ url: string }>(`/api/orgs/${seg(org)}/billing/portal`),
};

export const SEATS_FULL = 9005;
export const LICENCE_EXPIRED = 9006;
/** A key refused: the plan is paid by card through Stripe and has not ended. */
export const KEY_STRIPE_ACTIVE = 9011;
/** A checkout refused: a subscription paid by card already runs the plan. */
export const STRIPE_PLAN_RUNNING = 9013;
/** A checkout refused: an earlier checkout was just paid, its plan not applied yet. */
export const STRIPE_CHECKOUT_PAID = 9014;

/** True while a subscription paid by card through Stripe runs the plan and has not ended (also
 * when it is canceled at its period end): the server's rule for refusing a second checkout
 * (9013) and keys (9011). Its seats and tier change in Stripe's customer portal instead. */
export function stripePlanRunning(b: Billing | null | undefined): boolean {
  return !!b && b.source === 'stripe' && !b.expired && b.stripe?.status !== 'canceled';
}

/** True for the refusals that the seat-limit dialog answers. */
export function isSeatRefusal(e: unknown): e is ApiError {
  return e instanceof ApiError && (e.code === SEATS_FULL || e.code === LICENCE_EXPIRED);
}

/** Why the plan refuses a new integration, as the seat-limit dialog shows it. */
export interface SeatRefusal {
  /** The licence has expired (9006), rather than every seat being in use (9005). */
  expired: boolean;
  /** The figures in words, e.g. "1 of 1 seat of the Free trial plan is in use." */
  detail: string;
  /** True when a request was refused 402 (it created nothing); false when Create Integration
   * found no free seat before anything was tried. */
  refused: boolean;
}

let seatLimitHandler: ((r: SeatRefusal) => void) | null = null;

/** SeatLimitHost's listener for showSeatLimit (null to stop listening). */
export function onSeatLimit(handler: ((r: SeatRefusal) => void) | null): void {
  seatLimitHandler = handler;
}

/** Opens the seat-limit dialog. */
export function showSeatLimit(r: SeatRefusal): void {
  seatLimitHandler?.(r);
}

/** The refusal a new integration would meet under this usage (the server's rule: an expired
 * plan, or every seat taken), or null while a seat is free. */
export function seatRefusal(u: Usage): SeatRefusal | null {
  const plan = u.tier_name ? `the ${u.tier_name} plan` : 'your plan';
  if (u.expired)
    return {
      expired: true,
      detail: u.expires_at ? `${plan[0].toUpperCase()}${plan.slice(1)} expired on ${formatDate(u.expires_at)}.` : '',
      refused: false,
    };
  if (u.active_connections < u.connection_limit) return null;
  const seats = u.connection_limit === 1 ? 'seat' : 'seats';
  const verb = u.active_connections === 1 ? 'is' : 'are';
  return {
    expired: false,
    detail: `${u.active_connections} of ${u.connection_limit} ${seats} of ${plan} ${verb} in use.`,
    refused: false,
  };
}
