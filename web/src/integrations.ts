// The integration endpoints (docs/api/integrations.md), typed; the OAuth
// platforms (Xero, Zoho Books) and the words the portal uses for them, for
// Xero's fiscalization trigger, and for the reasons a consent can come back
// without a connection. Zoho Books' own settings and its webhook are in
// zoho.ts.
import { api, ApiError, seg } from './api';
import { safeHttpUrl } from './format';
import type {
  AuthorizeReply,
  Integration,
  IntegrationSettings,
  TaxMappingReply,
  TenantsReply,
  TestReply,
  XeroTrigger,
} from './types';

/** POST /integrations for an OAuth platform: {"type", "certificate_uid", "settings"}. */
export interface IntegrationCreate {
  type: 'xero' | 'zoho_books';
  certificate_uid: string;
  settings: IntegrationSettings;
}

const base = (org: string, uid: string) => `/api/orgs/${seg(org)}/integrations/${seg(uid)}`;

export const integrationsApi = {
  create: (org: string, body: IntegrationCreate) =>
    api.post<Integration>(`/api/orgs/${seg(org)}/integrations`, body),
  /** The consent URL for a first connect, Resume and Reconnect alike. */
  connect: (org: string, uid: string) => api.post<AuthorizeReply>(`${base(org, uid)}/connect`),
  test: (org: string, uid: string) => api.post<TestReply>(`${base(org, uid)}/test`),
  /** Look again: queues a fresh look at every document in not_fiscalized → 202 {queued}. */
  lookAgain: (org: string, uid: string) => api.post<{ queued: number }>(`${base(org, uid)}/not-fiscalized/retry`),
  update: (org: string, uid: string, settings: IntegrationSettings) =>
    api.patch<Integration>(base(org, uid), { settings }),
  /** Signs the integration's invoices from now on with another certificate of the organization. */
  setCertificate: (org: string, uid: string, certificateUid: string) =>
    api.patch<Integration>(base(org, uid), { certificate_uid: certificateUid }),
  remove: (org: string, uid: string) => api.del<void>(base(org, uid)),
  tenants: (org: string, uid: string, signal?: AbortSignal) =>
    api.get<TenantsReply>(`${base(org, uid)}/tenants`, { signal }),
  pickTenant: (org: string, uid: string, tenantId: string) =>
    api.post<Integration>(`${base(org, uid)}/tenant`, { tenant_id: tenantId }),
  /** The partner's taxes, the certificate's V-SDC labels and the mapping in force. */
  taxMapping: (org: string, uid: string, signal?: AbortSignal) =>
    api.get<TaxMappingReply>(`${base(org, uid)}/tax-mapping`, { signal }),
};

/** An integration type connected through its platform's OAuth consent. */
export interface OAuthPlatform {
  type: 'xero' | 'zoho_books';
  /** The product ("Xero", "Zoho Books"). */
  name: string;
  /** Whose consent page it is ("Xero", "Zoho"). */
  consent: string;
  /** What the platform calls an organization, in its own spelling. */
  org: string;
  /** The button that refuses access on the consent page. */
  cancel: string;
}

export const XERO: OAuthPlatform = { type: 'xero', name: 'Xero', consent: 'Xero', org: 'organisation', cancel: 'Cancel' };
export const ZOHO_BOOKS: OAuthPlatform = {
  type: 'zoho_books',
  name: 'Zoho Books',
  consent: 'Zoho',
  org: 'organization',
  cancel: 'Reject',
};

/** The OAuth platform of an integration type (null for the other types). */
export function oauthPlatform(type: string | null | undefined): OAuthPlatform | null {
  return type === 'xero' ? XERO : type === 'zoho_books' ? ZOHO_BOOKS : null;
}

/** "Xero organisation", "Zoho Books organization" ("organization" for other types). */
export function platformOrg(type: string | null | undefined): string {
  const p = oauthPlatform(type);
  return p ? `${p.name} ${p.org}` : 'organization';
}

/**
 * Asks for the consent URL of an integration and sends the browser there
 * (the platform's consent page). Resolves only if the browser could not leave.
 */
