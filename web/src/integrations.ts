// The integration endpoints (docs/api/integrations.md), typed, and the words
// the portal uses for Xero's fiscalization trigger and for the reasons a
// consent can come back without a connection.
import { api, ApiError, seg } from './api';
import { safeHttpUrl } from './format';
import type { AuthorizeReply, Integration, IntegrationSettings, TenantsReply, TestReply, XeroTrigger } from './types';

export interface XeroCreate {
  type: 'xero';
  certificate_uid: string;
  settings: { trigger: XeroTrigger };
}

const base = (org: string, uid: string) => `/api/orgs/${seg(org)}/integrations/${seg(uid)}`;

export const integrationsApi = {
  create: (org: string, body: XeroCreate) => api.post<Integration>(`/api/orgs/${seg(org)}/integrations`, body),
  /** The consent URL for a first connect, Resume and Reconnect alike. */
  connect: (org: string, uid: string) => api.post<AuthorizeReply>(`${base(org, uid)}/connect`),
  test: (org: string, uid: string) => api.post<TestReply>(`${base(org, uid)}/test`),
  update: (org: string, uid: string, settings: IntegrationSettings) =>
    api.patch<Integration>(base(org, uid), { settings }),
  remove: (org: string, uid: string) => api.del<void>(base(org, uid)),
  tenants: (org: string, uid: string, signal?: AbortSignal) =>
    api.get<TenantsReply>(`${base(org, uid)}/tenants`, { signal }),
  pickTenant: (org: string, uid: string, tenantId: string) =>
    api.post<Integration>(`${base(org, uid)}/tenant`, { tenant_id: tenantId }),
};

/**
 * Asks for the consent URL of an integration and sends the browser there
 * (Xero's consent page). Resolves only if the browser could not leave.
 */
export async function goToConsent(org: string, uid: string): Promise<void> {
  const reply = await integrationsApi.connect(org, uid);
  const url = safeHttpUrl(reply?.authorize_url);
  if (!url) throw new ApiError(0, null, 'The server did not send a usable Xero sign-in address.', 'authorize_url');
  window.location.assign(url);
}

export const DEFAULT_TRIGGER: XeroTrigger = 'payment';

export interface TriggerChoice {
  value: XeroTrigger;
  label: string;
  description: string;
}

export const TRIGGERS: TriggerChoice[] = [
  {
    value: 'payment',
    label: 'When a payment is added',
    description:
      'An invoice is fiscalized when the first payment is recorded against it in Xero. Best when the fiscal receipt is issued at the moment the customer pays.',
  },
  {
    value: 'approval',
    label: 'When the invoice is approved',
    description:
      'An invoice is fiscalized as soon as it leaves Draft and becomes Awaiting Payment (approved) in Xero, whether or not it has been paid.',
  },
];

export function triggerLabel(t: string | null | undefined): string {
  const v = t === 'approval' ? 'approval' : 'payment';
  return TRIGGERS.find((c) => c.value === v)?.label ?? '';
}

export function isTrigger(v: unknown): v is XeroTrigger {
  return v === 'payment' || v === 'approval';
}

// The reasons /oauth/xero/callback puts in /integrations?error=<code>.
const CONSENT_ERRORS: Record<string, string> = {
  access_denied: 'Access was not allowed on Xero’s consent page (Cancel was chosen).',
  consent_failed: 'Xero reported that the consent did not complete.',
  no_code: 'Xero came back without an authorization code.',
  state_unreadable: 'fiscalhub could not read the sign-in request it had started.',
  state_invalid:
    'The connection request expired or was already used (it is valid for 10 minutes, once, in the browser session that started it). Start again with Resume or Reconnect.',
  connections_failed: 'fiscalhub could not read the organisations the consent authorized.',
  store_failed: 'fiscalhub could not store the connection.',
  no_organisation: 'No Xero organisation was selected on the consent page.',
  xero_unreachable: 'Xero did not answer in time.',
  exchange_failed: 'Xero refused to exchange the authorization code for access.',
  invalid_scope: 'Xero refused the permissions fiscalhub asks for.',
  unauthorized_client: 'Xero does not recognise fiscalhub’s app.',
};

export function consentErrorText(code: string): string {
  return CONSENT_ERRORS[code] ?? `Xero did not connect (${code}).`;
}
