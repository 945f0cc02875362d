// The endpoints of Custom Integrations (API keys, docs/api/public-v1.md) and
// Custom / Webhook integrations (endpoint, delivery log, Redeliver,
// docs/api/webhooks.md), typed.
import { api, request, seg } from './api';
import type { Integration } from './types';

export interface ApiKey {
  client_id: string;
  label: string;
  status: 'active' | 'revoked' | string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** Only the answer that creates a key carries the secret. */
export interface NewApiKey extends ApiKey {
  client_secret: string;
}

export type WebhookEvent = 'invoice.fiscalized' | 'invoice.failed' | 'integration.status_changed';

export interface WebhookEndpoint {
  url: string;
  events: WebhookEvent[];
  /** Names only: header values are write-only. */
  headers: { name: string }[];
  created_at: string;
  updated_at: string;
}

/** A header to send; value null keeps the stored value of that name (updates only). */
export interface HeaderInput {
  name: string;
  value: string | null;
}

export interface WebhookSettings {
  url?: string;
  events?: WebhookEvent[];
  headers?: HeaderInput[];
}

export interface NewWebhookIntegration extends Integration {
  webhook: WebhookEndpoint;
  signing_secret: string;
}

export interface Delivery {
  id: number;
  event_id: string;
  event_type: string;
  status: 'pending' | 'delivered' | 'failed' | string;
  attempts: number;
  redeliveries: number;
  created_at: string;
  last_attempt_at: string | null;
  last_http_status: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  last_response: string | null;
  delivered_at: string | null;
  next_attempt_at: string | null;
}

export interface DeliveriesReply {
  deliveries: Delivery[];
  next_cursor: string | null;
}

export const EVENT_CHOICES: { value: WebhookEvent; label: string; description: string }[] = [
  {
    value: 'invoice.fiscalized',
    label: 'Invoice fiscalized',
    description: 'The invoice data, the fiscal signature and the verification URL, once the V-SDC has signed it.',
  },
  {
    value: 'invoice.failed',
    label: 'Invoice failed',
    description: 'An invoice could not be fiscalized, with the reason.',
  },
  {
    value: 'integration.status_changed',
    label: 'Integration status changed',
    description: 'An integration of this organization became active, inactive or was removed.',
  },
];

const integrations = (org: string) => `/api/orgs/${seg(org)}/integrations`;
const base = (org: string, uid: string) => `${integrations(org)}/${seg(uid)}`;

export const customApi = {
  createCustom: (org: string, certificateUid: string) =>
    api.post<Integration>(integrations(org), { type: 'custom', certificate_uid: certificateUid }),
  createWebhook: (org: string, certificateUid: string, settings: WebhookSettings) =>
    api.post<NewWebhookIntegration>(integrations(org), { type: 'webhook', certificate_uid: certificateUid, settings }),
  keys: (org: string, uid: string, signal?: AbortSignal) =>
    api.get<{ api_keys: ApiKey[] }>(`${base(org, uid)}/api-keys`, { signal }),
  createKey: (org: string, uid: string, label: string) => api.post<NewApiKey>(`${base(org, uid)}/api-keys`, { label }),
  revokeKey: (org: string, uid: string, clientId: string) =>
    api.post<ApiKey>(`${base(org, uid)}/api-keys/${seg(clientId)}/revoke`),
  webhook: (org: string, uid: string, signal?: AbortSignal) =>
    api.get<WebhookEndpoint>(`${base(org, uid)}/webhook`, { signal }),
  updateWebhook: (org: string, uid: string, settings: WebhookSettings) =>
    request<WebhookEndpoint>('PUT', `${base(org, uid)}/webhook`, { body: settings }),
  deliveries: (org: string, uid: string, cursor: string | null, signal?: AbortSignal) =>
    api.get<DeliveriesReply>(
      `${base(org, uid)}/webhook/deliveries?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { signal },
    ),
  redeliver: (org: string, uid: string, id: number) =>
    api.post<Delivery>(`${base(org, uid)}/webhook/deliveries/${id}/redeliver`),
  integration: async (org: string, uid: string, signal?: AbortSignal): Promise<Integration | null> => {
    const r = await api.get<{ integrations: Integration[] }>(integrations(org), { signal });
    return r.integrations.find((i) => i.uid === uid) ?? null;
  },
};

export function eventLabel(type: string): string {
  return EVENT_CHOICES.find((e) => e.value === type)?.label ?? type;
}
