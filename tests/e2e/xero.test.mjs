// xero.test.mjs - the Xero connector against the sandbox's Xero emulator and V-SDC over real HTTP:
// consent with PKCE and state, the integrations API, both triggers ending in exactly one fiscal
// invoice and a history note written back, a refund for a credit note, webhook signatures and
// intent to receive, one refresh for a burst of work, Inactive on a revoked connection and
// Reconnect keeping the uid and history, and the API's refusals.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { signup, storeQuery, storeExec } from '../lib/server.mjs';
import {
  startXeroWorld, xeroUser, account, connectXero, reconnect, consent, callback, integration, fiscalInvoices,
  xeroInvoice, notes, waitFor, sleep, stopXeroWorld,
} from '../lib/xero.mjs';

let w, a, userA, uidA, tenantA;

before(async () => {
  w = await startXeroWorld();
  a = await account(w, 'xero-a');
  userA = await xeroUser(w, 1);
  tenantA = userA.orgs[0].tenant_id;
  uidA = await connectXero(w, a, userA);
});

after(() => stopXeroWorld(w));

const sign = (body, key = w.key) => createHmac('sha256', key).update(body).digest('base64');

async function signedInvoices(c, uid, n, what) {
  return waitFor(async () => {
    const l = await fiscalInvoices(c, uid);
    return l.filter((i) => i.status === 'signed').length >= n && l;
  }, { what, timeoutMs: 30000 });
}

async function vsdcCount(certUid, posNumber) {
  const r = await w.ctl('GET', `/vsdc/control/invoices?uid=${certUid}&limit=1000`);
  return r.invoices.filter((i) => i.pos_invoice_number === posNumber).length;
}

test('intent to receive passed against our webhook URL', () => {
  assert.equal(w.hook.status, 'active');
  assert.equal(w.hook.intent_to_receive.passed, true);
  assert.deepEqual(w.hook.intent_to_receive.checks.map((c) => c.status).sort(), [200, 401]);
});

test('connect: the integration is active with its certificate, trigger, organisation and a backfill', async () => {
  const i = await integration(a, uidA);
  assert.match(uidA, /^IN-[A-Z0-9]{6}$/);
  assert.equal(i.status, 'active');
  assert.equal(i.type, 'xero');
  assert.equal(i.certificate_uid, a.certUid);
  assert.equal(i.settings.trigger, 'payment');
  assert.equal(i.tenant_id, tenantA);
  assert.equal(i.tenant_name, userA.orgs[0].name);
  assert.equal(i.status_reason, null);
  await waitFor(async () => (await integration(a, uidA)).backfill.state === 'done', { what: 'first backfill' });
  const t = await a.post(`/api/orgs/${a.org}/integrations/${uidA}/test`);
  assert.equal(t.status, 200);
  assert.equal(t.json.ok, true, t.json.message);
  assert.match(t.json.message, new RegExp(userA.orgs[0].name));
});

test('trigger payment: approving does nothing, paying fiscalizes once and writes a note back', async () => {
  const inv = await xeroInvoice(w, tenantA);
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
  await sleep(1500);
  assert.equal((await fiscalInvoices(a, uidA)).filter((f) => f.source_ref === inv.InvoiceNumber).length, 0, 'not before a payment');
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/payments`, { Amount: 30 });
  const f = await waitFor(async () => (await fiscalInvoices(a, uidA)).find((x) => x.source_ref === inv.InvoiceNumber && x.status === 'signed'),
    { what: 'the fiscal invoice' });
  assert.equal(f.integration, uidA);
  assert.equal(f.total_amount, '71');
  assert.ok(f.source_url.endsWith(`InvoiceID=${inv.InvoiceID}`), f.source_url);
  const d = (await a.get(`/api/orgs/${a.org}/fiscal-invoices/${f.id}`)).json;
  assert.deepEqual(d.invoice.items.map((x) => [x.name, x.quantity, x.unit_price, x.total, x.labels[0]]),
    [['Widget', '2', '30', '60', 'A'], ['Book', '1', '11', '11', 'A']]);
  assert.equal(d.invoice.payments[0].method, 'wire_transfer');
  const n = await waitFor(async () => { const h = await notes(w, inv.InvoiceID); return h.length && h; }, { what: 'the note' });
  assert.equal(n.length, 1);
  assert.ok(n[0].Details.includes(f.invoice_number) && n[0].Details.includes(f.verification_url), n[0].Details);
  // more payments and edits never fiscalize again
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/payments`, { Amount: 41 });
  await w.ctl('PUT', `/xero/control/invoices/${inv.InvoiceID}`, { Reference: 'edited later' });
  await sleep(1500);
  assert.equal((await fiscalInvoices(a, uidA)).filter((x) => x.source_ref === inv.InvoiceNumber).length, 1);
  assert.equal(await vsdcCount(a.certUid, inv.InvoiceNumber), 1, 'the V-SDC signed it once');
  assert.equal((await notes(w, inv.InvoiceID)).length, 1, 'one note');
});

