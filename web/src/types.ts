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

export interface Integration {
  uid: string;
  type: string;
  type_name: string;
  status: string;
  created_at: string;
  invoices_this_month: number;
}

// The contract does not spell out a pending entry; the server sends the same
// fields as an integration (status "pending"). The UI tolerates any of them
// being absent.
export interface PendingIntegration {
  uid?: string;
  type?: string;
  type_name?: string;
  created_at?: string;
  step?: string;
}

export interface Usage {
  active_connections: number;
  connection_limit: number;
  invoices_this_month: number;
  invoice_limit: number;
  trial: boolean;
  expires_at: string | null;
}

export interface IntegrationsReply {
  integrations: Integration[];
  pending: PendingIntegration[];
  usage: Usage;
}

// Taxpayer certificates (docs/api/certificates.md).
export type CertificateStatus = 'active' | 'revoked' | 'expired';

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
}

export interface CertificatesReply {
  certificates: Certificate[];
}

// Fiscal invoices (docs/api/fiscal-invoices.md). Only what the UI reads;
// the V-SDC's fields are null until the invoice is signed.
export type FiscalStatus = 'signed' | 'failed' | 'pending';

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
  attempts?: number;
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
}
