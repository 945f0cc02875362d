// zoho.test.mjs - the Zoho Books connector against the sandbox's Zoho emulator and V-SDC over
// real HTTP: consent per data center (offline access, PKCE, state), the integrations API for
// zoho_books, an invoice fiscalized exactly once through the signed workflow webhook with one
// comment written back (also when the comment fires the edit webhook back at us), signatures
// (wrong, missing, foreign key, query parameters), the Webhook Setup with its secret for managers
// only and Rotate secret, and the API's refusals across tenants. Token rules and polling are in
// zoho_tokens.test.mjs and zoho_polling.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, signup, uniqueEmail } from '../lib/server.mjs';
import {
  startZohoWorld, stopZohoWorld, zohoUser, account, connectZoho, reconnect, consent, callback, integration, fiscalInvoices,
  hookUp, zohoInvoice, comments, zohoSignature, vsdcCount, waitFor, sleep,
} from '../lib/zoho.mjs';
import { issueKeys, activateKey } from '../lib/billing.mjs';
import { pdfInfo, pdfLines, pdfQrCodes, wordLines } from '../lib/pdf.mjs';

let w, a, userA, uidA, orgA, setupA, setupStarter;

before(async () => {
  w = await startZohoWorld();
  a = await account(w, 'zoho-a');
  userA = await zohoUser(w, { dc: 'eu' });
  orgA = userA.orgs[0].organization_id;
  uidA = await connectZoho(w, a, userA);
  setupA = await hookUp(w, a, uidA, orgA);
});

after(() => stopZohoWorld(w, [setupA?.secret, setupStarter?.secret]));

const stats = () => w.ctl('GET', '/zoho/control/stats');
const mine = (list, inv) => list.filter((f) => f.source_ref === inv.invoice_number);

async function signedOnce(c, uid, inv, what) {
  return waitFor(async () => mine(await fiscalInvoices(c, uid), inv).find((f) => f.status === 'signed'), { what });
}

test('connect: consent at the data center\'s accounts server, active, organization, Test Connection', async () => {
  const i = await integration(a, uidA);
  assert.match(uidA, /^IN-[A-Z0-9]{6}$/);
  assert.equal(i.type, 'zoho_books');
  assert.equal(i.type_name, 'Zoho Books');
  assert.equal(i.status, 'active');
  assert.equal(i.certificate_uid, a.certUid);
  assert.deepEqual(i.settings, { data_center: 'eu', fiscalize: 'sent' });
  assert.equal(i.tenant_id, orgA);
  assert.equal(i.tenant_name, userA.orgs[0].name);
  assert.ok(['polling', 'webhook'].includes(i.sync_mode), i.sync_mode);
  await waitFor(async () => (await integration(a, uidA)).backfill.state === 'done', { what: 'first sync' });
  assert.ok((await integration(a, uidA)).last_polled_at, 'the first sync counts as a poll');
  const t = await a.post(`/api/orgs/${a.org}/integrations/${uidA}/test`);
  assert.equal(t.status, 200);
  assert.equal(t.json.ok, true, t.json.message);
  assert.match(t.json.message, new RegExp(`${userA.orgs[0].name}.*data center eu`));
  // the consent URL: eu's accounts server, offline, PKCE, our callback, a refresh token asked
  // for only while the integration has none
  const c = await account(w, 'zoho-url');
  const cr = await c.post(`/api/orgs/${c.org}/integrations`, { type: 'zoho_books', certificate_uid: c.certUid, settings: { data_center: 'eu' } });
  assert.equal(cr.status, 201, cr.text);
  assert.equal(cr.json.status, 'pending');
  assert.equal(cr.json.sync_mode, 'polling');
  const st = await c.post(`/api/orgs/${c.org}/integrations/${cr.json.uid}/connect`);
  const au = new URL(st.json.authorize_url);
  assert.equal(au.origin + au.pathname, `${w.DC.eu.accounts_server}/oauth/v2/auth`);
  assert.equal(au.searchParams.get('access_type'), 'offline');
  assert.equal(au.searchParams.get('prompt'), 'consent');
  assert.equal(au.searchParams.get('client_id'), w.client.client_id);
  assert.equal(au.searchParams.get('redirect_uri'), w.srv.url + '/oauth/zoho/callback');
  assert.equal(au.searchParams.get('code_challenge_method'), 'S256');
  assert.match(au.searchParams.get('scope'), /ZohoBooks\.invoices\.READ/);
});