test('trigger approval: drafts never, approval fiscalizes once, a credit note becomes a refund', async () => {
  const c = await account(w, 'xero-appr');
  const u = await xeroUser(w, 1);
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval' } });
  const tenant = u.orgs[0].tenant_id;
  const inv = await xeroInvoice(w, tenant);
  await sleep(1200);
  assert.equal((await fiscalInvoices(c, uid)).length, 0, 'a draft is never fiscalized');
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
  const [f] = await signedInvoices(c, uid, 1, 'the approved invoice');
  assert.equal(f.source_ref, inv.InvoiceNumber);
  assert.equal(f.total_amount, '71');
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/payments`, { Amount: 30 });
  const cn = await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/credit-notes`, { Amount: 10 });
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/payments`, { Amount: 31 });
  const list = await signedInvoices(c, uid, 2, 'the refund');
  const refund = list.find((x) => x.id !== f.id);
  const d = (await c.get(`/api/orgs/${c.org}/fiscal-invoices/${refund.id}`)).json;
  assert.equal(d.invoice.transaction_type, 'refund');
  assert.equal(d.invoice.referent_document_number, f.invoice_number);
  assert.equal(d.invoice.referent_document_time, f.sdc_time);
  assert.equal(refund.source_ref, (cn.CreditNote || cn).CreditNoteNumber);
  await sleep(1000);
  const all = await fiscalInvoices(c, uid);
  assert.equal(all.length, 2, 'paying afterwards did not fiscalize the invoice again');
  assert.equal(await vsdcCount(c.certUid, inv.InvoiceNumber), 1);
  await waitFor(async () => (await notes(w, inv.InvoiceID)).length === 1, { what: 'the note' });
  // Change trigger
  const p = await c.patch(`/api/orgs/${c.org}/integrations/${uid}`, { settings: { trigger: 'payment' } });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.settings.trigger, 'payment');
  assert.equal(p.json.invoices_this_month, 2);
});


test('an invoice voided after its fiscalization becomes a refund of the whole sale, once', async () => {
  const c = await account(w, 'xero-void');
  const u = await xeroUser(w, 1);
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval' } });
  const tenant = u.orgs[0].tenant_id;
  // trigger payment: approved, never paid, voided: there is nothing to cancel
  const unpaid = await xeroInvoice(w, tenantA);
  await w.ctl('POST', `/xero/control/invoices/${unpaid.InvoiceID}/approve`);
  await w.ctl('POST', `/xero/control/invoices/${unpaid.InvoiceID}/void`);
  const other = await xeroInvoice(w, tenant);
  await w.ctl('POST', `/xero/control/invoices/${other.InvoiceID}/approve`);
  const inv = await xeroInvoice(w, tenant);
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
  const signed = await signedInvoices(c, uid, 2, 'both approved invoices');
  const f = signed.find((x) => x.source_ref === inv.InvoiceNumber);
  // edited in Xero after the fiscalization: the refund still cancels what was signed
  await w.ctl('PUT', `/xero/control/invoices/${inv.InvoiceID}`, {
    LineItems: [{ Description: 'Other', Quantity: 1, UnitAmount: 5, AccountCode: '200', TaxType: 'TAX001' }],
  });
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/void`);
  const list = await signedInvoices(c, uid, 3, 'the refund of the voided invoice');
  const refund = list.find((x) => x.source_ref === inv.InvoiceNumber && x.id !== f.id);
  const [orig, d] = await Promise.all([f.id, refund.id].map(async (id) => (await c.get(`/api/orgs/${c.org}/fiscal-invoices/${id}`)).json));
  assert.equal(d.invoice.transaction_type, 'refund');
  assert.equal(d.invoice.invoice_type, 'normal');
  assert.equal(d.invoice.referent_document_number, f.invoice_number);
  assert.equal(d.invoice.referent_document_time, f.sdc_time);
  assert.deepEqual(d.invoice.items, orig.invoice.items, 'item for item what the sale held');
  assert.deepEqual(d.invoice.payments, orig.invoice.payments);
  assert.equal(refund.total_amount, f.total_amount);
  assert.ok(refund.source_url.endsWith(`InvoiceID=${inv.InvoiceID}`), refund.source_url);
  const r = await w.ctl('GET', `/vsdc/control/invoices?uid=${c.certUid}&limit=1000`);
  const atVsdc = r.invoices.filter((x) => x.pos_invoice_number === inv.InvoiceNumber);
  assert.deepEqual(atVsdc.map((x) => x.transaction_type).sort(), [0, 1], 'one sale and one refund at the V-SDC');
  // the refund's note is written back on the voided invoice, next to the sale's
  const n = await waitFor(async () => { const h = await notes(w, inv.InvoiceID); return h.length === 2 && h; }, { what: 'both notes' });
  assert.ok(n.some((x) => x.Details.includes(refund.invoice_number)), JSON.stringify(n));
  // the void's repeated events refund nothing more
  await sleep(1500);
  assert.equal((await fiscalInvoices(c, uid)).filter((x) => x.source_ref === inv.InvoiceNumber).length, 2);
  assert.equal((await fiscalInvoices(c, uid)).filter((x) => x.source_ref === other.InvoiceNumber).length, 1);
  assert.equal((await fiscalInvoices(a, uidA)).filter((x) => x.source_ref === unpaid.InvoiceNumber).length, 0);
});

