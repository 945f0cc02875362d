// Custom Integration: API keys (secret shown once, revocation on the next request, removal of
// the integration revokes them) and the public API /api/v1 against the V-SDC emulator over mTLS:
// submission signed with the integration's certificate, Idempotency-Key replay without a second
// fiscal invoice (V-SDC statistics), source_id, cursor paging stable under inserts, filters,
// refund and copy documents, scoping (another integration's or tenant's invoice is 404), rate
// limits (429 + Retry-After), and bad input naming the field with nothing written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signup, Client } from '../lib/server.mjs';
import { startSandbox, issueCert, uploadCert, invoice, startFiscalServer } from '../lib/fiscal.mjs';
import { ApiClient, basic, createCustom, createKey, createWebhook } from '../lib/custom.mjs';

const BURST = 200;
let sb, srv, a, b, certA, integ, key, api;
let seq = 0;
const sid = (tag) => `${tag}-${process.pid}-${++seq}`;

before(async () => {
  sb = await startSandbox();
  srv = await startFiscalServer(sb, {
    FISCALHUB_WORKERS: '4',
    FISCALHUB_API_RATE_BURST: String(BURST),
    FISCALHUB_API_RATE_PER_MINUTE: '3000',
  });
  a = await signup(srv.url, 'custom-a');
  b = await signup(srv.url, 'custom-b');
  certA = await uploadCert(a, await issueCert(sb));
  integ = await createCustom(a, certA);
  key = await createKey(a, integ, 'POS till 1');
  api = new ApiClient(srv.url, key);
});
after(async () => {
  await srv?.stop();
  await sb?.stop();
});

const submit = (client, inv = invoice({ pos_invoice_number: sid('POS') }), extra = {}, headers = {}) =>
  client.post('/api/v1/invoices', { invoice: inv, ...extra }, headers);
// A sale of items paid in cash, signed.
const signedSale = async (client, items) => {
  const amount = String(items.reduce((sum, x) => sum + Number(x.total), 0));
  const s = await submit(client, invoice({ pos_invoice_number: sid('POS'), items, payments: [{ method: 'cash', amount }] }));
  const d = await client.settled(s.json.id);
  assert.equal(d.status, 'signed', d.last_error);
  return d;
};

test('API keys: at most 20 active per integration, also when 40 are asked for at once; a revoked one frees its place', async () => {
  let base, made;
  const active = async () => (await a.get(base)).json.api_keys.filter((k) => k.status === 'active').length;
  for (let round = 0; round < 3; round++) { // the requests race for the last places
    const uid = await createCustom(a, certA);
    base = `/api/orgs/${a.org}/integrations/${uid}/api-keys`;
    const all = await Promise.all(Array.from({ length: 40 }, (_, i) => a.post(base, { label: `k${i}` })));
    made = all.filter((r) => r.status === 201);
    assert.equal(made.length, 20, JSON.stringify(all.map((r) => r.status)));
    for (const r of all.filter((x) => x.status !== 201)) assert.deepEqual([r.status, r.json.code], [409, 8010]);
    assert.equal(await active(), 20);
  }
  assert.equal((await a.post(`${base}/${made[0].json.client_id}/revoke`)).status, 200);
  assert.equal((await a.post(base, { label: 'in its place' })).status, 201);
  assert.equal((await a.post(base, { label: 'one too many' })).status, 409);
  assert.equal(await active(), 20);
});