test('webhook setup: own URL, secret for managers only, steps', async () => {
  assert.match(setupA.url, new RegExp(`^${w.srv.url}/webhooks/zoho/[A-Za-z0-9_-]{32}$`));
  assert.match(setupA.secret, /^[A-Za-z0-9]{24}$/);
  assert.equal(setupA.secret_visible, true);
  assert.deepEqual(setupA.events, ['invoice.create', 'invoice.edit']);
  assert.equal(setupA.method, 'POST');
  assert.ok(setupA.steps.length >= 4 && setupA.steps.some((s) => /Workflow Rules/.test(s)), setupA.steps.join('\n'));
  const email = uniqueEmail('zoho-viewer');
  const m = await a.post(`/api/orgs/${a.org}/members`, { email, role: 'viewer', name: 'V', password: 'correct horse battery staple' });
  assert.equal(m.status, 201, m.text);
  const v = new Client(w.srv.url);
  assert.equal((await v.post('/api/auth/login', { email, password: 'correct horse battery staple' })).status, 200);
  const seen = await v.get(`/api/orgs/${a.org}/integrations/${uidA}/webhook`);
  assert.equal(seen.status, 200);
  assert.equal(seen.json.url, setupA.url);
  assert.equal(seen.json.secret, null);
  assert.equal(seen.json.secret_visible, false);
  assert.equal(seen.json.poll_seconds, 3600, 'the polling interval the panel names (FISCALHUB_ZOHO_POLL_SECONDS)');
  assert.equal(seen.json.webhooks_used, true, 'the trial takes webhooks');
  assert.equal((await v.post(`/api/orgs/${a.org}/integrations/${uidA}/webhook/rotate`)).status, 403);
});

test('an invoice created in Zoho is fiscalized once via the webhook, with one comment written back', async () => {
  const inv = await zohoInvoice(w, orgA);
  const f = await signedOnce(a, uidA, inv, 'the fiscal invoice');
  assert.equal(f.integration, uidA);
  assert.equal(f.total_amount, '251');
  assert.match(f.source_url, new RegExp(`/books/eu/app/${orgA}#/invoices/${inv.invoice_id}$`));
  const d = (await a.get(`/api/orgs/${a.org}/fiscal-invoices/${f.id}`)).json;
  assert.deepEqual(d.invoice.items.map((x) => [x.name, x.quantity, x.unit_price, x.total, x.labels[0]]),
    [['Widget', '2', '120', '240', 'A'], ['Book', '1', '11', '11', 'A']]);
  // the tax check: Zoho's tax_total (40 + 1) against the V-SDC's A 9 % of 251
  assert.deepEqual([d.source_tax_total, d.vsdc_tax_total, d.tax_mismatch], ['41', '20.7248', true]);
  assert.equal(d.invoice.payments[0].method, 'other');
  assert.equal(d.invoice.pos_invoice_number, inv.invoice_number);
  const cm = await waitFor(async () => { const l = await comments(w, inv.invoice_id); return l.length && l; }, { what: 'the comment' });
  assert.equal(cm.length, 1);
  assert.ok(cm[0].description.includes(f.invoice_number) && cm[0].description.includes(f.verification_url), cm[0].description);
  assert.ok(cm[0].description.endsWith(' VAT differs: the V-SDC computed 20.7248, this document states 41; check the tax mapping in fiscalhub.'),
    cm[0].description);
  assert.equal(cm[0].show_comment_to_clients, false);
  const i = await integration(a, uidA);
  assert.equal(i.sync_mode, 'webhook');
  assert.ok(i.webhooks_seen_at);
  // edits and payments fire the edit webhook: nothing is fiscalized again, no second comment
  const fetches = (await stats()).calls['GET /invoices/{id}'] || 0;
  await w.ctl('PUT', `/zoho/control/invoices/${inv.invoice_id}`, { reference_number: 'edited later' });
  await w.ctl('POST', `/zoho/control/invoices/${inv.invoice_id}/payments`, { payment_mode: 'cash' });
  await waitFor(async () => (await w.ctl('GET', `/zoho/control/orgs/${orgA}/webhook`)).delivered >= 3, { what: 'the edit deliveries' });
  await sleep(800);
  assert.equal(mine(await fiscalInvoices(a, uidA), inv).length, 1);
  assert.equal(await vsdcCount(w, a.certUid, inv.invoice_number), 1, 'the V-SDC signed it once');
  assert.equal((await comments(w, inv.invoice_id)).length, 1, 'one comment');
  assert.equal((await stats()).calls['GET /invoices/{id}'] || 0, fetches, 'edits of a fiscalized invoice cost no Zoho call');
});