test('a void racing its sale\'s fiscalization (approved, read, voided before the sale is submitted) still refunds the sale', async () => {
  const c = await account(w, 'xero-voidrace');
  const u = await xeroUser(w, 1);
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval' } });
  await waitFor(async () => (await integration(c, uid)).backfill?.state === 'done', { what: 'the first sync' });
  // no scan of the invoice list may run during the race below: it would see the approved invoice
  // without the held read and fiscalize it before the void
  await waitFor(() => Number(storeQuery(w.srv, `SELECT COUNT(*) AS n FROM jobs WHERE kind = 'xero.sync'
    AND state IN ('ready', 'running')`)[0].n) === 0, { what: 'the syncs to end' });
  const scans = async () => (await w.ctl('GET', '/xero/control/stats')).calls['GET /Invoices'] ?? 0;
  const scansBefore = await scans();
  const gets = async () => (await w.ctl('GET', '/xero/control/stats')).calls['GET /Invoices/{id}'] ?? 0;
  const readBefore = await gets();
  const inv = await xeroInvoice(w, u.orgs[0].tenant_id);
  await waitFor(async () => (await gets()) > readBefore, { what: 'the new draft looked at' });
  // every read of it while it is AUTHORISED reaches fiscalhub 8 s after Xero rendered it (reads
  // of the draft or the voided invoice are not held): the void happens in between, and its own
  // read sees VOIDED while the sale has no fiscal invoice yet
  const held = async () => (await w.ctl('GET', '/xero/control/stats')).faults?.stale_response ?? 0;
  const heldBefore = await held();
  await w.ctl('PUT', '/xero/control/faults',
    { stale_response: { count: 1000, path: `/Invoices/${inv.InvoiceID}`, ms: 8000, status: 'AUTHORISED' } });
  try {
    await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
    await waitFor(async () => (await held()) > heldBefore, { what: 'the approval\'s read', everyMs: 20 });
    assert.equal((await fiscalInvoices(c, uid)).length, 0,
      `the sale is not submitted before the void (invoice list scans meanwhile: ${(await scans()) - scansBefore})`);
    await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/void`);
  } finally {
    await w.ctl('PUT', '/xero/control/faults', {});
  }
  const list = await signedInvoices(c, uid, 2, 'the sale and its refund');
  const sale = list.find((x) => x.id === Math.min(...list.map((y) => y.id)));
  const refund = list.find((x) => x.id !== sale.id);
  const d = (await c.get(`/api/orgs/${c.org}/fiscal-invoices/${refund.id}`)).json;
  assert.equal(d.invoice.transaction_type, 'refund');
  assert.equal(d.invoice.referent_document_number, sale.invoice_number);
  assert.equal(refund.total_amount, sale.total_amount);
  assert.deepEqual((await c.get(`/api/orgs/${c.org}/fiscal-invoices/${sale.id}`)).json.refunds_waiting, []);
});

test('a void after a credit was taken off the invoice refunds what the credit note did not; a sale credited in full gets nothing more', async () => {
  const c = await account(w, 'xero-voidcredit');
  const u = await xeroUser(w, 1);
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval' } });
  const tenant = u.orgs[0].tenant_id;
  const inv = await xeroInvoice(w, tenant);
  const full = await xeroInvoice(w, tenant);
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
  await w.ctl('POST', `/xero/control/invoices/${full.InvoiceID}/approve`);
  await signedInvoices(c, uid, 2, 'both sales');
  const part = (await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/credit-notes`, { Amount: 10 })).CreditNote;
  const whole = (await w.ctl('POST', `/xero/control/invoices/${full.InvoiceID}/credit-notes`, { Amount: 71 })).CreditNote;
  const four = await signedInvoices(c, uid, 4, 'both credit notes\' refunds');
  const by = (ref) => four.find((x) => x.source_ref === ref);
  const sale = by(inv.InvoiceNumber);
  assert.equal(by(part.CreditNoteNumber).total_amount, '10');
  await assert.rejects(w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/void`), /409/, 'Xero voids no invoice with credit applied');
  // the credits taken off again, then both invoices voided
  await w.ctl('DELETE', `/xero/control/credit-notes/${part.CreditNoteID}/allocations/${part.Allocations[0].AllocationID}`);
  await w.ctl('DELETE', `/xero/control/credit-notes/${whole.CreditNoteID}/allocations/${whole.Allocations[0].AllocationID}`);
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/void`);
  await w.ctl('POST', `/xero/control/invoices/${full.InvoiceID}/void`);
  const five = await signedInvoices(c, uid, 5, 'the refund of the partly credited invoice');
  const refund = five.find((x) => !four.some((y) => y.id === x.id));
  assert.equal(refund.source_ref, inv.InvoiceNumber);
  assert.equal(refund.total_amount, '61', 'the sale of 71 less the credit note\'s 10');
  const [o, d] = await Promise.all([sale.id, refund.id].map(async (id) => (await c.get(`/api/orgs/${c.org}/fiscal-invoices/${id}`)).json.invoice));
  assert.equal(d.transaction_type, 'refund');
  assert.equal(d.referent_document_number, sale.invoice_number);
  // the credit note's 10 came off the items with its tax label (the first line's); the rest stays item for item
  assert.equal(o.items.length, 2);
  assert.deepEqual(d.items[1], o.items[1]);
  assert.deepEqual(d.items[0].labels, o.items[0].labels);
  assert.equal(d.items[0].name, o.items[0].name);
  assert.equal(Number(d.items[0].total), Number(o.items[0].total) - 10);
  assert.equal(d.items[0].quantity, '1');
  assert.equal(d.payments.reduce((t, p) => t + Number(p.amount), 0), 61);
  // at the V-SDC: the sale's two refunds add up to the sale, no more
  const r = await w.ctl('GET', `/vsdc/control/invoices?uid=${c.certUid}&limit=1000`);
  const signedAt = (n) => r.invoices.find((y) => y.invoice_number === n);
  assert.equal(signedAt(refund.invoice_number).transaction_type, 1);
  assert.equal(signedAt(refund.invoice_number).total_amount + signedAt(by(part.CreditNoteNumber).invoice_number).total_amount,
    signedAt(sale.invoice_number).total_amount);
  assert.equal(Number(storeQuery(w.srv, `SELECT SUM(total_amount) AS total FROM fiscal_invoices WHERE refund_of = '${sale.invoice_number}'`)[0].total),
    71 * 10000, 'the store knows both refunds as the sale\'s');
  // the sale credited in full gets no refund from its void: the void's job ends with nothing
  const voidKey = `xero:${tenant}:VOID:${full.InvoiceID}`;
  await waitFor(() => Number(storeQuery(w.srv, `SELECT COUNT(*) AS n FROM jobs WHERE state = 'done' AND
    payload LIKE '%${full.InvoiceID}%' AND created_at >= ${Date.parse(refund.created_at) - 60000}`)[0].n) >= 1,
  { what: 'the full credit\'s void looked at' });
  await sleep(1500);
  const all = await fiscalInvoices(c, uid);
  assert.equal(all.length, 5, 'no refund for the sale its credit note refunded in full');
  assert.equal(Number(storeQuery(w.srv, `SELECT COUNT(*) AS n FROM fiscal_invoices WHERE source_key = '${voidKey}'`)[0].n), 0);
});

