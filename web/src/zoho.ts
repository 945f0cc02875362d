// Zoho Books: its settings (data center, which invoices to fiscalize) with
// the words the portal shows for them, and the workflow webhook endpoints
// (docs/api/integrations.md, "Zoho Books").
import { formatEvery } from './format';
import { api, seg } from './api';
import type { Integration } from './types';

/** Zoho's data centers, by the domain suffix of their accounts server. */
export interface DataCenter {
  value: string;
  /** The region, as Zoho names it. */
  region: string;
  /** Where the user signs in to Zoho Books (how they tell their region). */
  domain: string;
}

export const DATA_CENTERS: DataCenter[] = [
  { value: 'com', region: 'United States', domain: 'zoho.com' },
  { value: 'eu', region: 'Europe', domain: 'zoho.eu' },
  { value: 'in', region: 'India', domain: 'zoho.in' },
  { value: 'com.au', region: 'Australia', domain: 'zoho.com.au' },
  { value: 'jp', region: 'Japan', domain: 'zoho.jp' },
  { value: 'ca', region: 'Canada', domain: 'zohocloud.ca' },
  { value: 'com.cn', region: 'China', domain: 'zoho.com.cn' },
  { value: 'sa', region: 'Saudi Arabia', domain: 'zoho.sa' },
  { value: 'uk', region: 'United Kingdom', domain: 'zoho.uk' },
];

/** The server's default (Zoho's own advice: start at zoho.com; Zoho sends users of other regions on). */
export const DEFAULT_DATA_CENTER = 'com';

export function dataCenterLabel(v: unknown): string {
  const dc = DATA_CENTERS.find((d) => d.value === v);
  if (dc) return `${dc.region} (${dc.domain})`;
  return typeof v === 'string' && v ? v : 'Not chosen';
}

/** Which Zoho Books invoices are fiscalized (settings.fiscalize). */
export interface FiscalizeChoice {
  value: string;
  label: string;
  description: string;
}

export const FISCALIZE_CHOICES: FiscalizeChoice[] = [
  {
    value: 'sent',
    label: 'Every invoice that is sent',
    description:
      'An invoice is fiscalized as soon as it is no longer a draft in Zoho Books (sent, viewed, overdue, unpaid, partially paid or paid), whether or not it has been paid.',
  },
  {
    value: 'paid',
    label: 'Invoices with a payment',
    description:
      'An invoice is fiscalized once a payment is recorded on it in Zoho Books (partially paid or paid). Best when the fiscal receipt is issued at the moment the customer pays.',
  },
];

export const DEFAULT_FISCALIZE = FISCALIZE_CHOICES[0].value;

export function fiscalizeLabel(v: unknown): string {
  return FISCALIZE_CHOICES.find((c) => c.value === v)?.label ?? (typeof v === 'string' ? v : '');
}

export interface ZohoSettings {
  data_center: string;
  fiscalize: string;
}

/** The workflow webhook Zoho Books calls for this integration (GET .../webhook). */
export interface ZohoWebhook {
  /** This integration's own delivery URL; it never changes. */
  url: string;
  /** null (secret_visible false) for users without integrations.manage. */
  secret: string | null;
  secret_visible: boolean;
  secret_rotated_at?: string | null;
  module?: string;
  events?: string[];
  method?: string;
  payload?: string;
  /** The instructions in order, plain text. */
  steps?: string[];
  /** "webhook" while Zoho's webhook arrives, else "polling". */
  sync_mode?: string | null;
  webhooks_seen_at?: string | null;
  last_polled_at?: string | null;
  /** How often fiscalhub polls Zoho Books while no webhook arrives (the plan's interval). */
  poll_seconds?: number;
  /** false on a plan that syncs by polling only (Starter): deliveries are seen, not acted on. */
  webhooks_used?: boolean;
}

const base = (org: string, uid: string) => `/api/orgs/${seg(org)}/integrations/${seg(uid)}/webhook`;

export const zohoApi = {
  webhook: (org: string, uid: string, signal?: AbortSignal) => api.get<ZohoWebhook>(base(org, uid), { signal }),
  rotate: (org: string, uid: string) => api.post<ZohoWebhook>(`${base(org, uid)}/rotate`),
};

export const isZoho = (it: Pick<Integration, 'type'> | null | undefined) => it?.type === 'zoho_books';

/** How often fiscalhub polls a Zoho Books organization that sends no webhooks. */
/** "every 15 minutes", "every 30 seconds": how often fiscalhub polls without webhooks
 * (the plan's interval, or FISCALHUB_ZOHO_POLL_SECONDS when the operator set it). */
export function pollEvery(seconds: number | undefined): string {
  return formatEvery(seconds && seconds > 0 ? seconds : 900);
}
