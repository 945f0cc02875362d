// xero_backfill.test.mjs - the first backfill and the polling fallback against the sandbox's Xero
// emulator under tight, time-scaled rate limits: 5,000 invoices are paged 100 at a time with
// If-Modified-Since (then the credit notes, the same way), using exactly the calls paging requires
// and no 429 left unhandled; with webhooks silent, polling still fiscalizes what changes: approved
// invoices and a credit note (as a refund).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startXeroWorld, xeroUser, account, connectXero, integration, fiscalInvoices, waitFor, xeroInvoice, sleep, stopXeroWorld } from '../lib/xero.mjs';

const MINUTE = 20; // calls per (scaled, 2-second) minute for the tenant: 50 pages need 3 windows
let w;

before(async () => {
  w = await startXeroWorld({ env: { FISCALHUB_XERO_MINUTE_LIMIT: String(MINUTE), FISCALHUB_XERO_POLL_SECONDS: '4' } });
});

after(() => stopXeroWorld(w));

test('a backfill of 5,000 invoices under the rate limits: 51 page calls (credit notes included), no unhandled 429, progress shown; polling fiscalizes approvals and a credit note', async (t) => {
  const c = await account(w, 'xero-backfill');
  const u = await xeroUser(w, 1);
  const tenant = u.orgs[0].tenant_id;
  await w.ctl('PUT', `/xero/control/apps/${w.clientId}`, { webhook_categories: ['CONTACT'] }); // webhooks silent
  await w.ctl('PUT', `/xero/control/orgs/${tenant}/limits`, { minute: MINUTE });
  const bulk = await w.ctl('POST', `/xero/control/orgs/${tenant}/invoices/bulk`, { count: 5000, status: 'DRAFT' });
  assert.equal(bulk.created, 5000);
  await sleep(1100); // If-Modified-Since counts whole seconds: later scans start after this one
  const s0 = await w.ctl('GET', '/xero/control/stats');
  const t0 = Date.now();
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval', backfill_days: 1 } });
  const seen = new Set();
  const i = await waitFor(async () => {
    const x = await integration(c, uid);
    seen.add(x.backfill.state);
    return x.backfill.state === 'done' && x;
  }, { what: 'the backfill', timeoutMs: 60000, everyMs: 200 });
  const ms = Date.now() - t0;
  assert.equal(i.backfill.done, 5000);
  assert.equal(i.backfill.total, 5000);
  assert.ok(i.last_sync_at);
  assert.ok(seen.has('running') || ms < 1000, 'progress was visible while it ran');
  const s1 = await w.ctl('GET', '/xero/control/stats');
  const d = (k) => (s1.calls[k] || 0) - (s0.calls[k] || 0);
  const pages = d('GET /Invoices') + d('GET /CreditNotes');
  const limited = (s1.tenants[tenant]?.rate_limited || 0);
  // every call that reached Xero's page endpoints was needed: 50 invoice pages and the one
  // (empty) credit-note page, plus a repeat per 429
  assert.equal(pages - limited, 51, `pages ${pages}, rate limited ${limited}`);
  assert.ok(d('GET /CreditNotes') >= 1, 'the backfill reads the credit notes too');
  t.diagnostic(`backfill: ${pages} page calls (${d('GET /CreditNotes')} of credit notes), ${limited} answered 429, ${ms} ms`);
  assert.ok(limited <= 3, `the governor paced the calls (429s: ${limited})`);
  assert.ok(ms >= 2000, `50 calls at ${MINUTE} a (2 s) minute cannot finish in ${ms} ms`);
  assert.equal((await fiscalInvoices(c, uid)).length, 0, 'drafts are never fiscalized');

  // webhooks stay silent: the polling fallback picks up approvals, with one call per poll
  const fresh = await xeroInvoice(w, tenant);
  for (const id of [bulk.first_id, bulk.last_id, fresh.InvoiceID]) await w.ctl('POST', `/xero/control/invoices/${id}/approve`);
  await waitFor(async () => (await fiscalInvoices(c, uid)).filter((f) => f.status === 'signed').length === 3,
    { what: 'polling to fiscalize the approved invoices', timeoutMs: 30000 });
  const s2 = await w.ctl('GET', '/xero/control/stats');
  assert.equal(s2.tenants[tenant]?.rate_limited || 0, limited, 'no 429 while polling');
  const after = await integration(c, uid);
  assert.deepEqual(after.backfill, { state: 'done', done: 5000, total: 5000 }, 'polls leave the backfill progress alone');

  // a credit note whose webhook never comes: polling reads GET /CreditNotes and fiscalizes it
  // as a refund of the invoice it is allocated to
  const signed = (await fiscalInvoices(c, uid)).find((f) => f.source_ref === fresh.InvoiceNumber);
  const cn = await w.ctl('POST', `/xero/control/invoices/${fresh.InvoiceID}/credit-notes`, { Amount: 10 });
  const cnNumber = (cn.CreditNote || cn).CreditNoteNumber;
  const refund = await waitFor(async () => (await fiscalInvoices(c, uid)).find((f) => f.source_ref === cnNumber && f.status === 'signed'),
    { what: 'polling to fiscalize the credit note', timeoutMs: 30000 });
  const r = (await c.get(`/api/orgs/${c.org}/fiscal-invoices/${refund.id}`)).json;
  assert.equal(r.invoice.transaction_type, 'refund');
  assert.equal(r.invoice.referent_document_number, signed.invoice_number);
  assert.equal(r.invoice.referent_document_time, signed.sdc_time);
  await sleep(4500); // more polls read it again: still one refund
  assert.equal((await fiscalInvoices(c, uid)).filter((f) => f.source_ref === cnNumber).length, 1);
  await w.ctl('PUT', `/xero/control/apps/${w.clientId}`, { webhook_categories: ['INVOICE', 'CREDITNOTE', 'CONTACT'] });
});
