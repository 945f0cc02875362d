// zoho_credit_notes.test.mjs - Zoho Books credit notes become Refunds of the invoice they credit
// (PRODUCT.md section 3), against the sandbox's Zoho emulator and V-SDC over real HTTP: through
// the workflow webhook of a rule on the Credit Notes module (a credit note made from a fiscalized
// invoice; one applied to an invoice later; one applied to a "paid"-trigger invoice, which the
// credit itself makes due), exactly once with one comment written back on the credit note; a
// fiscalized invoice voided becomes the Refund of its whole sale, and one voided after a credit
// note's credit was deleted from it the Refund of what that credit note did not refund (nothing
// when it refunded all of it); both by polling without webhooks too; and a connection consented
// without the credit-note scopes, whose invoices are still fiscalized while the integration says
// why its credit notes are not read (and its polls stop asking for them until it is reconnected).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { storeQuery } from '../lib/server.mjs';
import {
  startZohoWorld, stopZohoWorld, zohoUser, account, connectZoho, integration, fiscalInvoices, zohoInvoice, vsdcCount,
  waitFor, sleep,
} from '../lib/zoho.mjs';

let w, a, org, uid, setup;

before(async () => {
  w = await startZohoWorld();
  a = await account(w, 'zoho-cn');
  const user = await zohoUser(w, { dc: 'eu' });
  org = user.orgs[0].organization_id;
  uid = await connectZoho(w, a, user);
  setup = (await a.get(`/api/orgs/${a.org}/integrations/${uid}/webhook`)).json;
  await w.ctl('PUT', `/zoho/control/orgs/${org}/webhook`, {
    url: setup.url, secret: setup.secret, events: ['create', 'edit'], modules: ['invoices', 'creditnotes'],
  });
});

after(() => stopZohoWorld(w, [setup?.secret]));

async function signed(c, integ, ref, what) {
  return waitFor(async () => (await fiscalInvoices(c, integ)).find((f) => f.source_ref === ref && f.status === 'signed'), { what, timeoutMs: 30000 });
}

async function creditNote(world, organization, over = {}) {
  const r = await world.ctl('POST', `/zoho/control/orgs/${organization}/creditnotes`, {
    customer_name: 'E2E Kupac d.o.o.',
    line_items: [{ name: 'Widget', rate: 100, quantity: 1, tax_name: 'VAT' }],
    ...over,
  });
  return r.creditnote;
}

const details = async (c, f) => (await c.get(`/api/orgs/${c.org}/fiscal-invoices/${f.id}`)).json;

test('a credit note made from a fiscalized invoice becomes its Refund once, with one comment on the credit note', async () => {
  const inv = await zohoInvoice(w, org);
  const sale = await signed(a, uid, inv.invoice_number, 'the invoice');
  const cn = await creditNote(w, org, { invoice_id: inv.invoice_id });
  assert.match(cn.creditnote_number, /^CN-/);
  const refund = await signed(a, uid, cn.creditnote_number, 'the refund');
  assert.equal(refund.total_amount, '120');
  assert.match(refund.source_url, new RegExp(`/books/eu/app/${org}#/creditnotes/${cn.creditnote_id}$`));
  const d = await details(a, refund);
  assert.equal(d.invoice.transaction_type, 'refund');
  assert.equal(d.invoice.referent_document_number, sale.invoice_number);
  assert.equal(d.invoice.referent_document_time, (await details(a, sale)).sdc_time);
  assert.equal(d.invoice.pos_invoice_number, cn.creditnote_number);
  assert.deepEqual(d.invoice.items.map((x) => [x.name, x.quantity, x.total]), [['Widget', '1', '120']]);
  const cm = await waitFor(async () => {
    const l = await w.ctl('GET', `/zoho/control/creditnotes/${cn.creditnote_id}/comments?type=internal`);
    return l.length && l;
  }, { what: 'the comment on the credit note' });
  assert.equal(cm.length, 1);
  assert.ok(cm[0].description.includes(refund.invoice_number) && cm[0].description.includes(refund.verification_url), cm[0].description);
  // edits of the credit note are looked at, never fiscalized again
  const before = (await w.ctl('GET', `/zoho/control/orgs/${org}/webhook`)).delivered;
  await w.ctl('PUT', `/zoho/control/creditnotes/${cn.creditnote_id}`, { reference_number: 'edited later' });
  await waitFor(async () => (await w.ctl('GET', `/zoho/control/orgs/${org}/webhook`)).delivered > before, { what: 'the edit delivery' });
  await sleep(800);
  assert.equal((await fiscalInvoices(a, uid)).filter((f) => f.source_ref === cn.creditnote_number).length, 1);
  assert.equal(await vsdcCount(w, a.certUid, cn.creditnote_number), 1, 'the V-SDC signed the refund once');
  assert.equal((await w.ctl('GET', `/zoho/control/creditnotes/${cn.creditnote_id}/comments?type=internal`)).length, 1, 'one comment');
});