test('Zoho answers cut short (a 200 that does not parse) are tried again: fiscalized once, one comment', async () => {
  await w.ctl('PUT', '/zoho/control/faults', { next: ['cut', 'cut', 'cut'] });
  try {
    const inv = await zohoInvoice(w, orgA);
    const f = await signedOnce(a, uidA, inv, 'the fiscal invoice');
    const cm = await waitFor(async () => { const l = await comments(w, inv.invoice_id); return l.length && l; }, { what: 'the comment' });
    assert.equal((await w.ctl('GET', '/zoho/control/faults')).next.length, 0, 'all three cut answers were met');
    await sleep(800);
    assert.equal(await vsdcCount(w, a.certUid, inv.invoice_number), 1, 'the V-SDC signed it once');
    assert.equal((await comments(w, inv.invoice_id)).length, 1, 'one comment');
    assert.ok(cm[0].description.includes(f.invoice_number));
  } finally {
    await w.ctl('PUT', '/zoho/control/faults', {});
  }
});

test('attach_qr: the QR becomes the invoice\'s attachment fiscal-<number>.gif, once, also after a refused upload is retried', async () => {
  const c = await account(w, 'zoho-qr');
  const u = await zohoUser(w, { dc: 'eu' });
  const org = u.orgs[0].organization_id;
  const uid = await connectZoho(w, c, u, { settings: { data_center: 'eu', attach_qr: true } });
  await hookUp(w, c, uid, org);
  const added = async () => (await stats()).books?.attachments_added ?? 0;
  const before = await added();
  // Zoho refuses the upload (the file is over its size limit): the write-back fails, the comment stays
  await w.ctl('PUT', '/zoho/control/settings', { max_attachment_bytes: 1 });
  try {
    const inv = await zohoInvoice(w, org);
    const f = await signedOnce(c, uid, inv, 'the fiscal invoice');
    const path = `/api/orgs/${c.org}/fiscal-invoices/${f.id}`;
    const failed = await waitFor(async () => {
      const d = (await c.get(path)).json;
      return d.writeback?.state === 'failed' && d.writeback;
    }, { what: 'the refused upload' });
    assert.match(failed.error, /larger than/);
    assert.equal((await comments(w, inv.invoice_id)).length, 1, 'the comment was written before the upload');
    await w.ctl('PUT', '/zoho/control/settings', { max_attachment_bytes: 10485760 });
    const r = await c.post(`${path}/writeback/retry`);
    assert.equal(r.status, 202, r.text);
    await waitFor(async () => (await c.get(path)).json.writeback?.state === 'done', { what: 'the retried write-back' });
    const doc = await w.ctl('GET', `/zoho/control/invoices/${inv.invoice_id}`);
    const att = doc.attachments;
    assert.deepEqual(att.map((x) => [x.file_name, x.content_type, x.can_send_in_email]),
      [[`fiscal-${f.invoice_number}.gif`, 'image/gif', false]]);
    const v = await w.ctl('GET', `/vsdc/control/invoices/${encodeURIComponent(f.invoice_number)}`);
    assert.equal(att[0].base64, v.result.verificationQRCode, 'the bytes are the V-SDC\'s QR code');
    assert.equal((await comments(w, inv.invoice_id)).length, 1, 'the retry did not comment again');
    assert.equal(await added() - before, 1, 'one upload');
  } finally {
    await w.ctl('PUT', '/zoho/control/settings', { max_attachment_bytes: 10485760 });
  }
});

