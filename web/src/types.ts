// Shapes of the portal API replies (docs/api/portal.md). Only what the UI reads.

export type Permission =
  | 'integrations.view'
  | 'integrations.operate'
  | 'integrations.manage'
  | 'members.manage'
  | 'org.manage'
  | 'billing.manage';

export interface OrgMembership {
  code: string;
  name: string;
  role: string;
  permissions: string[];
}

export interface Me {
  user: { id: number; email: string; name: string };
  tenant: { code: string; name: string };
  orgs: OrgMembership[];
  csrf_token: string;
}

/** Xero's fiscalization trigger (settings.trigger). */
export type XeroTrigger = 'payment' | 'approval';

export interface IntegrationSettings {
  /** Xero: when an invoice is fiscalized. */
  trigger?: XeroTrigger | string;
  /** Zoho Books: the data center of the Zoho account (zoho.ts). */
  data_center?: string;
  /** Zoho Books: which invoices are fiscalized (zoho.ts). */
  fiscalize?: string;
  /** Xero and Zoho Books: how many days before the first consent the first sync reads. */
  backfill_days?: number;
  /** Xero and Zoho Books: partner tax -> V-SDC label. */
  tax_mapping?: Record<string, string>;
  /** Xero and Zoho Books: the label of a tax not in tax_mapping. */
  default_label?: string;
  /** Xero and Zoho Books: the write-back also attaches the QR code. */
  attach_qr?: boolean;
  /** The write-back also attaches the V-SDC's journal (Xero: as text; Zoho Books: a PDF). */
  attach_journal?: boolean;
  [key: string]: unknown;
}

/** A tax of the partner (Xero tax rate, Zoho Books tax) an invoice line can carry. */
export interface PartnerTax {
  /** What settings.tax_mapping is keyed by: Xero's TaxType, Zoho's tax_id, or "none". */
  key: string;
  name: string;
  /** Percent, or null (Zoho's "none"). */
  rate: number | null;
}

/** A tax label the certificate's V-SDC defines now. */
export interface TaxLabel {
  label: string;
  rate: number;
  category?: string | null;
  /** 0 tax on net, 1 tax on total, 2 an amount per quantity. */
  category_type?: number | string | null;
}

/** GET /api/orgs/{org}/integrations/{uid}/tax-mapping (docs/api/integrations.md). */
export interface TaxMappingReply {
  partner_taxes: PartnerTax[];
  labels: TaxLabel[];
  tax_mapping: Record<string, string>;
  default_label: string;
  valid_from?: string | null;
}

/** The first backfill of a connected integration (docs/api/integrations.md). */
export interface Backfill {
  /** "pending" (queued), "running", "done"; null before the first consent. */
  state: string | null;
  done: number;
  total: number | null;
}

export interface Integration {
  uid: string;
  type: string;
  type_name: string;
  /** "active", "inactive" or "pending" (pending ones are listed under `pending`). */
  status: string;
  created_at: string;
  invoices_this_month: number;
  /** The plan has fewer seats than integrations and this newer one holds none: its invoices wait on hold. */
  over_seat_limit?: boolean;
  /** Why an integration is inactive, in words (e.g. Xero refused the refresh token). */
  status_reason?: string | null;
  certificate_uid?: string | null;
  settings?: IntegrationSettings;
  tenant_id?: string | null;
  /** The Xero organisation (Zoho Books organization) the integration is connected to. */
  tenant_name?: string | null;
  connected_at?: string | null;
  last_sync_at?: string | null;
  /** The last webhook from the platform for this integration (null: none yet). */
  webhooks_seen_at?: string | null;
  /** Zoho Books: the last completed poll of the organization's invoices. */
  last_polled_at?: string | null;
  /** When the integration's certificate expires, and its status ("active", "revoked", "expired", "refused"). */
  certificate_expires_at?: string | null;
  certificate_status?: string | null;
  /** Why the V-SDC refused the certificate (certificate_status "refused"). */
  certificate_refused_reason?: string | null;
  /** Its fiscal invoices the V-SDC refused (or that gave up), waiting for a fix and a Retry. */
  invoices_failed?: number;
  /** Why the integration's syncs are failing, since when; null when the last sync completed. */
  sync_error?: { message: string; since: string | null } | null;
  /** Zoho Books: "webhook" while Zoho's workflow webhook arrives, else "polling" (null for other types). */
  sync_mode?: string | null;
  backfill?: Backfill | null;
  /** The consent authorized several organisations and none is chosen yet. */
  tenant_choice_pending?: boolean;
  /**
   * Its signed invoices whose V-SDC VAT differs from the source document's, since its tax
   * mapping (settings.tax_mapping, settings.default_label) or certificate last changed; null: none.
   */
  tax_mismatches?: TaxMismatches | null;
  /**
   * Xero, Zoho Books: its partner documents fiscalhub cannot fiscalize as they stand (a line with
   * a negative amount, more lines than the V-SDC takes, …); null: none (always for Custom
   * Integrations, whose API answers such errors directly).
   */
  not_fiscalized?: NotFiscalized | null;
}

/** The signed invoices of an integration whose VAT differs from the source's, and the last one. */
export interface TaxMismatches {
  count: number;
  last: {
    /** The fiscal invoice (GET .../fiscal-invoices/{id}). */
    id: number;
    source_ref: string | null;
    /** Decimal strings ("200", "99.0826"). */
    source_tax_total: string | null;
    vsdc_tax_total: string | null;
    signed_at: string | null;
  } | null;
}