test('an open credit note applied to no invoice waits; applied later it becomes the Refund of that invoice', async () => {
  const inv = await zohoInvoice(w, org);
  const sale = await signed(a, uid, inv.invoice_number, 'the invoice');
  const cn = await creditNote(w, org, { line_items: [{ name: 'Book', rate: 10, quantity: 1, tax_name: 'Reduced VAT' }] });
  await waitFor(async () => (await w.ctl('GET', `/zoho/control/orgs/${org}/webhook`)).delivered >= 1, { what: 'the delivery' });
  await sleep(1000);
  assert.equal((await fiscalInvoices(a, uid)).filter((f) => f.source_ref === cn.creditnote_number).length, 0, 'not applied: nothing to refund');
  assert.equal((await integration(a, uid)).not_fiscalized, null, 'and nothing refused');
  await w.ctl('POST', `/zoho/control/creditnotes/${cn.creditnote_id}/invoices`, { invoices: [{ invoice_id: inv.invoice_id, amount_applied: 11 }] });
  const refund = await signed(a, uid, cn.creditnote_number, 'the refund once applied');
  assert.equal(refund.total_amount, '11');
  const d = await details(a, refund);
  assert.deepEqual([d.invoice.transaction_type, d.invoice.referent_document_number], ['refund', sale.invoice_number]);
});

test('a credit that makes a "paid"-trigger invoice due: the sale, then its Refund', async () => {
  const r = await a.patch(`/api/orgs/${a.org}/integrations/${uid}`, { settings: { fiscalize: 'paid' } });
  assert.equal(r.status, 200, r.text);
  try {
    const inv = await zohoInvoice(w, org);
    await sleep(1000);
    assert.equal((await fiscalInvoices(a, uid)).filter((f) => f.source_ref === inv.invoice_number).length, 0, 'sent, unpaid: not yet');
    const cn = await creditNote(w, org, { invoices: [{ invoice_id: inv.invoice_id, amount_applied: 120 }] });
    const sale = await signed(a, uid, inv.invoice_number, 'the invoice the credit made due');
    const refund = await signed(a, uid, cn.creditnote_number, 'its refund');
    assert.equal((await details(a, refund)).invoice.referent_document_number, sale.invoice_number);
  } finally {
    await a.patch(`/api/orgs/${a.org}/integrations/${uid}`, { settings: { fiscalize: 'sent' } });
  }
});

