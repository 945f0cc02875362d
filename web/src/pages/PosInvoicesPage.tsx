// POS → POS Invoices: every invoice fiscalized for the organization, newest
// first, with filters (status - on hold among them -, integration, date range),
// paging and a details dialog (journal, QR, verification link, tax items, Retry
// for failed ones, why an invoice is on hold and what releases it).
// Filtered to failed invoices, "Retry all" sends every failed one that matches
// the other filters again (after a V-SDC outage, a certificate problem solved).
// "Export CSV" downloads every invoice the filters select (paging ignored).
//
// The filters live in the page's query string (?status=failed&page=2), so a
// reload or a shared link shows the same list. While any listed invoice is
// pending, the list refreshes itself every few seconds.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiErrorAlert } from '../components/ApiErrorAlert';
import { EmptyState } from '../components/EmptyState';
import { FiscalInvoiceDialog, RETRY_DENIED, type IntegrationInfo } from '../components/FiscalInvoiceDialog';
import { FiscalInvoiceFilters, type IntegrationOption } from '../components/FiscalInvoiceFilters';
import { FiscalInvoicesTable } from '../components/FiscalInvoicesTable';
import { Icon } from '../components/Icon';
import { Loading } from '../components/Loading';
import { RetryAlert } from '../components/LoadState';
import { Notice } from '../components/Notice';
import { PageHeader } from '../components/PageHeader';
import { Pager } from '../components/Pager';
import {
  EMPTY_FILTER,
  exportUrl,
  filterFromSearch,
  filterSearch,
  fiscalInvoices,
  isFiltered,
  PAGE_SIZE,
  type FiscalFilter,
} from '../fiscalInvoices';
import { navigate } from '../router';
import { can } from '../session';
import type { FiscalInvoiceSummary, OrgMembership } from '../types';
import { useIntegrations } from '../useIntegrations';
import { useResource } from '../useResource';
import { useTitle } from '../useTitle';

interface Props {
  org: OrgMembership;
}

const REFRESH_MS = 4000;