test('attach_journal: the receipt becomes the invoice\'s attachment fiscal-<number>.pdf, its text the journal\'s and its QR the verification URL; once each', async () => {
  const c = await account(w, 'zoho-journal');
  const u = await zohoUser(w, { dc: 'eu' });
  const org = u.orgs[0].organization_id;
  const uid = await connectZoho(w, c, u, { settings: { data_center: 'eu', attach_qr: true, attach_journal: true } });
  await hookUp(w, c, uid, org);
  const added = async () => (await stats()).books?.attachments_added ?? 0;
  const before = await added();
  // the QR (a GIF of a few KiB) fits Zoho's limit, the PDF (its font subset alone is larger) does
  // not: the write-back fails after the QR, and its retry uploads the PDF alone
  const limit = 20000;
  await w.ctl('PUT', '/zoho/control/settings', { max_attachment_bytes: limit });
  try {
    const inv = await zohoInvoice(w, org, {
      line_items: [{ name: 'Млеко 1л', rate: 120, quantity: 2, tax_name: 'VAT' }, { name: 'Čokolada', rate: 99.5, quantity: 1, tax_name: 'VAT' }],
    });
    const f = await signedOnce(c, uid, inv, 'the fiscal invoice');
    const path = `/api/orgs/${c.org}/fiscal-invoices/${f.id}`;
    const failed = await waitFor(async () => {
      const d = (await c.get(path)).json;
      return d.writeback?.state === 'failed' && d.writeback;
    }, { what: 'the refused PDF' });
    assert.match(failed.error, /larger than/);
    const first = await w.ctl('GET', `/zoho/control/invoices/${inv.invoice_id}`);
    assert.deepEqual(first.attachments.map((x) => x.file_name), [`fiscal-${f.invoice_number}.gif`]);
    await w.ctl('PUT', '/zoho/control/settings', { max_attachment_bytes: 10485760 });
    const r = await c.post(`${path}/writeback/retry`);
    assert.equal(r.status, 202, r.text);
    await waitFor(async () => (await c.get(path)).json.writeback?.state === 'done', { what: 'the retried write-back' });
    const doc = await w.ctl('GET', `/zoho/control/invoices/${inv.invoice_id}`);
    assert.deepEqual(doc.attachments.map((x) => [x.file_name, x.content_type, x.can_send_in_email]),
      [[`fiscal-${f.invoice_number}.gif`, 'image/gif', false], [`fiscal-${f.invoice_number}.pdf`, 'application/pdf', false]]);
    assert.equal(await added() - before, 2, 'the QR once, the PDF once');
    assert.equal((await comments(w, inv.invoice_id)).length, 1, 'one comment');

    const pdf = Buffer.from(doc.attachments[1].base64, 'base64');
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
    assert.ok(pdf.length > limit && Buffer.from(doc.attachments[0].base64, 'base64').length <= limit, 'the sizes this test relies on');
    const v = await w.ctl('GET', `/vsdc/control/invoices/${encodeURIComponent(f.invoice_number)}`);
    const journal = wordLines(v.result.journal);
    assert.ok(journal.some((l) => /Млеко 1л/.test(l)) && journal.some((l) => /Čokolada/.test(l)), 'the journal names the items');
    assert.deepEqual(pdfLines(pdf), journal, 'the PDF reads as the V-SDC\'s journal, line for line');
    assert.equal(pdfInfo(pdf).Title, `Fiscal invoice ${f.invoice_number}`);
    assert.deepEqual(pdfQrCodes(pdf), [v.result.verificationUrl], 'its QR code is the verification URL');
  } finally {
    await w.ctl('PUT', '/zoho/control/settings', { max_attachment_bytes: 10485760 });
  }
});