test('an invoice voided after its fiscalization becomes the Refund of the whole sale once, with its comment', async () => {
  const inv = await zohoInvoice(w, org);
  const sale = await signed(a, uid, inv.invoice_number, 'the invoice');
  // edited after the fiscalization: the refund still repeats what was signed
  await w.ctl('PUT', `/zoho/control/invoices/${inv.invoice_id}`, { line_items: [{ name: 'Other', rate: 1, quantity: 1, tax_name: 'VAT' }] });
  await w.ctl('POST', `/zoho/control/invoices/${inv.invoice_id}/void`);
  const refund = await waitFor(async () => (await fiscalInvoices(a, uid))
    .find((f) => f.source_ref === inv.invoice_number && f.id !== sale.id && f.status === 'signed'), { what: 'the refund' });
  const [s, d] = [await details(a, sale), await details(a, refund)];
  assert.equal(d.invoice.transaction_type, 'refund');
  assert.equal(d.invoice.referent_document_number, sale.invoice_number);
  assert.equal(d.invoice.referent_document_time, s.sdc_time);
  assert.deepEqual(d.invoice.items, s.invoice.items);
  assert.equal(refund.total_amount, sale.total_amount);
  assert.match(refund.source_url, new RegExp(`#/invoices/${inv.invoice_id}$`));
  const cm = await waitFor(async () => {
    const l = await w.ctl('GET', `/zoho/control/invoices/${inv.invoice_id}/comments?type=internal`);
    return l.length === 2 && l;
  }, { what: 'the sale\'s and the refund\'s comments' });
  assert.ok(cm.some((x) => x.description.includes(refund.invoice_number)), JSON.stringify(cm));
  const r = await w.ctl('GET', `/vsdc/control/invoices?uid=${a.certUid}&limit=1000`);
  assert.deepEqual(r.invoices.filter((x) => x.pos_invoice_number === inv.invoice_number).map((x) => x.transaction_type).sort(), [0, 1]);
  // an invoice voided before it was ever fiscalized (a draft) has nothing to refund
  const draft = await w.ctl('POST', `/zoho/control/orgs/${org}/invoices`, {
    customer_name: 'E2E Kupac d.o.o.', status: 'draft', line_items: [{ name: 'Widget', rate: 5, quantity: 1, tax_name: 'VAT' }],
  });
  await w.ctl('POST', `/zoho/control/invoices/${draft.invoice.invoice_id}/void`);
  await sleep(1500);
  assert.equal((await fiscalInvoices(a, uid)).filter((f) => f.source_ref === inv.invoice_number).length, 2);
  assert.equal((await fiscalInvoices(a, uid)).filter((f) => f.source_ref === draft.invoice.invoice_number).length, 0);
});