export function PosInvoicesPage({ org }: Props) {
  useTitle('POS Invoices');
  const [filter, setFilter] = useState<FiscalFilter>(() => filterFromSearch(window.location.search));
  const [open, setOpen] = useState<FiscalInvoiceSummary | null>(null);
  const [bulk, setBulk] = useState<{ busy: boolean; done?: string; error?: unknown }>({ busy: false });
  const integrationsReply = useIntegrations(org.code).data;

  const rangeError = filter.from && filter.to && filter.from > filter.to ? 'The "To" date is before the "From" date.' : null;
  const key = rangeError ? null : `${org.code}?${filterSearch(filter)}`;
  const { data, error, loading, reload, refresh } = useResource(
    key,
    (signal) => fiscalInvoices.list(org.code, filter, signal),
    'Could not load the invoices.',
  );

  // Keep the address in step with the filters (replace: filtering is not navigation).
  const applyFilter = (next: FiscalFilter) => {
    setFilter(next);
    setBulk({ busy: false });
    navigate(`${window.location.pathname}${filterSearch(next)}`, { replace: true });
  };

  // A different organization has other integrations and invoices: start over.
  const shownOrg = useRef(org.code);
  useEffect(() => {
    if (shownOrg.current === org.code) return;
    shownOrg.current = org.code;
    setOpen(null);
    if (filter.integration || filter.page > 1) applyFilter({ ...filter, integration: '', page: 1 });
  }, [org.code]);

  const anyPending = !!data && data.invoices.some((i) => i.status === 'pending');
  useEffect(() => {
    if (!anyPending || open) return undefined;
    const t = window.setTimeout(refresh, REFRESH_MS);
    return () => window.clearTimeout(t);
  }, [data, anyPending, open]);

  const byUid = useMemo(() => {
    const m = new Map<string, IntegrationInfo>();
    if (integrationsReply) {
      for (const it of integrationsReply.integrations) m.set(it.uid, { type: it.type, name: it.type_name || it.type });
      for (const p of integrationsReply.pending)
        if (p.uid) m.set(p.uid, { type: p.type ?? '', name: p.type_name || p.type || 'Integration' });
    }
    return m;
  }, [integrationsReply]);
  const integration = (uid: string | null | undefined) => (uid ? byUid.get(uid) ?? { type: '', name: 'Integration' } : null);
  const options: IntegrationOption[] = [...byUid.entries()].map(([uid, it]) => ({ uid, label: `${it.name} · ${uid}` }));
  const integrationName = (uid: string | null | undefined) => {
    const it = integration(uid);
    return it ? `${it.name} · ${uid}` : null;
  };

  const filtered = isFiltered(filter);
  const empty = !!data && data.invoices.length === 0;
  const canOperate = can(org, 'integrations.operate');

  const retryAll = async () => {
    setBulk({ busy: true });
    try {
      const r = await fiscalInvoices.retryFailed(org.code, filter);
      const n = r.retried === 1 ? '1 invoice is' : `${r.retried} invoices are`;
      const more = r.remaining > 0 ? ` ${r.remaining} more are still failed: press Retry all again.` : '';
      setBulk({ busy: false, done: `${n} sent to the V-SDC again.${more}` });
      refresh();
    } catch (e) {
      setBulk({ busy: false, error: e });
    }
  };

  return (
    <>
      <PageHeader
        title="POS Invoices"
        description={`Every invoice fiscalized for ${org.name}: its fiscal number, journal, QR code and verification link.`}
      />
      <section class="panel" aria-labelledby="invoices-heading">
        <div class="panel-header">
          <h2 id="invoices-heading" class="panel-title">
            Fiscal invoices
          </h2>
          {data && data.total > 0 && (
            <a class="btn btn--secondary btn--small" href={exportUrl(org.code, filter)} download data-testid="export-csv">
              <Icon name="download" />
              Export CSV<span class="visually-hidden"> of the {data.total === 1 ? 'invoice' : `${data.total.toLocaleString('en-US')} invoices`} shown</span>
            </a>
          )}
          {filter.status === 'failed' && data && data.total > 0 && (
            <button
              type="button"
              class="btn btn--secondary btn--small"
              data-testid="retry-all"
              disabled={!canOperate || bulk.busy}
              title={canOperate ? undefined : RETRY_DENIED}
              onClick={retryAll}
            >
              <Icon name="refresh" />
              {bulk.busy ? 'Retrying…' : `Retry all ${data.total}`}
            </button>
          )}
        </div>
        <FiscalInvoiceFilters value={filter} integrations={options} rangeError={rangeError} onChange={applyFilter} />
        {bulk.done && (
          <div class="panel-pad" role="status" data-testid="retry-all-done">
            <Notice>{bulk.done}</Notice>
          </div>
        )}
        {bulk.error !== undefined && (
          <div class="panel-pad">
            <ApiErrorAlert error={bulk.error} fallback="The invoices could not be retried; please try again." />
          </div>
        )}

        {loading && (
          <div class="panel-pad">
            <Loading label="Loading invoices…" />
          </div>
        )}
        {error && (
          <div class="panel-pad">
            <RetryAlert message={error} onRetry={reload} />
          </div>
        )}

        {data && !empty && (
          <>
            <FiscalInvoicesTable invoices={data.invoices} integrationName={integrationName} onOpen={setOpen} />
            <Pager
              page={data.page}
              pageSize={data.page_size || PAGE_SIZE}
              total={data.total}
              shown={data.invoices.length}
              onPage={(page) => applyFilter({ ...filter, page })}
            />
          </>
        )}
        {data &&
          empty &&
          (filtered || filter.page > 1 ? (
            <EmptyState
              icon="receipt"
              title="No invoices match these filters"
              action={
                <button
                  type="button"
                  class="btn btn--secondary"
                  onClick={() => applyFilter(EMPTY_FILTER)}
                >
                  Clear filters
                </button>
              }
            />
          ) : (
            <EmptyState icon="receipt" title="No fiscalized invoices yet">
              <p>
                Invoices appear here once an integration (or your own software, through the API) sends them for
                fiscalization. Each shows its fiscal invoice number, verification link, QR code and journal.
              </p>
            </EmptyState>
          ))}
      </section>

      {open && (
        <FiscalInvoiceDialog
          orgCode={org.code}
          invoice={open}
          canOperate={canOperate}
          integration={integration}
          expired={integrationsReply?.usage.expired}
          canBuy={can(org, 'billing.manage')}
          onClose={() => setOpen(null)}
          onChanged={refresh}
        />
      )}
    </>
  );
}