test('an invoice fiscalhub cannot fiscalize is shown on the integration until a correction is signed', async () => {
  const inv = await zohoInvoice(w, orgA, {
    line_items: [{ name: 'Sample', rate: 0, quantity: 1, tax_name: 'VAT' }],
  });
  const i = await waitFor(async () => { const x = await integration(a, uidA); return x.not_fiscalized?.recent.some((e) => e.source_ref === inv.invoice_number) && x; },
    { what: 'the refused invoice on the integration' });
  const entry = i.not_fiscalized.recent.find((e) => e.source_ref === inv.invoice_number);
  assert.equal(entry.reason, 'no line item with an amount');
  assert.equal(i.not_fiscalized.count, i.not_fiscalized.recent.length);
  assert.equal(mine(await fiscalInvoices(a, uidA), inv).length, 0);
  // an invoice in another currency than the organization's is refused too, naming it
  const usd = await zohoInvoice(w, orgA, { currency_code: 'USD', exchange_rate: 0.85 });
  const foreign = await waitFor(async () => (await integration(a, uidA)).not_fiscalized?.recent.find((e) => e.source_ref === usd.invoice_number),
    { what: 'the USD invoice refused' });
  assert.equal(foreign.reason, "the document is in USD at an exchange rate of 0.85: fiscalhub fiscalizes only documents in the organisation's own currency");
  await w.ctl('POST', `/zoho/control/invoices/${usd.invoice_id}/void`);
  await waitFor(async () => (await integration(a, uidA)).not_fiscalized?.count === 1, { what: 'the USD one voided' });
  // a correction within the same second: Zoho's last_modified_time, the document job's version,
  // stays the same, and the delivery still makes fiscalhub look again
  const before = (await w.ctl('GET', `/zoho/control/invoices/${inv.invoice_id}`)).last_modified_time;
  const fixed = await w.ctl('PUT', `/zoho/control/invoices/${inv.invoice_id}`,
    { line_items: [{ name: 'Widget', rate: 95, quantity: 1, tax_name: 'VAT' }], same_second: true });
  assert.equal(fixed.last_modified_time, before);
  const f = await signedOnce(a, uidA, inv, 'the corrected invoice');
  assert.equal(f.total_amount, '114');
  assert.equal((await integration(a, uidA)).not_fiscalized, null);
});

test('the write-back does not loop when Zoho makes comments fire the edit webhook', async () => {
  await w.ctl('PUT', '/zoho/control/settings', { comment_fires_edit: true, comment_touches: true });
  try {
    const before = (await w.ctl('GET', `/zoho/control/orgs/${orgA}/webhook`)).delivered;
    const inv = await zohoInvoice(w, orgA, { line_items: [{ name: 'Echo', rate: 50, quantity: 1, tax_name: 'Zero Rate' }] });
    const f = await signedOnce(a, uidA, inv, 'the fiscal invoice');
    assert.equal(f.total_amount, '50');
    await waitFor(async () => (await comments(w, inv.invoice_id)).length === 1, { what: 'the comment' });
    // the comment's own edit webhook came back to us ...
    await waitFor(async () => (await w.ctl('GET', `/zoho/control/orgs/${orgA}/webhook`)).delivered >= before + 2, { what: 'the echo' });
    await sleep(1000);
    // ... and stopped there
    assert.equal(mine(await fiscalInvoices(a, uidA), inv).length, 1);
    assert.equal(await vsdcCount(w, a.certUid, inv.invoice_number), 1);
    assert.equal((await comments(w, inv.invoice_id)).length, 1);
    assert.equal((await w.ctl('GET', `/zoho/control/orgs/${orgA}/webhook`)).delivered, before + 2, 'no loop');
  } finally {
    await w.ctl('PUT', '/zoho/control/settings', { comment_fires_edit: false, comment_touches: false });
  }
});

test('on Starter (polling only) a delivery is seen but not acted on; the integration keeps polling', async () => {
  const c = await account(w, 'zoho-starter');
  const [key] = issueKeys(w.srv, { tier: 'starter', seats: 1, months: 1 });
  assert.equal((await activateKey(c, key)).status, 200);
  const u = await zohoUser(w, { dc: 'eu' });
  const org = u.orgs[0].organization_id;
  const uid = await connectZoho(w, c, u);
  await waitFor(async () => (await integration(c, uid)).backfill.state === 'done', { what: 'first sync' });
  setupStarter = await hookUp(w, c, uid, org);
  assert.equal(setupStarter.webhooks_used, false);
  const fetches = (await stats()).calls['GET /invoices/{id}'] || 0;
  const inv = await zohoInvoice(w, org);
  const i = await waitFor(async () => { const x = await integration(c, uid); return x.webhooks_seen_at && x; }, { what: 'the delivery' });
  await sleep(800);
  assert.equal(i.sync_mode, 'polling', 'a Starter integration stays in polling mode');
  assert.equal((await integration(c, uid)).sync_mode, 'polling');
  assert.equal((await stats()).calls['GET /invoices/{id}'] || 0, fetches, 'the delivery led to no fetch');
  assert.equal(mine(await fiscalInvoices(c, uid), inv).length, 0, 'nothing fiscalized before the next poll');
});

