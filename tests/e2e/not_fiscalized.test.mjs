// not_fiscalized.test.mjs - a partner document fiscalhub cannot fiscalize (here Xero invoices with
// a negative line, or in a foreign currency) is shown on its integration with its number and the reason, instead of reaching
// only the log; once the document changes so that it is fiscalized, or no longer needs to be
// (voided), it is gone from the warning.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startXeroWorld, xeroUser, account, connectXero, integration, fiscalInvoices, waitFor, stopXeroWorld,
} from '../lib/xero.mjs';
import { Client, uniqueEmail } from '../lib/server.mjs';

let w;
before(async () => { w = await startXeroWorld(); });
after(async () => { await stopXeroWorld(w); });

const NEGATIVE = 'line 2 has a negative amount or quantity; it cannot be fiscalized';
const service = { Description: 'Service', Quantity: 1, UnitAmount: 100, AccountCode: '200', TaxType: 'TAX001' };
const refund = { Description: 'Goodwill', Quantity: 1, UnitAmount: -5, AccountCode: '200', TaxType: 'TAX001' };

test('Xero: a refused invoice is listed on the integration until it is fiscalized or voided', async () => {
  const c = await account(w, 'refused');
  const u = await xeroUser(w, 1);
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval' } });
  const tenant = u.orgs[0].tenant_id;
  assert.equal((await integration(c, uid)).not_fiscalized, null, 'nothing refused yet');

  const bad = await w.ctl('POST', `/xero/control/orgs/${tenant}/invoices`,
    { Type: 'ACCREC', Contact: { Name: 'Buyer' }, Status: 'AUTHORISED', LineItems: [service, refund] });
  const warned = await waitFor(async () => { const i = await integration(c, uid); return i.not_fiscalized && i; },
    { timeoutMs: 30000, what: 'the refused invoice on the integration' });
  assert.equal(warned.not_fiscalized.count, 1);
  assert.equal(warned.not_fiscalized.recent.length, 1);
  const [entry] = warned.not_fiscalized.recent;
  assert.deepEqual([entry.source_ref, entry.reason], [bad.InvoiceNumber, NEGATIVE]);
  assert.match(entry.seen_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal((await fiscalInvoices(c, uid)).filter((f) => f.source_ref === bad.InvoiceNumber).length, 0);
  // the list of integrations carries it too (a later look, by a scan, may have renewed seen_at)
  const listed = (await c.get(`/api/orgs/${c.org}/integrations`)).json.integrations.find((i) => i.uid === uid);
  const unseen = (nf) => ({ ...nf, recent: nf.recent.map(({ seen_at, ...e }) => e) });
  assert.deepEqual(unseen(listed.not_fiscalized), unseen(warned.not_fiscalized));
  assert.ok(listed.not_fiscalized.recent[0].seen_at >= entry.seen_at, 'seen_at never goes back');
  assert.ok(entry.first_seen_at <= entry.seen_at, 'first refused no later than last refused');

  // a second one, voided in Xero later: it no longer needs fiscalizing
  const voided = await w.ctl('POST', `/xero/control/orgs/${tenant}/invoices`,
    { Type: 'ACCREC', Contact: { Name: 'Buyer' }, Status: 'AUTHORISED', LineItems: [service, refund] });
  const two = await waitFor(async () => { const i = await integration(c, uid); return i.not_fiscalized?.count === 2 && i; },
    { timeoutMs: 30000, what: 'two refused invoices' });
  assert.deepEqual(two.not_fiscalized.recent.map((e) => e.source_ref).sort(), [bad.InvoiceNumber, voided.InvoiceNumber].sort());
  await w.ctl('POST', `/xero/control/invoices/${voided.InvoiceID}/void`);
  await waitFor(async () => (await integration(c, uid)).not_fiscalized?.count === 1, { timeoutMs: 30000, what: 'the voided one gone' });

  // an invoice in another currency than the organisation's: its amounts are not the taxpayer's
  const usd = await w.ctl('POST', `/xero/control/orgs/${tenant}/invoices`,
    { Type: 'ACCREC', Contact: { Name: 'Buyer' }, Status: 'AUTHORISED', CurrencyCode: 'USD', CurrencyRate: 0.0092, LineItems: [service] });
  assert.equal(usd.CurrencyRate, 0.0092);
  const foreign = await waitFor(async () => (await integration(c, uid)).not_fiscalized?.recent.find((e) => e.source_ref === usd.InvoiceNumber),
    { timeoutMs: 30000, what: 'the USD invoice refused' });
  assert.equal(foreign.reason, "the document is in USD at an exchange rate of 0.0092: fiscalhub fiscalizes only documents in the organisation's own currency");
  await w.ctl('POST', `/xero/control/invoices/${usd.InvoiceID}/void`);
  await waitFor(async () => (await integration(c, uid)).not_fiscalized?.count === 1, { timeoutMs: 30000, what: 'the USD one voided' });

  // the first corrected in Xero: fiscalized on its update, and the warning is gone
  const fixed = await w.ctl('PUT', `/xero/control/invoices/${bad.InvoiceID}`, { LineItems: [{ ...service, UnitAmount: 95 }] });
  assert.equal(fixed.Total, 114);
  const signed = await waitFor(async () => (await fiscalInvoices(c, uid)).find((f) => f.source_ref === bad.InvoiceNumber && f.status === 'signed'),
    { timeoutMs: 30000, what: 'the corrected invoice signed' });
  assert.equal(signed.total_amount, '114');
  assert.equal((await integration(c, uid)).not_fiscalized, null);
});

test('Xero: invoices refused for a revoked certificate are fiscalized once a valid one is chosen; Look again', async () => {
  const c = await account(w, 'revoked');
  const u = await xeroUser(w, 1);
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval' } });
  const tenant = u.orgs[0].tenant_id;
  const revoke = await c.post(`/api/orgs/${c.org}/certificates/${c.certUid}/revoke`);
  assert.equal(revoke.status, 200, revoke.text);
  const inv = await w.ctl('POST', `/xero/control/orgs/${tenant}/invoices`,
    { Type: 'ACCREC', Contact: { Name: 'Buyer' }, Status: 'AUTHORISED', LineItems: [service] });
  const entry = await waitFor(async () => (await integration(c, uid)).not_fiscalized?.recent.find((e) => e.source_ref === inv.InvoiceNumber),
    { timeoutMs: 30000, what: 'the invoice refused for the certificate' });
  assert.deepEqual(entry, {
    source_ref: inv.InvoiceNumber,
    reason: "the integration's certificate is revoked: choose a valid certificate for the integration, and fiscalhub tries its refused documents again",
    seen_at: entry.seen_at, first_seen_at: entry.seen_at, kind: 'invoice',
    source_url: `${w.sb.url}/xero/AccountsReceivable/View.aspx?InvoiceID=${inv.InvoiceID}`,
  });

  // Look again while the cause is still there: looked at, still refused, listed once
  const again = await c.post(`/api/orgs/${c.org}/integrations/${uid}/not-fiscalized/retry`);
  assert.deepEqual([again.status, again.json], [202, { queued: 1 }]);
  const seen = await waitFor(async () => {
    const e = (await integration(c, uid)).not_fiscalized?.recent.find((x) => x.source_ref === inv.InvoiceNumber);
    return e && e.seen_at !== entry.seen_at && e;
  }, { timeoutMs: 30000, what: 'the second look' });
  assert.equal(seen.reason, entry.reason);
  assert.equal(seen.first_seen_at, entry.first_seen_at, 'first refused when it was first refused');
  assert.equal((await integration(c, uid)).not_fiscalized.count, 1);

  // newest refusals first: a second invoice refused, then the first one changed in Xero and
  // refused once more: it is looked at last, but the second stays ahead of it
  const inv2 = await w.ctl('POST', `/xero/control/orgs/${tenant}/invoices`,
    { Type: 'ACCREC', Contact: { Name: 'Buyer' }, Status: 'AUTHORISED', LineItems: [service] });
  const entry2 = await waitFor(async () => (await integration(c, uid)).not_fiscalized?.recent.find((e) => e.source_ref === inv2.InvoiceNumber),
    { timeoutMs: 30000, what: 'the second invoice refused' });
  await w.ctl('PUT', `/xero/control/invoices/${inv.InvoiceID}`, { Reference: 'changed' });
  const both = await waitFor(async () => {
    const nf = (await integration(c, uid)).not_fiscalized;
    const first = nf?.recent.find((x) => x.source_ref === inv.InvoiceNumber);
    return first && first.seen_at > entry2.seen_at && nf;
  }, { timeoutMs: 30000, what: 'the first invoice refused again after the second' });
  assert.deepEqual(both.recent.map((e) => e.source_ref), [inv2.InvoiceNumber, inv.InvoiceNumber]);
  assert.deepEqual(both.recent.map((e) => e.first_seen_at), [entry2.first_seen_at, entry.first_seen_at]);

  // a valid certificate chosen for the integration: the refused invoice is fiscalized with it
  const cert = await w.ctl('POST', '/vsdc/control/certificates', {});
  const up = await c.post(`/api/orgs/${c.org}/certificates`, { pfx_base64: cert.pfx_base64, password: cert.password, pac: cert.pac });
  assert.equal(up.status, 201, up.text);
  const patch = await c.patch(`/api/orgs/${c.org}/integrations/${uid}`, { certificate_uid: up.json.uid });
  assert.equal(patch.status, 200, patch.text);
  const signed = await waitFor(async () => (await fiscalInvoices(c, uid)).find((f) => f.source_ref === inv.InvoiceNumber && f.status === 'signed'),
    { timeoutMs: 30000, what: 'the invoice signed with the new certificate' });
  assert.equal(signed.total_amount, '120');
  assert.equal((await c.get(`/api/orgs/${c.org}/fiscal-invoices/${signed.id}`)).json.certificate_uid, up.json.uid);
  await waitFor(async () => (await integration(c, uid)).not_fiscalized === null, { what: 'the warning gone' });
  const none = await c.post(`/api/orgs/${c.org}/integrations/${uid}/not-fiscalized/retry`);
  assert.deepEqual([none.status, none.json], [202, { queued: 0 }]);
});

test('Look again: unknown, cross-organization and document-less integrations are refused', async () => {
  const c = await account(w, 'againbad');
  const other = await account(w, 'againother');
  const u = await xeroUser(w, 1);
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval' } });
  const cross = await other.post(`/api/orgs/${other.org}/integrations/${uid}/not-fiscalized/retry`);
  assert.deepEqual([cross.status, cross.json.code], [404, 2000], cross.text);
  const foreign = await other.post(`/api/orgs/${c.org}/integrations/${uid}/not-fiscalized/retry`);
  assert.deepEqual([foreign.status, foreign.json.code], [404, 2000], foreign.text);
  assert.equal(foreign.json.detail, `no organization ${c.org}`);
  const email = uniqueEmail('againviewer');
  assert.equal((await c.post(`/api/orgs/${c.org}/members`, { email, role: 'viewer', name: 'V', password: 'long enough password' })).status, 201);
  const viewer = new Client(w.srv.url);
  assert.equal((await viewer.post('/api/auth/login', { email, password: 'long enough password' })).status, 200);
  const denied = await viewer.post(`/api/orgs/${c.org}/integrations/${uid}/not-fiscalized/retry`);
  assert.equal(denied.status, 403, denied.text);
  const bad = await c.post(`/api/orgs/${c.org}/integrations/NOPE/not-fiscalized/retry`);
  assert.equal(bad.status, 404);
  const custom = await c.post(`/api/orgs/${c.org}/integrations`, { type: 'custom', certificate_uid: c.certUid });
  assert.equal(custom.status, 201, custom.text);
  const r = await c.post(`/api/orgs/${c.org}/integrations/${custom.json.uid}/not-fiscalized/retry`);
  assert.deepEqual([r.status, r.json.code], [400, 7000], r.text);
  assert.match(r.json.detail, /^custom integrations have no partner documents to look at again$/);
});