/**
 * The documents of an integration that are not fiscalizable now. An entry goes once its document
 * is fiscalized or no longer needs to be (fiscalhub looks at a document again whenever it changes).
 */
export interface NotFiscalized {
  /** All of them; `recent` holds at most 10. */
  count: number;
  /** Newest first. */
  recent: NotFiscalizedDocument[];
}

export interface NotFiscalizedDocument {
  /** The document's number, or its partner id when it has none. */
  source_ref: string;
  /** Why it cannot be fiscalized, in words. */
  reason: string;
  seen_at: string;
  first_seen_at: string;
  /** null for entries recorded before kinds were. */
  kind?: 'invoice' | 'credit_note' | null;
  /** The document's page at the partner (null for Xero credit notes and older entries). */
  source_url?: string | null;
}

// A setup started but not finished: the server sends the same fields as an
// integration (status "pending"). The UI tolerates any of them being absent.
export interface PendingIntegration extends Partial<Integration> {
  step?: string;
}

export interface Usage {
  active_connections: number;
  connection_limit: number;
  invoices_this_month: number;
  invoice_limit: number;
  trial: boolean;
  expires_at: string | null;
  /* licensing (docs/api/billing.md) */
  tier?: string;
  tier_name?: string;
  expired?: boolean;
  invoices_on_hold?: number;
}

export interface IntegrationsReply {
  integrations: Integration[];
  pending: PendingIntegration[];
  usage: Usage;
}

// Taxpayer certificates (docs/api/certificates.md).
// refused: active, but the V-SDC refused it the last time it was used (refused_reason says how).
export type CertificateStatus = 'active' | 'revoked' | 'expired' | 'refused';

export interface Certificate {
  uid: string;
  taxpayer: string;
  tin: string;
  location: string;
  address: string;
  vsdc_url: string;
  api_url?: string;
  expires_at: string;
  status: CertificateStatus | string;
  created_at: string;
  revoked_at?: string | null;
  refused_at?: string | null;
  refused_reason?: string | null;
}

export interface CertificatesReply {
  certificates: Certificate[];
}

// Fiscal invoices (docs/api/fiscal-invoices.md). Only what the UI reads;
// the V-SDC's fields are null until the invoice is signed.
// on_hold: pending, but the plan does not allow it yet (hold_reason says why; docs/api/billing.md).
export type FiscalStatus = 'signed' | 'failed' | 'pending' | 'on_hold';

export interface FiscalInvoiceSummary {
  id: number;
  status: FiscalStatus | string;
  source_ref?: string | null;
  source_url?: string | null;
  invoice_number?: string | null;
  total_amount?: string | null;
  sdc_time?: string | null;
  created_at: string;
  /** The integration's UID; null for invoices submitted through the API. */
  integration?: string | null;
  certificate_uid?: string | null;
  invoice_type?: string | null;
  fiscal?: boolean;
  verification_url?: string | null;
  last_error?: string | null;
  /** Why an on_hold invoice waits (the month's invoice limit used up, the licence expired, or its integration over the seat limit). */
  hold_reason?: string | null;
  /** What an on_hold invoice waits for: a new month or higher limit, a renewal, or a seat for its integration. */
  hold_kind?: 'invoice_limit' | 'licence_expired' | 'seat_limit' | null;
  attempts?: number;
  /** Signed, and the V-SDC's VAT differs from the source document's by more than rounding. */
  tax_mismatch?: boolean;
}

export interface FiscalInvoicesReply {
  invoices: FiscalInvoiceSummary[];
  total: number;
  page: number;
  page_size: number;
}

export interface TaxItem {
  label: string | null;
  category_name?: string | null;
  rate?: string | null;
  amount: string | null;
}

export interface CanonicalItem {
  gtin?: string;
  name: string;
  quantity: string;
  unit_price: string;
  labels: string[];
  total: string;
  discount?: string;
}

export interface CanonicalPayment {
  method: string;
  amount: string;
}

/** The invoice as it was submitted (before the V-SDC signed it). */
export interface CanonicalInvoice {
  invoice_type?: string;
  transaction_type?: string;
  cashier?: string;
  buyer_id?: string;
  pos_invoice_number?: string;
  payments?: CanonicalPayment[];
  items?: CanonicalItem[];
}

export interface FiscalInvoiceDetails extends FiscalInvoiceSummary {
  transaction_type?: string | null;
  invoice?: CanonicalInvoice | null;
  journal?: string | null;
  qr_gif_base64?: string | null;
  invoice_counter?: string | null;
  tax_items?: TaxItem[];
  signed_at?: string | null;
  /** Documents (a Xero credit note) that wait for this invoice to be signed. */
  refunds_waiting?: { ref: string | null; integration: string | null; since: string }[];
  /** The fiscal result's way back to the source invoice (integrations only; null otherwise). */
  writeback?: { state: 'pending' | 'retrying' | 'done' | 'failed'; error: string | null; at: string | null } | null;
  /** The VAT the source document states (a decimal string); null when it states none. */
  source_tax_total?: string | null;
  /** The VAT the V-SDC computed: the sum of tax_items' amounts; null until signed. */
  vsdc_tax_total?: string | null;
}

// The OAuth integration endpoints (Xero, Zoho Books; docs/api/integrations.md).
export interface AuthorizeReply {
  authorize_url: string;
}

export interface TestReply {
  ok: boolean;
  message: string;
}

export interface XeroTenant {
  tenant_id: string;
  name: string;
}

export interface TenantsReply {
  tenants: XeroTenant[];
  selected: XeroTenant | null;
}