test('signatures: wrong or missing is 401, an unknown URL 404, nothing processed; query parameters are signed', async () => {
  await w.ctl('PUT', `/zoho/control/orgs/${orgA}/webhook`, { url: null }); // Zoho stays quiet
  try {
    const inv = await zohoInvoice(w, orgA, { line_items: [{ name: 'Forged', rate: 7, quantity: 1 }] });
    const body = JSON.stringify({ invoice: { invoice_id: inv.invoice_id, status: 'sent' } });
    const send = (url, sig) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(sig === undefined ? {} : { 'x-zoho-webhook-signature': sig }) }, body });
    for (const sig of [zohoSignature('WrongSecret123456', setupA.url, body), undefined, '', zohoSignature(setupA.secret, setupA.url, body + ' ')]) {
      const r = await send(setupA.url, sig);
      assert.equal(r.status, 401);
      assert.equal((await r.json()).code, 7006);
    }
    const unknown = await send(w.srv.url + '/webhooks/zoho/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', zohoSignature(setupA.secret, setupA.url, body));
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).code, 2000);
    await sleep(1200);
    assert.equal(mine(await fiscalInvoices(a, uidA), inv).length, 0, 'nothing processed');
    // a URL with query parameters: they are part of the signed message (sorted by name)
    const url = setupA.url + '?zeta=1&alpha=two';
    const ok = await send(url, zohoSignature(setupA.secret, url, body).toUpperCase());
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), '');
    await signedOnce(a, uidA, inv, 'the delivery with a good signature');
    assert.equal((await send(url, zohoSignature(setupA.secret, setupA.url, body))).status, 401, 'the query is signed');
  } finally {
    await hookUp(w, a, uidA, orgA);
  }
});

test('Rotate secret: the old one stops at once, polling until the new one signs', async () => {
  const r = await a.post(`/api/orgs/${a.org}/integrations/${uidA}/webhook/rotate`);
  assert.equal(r.status, 200, r.text);
  assert.notEqual(r.json.secret, setupA.secret);
  assert.match(r.json.secret, /^[A-Za-z0-9]{24}$/);
  assert.equal(r.json.url, setupA.url, 'the URL stays');
  assert.equal(r.json.sync_mode, 'polling');
  assert.equal(r.json.webhooks_seen_at, null);
  const body = '{"invoice":{"invoice_id":"1"}}';
  const old = await fetch(setupA.url, { method: 'POST', headers: { 'x-zoho-webhook-signature': zohoSignature(setupA.secret, setupA.url, body) }, body });
  assert.equal(old.status, 401);
  setupA = await hookUp(w, a, uidA, orgA);
  assert.equal(setupA.secret, r.json.secret);
  const inv = await zohoInvoice(w, orgA);
  await signedOnce(a, uidA, inv, 'an invoice signed with the new secret');
  assert.equal((await integration(a, uidA)).sync_mode, 'webhook');
});

