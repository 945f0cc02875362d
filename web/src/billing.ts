// Licensing endpoints (docs/api/billing.md), typed. A request refused 402 with 9005 (every
// seat in use) or 9006 (licence expired) reaches SeatLimitHost through onPaymentRequired (api.ts),
// which offers more seats; nothing was created.
import { ApiError, api, seg } from './api';

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

/** True for the refusals that the seat-limit dialog answers. */
export function isSeatRefusal(e: unknown): e is ApiError {
  return e instanceof ApiError && (e.code === SEATS_FULL || e.code === LICENCE_EXPIRED);
}