test('a void after a credit was taken off the invoice refunds what the credit note did not; a sale credited in full gets nothing more', async () => {
  const c = await account(w, 'zoho-voidcredit');
  const u = await zohoUser(w, { dc: 'eu' });
  const o = u.orgs[0].organization_id;
  const id = await connectZoho(w, c, u);
  const hook = (await c.get(`/api/orgs/${c.org}/integrations/${id}/webhook`)).json;
  await w.ctl('PUT', `/zoho/control/orgs/${o}/webhook`, {
    url: hook.url, secret: hook.secret, events: ['create', 'edit'], modules: ['invoices', 'creditnotes'],
  });
  const inv = await zohoInvoice(w, o); // 251: Widget 2 x 120 (VAT), Book 11 (Reduced VAT)
  const full = await zohoInvoice(w, o);
  const sale = await signed(c, id, inv.invoice_number, 'the sale');
  await signed(c, id, full.invoice_number, 'the sale to be credited in full');
  // a credit note of 12 of its own (no item of the sale) applied to one, one of all of it to the other
  const part = await creditNote(w, o, {
    line_items: [{ name: 'Goodwill', rate: 10, quantity: 1, tax_name: 'VAT' }],
    invoices: [{ invoice_id: inv.invoice_id, amount_applied: 12 }],
  });
  const whole = await creditNote(w, o, {
    invoice_id: full.invoice_id,
    line_items: [{ name: 'Widget', rate: 100, quantity: 2, tax_name: 'VAT' }, { name: 'Book', rate: 10, quantity: 1, tax_name: 'Reduced VAT' }],
  });
  const partRefund = await signed(c, id, part.creditnote_number, 'the partial credit note\'s refund');
  const wholeRefund = await signed(c, id, whole.creditnote_number, 'the full credit note\'s refund');
  assert.equal(partRefund.total_amount, '12');
  assert.equal(wholeRefund.total_amount, '251');
  const four = await fiscalInvoices(c, id);
  assert.equal(four.length, 4);
  await assert.rejects(w.ctl('POST', `/zoho/control/invoices/${inv.invoice_id}/void`), /409/, 'Zoho voids no invoice with credits applied');
  // the credits deleted from the invoices again (Delete invoices credited), then both invoices voided
  for (const cn of [part, whole]) {
    const [k] = (await w.ctl('GET', `/zoho/control/creditnotes/${cn.creditnote_id}`)).invoices_credited;
    const del = await w.ctl('DELETE', `/zoho/control/creditnotes/${cn.creditnote_id}/invoices/${k.creditnote_invoice_id}`);
    assert.deepEqual([del.invoice.credits_applied, del.invoice.status, del.creditnote.status], [0, 'sent', 'open']);
  }
  await w.ctl('POST', `/zoho/control/invoices/${inv.invoice_id}/void`);
  await w.ctl('POST', `/zoho/control/invoices/${full.invoice_id}/void`);
  const refund = await waitFor(async () => (await fiscalInvoices(c, id))
    .find((f) => f.source_ref === inv.invoice_number && f.id !== sale.id && f.status === 'signed'), { what: 'the void\'s refund', timeoutMs: 30000 });
  assert.equal(refund.total_amount, '239', 'the sale of 251 less the credit note\'s 12');
  assert.match(refund.source_url, new RegExp(`#/invoices/${inv.invoice_id}$`));
  const [s, d] = await Promise.all([sale, refund].map(async (f) => (await details(c, f)).invoice));
  assert.equal(d.transaction_type, 'refund');
  assert.equal(d.referent_document_number, sale.invoice_number);
  assert.equal(d.referent_document_time, (await details(c, sale)).sdc_time);
  // the credit note's 12 came off the sale's items with its tax label (Widget's); the rest stays item for item
  assert.equal(s.items.length, 2);
  assert.deepEqual(d.items[1], s.items[1]);
  assert.deepEqual(d.items[0].labels, s.items[0].labels);
  assert.equal(d.items[0].name, s.items[0].name);
  assert.equal(Number(d.items[0].total), Number(s.items[0].total) - 12);
  assert.equal(d.items[0].quantity, '1');
  assert.equal(d.payments.reduce((t, p) => t + Number(p.amount), 0), 239);
  // at the V-SDC: the sale's two refunds add up to the sale, no more
  const r = await w.ctl('GET', `/vsdc/control/invoices?uid=${c.certUid}&limit=1000`);
  const signedAt = (n) => r.invoices.find((y) => y.invoice_number === n);
  assert.equal(signedAt(refund.invoice_number).transaction_type, 1);
  assert.equal(signedAt(refund.invoice_number).total_amount + signedAt(partRefund.invoice_number).total_amount,
    signedAt(sale.invoice_number).total_amount);
  assert.equal(Number(storeQuery(w.srv, `SELECT SUM(total_amount) AS total FROM fiscal_invoices WHERE refund_of = '${sale.invoice_number}'`)[0].total),
    251 * 10000, 'the store knows both refunds as the sale\'s');
  // the sale credited in full gets no refund from its void: the void's job ends with nothing
  await waitFor(() => Number(storeQuery(w.srv, `SELECT COUNT(*) AS n FROM jobs WHERE state = 'done' AND
    payload LIKE '%"invoice_id":"${full.invoice_id}"%' AND payload LIKE '%"void":true%'`)[0].n) >= 1,
  { what: 'the full credit\'s void looked at' });
  await sleep(1500);
  const all = await fiscalInvoices(c, id);
  assert.equal(all.length, 5, 'no refund for the sale its credit note refunded in full');
  assert.equal(all.filter((f) => f.source_ref === full.invoice_number).length, 1);
  assert.equal(Number(storeQuery(w.srv, `SELECT COUNT(*) AS n FROM fiscal_invoices WHERE source_key = 'zoho:${o}:VOID:${full.invoice_id}'`)[0].n), 0);
  assert.equal(await vsdcCount(w, c.certUid, full.invoice_number), 1, 'the V-SDC signed only the sale');
  assert.equal((await integration(c, id)).not_fiscalized, null, 'and nothing refused');
});