test('several organizations: the user picks one; Reject changes nothing', async () => {
  const c = await account(w, 'zoho-pick');
  const u = await zohoUser(w, { dc: 'eu', n: 2 });
  const cr = await c.post(`/api/orgs/${c.org}/integrations`, { type: 'zoho_books', certificate_uid: c.certUid, settings: { data_center: 'eu', fiscalize: 'paid' } });
  const uid = cr.json.uid;
  const denied = await reconnect(w, c, uid, u, { action: 'reject' });
  assert.equal(denied.location, `/integrations?error=access_denied&uid=${uid}`);
  assert.equal((await integration(c, uid)).status, 'pending');
  const cb = await reconnect(w, c, uid, u);
  assert.equal(cb.location, `/integrations/${uid}/tenant`);
  const ts = await c.get(`/api/orgs/${c.org}/integrations/${uid}/tenants`);
  assert.deepEqual(ts.json.tenants.map((x) => x.tenant_id).sort(), u.orgs.map((o) => o.organization_id).sort());
  assert.equal((await c.post(`/api/orgs/${c.org}/integrations/${uid}/tenant`, { tenant_id: '999' })).json.code, 7004);
  const pick = await c.post(`/api/orgs/${c.org}/integrations/${uid}/tenant`, { tenant_id: u.orgs[1].organization_id });
  assert.equal(pick.status, 200, pick.text);
  assert.equal(pick.json.status, 'active');
  assert.equal(pick.json.tenant_id, u.orgs[1].organization_id);
  // fiscalize "paid": a sent invoice waits for its payment
  await hookUp(w, c, uid, u.orgs[1].organization_id);
  const inv = await zohoInvoice(w, u.orgs[1].organization_id);
  await sleep(1200);
  assert.equal(mine(await fiscalInvoices(c, uid), inv).length, 0, 'not before a payment');
  await w.ctl('POST', `/zoho/control/invoices/${inv.invoice_id}/payments`, { payment_mode: 'creditcard', amount: 100 });
  const f = await signedOnce(c, uid, inv, 'the paid invoice');
  const d = (await c.get(`/api/orgs/${c.org}/fiscal-invoices/${f.id}`)).json;
  assert.equal(d.invoice.payments[0].method, 'card');
  assert.equal(d.invoice.payments[0].amount, '251');
});

test('the state is single use and bound to the session; a forged data center is refused', async () => {
  const c = await account(w, 'zoho-state');
  const u = await zohoUser(w, { dc: 'eu' });
  const cr = await c.post(`/api/orgs/${c.org}/integrations`, { type: 'zoho_books', certificate_uid: c.certUid, settings: { data_center: 'eu' } });
  const uid = cr.json.uid;
  const st = await c.post(`/api/orgs/${c.org}/integrations/${uid}/connect`);
  const loc = new URL(await consent(w, st.json.authorize_url, u));
  const other = await signup(w.srv.url, 'zoho-other');
  assert.equal((await callback(other, loc.href)).location, '/integrations?error=state_invalid');
  // another session's callback left the state alone; a forged accounts server uses it up, sends
  // nothing there and changes nothing
  const forged = new URL(loc.href);
  forged.searchParams.set('accounts-server', 'http://127.0.0.1:9/evil');
  assert.equal((await callback(c, forged.href)).location, `/integrations?error=unknown_data_center&uid=${uid}`);
  assert.equal((await callback(c, loc.href)).location, '/integrations?error=state_invalid', 'single use');
  assert.equal((await integration(c, uid)).status, 'pending');
  const st2 = await c.post(`/api/orgs/${c.org}/integrations/${uid}/connect`);
  const loc2 = new URL(await consent(w, st2.json.authorize_url, u));
  loc2.searchParams.set('location', 'mars');
  assert.equal((await callback(c, loc2.href)).location, `/integrations?error=unknown_data_center&uid=${uid}`);
});