test('API keys: the secret is shown once, the list never holds it, viewers cannot create', async () => {
  const k = await createKey(a, integ, 'Back office');
  assert.match(k.client_id, /^ck_[A-Za-z0-9_-]{22}$/);
  assert.match(k.client_secret, /^cs_[A-Za-z0-9_-]{43}$/);
  assert.equal(k.label, 'Back office');
  assert.equal(k.status, 'active');
  const list = await a.get(`/api/orgs/${a.org}/integrations/${integ}/api-keys`);
  assert.equal(list.status, 200);
  const row = list.json.api_keys.find((x) => x.client_id === k.client_id);
  assert.deepEqual(Object.keys(row).sort(), ['client_id', 'created_at', 'label', 'last_used_at', 'revoked_at', 'status']);
  assert.ok(!list.text.includes(k.client_secret), 'the list never shows a secret');
  assert.equal(row.last_used_at, null);
  assert.equal((await new ApiClient(srv.url, k).get('/api/v1/me')).status, 200);
  const used = (await a.get(`/api/orgs/${a.org}/integrations/${integ}/api-keys`)).json.api_keys.find((x) => x.client_id === k.client_id);
  assert.ok(used.last_used_at, 'last_used_at is set by a request');
  // a webhook integration has no API keys
  const wh = await createWebhook(a, certA, 'http://127.0.0.1:9/fiscal', { events: ['invoice.failed'] });
  const r = await a.post(`/api/orgs/${a.org}/integrations/${wh.uid}/api-keys`, { label: 'x' });
  assert.equal(r.status, 409);
  assert.equal(r.json.code, 8004);
  // a viewer of the organization lists the keys but cannot create or revoke one
  const email = `viewer-${process.pid}-${++seq}@example.com`;
  const m = await a.post(`/api/orgs/${a.org}/members`, { email, role: 'viewer', name: 'V', password: 'correct horse battery staple' });
  assert.equal(m.status, 201, m.text);
  const v = new Client(srv.url);
  assert.equal((await v.post('/api/auth/login', { email, password: 'correct horse battery staple' })).status, 200);
  assert.equal((await v.get(`/api/orgs/${a.org}/integrations/${integ}/api-keys`)).status, 200);
  assert.equal((await v.post(`/api/orgs/${a.org}/integrations/${integ}/api-keys`, { label: 'no' })).json.code, 3003);
  assert.equal((await v.post(`/api/orgs/${a.org}/integrations/${integ}/api-keys/${k.client_id}/revoke`)).json.code, 3003);
  assert.equal((await a.post(`/api/orgs/${a.org}/integrations/${integ}/api-keys`, { label: '' })).status, 400);
  assert.equal((await a.post(`/api/orgs/${a.org}/integrations/${integ}/api-keys`, { label: 'x'.repeat(101) })).json.code, 1005);
});

test('an invoice submitted with an API key is fiscalized with the integration\'s certificate', async () => {
  const me = await api.get('/api/v1/me');
  assert.equal(me.status, 200);
  assert.equal(me.json.integration.uid, integ);
  assert.equal(me.json.certificate.uid, certA);
  const pos = sid('POS');
  const r = await submit(api, invoice({ pos_invoice_number: pos }), { source_ref: 'R-1', source_url: 'https://erp.example.com/1' });
  assert.equal(r.status, 202, r.text);
  assert.equal(r.json.status, 'pending');
  assert.equal(r.json.integration, integ);
  assert.equal(r.json.certificate_uid, certA);
  const d = await api.settled(r.json.id);
  assert.equal(d.status, 'signed', d.last_error);
  assert.match(d.invoice_number, new RegExp(`^${certA}-`));
  assert.equal(d.transaction_type, 'sale');
  assert.ok(d.result.signature, 'the V-SDC signature');
  assert.match(d.result.journal, /FISCAL INVOICE/);
  assert.ok(d.result.qr_gif_base64.startsWith('R0lGOD'));
  assert.equal(d.source_ref, 'R-1');
  const atSandbox = await sb.control('GET', `/vsdc/control/invoices/${d.invoice_number}`);
  assert.equal(atSandbox.request.invoiceNumber, pos);
  // the portal attributes it to the integration
  const portal = await a.get(`/api/orgs/${a.org}/fiscal-invoices?integration=${integ}`);
  assert.ok(portal.json.invoices.some((x) => x.id === r.json.id && x.integration === integ));
});