test('a void of an invoice never fiscalized waits 10 minutes for a racing sale, then ends with nothing', async () => {
  const c = await account(w, 'xero-voidnone');
  const u = await xeroUser(w, 1);
  await connectXero(w, c, u, { settings: { trigger: 'payment' } });
  const inv = await xeroInvoice(w, u.orgs[0].tenant_id);
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/void`);
  const key = `xero:${u.orgs[0].tenant_id}:VOID:${inv.InvoiceID}`;
  const waitRow = () => storeQuery(w.srv, `SELECT since FROM fiscal_waits WHERE waiting_key = '${key}'`);
  await waitFor(() => waitRow().length === 1, { what: 'the void\'s wait' });
  const parked = () => storeQuery(w.srv, `SELECT j.id, j.run_at FROM jobs j JOIN fiscal_waits f ON f.job = j.id WHERE f.waiting_key = '${key}'`);
  const job = await waitFor(() => parked()[0], { what: 'the parked void' });
  assert.ok(job.run_at - Date.now() > 9 * 60 * 1000, `no look before the window ends (due in ${job.run_at - Date.now()} ms)`);
  // the window passes: the look ends the wait, with no fiscal invoice
  storeExec(w.srv, `UPDATE fiscal_waits SET since = since - ${11 * 60 * 1000} WHERE waiting_key = '${key}';
    UPDATE jobs SET run_at = 0 WHERE id = ${job.id};`);
  await waitFor(() => waitRow().length === 0, { what: 'the end of the void\'s wait' });
  await waitFor(() => storeQuery(w.srv, `SELECT state FROM jobs WHERE id = ${job.id}`)[0]?.state === 'done',
    { what: 'the void\'s job done, not parked again' });
  const sale = `xero:${u.orgs[0].tenant_id}:${inv.InvoiceID}`;
  assert.equal(Number(storeQuery(w.srv, `SELECT COUNT(*) AS n FROM fiscal_invoices WHERE source_key IN ('${sale}', '${key}')`)[0].n), 0);
  // a void Xero dates an hour back (its UpdatedDateUTC) races nothing: no wait at all
  const old = await xeroInvoice(w, u.orgs[0].tenant_id);
  await w.ctl('POST', `/xero/control/invoices/${old.InvoiceID}/approve`);
  const voidedAt = Date.now();
  await w.ctl('POST', `/xero/control/invoices/${old.InvoiceID}/void`, { updated_ago_s: 3600 });
  await waitFor(() => Number(storeQuery(w.srv, `SELECT COUNT(*) AS n FROM jobs WHERE kind = 'xero.document' AND
    payload LIKE '%${old.InvoiceID}%' AND created_at >= ${voidedAt} AND state = 'done'`)[0].n) >= 1,
  { what: 'the old void looked at and done' });
  const oldKey = `xero:${u.orgs[0].tenant_id}:VOID:${old.InvoiceID}`;
  assert.equal(storeQuery(w.srv, `SELECT since FROM fiscal_waits WHERE waiting_key = '${oldKey}'`).length, 0, 'no wait for an old void');
});

test('a voided invoice whose fiscalization failed waits for it: a retry signs the sale and its refund follows', async () => {
  const c = await account(w, 'xero-voidwait');
  const u = await xeroUser(w, 1);
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval' } });
  await w.ctl('POST', `/vsdc/control/taxpayers/${c.certUid}/revoke`, {});
  const inv = await xeroInvoice(w, u.orgs[0].tenant_id);
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
  const failed = await waitFor(async () => (await fiscalInvoices(c, uid)).find((x) => x.status === 'failed'),
    { what: 'the failed fiscalization' });
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/void`);
  const waiting = await waitFor(async () => {
    const r = (await c.get(`/api/orgs/${c.org}/fiscal-invoices/${failed.id}`)).json.refunds_waiting;
    return r.length && r;
  }, { what: 'the void waiting on the failed sale' });
  assert.equal(waiting[0].ref, inv.InvoiceNumber);
  assert.equal((await fiscalInvoices(c, uid)).length, 1, 'no refund of an unsigned sale');
  await w.ctl('POST', `/vsdc/control/taxpayers/${c.certUid}/unrevoke`, {});
  assert.equal((await c.post(`/api/orgs/${c.org}/fiscal-invoices/${failed.id}/retry`)).status, 202);
  const list = await signedInvoices(c, uid, 2, 'the sale and its refund');
  const sale = list.find((x) => x.id === failed.id);
  const refund = list.find((x) => x.id !== failed.id);
  const d = (await c.get(`/api/orgs/${c.org}/fiscal-invoices/${refund.id}`)).json;
  assert.equal(d.invoice.transaction_type, 'refund');
  assert.equal(d.invoice.referent_document_number, sale.invoice_number);
  assert.deepEqual((await c.get(`/api/orgs/${c.org}/fiscal-invoices/${failed.id}`)).json.refunds_waiting, []);
});

test('trigger payment: a credit note of an invoice not fiscalized yet waits, and becomes its refund once a payment fiscalizes it', async () => {
  const inv = await xeroInvoice(w, tenantA);
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
  const cn = (await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/credit-notes`, { Amount: 10 })).CreditNote;
  const cnNumber = cn?.CreditNoteNumber;
  assert.ok(cnNumber);
  await sleep(2500);
  const mine = async () => (await fiscalInvoices(a, uidA)).filter((x) => [inv.InvoiceNumber, cnNumber].includes(x.source_ref));
  assert.equal((await mine()).length, 0, 'neither before a payment');
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/payments`, { Amount: 61 });
  const both = await waitFor(async () => { const l = await mine(); return l.length === 2 && l.every((x) => x.status === 'signed') && l; },
    { what: 'the sale and the credit note\'s refund', timeoutMs: 30000 });
  const sale = both.find((x) => x.source_ref === inv.InvoiceNumber);
  const refund = both.find((x) => x.source_ref === cnNumber);
  const woken = Date.parse(refund.created_at) - Date.parse(sale.signed_at);
  assert.ok(woken < 8000, `the refund was submitted ${woken} ms after the sale was signed: woken by the signature`);
  const d = (await a.get(`/api/orgs/${a.org}/fiscal-invoices/${refund.id}`)).json;
  assert.equal(d.invoice.transaction_type, 'refund');
  assert.equal(d.invoice.referent_document_number, sale.invoice_number);
});