export async function goToConsent(org: string, uid: string, platform?: OAuthPlatform | null): Promise<void> {
  const reply = await integrationsApi.connect(org, uid);
  const url = safeHttpUrl(reply?.authorize_url);
  if (!url) {
    const who = platform ? `${platform.consent} ` : '';
    throw new ApiError(0, null, `The server did not send a usable ${who}sign-in address.`, 'authorize_url');
  }
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

/** A file the write-back attaches to the partner's document (settings.attach_qr, attach_journal). */
export interface AttachChoice {
  setting: 'attach_qr' | 'attach_journal';
  label: string;
  /** In the row's Write-back fact: "QR code". */
  short: string;
  description: string;
}

const ATTACH_QR: AttachChoice = {
  setting: 'attach_qr',
  label: 'The QR code',
  short: 'QR code',
  description: 'fiscal-<number>.gif: the verification QR code of the fiscal invoice, as the V-SDC drew it.',
};
const ATTACH_JOURNAL: AttachChoice = {
  setting: 'attach_journal',
  label: 'The fiscal receipt (journal)',
  short: 'fiscal receipt',
  description: 'fiscal-<number>.txt: the receipt text the V-SDC returned, with the items, taxes and signature.',
};

/** What a platform's write-back can attach besides its note: Zoho Books takes images and PDFs only,
 * so its journal is a PDF of the printed receipt. */
export function attachChoices(type: string | undefined): AttachChoice[] {
  if (type === 'xero') return [ATTACH_QR, ATTACH_JOURNAL];
  if (type === 'zoho_books') {
    const invoicesOnly = 'Invoices only: Zoho Books takes no files on credit notes.';
    return [
      { ...ATTACH_QR, description: `${ATTACH_QR.description} ${invoicesOnly}` },
      {
        ...ATTACH_JOURNAL,
        description: `fiscal-<number>.pdf: the receipt the V-SDC returned, with the items, taxes and signature, and the QR code, ready to print. ${invoicesOnly}`,
      },
    ];
  }
  return [];
}

/** What the write-back leaves on the partner's document, in a few words. */
export function writeBackLabel(it: { type?: string; settings?: IntegrationSettings }): string {
  const note = it.type === 'xero' ? 'History note' : 'Comment';
  const files = attachChoices(it.type)
    .filter((c) => it.settings?.[c.setting] === true)
    .map((c) => c.short);
  return files.length ? `${note}, ${files.join(' and ')} attached` : note;
}

/** How far before the first consent the first sync reads invoices (settings.backfill_days). */
export const BACKFILL_DAYS = [0, 1, 7, 30, 90, 365];

export function backfillLabel(days: number): string {
  if (days <= 0) return 'None: only invoices changed from now on';
  return days === 1 ? 'Changed in the last day' : `Changed in the last ${days} days`;
}

// The reasons the OAuth callbacks (/oauth/xero/callback, /oauth/zoho/callback)
// put in /integrations?error=<code>, worded for the platform.
const CONSENT_ERRORS: Record<string, (p: OAuthPlatform) => string> = {
  access_denied: (p) => `Access was not allowed on ${p.consent}’s consent page (${p.cancel} was chosen).`,
  consent_failed: (p) => `${p.consent} reported that the consent did not complete.`,
  no_code: (p) => `${p.consent} came back without an authorization code.`,
  state_unreadable: () => 'fiscalhub could not read the sign-in request it had started.',
  state_invalid: () =>
    'The connection request expired or was already used (it is valid for 10 minutes, once, in the browser session that started it). Start again with Resume or Reconnect.',
  connections_failed: (p) => `fiscalhub could not read the ${p.org}s the consent authorized.`,
  organizations_failed: (p) => `fiscalhub could not read the ${p.org}s the consent authorized.`,
  store_failed: () => 'fiscalhub could not store the connection.',
  no_organisation: (p) => `No ${p.name} ${p.org} was selected on the consent page.`,
  no_organization: (p) => `The ${p.consent} account has no ${p.name} ${p.org} to connect.`,
  xero_unreachable: (p) => `${p.consent} did not answer in time.`,
  zoho_unreachable: (p) => `${p.consent} did not answer in time.`,
  exchange_failed: (p) => `${p.consent} refused to exchange the authorization code for access.`,
  invalid_scope: (p) => `${p.consent} refused the permissions fiscalhub asks for.`,
  unauthorized_client: (p) => `${p.consent} does not recognise fiscalhub’s app.`,
  invalid_client: (p) => `${p.consent} does not recognise fiscalhub’s app.`,
  unknown_data_center: (p) =>
    `${p.consent} sent you back from a data center fiscalhub does not know. Check the data center chosen for the integration.`,
  no_refresh_token: (p) =>
    `${p.consent} did not grant lasting access (no refresh token came with the consent). Run the consent again.`,
};

/** Used when the consent's integration (and so its platform) is not known. */
const SOME_PLATFORM: OAuthPlatform = { type: 'xero', name: 'the platform', consent: 'The platform', org: 'organization', cancel: 'Cancel' };

export function consentErrorText(code: string, platform?: OAuthPlatform | null): string {
  const p = platform ?? SOME_PLATFORM;
  const text = CONSENT_ERRORS[code];
  if (text) return text(p);
  return platform ? `${platform.name} did not connect (${code}).` : `The connection was not made (${code}).`;
}