test('a revoked key gets 401 on its next request; the other keys keep working', async () => {
  const k1 = await createKey(a, integ, 'to revoke');
  const k2 = await createKey(a, integ, 'stays');
  const c1 = new ApiClient(srv.url, k1);
  const c2 = new ApiClient(srv.url, k2);
  assert.equal((await c1.get('/api/v1/invoices?limit=1')).status, 200);
  const rv = await a.post(`/api/orgs/${a.org}/integrations/${integ}/api-keys/${k1.client_id}/revoke`);
  assert.equal(rv.status, 200, rv.text);
  assert.equal(rv.json.status, 'revoked');
  assert.ok(rv.json.revoked_at);
  const denied = await c1.get('/api/v1/invoices?limit=1');
  assert.equal(denied.status, 401);
  assert.equal(denied.json.code, 8000);
  assert.match(denied.json.detail, /revoked/);
  assert.match(denied.headers.get('www-authenticate'), /^Basic /);
  assert.equal((await submit(c1)).status, 401, 'a revoked key cannot submit');
  assert.equal((await c2.get('/api/v1/invoices?limit=1')).status, 200);
  // revoking again answers the same object
  const again = await a.post(`/api/orgs/${a.org}/integrations/${integ}/api-keys/${k1.client_id}/revoke`);
  assert.equal(again.json.revoked_at, rv.json.revoked_at);
  // wrong secret, malformed and missing credentials
  for (const auth of [basic(k2.client_id, k2.client_secret + 'x'), basic('ck_nope', k2.client_secret), 'Basic !!!', `Bearer ${k2.client_secret}`]) {
    const r = await new ApiClient(srv.url, auth).get('/api/v1/me');
    assert.equal(r.status, 401, auth);
    assert.equal(r.json.code, 8000);
  }
  assert.equal((await new ApiClient(srv.url).get('/api/v1/me')).status, 401);
  // a session cookie is no API key
  assert.equal((await a.get('/api/v1/me')).status, 401);
});

test('a replayed Idempotency-Key returns the first answer and no second fiscal invoice', async () => {
  const pos = sid('POS');
  const body = JSON.stringify({ invoice: invoice({ pos_invoice_number: pos }) });
  const idem = { 'idempotency-key': sid('idem') };
  const first = await api.post('/api/v1/invoices', body, idem);
  assert.equal(first.status, 202, first.text);
  assert.equal(first.headers.get('idempotent-replayed'), null);
  const d = await api.settled(first.json.id);
  assert.equal(d.status, 'signed');
  const again = await api.post('/api/v1/invoices', body, idem);
  assert.equal(again.status, 202, 'the first status');
  assert.equal(again.text, first.text, 'the first body, byte for byte');
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  // concurrent replays too
  const many = await Promise.all([1, 2, 3, 4].map(() => api.post('/api/v1/invoices', body, idem)));
  for (const r of many) assert.equal(r.text, first.text);
  const stats = await sb.control('GET', '/vsdc/control/stats');
  const posts = stats.posts_by_request_id.filter((p) => p.request_id === first.json.request_id);
  assert.equal(posts.length, 1);
  assert.equal(posts[0].posts, 1, 'the V-SDC saw one POST');
  const signedAtVsdc = (await sb.control('GET', '/vsdc/control/invoices?limit=1000')).invoices.filter((i) => i.pos_invoice_number === pos);
  assert.equal(signedAtVsdc.length, 1, 'one fiscal invoice');
  const mine = await api.get(`/api/v1/invoices?limit=100`);
  assert.equal(mine.json.invoices.filter((i) => i.id === first.json.id).length, 1);
  // the same key with another body: 409, nothing new
  const other = await api.post('/api/v1/invoices', { invoice: invoice({ pos_invoice_number: sid('POS') }) }, idem);
  assert.equal(other.status, 409);
  assert.equal(other.json.code, 8002);
  // the key is the integration's: another integration may use the same key for its own request
  const integ2 = await createCustom(a, certA);
  const api2 = new ApiClient(srv.url, await createKey(a, integ2));
  const theirs = await api2.post('/api/v1/invoices', body, idem);
  assert.equal(theirs.status, 202);
  assert.notEqual(theirs.json.id, first.json.id);
  // concurrent first requests with a new key make one invoice
  const idem2 = { 'idempotency-key': sid('idem') };
  const body2 = JSON.stringify({ invoice: invoice({ pos_invoice_number: sid('POS') }) });
  const race = await Promise.all([1, 2, 3, 4, 5].map(() => api.post('/api/v1/invoices', body2, idem2)));
  assert.equal(new Set(race.map((r) => r.text)).size, 1, race.map((r) => r.status + r.text).join('\n'));
  assert.equal(race[0].status, 202);
  // a malformed key
  const bad = await api.post('/api/v1/invoices', body, { 'idempotency-key': 'x'.repeat(256) });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.code, 8003);
});