test('without webhooks a credit note and a void are found by polling and refunded once', async () => {
  const w2 = await startZohoWorld({ env: { FISCALHUB_ZOHO_POLL_SECONDS: '1' } });
  try {
    const c = await account(w2, 'zoho-cn-poll');
    const u = await zohoUser(w2, { dc: 'eu' });
    const o = u.orgs[0].organization_id;
    const id = await connectZoho(w2, c, u);
    const inv = await zohoInvoice(w2, o);
    const sale = await signed(c, id, inv.invoice_number, 'the polled invoice');
    const cn = await creditNote(w2, o, { invoice_id: inv.invoice_id });
    const refund = await signed(c, id, cn.creditnote_number, 'the polled refund');
    assert.equal((await details(c, refund)).invoice.referent_document_number, sale.invoice_number);
    const stats = await w2.ctl('GET', '/zoho/control/stats');
    assert.ok(stats.calls['GET /creditnotes'] >= 1, JSON.stringify(stats.calls));
    const inv2 = await zohoInvoice(w2, o);
    const sale2 = await signed(c, id, inv2.invoice_number, 'the second polled invoice');
    await w2.ctl('POST', `/zoho/control/invoices/${inv2.invoice_id}/void`);
    const voided = await waitFor(async () => (await fiscalInvoices(c, id))
      .find((f) => f.source_ref === inv2.invoice_number && f.id !== sale2.id && f.status === 'signed'), { what: 'the polled void' });
    assert.equal((await details(c, voided)).invoice.referent_document_number, sale2.invoice_number);
    await sleep(1500); // later polls see them again within their overlap
    assert.equal((await fiscalInvoices(c, id)).filter((f) => f.source_ref === cn.creditnote_number).length, 1);
    assert.equal((await fiscalInvoices(c, id)).filter((f) => f.source_ref === inv2.invoice_number).length, 2);
    assert.equal((await integration(c, id)).sync_error, null);
  } finally {
    await stopZohoWorld(w2, []);
  }
});

test('a connection without the credit-note scopes still fiscalizes invoices and says why credit notes are not read', async () => {
  const w3 = await startZohoWorld({
    env: { FISCALHUB_ZOHO_POLL_SECONDS: '1', FISCALHUB_ZOHO_SCOPES: 'ZohoBooks.invoices.READ,ZohoBooks.invoices.CREATE,ZohoBooks.settings.READ' },
  });
  try {
    const c = await account(w3, 'zoho-cn-scope');
    const u = await zohoUser(w3, { dc: 'eu' });
    const o = u.orgs[0].organization_id;
    const id = await connectZoho(w3, c, u);
    const inv = await zohoInvoice(w3, o);
    await signed(c, id, inv.invoice_number, 'the invoice');
    const i = await waitFor(async () => {
      const x = await integration(c, id);
      return x.sync_error && x;
    }, { what: 'the sync error', timeoutMs: 30000 });
    assert.match(i.sync_error.message, /^Zoho Books refused to list credit notes/);
    // later polls skip the listing (no call, no token refresh spent on it) and keep saying why
    const listed = (await w3.ctl('GET', '/zoho/control/stats')).calls['GET /creditnotes'];
    const polled = Date.parse(i.last_polled_at);
    await waitFor(async () => Date.parse((await integration(c, id)).last_polled_at) > polled + 1500, { what: 'the polls to go on', timeoutMs: 30000 });
    assert.equal((await w3.ctl('GET', '/zoho/control/stats')).calls['GET /creditnotes'], listed);
    assert.equal((await integration(c, id)).sync_error.message,
      'Zoho Books refused to list credit notes: the consent lacks their scope; reconnect to have credit notes refunded');
    const inv2 = await zohoInvoice(w3, o);
    await signed(c, id, inv2.invoice_number, 'a later invoice');
  } finally {
    await stopZohoWorld(w3, []);
  }
});