test('API: bad input 4xx naming the field, other tenants 404, Remove revokes at Zoho and stops everything', async () => {
  const base = `/api/orgs/${a.org}/integrations`;
  const bad = [
    [{ data_center: 'mars' }, 1003, /data_center/], [{ fiscalize: 'never' }, 1003, /fiscalize/],
    [{ attach_qr: 'yes' }, 1003, /attach_qr/], [{ attach_journal: 1 }, 1003, /attach_journal/],
    [{ trigger: 'payment' }, 1006, /trigger/],
    [{ tax_mapping: { VAT: 'AB' } }, 1003, /tax_mapping/],
    [{ backfill_days: 400 }, 1003, /backfill_days/],
  ];
  for (const [settings, code, field] of bad) {
    const r = await a.post(base, { type: 'zoho_books', certificate_uid: a.certUid, settings });
    assert.equal(r.status, 400, JSON.stringify(settings));
    assert.equal(r.json.code, code);
    assert.match(r.json.detail, field);
  }
  // the tax mapping dialog's data: Zoho's taxes (and "none"), the V-SDC's labels
  const tm = await a.get(`${base}/${uidA}/tax-mapping`);
  assert.equal(tm.status, 200, tm.text);
  const vat = tm.json.partner_taxes.find((t) => t.name === 'VAT');
  assert.match(vat.key, /^\d+$/, 'Zoho taxes are keyed by tax_id');
  assert.equal(vat.rate, 20);
  assert.equal(tm.json.partner_taxes.find((t) => t.name === 'Reduced VAT').rate, 10);
  assert.deepEqual(tm.json.partner_taxes.at(-1), { key: 'none', name: 'Lines without tax', rate: null });
  assert.ok(tm.json.labels.some((l) => l.label === 'Ж' && l.rate === 19 && l.category === 'VAT'));
  assert.deepEqual(tm.json.tax_mapping, {});
  assert.equal(tm.json.default_label, 'A');
  // labels of the sandbox V-SDC: Ж (VAT 19 %), N (no tax), B (0 %); a tax by its id or its name
  const mapping = { [vat.key]: 'Ж', 'Reduced VAT': 'B', none: 'N' };
  const p = await a.patch(`${base}/${uidA}`, { settings: { tax_mapping: mapping, default_label: 'A' } });
  assert.equal(p.status, 200, p.text);
  assert.deepEqual((await a.get(`${base}/${uidA}/tax-mapping`)).json.tax_mapping, mapping);
  assert.equal(p.json.settings.data_center, 'eu');
  assert.equal((await a.patch(`${base}/${uidA}`, { settings: { trigger: 'approval' } })).json.code, 1006);
  const xero = await a.post(base, { type: 'xero', certificate_uid: a.certUid });
  assert.equal((await a.post(`${base}/${xero.json.uid}/webhook/rotate`)).json.code, 8004);
  assert.equal((await a.get(`${base}/${xero.json.uid}/webhook`)).json.code, 8004);
  const other = await signup(w.srv.url, 'zoho-stranger');
  for (const [m, path] of [['get', 'webhook'], ['post', 'webhook/rotate'], ['post', 'connect'], ['post', 'test'], ['get', 'tenants'], ['get', 'tax-mapping']]) {
    assert.equal((await other[m](`/api/orgs/${other.org}/integrations/${uidA}/${path}`)).status, 404, path);
  }
  assert.equal((await other.del(`/api/orgs/${other.org}/integrations/${uidA}`)).status, 404);
  // the mapping applies to what is fiscalized next
  const inv = await zohoInvoice(w, orgA, { line_items: [{ name: 'Mapped', rate: 10, quantity: 1, tax_name: 'VAT' },
    { name: 'Untaxed', rate: 5, quantity: 1 }, { name: 'Reduced', rate: 1, quantity: 1.5, tax_name: 'Reduced VAT' }] });
  const f = await signedOnce(a, uidA, inv, 'the mapped invoice');
  const d = (await a.get(`/api/orgs/${a.org}/fiscal-invoices/${f.id}`)).json;
  assert.deepEqual(d.invoice.items.map((x) => [x.labels[0], x.quantity, x.total]), [['Ж', '1', '12'], ['N', '1', '5'], ['B', '1.5', '1.65']]);
  // 20 % mapped to a 19 % label and 10 % to 0 %: Zoho's 2.15 of tax against the V-SDC's 1.916
  assert.deepEqual([d.source_tax_total, d.vsdc_tax_total, d.tax_mismatch], ['2.15', '1.916', true]);
  assert.equal((await integration(a, uidA)).tax_mismatches.count, 1, 'counted since the mapping changed');
  // Remove
  const keep = (await fiscalInvoices(a, uidA)).length;
  const revocations = (await stats()).identity.revocations || 0;
  assert.equal((await a.del(`${base}/${uidA}`)).status, 204);
  assert.equal(await integration(a, uidA), undefined);
  assert.equal((await a.del(`${base}/${uidA}`)).status, 404);
  await waitFor(async () => ((await stats()).identity.revocations || 0) > revocations, { what: 'the refresh token revoked at Zoho' });
  const body = '{"invoice":{"invoice_id":"1"}}';
  assert.equal((await fetch(setupA.url, { method: 'POST', headers: { 'x-zoho-webhook-signature': zohoSignature(setupA.secret, setupA.url, body) }, body })).status, 404);
  const late = await zohoInvoice(w, orgA);
  await sleep(1200);
  assert.equal(mine(await fiscalInvoices(a, uidA), late).length, 0, 'sync stopped');
  assert.equal((await fiscalInvoices(a, uidA)).length, keep, 'fiscal invoices kept');
});