test('source_id makes a submission idempotent too: 200 with the stored invoice', async () => {
  const source = sid('INV');
  const first = await submit(api, undefined, { source_id: source });
  assert.equal(first.status, 202);
  assert.equal(first.json.source_id, source);
  const again = await submit(api, invoice({ pos_invoice_number: 'other' }), { source_id: source });
  assert.equal(again.status, 200);
  assert.equal(again.json.id, first.json.id);
  const found = await api.get(`/api/v1/invoices?source_id=${encodeURIComponent(source)}`);
  assert.deepEqual(found.json.invoices.map((i) => i.id), [first.json.id]);
});

test('list: newest first, filters, and a cursor that stays stable while invoices arrive', async () => {
  const own = await createCustom(a, certA);
  const c = new ApiClient(srv.url, await createKey(a, own));
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await submit(c, invoice({ pos_invoice_number: sid('POS'), invoice_type: i === 0 ? 'proforma' : 'normal' }))).json.id);
  const p1 = await c.get('/api/v1/invoices?limit=2');
  assert.equal(p1.status, 200);
  assert.deepEqual(p1.json.invoices.map((i) => i.id), [ids[4], ids[3]]);
  assert.ok(p1.json.next_cursor);
  const newer = (await submit(c)).json.id; // arrives between pages
  const p2 = await c.get(`/api/v1/invoices?limit=2&cursor=${encodeURIComponent(p1.json.next_cursor)}`);
  assert.deepEqual(p2.json.invoices.map((i) => i.id), [ids[2], ids[1]]);
  const p3 = await c.get(`/api/v1/invoices?limit=2&cursor=${encodeURIComponent(p2.json.next_cursor)}`);
  assert.deepEqual(p3.json.invoices.map((i) => i.id), [ids[0]]);
  assert.equal(p3.json.next_cursor, null);
  const all = await c.get('/api/v1/invoices');
  assert.deepEqual(all.json.invoices.map((i) => i.id), [newer, ...ids.slice().reverse()], 'only this integration\'s invoices');
  const proforma = await c.get('/api/v1/invoices?invoice_type=proforma');
  assert.deepEqual(proforma.json.invoices.map((i) => i.id), [ids[0]]);
  const future = await c.get('/api/v1/invoices?from=2999-01-01');
  assert.deepEqual(future.json.invoices, []);
  const today = new Date().toISOString().slice(0, 10);
  assert.equal((await c.get(`/api/v1/invoices?to=${today}`)).json.invoices.length, 6);
  await c.settled(newer);
  const signed = await c.get('/api/v1/invoices?status=signed');
  assert.ok(signed.json.invoices.every((i) => i.status === 'signed') && signed.json.invoices.some((i) => i.id === newer));
  for (const [q, name] of [['status=done', 'status'], ['invoice_type=x', 'invoice_type'], ['limit=0', 'limit'], ['limit=101', 'limit'],
    ['cursor=abc', 'cursor'], ['from=yesterday', 'from'], ['to=2026-13-01', 'to']]) {
    const r = await c.get(`/api/v1/invoices?${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.json.code, 1011);
    assert.match(r.json.detail, new RegExp(`^${name} `), q);
  }
});

test('refund and copy of a signed invoice refer to it; refused for pending invoices and refunds', async () => {
  const orig = await submit(api, invoice({
    pos_invoice_number: sid('POS'),
    payments: [{ method: 'card', amount: '150.74' }],
    items: [
      { name: 'Cable', quantity: '1', unit_price: '100.87', labels: ['A'], total: '100.87' },
      { name: 'Plug', quantity: '1', unit_price: '49.87', labels: ['A'], total: '49.87' },
    ],
  }));
  const d = await api.settled(orig.json.id);
  assert.equal(d.status, 'signed');
  // a partial refund: only the items given, paid back with the original's method
  const partial = await api.post(`/api/v1/invoices/${d.id}/refund`,
    { items: [{ name: 'Plug', quantity: '1', unit_price: '49.87', labels: ['A'], total: '49.87' }], source_id: sid('RF') });
  assert.equal(partial.status, 202, partial.text);
  assert.deepEqual(partial.json.invoice.payments, [{ method: 'card', amount: '49.87' }]);
  assert.equal(partial.json.total_amount, '49.87');
  // without items: everything the partial refund left
  const refund = await api.post(`/api/v1/invoices/${d.id}/refund`, {});
  assert.equal(refund.status, 202, refund.text);
  assert.equal(refund.json.transaction_type, 'refund');
  assert.equal(refund.json.invoice_type, 'normal');
  assert.equal(refund.json.invoice.referent_document_number, d.invoice_number);
  assert.equal(refund.json.invoice.referent_document_time, d.sdc_time);
  assert.equal(refund.json.total_amount, '100.87');
  assert.deepEqual(refund.json.invoice.items.map((x) => x.name), ['Cable']);
  assert.deepEqual(refund.json.invoice.payments, [{ method: 'card', amount: '100.87' }]);
  const rd = await api.settled(refund.json.id);
  assert.equal(rd.status, 'signed', rd.last_error);
  const atVsdc = await sb.control('GET', `/vsdc/control/invoices/${rd.invoice_number}`);
  assert.equal(atVsdc.request.referentDocumentNumber, d.invoice_number);
  assert.equal(atVsdc.request.transactionType, 'Refund');
  assert.equal((await api.settled(partial.json.id)).status, 'signed'); // before the held POST below
  // refunded in full: nothing more
  const more = await api.post(`/api/v1/invoices/${d.id}/refund`, {});
  assert.deepEqual([more.status, more.json.code], [409, 8011]);
  assert.equal(more.json.detail, `invoice ${d.invoice_number} was refunded in full already`);
  // a copy
  const copy = await api.post(`/api/v1/invoices/${d.id}/copy`, { cashier: 'Copy desk' });
  assert.equal(copy.status, 202, copy.text);
  assert.equal(copy.json.invoice_type, 'copy');
  assert.equal(copy.json.fiscal, false);
  assert.equal(copy.json.transaction_type, 'sale');
  assert.equal(copy.json.invoice.referent_document_number, d.invoice_number);
  assert.equal(copy.json.invoice.cashier, 'Copy desk');
  assert.equal((await api.settled(copy.json.id)).status, 'signed');
  // refusals
  const ofRefund = await api.post(`/api/v1/invoices/${rd.id}/refund`, {});
  assert.equal(ofRefund.status, 409);
  assert.equal(ofRefund.json.code, 8006);
  const ofCopy = await api.post(`/api/v1/invoices/${copy.json.id}/copy`, {});
  assert.equal(ofCopy.json.code, 8005);
  // Hold the next POST of the integration's certificate at the V-SDC for 3 s so the invoice is
  // certainly still pending.
  await sb.control('PUT', '/vsdc/control/faults', { next: ['timeout'], timeout_ms: 3000, uid: certA });
  const pending = await submit(api);
  const early = await api.post(`/api/v1/invoices/${pending.json.id}/refund`, {});
  assert.equal(early.status, 409);
  assert.equal(early.json.code, 8005);
  const badItem = await api.post(`/api/v1/invoices/${d.id}/refund`, { items: [{ name: 'x', quantity: '1', unit_price: '1', labels: [], total: '1' }] });
  assert.equal(badItem.status, 400);
  assert.match(badItem.json.detail, /^items\[0\]\.labels/);
  const unknown = await api.post(`/api/v1/invoices/${d.id}/copy`, { items: [] });
  assert.equal(unknown.json.code, 1006);
});

test('refunds of one sale never come to more than the sale, per tax label; also when asked for at once', async () => {
  const cable = { gtin: '12345678', name: 'Cable', quantity: '3', unit_price: '10', labels: ['A'], total: '30' };
  const book = { name: 'Book', quantity: '1', unit_price: '5', labels: ['B'], total: '5' };
  const sale = () => signedSale(api, [cable, book]);
  const refund = (d, body) => api.post(`/api/v1/invoices/${d.id}/refund`, body);
  const d = await sale();
  // one cable, then a label's amount beyond what is left of it
  assert.equal((await refund(d, { items: [{ ...cable, quantity: '1', total: '10' }] })).status, 202);
  const tooMuch = await refund(d, { items: [{ name: 'Goodwill', quantity: '1', unit_price: '21', labels: ['A'], total: '21' }] });
  assert.deepEqual([tooMuch.status, tooMuch.json.code], [409, 8011], tooMuch.text);
  assert.equal(tooMuch.json.detail, `the refund (21) is more than what is left of invoice ${d.invoice_number} under its tax labels (25 in all)`);
  const wrongLabel = await refund(d, { items: [{ ...book, quantity: '2', total: '10' }] });
  assert.equal(wrongLabel.status, 409, 'two books of one');
  // what is within a label's rest goes, whatever its name; without items: the rest of the sale
  assert.equal((await refund(d, { items: [{ name: 'Goodwill', quantity: '1', unit_price: '5', labels: ['A'], total: '5' }] })).status, 202);
  const rest = await refund(d, { source_id: sid('REST') });
  assert.equal(rest.status, 202, rest.text);
  assert.equal(rest.json.total_amount, '20');
  assert.deepEqual(rest.json.invoice.items.map((x) => [x.name, x.quantity, x.total]), [['Cable', '1', '15'], ['Book', '1', '5']]);
  assert.deepEqual(rest.json.invoice.payments, [{ method: 'cash', amount: '20' }]);
  const none = await refund(d, {});
  assert.deepEqual([none.status, none.json.code], [409, 8011]);
  // a repeated refund (same source_id) is the one made, not a refusal
  const again = await refund(d, { source_id: rest.json.source_id });
  assert.deepEqual([again.status, again.json.id], [200, rest.json.id]);
  // eight full refunds of another sale at once: one goes, seven are refused
  const d2 = await sale();
  const all = await Promise.all(Array.from({ length: 8 }, () => refund(d2, {})));
  assert.deepEqual(all.map((r) => r.status).sort(), [202, ...Array(7).fill(409)], all.map((r) => r.text).join('\n'));
  assert.equal((await api.settled(all.find((r) => r.status === 202).json.id)).status, 'signed');
  const atVsdc = (await sb.control('GET', `/vsdc/control/invoices?uid=${certA}&limit=1000`)).invoices
    .filter((x) => x.pos_invoice_number === d2.invoice.pos_invoice_number);
  assert.deepEqual(atVsdc.map((x) => x.transaction_type).sort(), [0, 1], 'one sale and one refund at the V-SDC');
});

test('refunds: an item no more than its quantity left; a failed refund retried must still fit; one of unknown outcome counts', async () => {
  const srv2 = await startFiscalServer(sb, { FISCALHUB_WORKERS: '2', FISCALHUB_FISCAL_MAX_ATTEMPTS: '1' });
  try {
    const c = await signup(srv2.url, 'custom-refund-retry');
    const cert = await uploadCert(c, await issueCert(sb));
    const k = new ApiClient(srv2.url, await createKey(c, await createCustom(c, cert)));
    const cable = { name: 'Cable', quantity: '3', unit_price: '10', labels: ['A'], total: '30' };
    const plug = { name: 'Plug', quantity: '1', unit_price: '40', labels: ['A'], total: '40' };
    const sale = () => signedSale(k, [cable, plug]);
    const refund = async (d, body, status = 202) => {
      const r = await k.post(`/api/v1/invoices/${d.id}/refund`, body);
      assert.equal(r.status, status, r.text);
      return r.json;
    };
    const cables = (n) => ({ items: [{ ...cable, quantity: String(n), total: String(10 * n) }] });
    const retry = (id) => c.post(`/api/orgs/${c.org}/fiscal-invoices/${id}/retry`);
    const view = async (id) => (await c.get(`/api/orgs/${c.org}/fiscal-invoices/${id}`)).json;
    const failedRefund = async (d, body) => { // the V-SDC refuses the certificate: failed for good
      await sb.control('POST', `/vsdc/control/taxpayers/${cert}/revoke`, {});
      const r = await k.settled((await refund(d, body)).id);
      await sb.control('POST', `/vsdc/control/taxpayers/${cert}/unrevoke`, {});
      assert.equal(r.status, 'failed');
      assert.equal((await view(r.id)).uncertain, false);
      return r;
    };

    // an item named as the sale's: no more of it than is left, though its label holds the amount
    const d = await sale();
    assert.equal((await k.settled((await refund(d, cables(1))).id)).status, 'signed');
    const three = await refund(d, cables(3), 409);
    assert.equal(three.code, 8011);
    assert.equal(three.detail, `the refund's 3 of "Cable" is more than the 2 left of invoice ${d.invoice_number}`);

    // a failed refund does not count; retried once the rest was refunded, it no longer fits
    const f = await failedRefund(d, cables(2));
    const rest = await refund(d, {});
    assert.equal(rest.total_amount, '60', 'the failed refund is not taken off');
    assert.equal((await k.settled(rest.id)).status, 'signed');
    const late = await retry(f.id);
    assert.deepEqual([late.status, late.json.code], [409, 8011], late.text);
    assert.equal(late.json.detail, `fiscal invoice ${f.id}: invoice ${d.invoice_number} was refunded in full already`);
    assert.equal((await view(f.id)).status, 'failed', 'left as it was');
    const bulk = await c.post(`/api/orgs/${c.org}/fiscal-invoices/retry`, {});
    assert.deepEqual([bulk.status, bulk.json.retried, bulk.json.remaining], [202, 0, 1], bulk.text);
    assert.equal((await view(f.id)).status, 'failed', 'the bulk retry skips it too');

    // a failed refund that still fits is signed when retried
    const d2 = await sale();
    const f2 = await failedRefund(d2, cables(2));
    assert.equal((await retry(f2.id)).status, 202);
    assert.equal((await k.settled(f2.id)).status, 'signed');
    assert.equal((await refund(d2, {})).total_amount, '50');

    // a refund whose outcome is unknown (the V-SDC did not answer its only attempt) counts
    // against the sale: it may be signed; its retry asks the V-SDC first and is not refused
    const d3 = await sale();
    await sb.control('PUT', '/vsdc/control/faults', { next: ['timeout'], timeout_ms: 300, uid: cert });
    const u = await k.settled((await refund(d3, { items: [plug] })).id);
    await sb.control('PUT', '/vsdc/control/faults', {});
    assert.equal(u.status, 'failed');
    assert.equal((await view(u.id)).uncertain, true);
    const rest3 = await refund(d3, {});
    assert.equal(rest3.total_amount, '30', 'the plug may be refunded already');
    assert.deepEqual(rest3.invoice.items.map((x) => x.name), ['Cable']);
    assert.equal((await retry(u.id)).status, 202);
    assert.equal((await k.settled(u.id)).status, 'signed');
    await refund(d3, {}, 409);
  } finally {
    await sb.control('PUT', '/vsdc/control/faults', {});
    await srv2.stop();
  }
});