test('a credit note of an invoice whose fiscalization failed waits, and becomes its refund once a retry signs the invoice', async () => {
  const c = await account(w, 'xero-cnwait');
  const u = await xeroUser(w, 1);
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval' } });
  const tenant = u.orgs[0].tenant_id;
  await w.ctl('POST', `/vsdc/control/taxpayers/${c.certUid}/revoke`, {});
  const inv = await xeroInvoice(w, tenant);
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
  const failed = await waitFor(async () => (await fiscalInvoices(c, uid)).find((x) => x.status === 'failed'),
    { what: 'the failed fiscalization' });
  assert.equal((await integration(c, uid)).invoices_failed, 1, 'the integration counts its failed invoice');
  const cn = await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/credit-notes`, { Amount: 10 });
  // the credit note's job looks again after as long as it has waited (2, 2, 4, 8, 16 s): after
  // 17 s its next look is about 15 s away, unless the invoice's signature wakes it
  await sleep(17000);
  assert.equal((await fiscalInvoices(c, uid)).length, 1, 'no refund before its invoice is signed');
  // the failed invoice says what waits for it
  const cnNumber = (cn.CreditNote || cn).CreditNoteNumber;
  const waiting = (await c.get(`/api/orgs/${c.org}/fiscal-invoices/${failed.id}`)).json.refunds_waiting;
  assert.equal(waiting.length, 1, JSON.stringify(waiting));
  assert.equal(waiting[0].ref, cnNumber);
  assert.equal(waiting[0].integration, uid);
  assert.match(waiting[0].since, /^\d{4}-\d{2}-\d{2}T/);
  await w.ctl('POST', `/vsdc/control/taxpayers/${c.certUid}/unrevoke`, {});
  const retry = await c.post(`/api/orgs/${c.org}/fiscal-invoices/${failed.id}/retry`);
  assert.equal(retry.status, 202, retry.text);
  const list = await signedInvoices(c, uid, 2, 'the invoice and its refund');
  const original = list.find((x) => x.id === failed.id);
  const refund = list.find((x) => x.id !== failed.id);
  assert.equal(refund.source_ref, (cn.CreditNote || cn).CreditNoteNumber);
  const woken = Date.parse(refund.created_at) - Date.parse(original.signed_at);
  assert.ok(woken < 8000, `the refund was submitted ${woken} ms after its invoice was signed: woken by the signature`);
  const d = (await c.get(`/api/orgs/${c.org}/fiscal-invoices/${refund.id}`)).json;
  assert.equal(d.invoice.transaction_type, 'refund');
  assert.equal(d.invoice.referent_document_number, original.invoice_number);
  assert.equal(await vsdcCount(c.certUid, inv.InvoiceNumber), 1, 'the invoice was signed once');
  assert.equal((await integration(c, uid)).invoices_failed, 0, 'none failed once the retry signed it');
  assert.deepEqual((await c.get(`/api/orgs/${c.org}/fiscal-invoices/${failed.id}`)).json.refunds_waiting, [],
    'nothing waits for it any more');
  assert.deepEqual(d.refunds_waiting, []);
});

test('webhooks: a bad signature is 401 with an empty body and nothing is processed', async () => {
  await w.ctl('PUT', `/xero/control/apps/${w.clientId}`, { webhook_categories: ['CONTACT'] }); // Xero stays quiet
  try {
    const inv = await xeroInvoice(w, tenantA);
    await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
    await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/payments`, { Amount: 71 });
    const body = JSON.stringify({ events: [{ resourceUrl: `${w.X.accounting}/Invoices/${inv.InvoiceID}`,
      resourceId: inv.InvoiceID, eventDateUtc: '2026-01-15T03:04:05.678', eventType: 'UPDATE', eventCategory: 'INVOICE',
      tenantId: tenantA, tenantType: 'ORGANISATION' }], firstEventSequence: 1, lastEventSequence: 1, entropy: 'ABCDEFGHIJKLMNOPQRST' });
    for (const sig of [sign(body, 'wrong-key'), '', sign(body + ' ')]) {
      const r = await fetch(w.srv.url + '/webhooks/xero', { method: 'POST', headers: { 'x-xero-signature': sig }, body });
      assert.equal(r.status, 401);
      assert.equal(await r.text(), '');
    }
    await sleep(1500);
    assert.equal((await fiscalInvoices(a, uidA)).filter((f) => f.source_ref === inv.InvoiceNumber).length, 0, 'nothing processed');
    const ok = await fetch(w.srv.url + '/webhooks/xero', { method: 'POST', headers: { 'x-xero-signature': sign(body) }, body });
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), '');
    await waitFor(async () => (await fiscalInvoices(a, uidA)).find((f) => f.source_ref === inv.InvoiceNumber && f.status === 'signed'),
      { what: 'the event with a good signature to be processed' });
    const itr = '{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"ABCDEFGHIJKLMNOPQRST"}';
    assert.equal((await fetch(w.srv.url + '/webhooks/xero', { method: 'POST', headers: { 'x-xero-signature': sign(itr) }, body: itr })).status, 200);
    assert.equal((await fetch(w.srv.url + '/webhooks/xero', { method: 'POST', headers: { 'x-xero-signature': sign(itr, 'x') }, body: itr })).status, 401);
  } finally {
    await w.ctl('PUT', `/xero/control/apps/${w.clientId}`, { webhook_categories: ['INVOICE', 'CREDITNOTE', 'CONTACT'] });
  }
});

test('a burst of 100 jobs needing a token causes exactly one refresh', async () => {
  const before = (await w.ctl('GET', '/xero/control/stats')).identity.refreshes || 0;
  await w.ctl('POST', '/xero/control/tokens/expire', { client_id: w.clientId, access: true });
  const bulk = await w.ctl('POST', `/xero/control/orgs/${tenantA}/invoices/bulk`, { count: 100, status: 'AUTHORISED', events: true });
  assert.equal(bulk.created, 100);
  const calls0 = (await w.ctl('GET', '/xero/control/stats')).tenants?.[tenantA]?.calls || 0;
  await waitFor(async () => {
    const s = await w.ctl('GET', '/xero/control/stats');
    return (s.tenants?.[tenantA]?.calls || 0) - calls0 >= 100;
  }, { what: '100 invoice fetches', timeoutMs: 60000 });
  const after = (await w.ctl('GET', '/xero/control/stats')).identity.refreshes || 0;
  assert.equal(after - before, 1, 'one refresh');
});

