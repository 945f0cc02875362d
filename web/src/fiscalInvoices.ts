// The fiscal invoices endpoints (docs/api/fiscal-invoices.md), typed.
import { api, seg } from './api';
import type { FiscalInvoiceDetails, FiscalInvoicesReply, FiscalInvoiceSummary } from './types';

export interface FiscalFilter {
  status: string;
  integration: string;
  from: string;
  to: string;
  /** "differs": only invoices whose V-SDC VAT differs from the source's (tax_mismatch=true). */
  vat: string;
  page: number;
}

export const PAGE_SIZE = 50;

export const EMPTY_FILTER: FiscalFilter = { status: '', integration: '', from: '', to: '', vat: '', page: 1 };

/** Whether anything narrows the list (the page aside). */
export function isFiltered(f: FiscalFilter): boolean {
  return !!(f.status || f.integration || f.from || f.to || f.vat);
}

/** The filter's status, integration, VAT check and dates as query parameters; empty values are left out. */
function filterParams(f: FiscalFilter): URLSearchParams {
  const q = new URLSearchParams();
  if (f.status) q.set('status', f.status);
  if (f.integration) q.set('integration', f.integration);
  if (f.vat) q.set('tax_mismatch', 'true');
  if (f.from) q.set('from', f.from);
  if (f.to) q.set('to', f.to);
  return q;
}

/** The query string of a filter with its page (without "?"). */
export function filterQuery(f: FiscalFilter, pageSize = PAGE_SIZE): string {
  const q = filterParams(f);
  q.set('page', String(f.page));
  q.set('page_size', String(pageSize));
  return q.toString();
}

const STATUSES = new Set(['signed', 'failed', 'pending', 'on_hold']);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A filter read back from the page's own query string; anything malformed is dropped. */
export function filterFromSearch(search: string): FiscalFilter {
  const q = new URLSearchParams(search);
  const status = q.get('status') ?? '';
  const from = q.get('from') ?? '';
  const to = q.get('to') ?? '';
  const page = Number.parseInt(q.get('page') ?? '1', 10);
  return {
    status: STATUSES.has(status) ? status : '',
    integration: (q.get('integration') ?? '').slice(0, 64),
    from: DATE.test(from) ? from : '',
    to: DATE.test(to) ? to : '',
    vat: q.get('tax_mismatch') === 'true' ? 'differs' : '',
    page: Number.isFinite(page) && page >= 1 ? page : 1,
  };
}

/** The page's own query string for a filter (page_size is not shown). */
export function filterSearch(f: FiscalFilter): string {
  const q = filterParams(f);
  if (f.page > 1) q.set('page', String(f.page));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The CSV file of every invoice matching the filter (paging ignored), for a download link. */
export function exportUrl(org: string, f: FiscalFilter): string {
  const q = filterParams(f);
  q.set('format', 'csv');
  return `/api/orgs/${seg(org)}/fiscal-invoices?${q.toString()}`;
}

/** The printable receipt of a signed invoice (a PDF of its journal and QR code), opened in place. */
export function receiptUrl(org: string, id: number): string {
  return `/api/orgs/${seg(org)}/fiscal-invoices/${seg(String(id))}/receipt`;
}

export const fiscalInvoices = {
  list: (org: string, f: FiscalFilter, signal?: AbortSignal) =>
    api.get<FiscalInvoicesReply>(`/api/orgs/${seg(org)}/fiscal-invoices?${filterQuery(f)}`, { signal }),
  get: (org: string, id: number, signal?: AbortSignal) =>
    api.get<FiscalInvoiceDetails>(`/api/orgs/${seg(org)}/fiscal-invoices/${seg(String(id))}`, { signal }),
  retry: (org: string, id: number) =>
    api.post<FiscalInvoiceSummary>(`/api/orgs/${seg(org)}/fiscal-invoices/${seg(String(id))}/retry`),
  /** Runs a failed write-back to the invoice's source again (integrations.operate). */
  retryWriteback: (org: string, id: number) =>
    api.post<{ id: number; writeback: { state: string } }>(
      `/api/orgs/${seg(org)}/fiscal-invoices/${seg(String(id))}/writeback/retry`,
    ),
  /** Every failed invoice matching the filter's integration and dates (at most 1000 a call). */
  retryFailed: (org: string, f: FiscalFilter) => {
    const body: Record<string, string> = {};
    if (f.integration) body.integration = f.integration;
    if (f.from) body.from = f.from;
    if (f.to) body.to = f.to;
    return api.post<{ retried: number; remaining: number }>(`/api/orgs/${seg(org)}/fiscal-invoices/retry`, body);
  },
};