test('another integration\'s or tenant\'s invoice is 404, exactly like a missing one', async () => {
  const mine = (await submit(api)).json.id;
  const otherInteg = await createCustom(a, certA);
  const sameOrg = new ApiClient(srv.url, await createKey(a, otherInteg));
  const certB = await uploadCert(b, await issueCert(sb));
  const otherTenant = new ApiClient(srv.url, await createKey(b, await createCustom(b, certB)));
  for (const c of [sameOrg, otherTenant]) {
    const r = await c.get(`/api/v1/invoices/${mine}`);
    assert.equal(r.status, 404);
    assert.equal(r.json.code, 2000);
    assert.equal((await c.post(`/api/v1/invoices/${mine}/refund`, {})).status, 404);
    assert.equal((await c.post(`/api/v1/invoices/${mine}/copy`, {})).status, 404);
    assert.ok(!(await c.get('/api/v1/invoices?limit=100')).json.invoices.some((i) => i.id === mine));
  }
  assert.deepEqual((await sameOrg.get('/api/v1/invoices/999999999')).json.code, 2000);
  // the portal of the other tenant cannot reach the keys either
  assert.equal((await b.get(`/api/orgs/${a.org}/integrations/${integ}/api-keys`)).status, 404);
});

test('bad input is 400 naming the field, and nothing is written', async () => {
  const before = (await api.get('/api/v1/invoices?limit=100')).json.invoices.length;
  const cases = [
    [{}, 1001, /invoice/],
    [{ invoice: 'x' }, 1002, /invoice/],
    [{ invoice: invoice(), extra: 1 }, 1006, /extra/],
    [{ invoice: invoice({ items: [{ name: 'x', quantity: '1', unit_price: 1, labels: ['A'], total: '1' }] }) }, 1002, /^invoice\.items\[0\]\.unit_price/],
    [{ invoice: invoice({ transaction_type: 'refund' }) }, 6000, /referent/],
    [{ invoice: invoice(), source_id: 'has space' }, 1003, /source_id/],
    [{ invoice: invoice(), source_url: 'ftp://x' }, 1003, /source_url/],
  ];
  for (const [body, code, detail] of cases) {
    const r = await api.post('/api/v1/invoices', body, { 'idempotency-key': sid('bad') });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.code, code, r.text);
    assert.match(r.json.detail, detail);
  }
  assert.equal((await api.post('/api/v1/invoices', '{"invoice":', {})).json.code, 1000);
  assert.equal((await api.post('/api/v1/invoices', 'x', { 'content-type': 'text/plain' })).status, 415);
  assert.equal((await api.get('/api/v1/invoices/abc')).json.code, 1010);
  assert.equal((await api.get('/api/v1/invoices?limit=100')).json.invoices.length, before, 'nothing was stored');
});