test('a revoked connection goes inactive with the reason; Reconnect restores it with its history', async () => {
  const c = await account(w, 'xero-revoke');
  const u = await xeroUser(w, 1);
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval' } });
  const inv = await xeroInvoice(w, u.orgs[0].tenant_id);
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
  await signedInvoices(c, uid, 1, 'the first invoice');
  const conns = await w.ctl('GET', `/xero/control/connections?client_id=${w.clientId}`);
  const conn = conns.find((x) => x.tenantId === u.orgs[0].tenant_id || x.tenant_id === u.orgs[0].tenant_id);
  await w.sb.control('DELETE', `/xero/control/connections/${conn.id}`);
  const t = await c.post(`/api/orgs/${c.org}/integrations/${uid}/test`);
  assert.equal(t.json.ok, false);
  assert.match(t.json.message, /reconnect/i);
  let i = await integration(c, uid);
  assert.equal(i.status, 'inactive');
  assert.match(i.status_reason, /reconnect/i);
  const cb = await reconnect(w, c, uid, u);
  assert.equal(cb.status, 302);
  assert.equal(cb.location, `/integrations?connected=${uid}`);
  i = await integration(c, uid);
  assert.equal(i.status, 'active');
  assert.equal(i.status_reason, null);
  assert.equal((await fiscalInvoices(c, uid)).length, 1, 'history kept');
  assert.equal((await c.post(`/api/orgs/${c.org}/integrations/${uid}/test`)).json.ok, true);
  const inv2 = await xeroInvoice(w, u.orgs[0].tenant_id);
  await w.ctl('POST', `/xero/control/invoices/${inv2.InvoiceID}/approve`);
  await signedInvoices(c, uid, 2, 'an invoice after reconnecting');
});

test('several organisations: the user picks one; a denied consent changes nothing', async () => {
  const c = await account(w, 'xero-pick');
  const u = await xeroUser(w, 2);
  const cr = await c.post(`/api/orgs/${c.org}/integrations`, { type: 'xero', certificate_uid: c.certUid, settings: { trigger: 'approval' } });
  assert.equal(cr.status, 201, cr.text);
  assert.equal(cr.json.status, 'pending');
  const uid = cr.json.uid;
  const denied = await reconnect(w, c, uid, u, { action: 'cancel' });
  assert.equal(denied.status, 302);
  assert.equal(denied.location, `/integrations?error=access_denied&uid=${uid}`);
  assert.equal((await integration(c, uid)).status, 'pending');
  const cb = await reconnect(w, c, uid, u);
  assert.equal(cb.location, `/integrations/${uid}/tenant`);
  const ts = await c.get(`/api/orgs/${c.org}/integrations/${uid}/tenants`);
  assert.deepEqual(ts.json.tenants.map((x) => x.tenant_id).sort(), u.orgs.map((o) => o.tenant_id).sort());
  assert.equal(ts.json.selected, null);
  const bad = await c.post(`/api/orgs/${c.org}/integrations/${uid}/tenant`, { tenant_id: 'nope' });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.code, 7004);
  const pick = await c.post(`/api/orgs/${c.org}/integrations/${uid}/tenant`, { tenant_id: u.orgs[1].tenant_id });
  assert.equal(pick.status, 200, pick.text);
  assert.equal(pick.json.status, 'active');
  assert.equal(pick.json.tenant_id, u.orgs[1].tenant_id);
});

