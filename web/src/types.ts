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