// The details of one fiscal invoice (GET /api/orgs/{org}/fiscal-invoices/{id}):
// fiscal number, SDC time, totals and tax items, the journal and QR, the
// verification link, a link back to the source invoice ("View in Xero"), and
// for a failed invoice its last error with Retry (integrations.operate), the
// credit notes that wait for this invoice to be signed, whether the result
// was written back to the source (a failed write-back with Retry write-back),
// a warning when the V-SDC's VAT differs from the source document's, and for
// an invoice on hold why it waits and what releases it (HoldNote).
//
// While the invoice is pending (just submitted, or retried from here), or its
// write-back is, the dialog asks again every few seconds until it settles.
import { useEffect, useState } from 'preact/hooks';
import { fiscalInvoices, receiptUrl } from '../fiscalInvoices';
import { formatAmount, formatDateTime, safeHttpUrl } from '../format';
import { oauthPlatform } from '../integrations';
import { invoiceTypeLabel, sourceLinkLabel, transactionTypeLabel } from '../labels';
import type { FiscalInvoiceDetails, FiscalInvoiceSummary } from '../types';
import { useResource } from '../useResource';
import { ApiErrorAlert } from './ApiErrorAlert';
import { FiscalReceipt } from './FiscalReceipt';
import { FiscalStatusBadge } from './FiscalStatusBadge';
import { HoldNote } from './HoldNote';
import { Icon } from './Icon';
import { InvoiceItemsTable } from './InvoiceItemsTable';
import { LoadState } from './LoadState';
import { Modal } from './Modal';
import { TaxItemsTable } from './TaxItemsTable';
import { Warning } from './Warning';

/** Where the fiscal result stands in the source platform, in words. */
function writebackText(w: NonNullable<FiscalInvoiceDetails['writeback']>, platform: string, status: string): string {
  switch (w.state) {
    case 'done':
      return `Yes, to ${platform}`;
    case 'failed':
      return `Failed: ${w.error || 'the platform refused it'}`;
    case 'retrying':
      return `Not yet; retrying after: ${w.error || 'an error'}`;
    default:
      return status === 'signed' ? 'In progress' : 'Once the invoice is signed';
  }
}

export interface IntegrationInfo {
  type: string;
  name: string;
}

/** The warning of a signed invoice whose VAT differs from its source's: the two totals, why, what now. */
function TaxMismatchNote({ d, via }: { d: FiscalInvoiceDetails; via: IntegrationInfo | null }) {
  const mapped = oauthPlatform(via?.type) !== null; // Xero, Zoho Books: labels from the tax mapping
  const source = mapped && via ? `the ${via.name} invoice` : 'the source document';
  const vsdc = formatAmount(d.vsdc_tax_total);
  const stated = formatAmount(d.source_tax_total);
  const amounts = vsdc && stated ? `: the V-SDC computed ${vsdc}, ${source} states ${stated}` : '';
  return (
    <Warning testId="tax-mismatch" title={`VAT differs from the source${amounts}.`}>
      <p class="alert-detail">
        {mapped
          ? 'The integration’s tax mapping probably gives one of its taxes the wrong V-SDC label.'
          : 'An item probably carries the wrong V-SDC label.'}{' '}
        A signed invoice stays as it is: to correct it, refund it and fiscalize it again.
      </p>
    </Warning>
  );
}

interface Props {
  orgCode: string;
  invoice: FiscalInvoiceSummary;
  canOperate: boolean;
  integration: (uid: string | null | undefined) => IntegrationInfo | null;
  /** The organization's licence has expired (usage.expired of the integrations list); undefined while unknown. */
  expired?: boolean;
  /** The user may change the plan (billing.manage). */
  canBuy: boolean;
  onClose: () => void;
  /** The invoice changed here (retried, or settled while watched): the list is stale. */
  onChanged: () => void;
}

export const RETRY_DENIED = 'Only members, admins and owners of this organization can retry invoices.';
const POLL_MS = 2000;