test('the state is bound to the session, single use, and a bad one changes nothing', async () => {
  const c = await account(w, 'xero-state');
  const u = await xeroUser(w, 1);
  const cr = await c.post(`/api/orgs/${c.org}/integrations`, { type: 'xero', certificate_uid: c.certUid });
  const uid = cr.json.uid;
  const st = await c.post(`/api/orgs/${c.org}/integrations/${uid}/connect`);
  const au = new URL(st.json.authorize_url);
  assert.equal(au.searchParams.get('code_challenge_method'), 'S256');
  assert.match(au.searchParams.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
  assert.equal(au.searchParams.get('redirect_uri'), w.srv.url + '/oauth/xero/callback');
  const loc = await consent(w, st.json.authorize_url, u);
  const other = await signup(w.srv.url, 'xero-other');
  const foreign = await callback(other, loc);
  assert.equal(foreign.location, '/integrations?error=state_invalid');
  assert.equal((await other.get(`/api/orgs/${other.org}/integrations`)).json.integrations.length, 0);
  const good = await callback(c, loc);
  assert.equal(good.location, `/integrations?connected=${uid}`);
  const again = await callback(c, loc);
  assert.equal(again.location, '/integrations?error=state_invalid', 'single use');
  const junk = await callback(c, w.srv.url + '/oauth/xero/callback?code=x&state=forged');
  assert.equal(junk.location, '/integrations?error=state_invalid');
  assert.equal((await integration(c, uid)).status, 'active');
});

test('a failing sync shows on the integration with why and since when; a completed sync clears it', async () => {
  const c = await account(w, 'xero-syncfail');
  const u = await xeroUser(w, 1);
  // the consent's GET /connections passes; the backfill's first five pages answer 500. The faults
  // are in order for any tenant, so the earlier tests' Xero jobs (a backfill) must be over first.
  await waitFor(() => Number(storeQuery(w.srv, "SELECT COUNT(*) AS n FROM jobs WHERE kind LIKE 'xero.%' AND "
    + `(state = 'running' OR (state = 'ready' AND run_at <= ${Date.now()}))`)[0].n) === 0, { what: 'no Xero job under way' });
  await w.ctl('PUT', '/xero/control/faults', { next: ['none', ...Array(5).fill('error_5xx')] });
  try {
    const uid = await connectXero(w, c, u);
    const failing = await waitFor(async () => (await integration(c, uid)).sync_error, { what: 'the sync error', everyMs: 20 });
    assert.equal(failing.message, 'Xero did not answer usefully (HTTP 500, server error)');
    assert.ok(Date.parse(failing.since) <= Date.now());
    const i = await integration(c, uid);
    assert.equal(i.status, 'active', 'a failing sync does not make the integration inactive');
    const later = await waitFor(async () => {
      const x = await integration(c, uid);
      return x.backfill.state === 'done' && x;
    }, { what: 'the backfill done after the faults' });
    assert.equal(later.sync_error, null, 'the completed sync cleared the error');
    assert.equal((await w.ctl('GET', '/xero/control/faults')).next.length, 0, 'all five faults were met');
  } finally {
    await w.ctl('PUT', '/xero/control/faults', {});
  }
});

test('Xero answers cut short (a 200 that does not parse) are tried again: the invoice is fiscalized once', async () => {
  const c = await account(w, 'xero-cut');
  const u = await xeroUser(w, 1);
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval' } });
  await waitFor(async () => (await integration(c, uid)).backfill?.state === 'done', { what: 'the first sync' });
  await waitFor(() => Number(storeQuery(w.srv, "SELECT COUNT(*) AS n FROM jobs WHERE kind LIKE 'xero.%' AND "
    + `(state = 'running' OR (state = 'ready' AND run_at <= ${Date.now()}))`)[0].n) === 0, { what: 'no Xero job under way' });
  const cutBefore = (await w.ctl('GET', '/xero/control/stats')).faults?.cut ?? 0;
  await w.ctl('PUT', '/xero/control/faults', { next: ['cut', 'cut', 'cut'] });
  try {
    const inv = await xeroInvoice(w, u.orgs[0].tenant_id);
    await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
    const [f] = await signedInvoices(c, uid, 1, 'the approved invoice');
    assert.equal(f.source_ref, inv.InvoiceNumber);
    assert.equal((await w.ctl('GET', '/xero/control/faults')).next.length, 0, 'all three cut answers were met');
    assert.equal(((await w.ctl('GET', '/xero/control/stats')).faults?.cut ?? 0) - cutBefore, 3);
    await sleep(1000);
    assert.equal((await fiscalInvoices(c, uid)).filter((x) => x.source_ref === inv.InvoiceNumber).length, 1);
  } finally {
    await w.ctl('PUT', '/xero/control/faults', {});
  }
});

test('tax mapping: Xero\'s tax rates and the certificate\'s V-SDC labels; the saved mapping labels the next invoice', async () => {
  const c = await account(w, 'xero-tax');
  const u = await xeroUser(w, 1);
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval' } });
  const tenant = u.orgs[0].tenant_id;
  const path = `/api/orgs/${c.org}/integrations/${uid}/tax-mapping`;
  const calls = async () => (await w.ctl('GET', '/xero/control/stats')).calls['GET /TaxRates'] ?? 0;
  const before = await calls();
  const m = await c.get(path);
  assert.equal(m.status, 200, m.text);
  assert.equal(await calls(), before + 1, 'one read-only call to Xero');
  const tax = (k) => m.json.partner_taxes.find((t) => t.key === k);
  assert.equal(tax('TAX001').rate, 20);
  assert.equal(tax('TAX001').name, 'Tax on Sales 20%');
  assert.equal(tax('TAX002').rate, 10);
  const label = (l) => m.json.labels.find((x) => x.label === l);
  assert.deepEqual(label('A'), { label: 'A', rate: 9, category: 'VAT', category_type: 0 });
  assert.equal(label('Ж').rate, 19);
  assert.equal(label('P').category_type, 2, 'an amount per quantity is marked as such');
  assert.equal(m.json.group_id, 5);
  assert.deepEqual(m.json.tax_mapping, {});
  assert.equal(m.json.default_label, 'A');

  // without a mapping every line carries the default label
  const labelsOf = async (inv, n) => {
    await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
    const f = await waitFor(async () => (await fiscalInvoices(c, uid)).find((x) => x.source_ref === inv.InvoiceNumber && x.status === 'signed'),
      { what: `invoice ${n} signed` });
    const d = (await c.get(`/api/orgs/${c.org}/fiscal-invoices/${f.id}`)).json;
    return d.invoice.items.map((i) => i.labels.join(''));
  };
  assert.deepEqual(await labelsOf(await xeroInvoice(w, tenant), 1), ['A', 'A']);
  const p = await c.patch(`/api/orgs/${c.org}/integrations/${uid}`, { settings: { tax_mapping: { TAX001: 'Ж', TAX002: 'B' }, default_label: 'A' } });
  assert.equal(p.status, 200, p.text);
  const again = (await c.get(path)).json;
  assert.deepEqual(again.tax_mapping, { TAX001: 'Ж', TAX002: 'B' });
  assert.equal(again.default_label, 'A');
  assert.deepEqual(await labelsOf(await xeroInvoice(w, tenant), 2), ['Ж', 'B']);

  // bad requests: another organization's integration, a type without taxes, not connected yet,
  // a revoked certificate, a V-SDC that does not answer
  const other = await signup(w.srv.url, 'xero-tax-stranger');
  const stranger = await other.get(`/api/orgs/${other.org}/integrations/${uid}/tax-mapping`);
  assert.equal(stranger.status, 404);
  assert.equal((await c.get(`/api/orgs/${c.org}/integrations/IN-NOPE00/tax-mapping`)).status, 404);
  const wh = await c.post(`/api/orgs/${c.org}/integrations`, { type: 'custom', certificate_uid: c.certUid });
  assert.equal(wh.status, 201, wh.text);
  const notTaxed = await c.get(`/api/orgs/${c.org}/integrations/${wh.json.uid}/tax-mapping`);
  assert.equal(notTaxed.status, 400);
  assert.equal(notTaxed.json.code, 7000);
  assert.match(notTaxed.json.detail, /Xero and Zoho Books/);
  const pending = await c.post(`/api/orgs/${c.org}/integrations`, { type: 'xero', certificate_uid: c.certUid });
  const notYet = await c.get(`/api/orgs/${c.org}/integrations/${pending.json.uid}/tax-mapping`);
  assert.equal(notYet.status, 409);
  assert.equal(notYet.json.code, 7002);
  const upload = async (over) => {
    const cert = await w.ctl('POST', '/vsdc/control/certificates', over);
    const up = await c.post(`/api/orgs/${c.org}/certificates`, { pfx_base64: cert.pfx_base64, password: cert.password, pac: cert.pac });
    assert.equal(up.status, 201, up.text);
    const it = await c.post(`/api/orgs/${c.org}/integrations`, { type: 'xero', certificate_uid: up.json.uid });
    assert.equal(it.status, 201, it.text);
    return { cert: up.json.uid, uid: it.json.uid };
  };
  const revoked = await upload({});
  assert.equal((await c.post(`/api/orgs/${c.org}/certificates/${revoked.cert}/revoke`)).status, 200);
  const r = await c.get(`/api/orgs/${c.org}/integrations/${revoked.uid}/tax-mapping`);
  assert.equal(r.status, 409);
  assert.equal(r.json.code, 6002);
  const away = await upload({ vsdc_url: 'https://127.0.0.1:9' });
  const down = await c.get(`/api/orgs/${c.org}/integrations/${away.uid}/tax-mapping`);
  assert.equal(down.status, 502);
  assert.equal(down.json.code, 6005);
  assert.match(down.json.detail, new RegExp(`V-SDC of certificate ${away.cert} did not answer`));
});

test('Change certificate: invoices received afterwards are signed with the new one; bad requests change nothing', async () => {
  const c = await account(w, 'xero-recert');
  const u = await xeroUser(w, 1);
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval' } });
  const tenant = u.orgs[0].tenant_id;
  const before = await integration(c, uid);
  assert.equal(before.certificate_uid, c.certUid);
  assert.equal(before.certificate_status, 'active');
  assert.ok(Date.parse(before.certificate_expires_at) > Date.now() + 300 * 86400000, before.certificate_expires_at);
  const first = await xeroInvoice(w, tenant);
  await w.ctl('POST', `/xero/control/invoices/${first.InvoiceID}/approve`);
  await signedInvoices(c, uid, 1, 'the first invoice');
  // the renewal: a second certificate, valid for 20 days
  const issued = await w.ctl('POST', '/vsdc/control/certificates', { days: 20 });
  const up = await c.post(`/api/orgs/${c.org}/certificates`, { pfx_base64: issued.pfx_base64, password: issued.password, pac: issued.pac });
  assert.equal(up.status, 201, up.text);
  const path = `/api/orgs/${c.org}/integrations/${uid}`;
  const p = await c.patch(path, { certificate_uid: up.json.uid });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.certificate_uid, up.json.uid);
  assert.equal(p.json.settings.trigger, 'approval', 'the settings stay');
  const days = (Date.parse(p.json.certificate_expires_at) - Date.now()) / 86400000;
  assert.ok(days > 18 && days <= 20, `expires in ${days} days`);
  const second = await xeroInvoice(w, tenant);
  await w.ctl('POST', `/xero/control/invoices/${second.InvoiceID}/approve`);
  const list = await signedInvoices(c, uid, 2, 'the second invoice');
  const byRef = (ref) => list.find((x) => x.source_ref === ref);
  assert.equal(byRef(first.InvoiceNumber).certificate_uid, c.certUid, 'the first keeps its certificate');
  assert.equal(byRef(second.InvoiceNumber).certificate_uid, up.json.uid);
  assert.equal(await vsdcCount(up.json.uid, second.InvoiceNumber), 1, 'signed by the V-SDC under the new certificate');
  // bad requests
  const bad = [
    [{}, 400, 1001], [{ certificate_uid: 'NOPE1234' }, 400, 6001], [{ certificate_uid: 'bad uid!' }, 400, 1003],
    [{ certificate_uid: 7 }, 400, 1002],
  ];
  for (const [body, status, code] of bad) {
    const r = await c.patch(path, body);
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.json.code, code, JSON.stringify(body));
  }
  assert.equal((await c.post(`/api/orgs/${c.org}/certificates/${c.certUid}/revoke`)).status, 200);
  const revoked = await c.patch(path, { certificate_uid: c.certUid });
  assert.equal(revoked.status, 409);
  assert.equal(revoked.json.code, 7001);
  const other = await account(w, 'xero-recert-other');
  assert.equal((await c.patch(path, { certificate_uid: other.certUid })).json.code, 6001, 'another organization\'s certificate');
  assert.equal((await other.patch(`/api/orgs/${other.org}/integrations/${uid}`, { certificate_uid: other.certUid })).status, 404);
  assert.equal((await integration(c, uid)).certificate_uid, up.json.uid, 'nothing changed');
});