test('rate limit: per key, 429 with Retry-After once the burst is spent', async () => {
  const k = new ApiClient(srv.url, await createKey(a, integ, 'burst'));
  // far more than the burst at once: the refill (50 a second here) would need 8 s for the rest
  const EXTRA = 400;
  const results = await Promise.all(Array.from({ length: BURST + EXTRA }, () => k.get('/api/v1/me')));
  const ok = results.filter((r) => r.status === 200).length;
  assert.ok(ok >= BURST && ok < BURST + EXTRA, `${ok} answered 200`);
  const limited = results.find((r) => r.status === 429);
  assert.ok(limited, 'some requests were limited');
  assert.equal(limited.json.code, 8001);
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  assert.equal((await api.get('/api/v1/me')).status, 200, 'other keys are not limited');
});

test('removing the Custom Integration revokes its keys and keeps its invoices', async () => {
  const own = await createCustom(a, certA);
  const k = await createKey(a, own);
  const c = new ApiClient(srv.url, k);
  const inv = (await submit(c)).json.id;
  assert.equal((await c.get('/api/v1/me')).status, 200);
  assert.equal((await a.del(`/api/orgs/${a.org}/integrations/${own}`)).status, 204);
  const r = await c.get('/api/v1/me');
  assert.equal(r.status, 401);
  assert.equal(r.json.code, 8000);
  assert.equal((await a.get(`/api/orgs/${a.org}/integrations/${own}/api-keys`)).status, 404);
  const kept = await a.get(`/api/orgs/${a.org}/fiscal-invoices/${inv}`);
  assert.equal(kept.status, 200);
  assert.equal(kept.json.integration, own);
});