export function FiscalInvoiceDialog({ orgCode, invoice, canOperate, integration, expired, canBuy, onClose, onChanged }: Props) {
  const { data, error, loading, reload, refresh } = useResource<FiscalInvoiceDetails>(
    `${orgCode}/${invoice.id}`,
    (signal) => fiscalInvoices.get(orgCode, invoice.id, signal),
    'Could not load this invoice.',
  );
  const [retrying, setRetrying] = useState(false);
  const [retryError, setRetryError] = useState<unknown>(null);
  const [retried, setRetried] = useState(false);
  const [watching, setWatching] = useState(false);
  const d: FiscalInvoiceDetails = data ?? invoice;
  const status = retrying || retried ? 'pending' : d.status;

  // Follow a pending invoice until it settles; tell the list once it has.
  useEffect(() => {
    if (!data) return undefined;
    setRetried(false);
    if (data.status === 'pending' || data.writeback?.state === 'pending') {
      setWatching(true);
      const t = window.setTimeout(refresh, POLL_MS);
      return () => window.clearTimeout(t);
    }
    if (watching) {
      setWatching(false);
      onChanged();
    }
    return undefined;
  }, [data]);

  const retry = async () => {
    setRetrying(true);
    setRetryError(null);
    try {
      await fiscalInvoices.retry(orgCode, invoice.id);
      setRetried(true);
      onChanged();
      refresh();
    } catch (e) {
      setRetryError(e);
    }
    setRetrying(false);
  };

  const [wbRetrying, setWbRetrying] = useState(false);
  const [wbError, setWbError] = useState<unknown>(null);
  const retryWriteback = async () => {
    setWbRetrying(true);
    setWbError(null);
    try {
      await fiscalInvoices.retryWriteback(orgCode, invoice.id);
      refresh();
    } catch (e) {
      setWbError(e);
    }
    setWbRetrying(false);
  };

  const via = integration(d.integration);
  const sourceUrl = safeHttpUrl(d.source_url);
  const title = d.invoice_number ? `Invoice ${d.invoice_number}` : `Invoice ${d.source_ref || `#${d.id}`}`;
  const canonical = d.invoice ?? null;

  return (
    <Modal
      id="invoice-details"
      title={title}
      size="wide"
      onClose={onClose}
      aside={<FiscalStatusBadge status={status} />}
      footer={
        <button type="button" class="btn btn--secondary" onClick={onClose}>
          Close
        </button>
      }
    >
      <LoadState loading={loading} error={error} label="Loading the invoice…" onRetry={reload} />
      {retryError !== null && <ApiErrorAlert error={retryError} fallback="The retry failed; please try again." />}
      {wbError !== null && <ApiErrorAlert error={wbError} fallback="The write-back could not be retried; please try again." />}

      {data && status === 'failed' && (
        <div class="failure" data-testid="last-error">
          <Icon name="alert" class="alert-icon" />
          <div class="failure-body">
            <p class="failure-title">Fiscalization failed</p>
            <p class="failure-text">{d.last_error || 'The V-SDC did not sign this invoice.'}</p>
            <div class="guarded-action guarded-action--start">
              <button
                type="button"
                class="btn btn--primary btn--small"
                disabled={!canOperate || retrying}
                title={canOperate ? undefined : RETRY_DENIED}
                aria-describedby={canOperate ? undefined : 'retry-reason'}
                onClick={retry}
              >
                <Icon name="refresh" />
                {retrying ? 'Retrying…' : 'Retry'}
              </button>
              {!canOperate && (
                <p class="guarded-action-reason" id="retry-reason">
                  {RETRY_DENIED}
                </p>
              )}
            </div>
          </div>
        </div>
      )}
      {data && status !== 'signed' && (d.refunds_waiting?.length ?? 0) > 0 && (
        <div class="alert alert--info" data-testid="refunds-waiting">
          <Icon name="info" class="alert-icon" />
          <div class="alert-body">
            <p>
              {d.refunds_waiting!.length === 1 ? 'A credit note waits' : `${d.refunds_waiting!.length} credit notes wait`} for
              this invoice: {d.refunds_waiting!.map((w) => w.ref || 'without a number').join(', ')}. They are fiscalized as
              refunds once this invoice is signed{status === 'failed' ? ', so retrying it lets them through too' : ''}.
            </p>
          </div>
        </div>
      )}
      {data && status === 'on_hold' && <HoldNote reason={d.hold_reason} kind={d.hold_kind} expired={expired} canBuy={canBuy} />}
      {data && status === 'signed' && d.tax_mismatch && <TaxMismatchNote d={d} via={via} />}
      {data && status === 'pending' && (
        <div class="pending-note" role="status">
          <span class="spinner" aria-hidden="true" />
          <div>
            <p>Being fiscalized; this updates by itself.</p>
            {d.last_error && !retried && <p class="pending-note-detail">Last attempt: {d.last_error}</p>}
          </div>
        </div>
      )}

      {data && (
        <>
          <dl class="facts">
            <div class="fact">
              <dt>Fiscal invoice number</dt>
              <dd>{d.invoice_number ? <code data-testid="invoice-number">{d.invoice_number}</code> : '—'}</dd>
            </div>
            <div class="fact">
              <dt>SDC time</dt>
              <dd>{d.sdc_time ? <time dateTime={d.sdc_time}>{formatDateTime(d.sdc_time)}</time> : '—'}</dd>
            </div>
            <div class="fact">
              <dt>Total</dt>
              <dd class="fact-amount" data-testid="invoice-total">
                {formatAmount(d.total_amount) || '—'}
              </dd>
            </div>
            <div class="fact">
              <dt>Type</dt>
              <dd>
                {[invoiceTypeLabel(d.invoice_type ?? canonical?.invoice_type), transactionTypeLabel(d.transaction_type ?? canonical?.transaction_type)]
                  .filter(Boolean)
                  .join(' · ') || '—'}
                {d.fiscal === false && <span class="fact-sub">Not a fiscal receipt</span>}
              </dd>
            </div>
            {d.invoice_counter && (
              <div class="fact">
                <dt>Invoice counter</dt>
                <dd>
                  <code>{d.invoice_counter}</code>
                </dd>
              </div>
            )}
            <div class="fact">
              <dt>Received</dt>
              <dd>
                <time dateTime={d.created_at}>{formatDateTime(d.created_at)}</time>
              </dd>
            </div>
            <div class="fact">
              <dt>Source</dt>
              <dd>
                {d.source_ref || canonical?.pos_invoice_number || '—'}
                <span class="fact-sub">{via ? `${via.name} · ${d.integration}` : 'Submitted through the API'}</span>
                {sourceUrl && (
                  <a class="source-link" href={sourceUrl} target="_blank" rel="noopener noreferrer" data-testid="source-link">
                    <Icon name="external" />
                    {sourceLinkLabel(via?.type)}
                  </a>
                )}
              </dd>
            </div>
            {d.writeback && (
              <div class="fact" data-testid="writeback">
                <dt>Written back</dt>
                <dd class={d.writeback.state === 'failed' ? 'fact-problem' : undefined}>
                  {writebackText(d.writeback, via?.name ?? 'the source', status)}
                  {d.writeback.at && (
                    <span class="fact-sub">
                      <time dateTime={d.writeback.at}>{formatDateTime(d.writeback.at)}</time>
                    </span>
                  )}
                  {d.writeback.state === 'failed' && (
                    <button
                      type="button"
                      class="btn btn--secondary btn--small fact-action"
                      disabled={!canOperate || wbRetrying}
                      title={canOperate ? undefined : RETRY_DENIED}
                      onClick={retryWriteback}
                    >
                      <Icon name="refresh" />
                      {wbRetrying ? 'Retrying…' : 'Retry write-back'}
                    </button>
                  )}
                </dd>
              </div>
            )}
            {d.certificate_uid && (
              <div class="fact">
                <dt>Certificate</dt>
                <dd>
                  <code>{d.certificate_uid}</code>
                </dd>
              </div>
            )}
          </dl>

          {(d.journal || d.qr_gif_base64 || d.verification_url) && (
            <FiscalReceipt
              journal={d.journal}
              qrGifBase64={d.qr_gif_base64}
              verificationUrl={d.verification_url}
              pdfUrl={d.status === 'signed' ? receiptUrl(orgCode, d.id) : null}
            />
          )}

          {d.tax_items && d.tax_items.length > 0 && (
            <section class="detail-section" aria-labelledby="tax-items-heading">
              <h3 class="section-title" id="tax-items-heading">
                Tax items
              </h3>
              <TaxItemsTable items={d.tax_items} />
            </section>
          )}

          {canonical && (canonical.items?.length ?? 0) > 0 && (
            <section class="detail-section" aria-labelledby="items-heading">
              <h3 class="section-title" id="items-heading">
                Items as submitted
              </h3>
              <InvoiceItemsTable invoice={canonical} />
            </section>
          )}
        </>
      )}
    </Modal>
  );
}