test('API: validation, roles, other tenants, remove keeps invoices and stops sync', async () => {
  const base = `/api/orgs/${a.org}/integrations`;
  assert.equal((await a.post(base, { type: 'xero', certificate_uid: 'NOPE1234' })).json.code, 6001);
  // settings are checked per type: Xero's trigger is not a Zoho Books setting
  assert.equal((await a.post(base, { type: 'zoho_books', certificate_uid: a.certUid, settings: { trigger: 'payment' } })).json.code, 1006);
  assert.equal((await a.post(base, { type: 'xero', certificate_uid: a.certUid, settings: { trigger: 'sometimes' } })).status, 400);
  assert.equal((await a.post(base, { type: 'xero', certificate_uid: a.certUid, settings: { color: 'red' } })).json.code, 1006);
  const other = await signup(w.srv.url, 'xero-stranger');
  assert.equal((await other.get(`/api/orgs/${other.org}/integrations/${uidA}/tenants`)).status, 404);
  assert.equal((await other.post(`/api/orgs/${other.org}/integrations/${uidA}/test`)).status, 404);
  assert.equal((await other.del(`/api/orgs/${other.org}/integrations/${uidA}`)).status, 404);
  // remove: 204, not listed, revoked at Xero, fiscal invoices kept
  const keep = (await fiscalInvoices(a, uidA)).length;
  assert.ok(keep >= 1);
  const conns0 = (await w.ctl('GET', `/xero/control/connections?client_id=${w.clientId}`)).filter((x) => (x.tenantId || x.tenant_id) === tenantA);
  assert.equal(conns0.length, 1);
  const del = await a.del(`${base}/${uidA}`);
  assert.equal(del.status, 204);
  assert.equal(await integration(a, uidA), undefined);
  assert.equal((await a.del(`${base}/${uidA}`)).status, 404);
  await waitFor(async () => (await w.ctl('GET', `/xero/control/connections?client_id=${w.clientId}`))
    .filter((x) => (x.tenantId || x.tenant_id) === tenantA).length === 0, { what: 'the connection revoked at Xero' });
  assert.equal((await fiscalInvoices(a, uidA)).length, keep);
  const inv = await xeroInvoice(w, tenantA);
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/payments`, { Amount: 71 });
  await sleep(1500);
  assert.equal((await fiscalInvoices(a, uidA)).length, keep, 'sync stopped');
});
