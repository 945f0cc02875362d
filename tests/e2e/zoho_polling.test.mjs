// zoho_polling.test.mjs - the Zoho Books connector without webhooks: invoices fiscalized once by
// polling (last_modified_time, every page), webhook and polling together never twice, the sync
// mode falling back to polling when deliveries stop, Zoho's per-minute limit (429 without
// Retry-After) making work wait, never dropping it, and its daily limit stopping the calls.
// Polls every second here; the webhook counts as silent after 3 s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startZohoWorld, stopZohoWorld, zohoUser, account, connectZoho, integration, fiscalInvoices, hookUp, zohoInvoice, comments,
  vsdcCount, waitFor, sleep,
} from '../lib/zoho.mjs';

let w, c, u, org, uid;

before(async () => {
  w = await startZohoWorld({ env: { FISCALHUB_ZOHO_POLL_SECONDS: '1', FISCALHUB_ZOHO_WEBHOOK_POLL_SECONDS: '3' } });
  c = await account(w, 'zoho-poll');
  u = await zohoUser(w, { dc: 'eu' });
  org = u.orgs[0].organization_id;
  uid = await connectZoho(w, c, u);
});

after(() => stopZohoWorld(w, []));

const stats = () => w.ctl('GET', '/zoho/control/stats');
const signed = (inv, what = `invoice ${inv.invoice_number}`) => waitFor(async () => (await fiscalInvoices(c, uid))
  .find((f) => f.source_ref === inv.invoice_number && f.status === 'signed'), { what, timeoutMs: 30000 });

test('without webhooks an invoice is fiscalized once by polling, and written back once', async () => {
  const inv = await zohoInvoice(w, org);
  const f = await signed(inv, 'the polled invoice');
  assert.equal(f.total_amount, '251');
  await waitFor(async () => (await comments(w, inv.invoice_id)).length === 1, { what: 'the comment' });
  const i = await integration(c, uid);
  assert.equal(i.sync_mode, 'polling');
  assert.equal(i.webhooks_seen_at, null);
  const polled = Date.parse(i.last_polled_at);
  await waitFor(async () => Date.parse((await integration(c, uid)).last_polled_at) > polled, { what: 'more polls' });
  await sleep(1500); // several more polls see it again (it is within the overlap)
  assert.equal((await fiscalInvoices(c, uid)).filter((x) => x.source_ref === inv.invoice_number).length, 1);
  assert.equal(await vsdcCount(w, c.certUid, inv.invoice_number), 1);
  assert.equal((await comments(w, inv.invoice_id)).length, 1);
});

test('a failing sync shows on the integration until a poll completes', async () => {
  await w.ctl('PUT', '/zoho/control/faults', { error_5xx: 1 });
  try {
    const failing = await waitFor(async () => (await integration(c, uid)).sync_error, { what: 'the sync error' });
    assert.equal(failing.message, 'Zoho did not answer usefully (HTTP 500, server error)');
    assert.ok(Date.parse(failing.since) <= Date.now());
    assert.equal((await integration(c, uid)).status, 'active');
  } finally {
    await w.ctl('PUT', '/zoho/control/faults', {});
  }
  await waitFor(async () => (await integration(c, uid)).sync_error === null, { what: 'the error cleared by a completed poll' });
});

test('paging: an invoice behind 250 drafts (page 2 of 200) is found; drafts are never fiscalized', async () => {
  const lists = (await stats()).calls['GET /invoices'] || 0;
  const bulk = await w.ctl('POST', `/zoho/control/orgs/${org}/invoices/bulk`, { count: 250, status: 'draft' });
  assert.equal(bulk.created, 250);
  const inv = await zohoInvoice(w, org, { line_items: [{ name: 'Last', rate: 3, quantity: 1 }] });
  await signed(inv, 'the invoice on page 2');
  assert.ok(((await stats()).calls['GET /invoices'] || 0) - lists >= 2, 'more than one page was read');
  assert.equal((await fiscalInvoices(c, uid)).filter((x) => x.source_ref === bulk.first_number).length, 0, 'a draft');
  // a draft that is sent later is fiscalized then
  await w.ctl('POST', `/zoho/control/invoices/${bulk.first_id}/send`);
  await signed({ invoice_number: bulk.first_number }, 'the draft once sent');
});

test('webhook and polling together fiscalize once; silent webhooks fall back to polling', async () => {
  await hookUp(w, c, uid, org);
  const inv = await zohoInvoice(w, org, { line_items: [{ name: 'Both ways', rate: 9, quantity: 1 }] });
  await signed(inv);
  await waitFor(async () => (await integration(c, uid)).sync_mode === 'webhook', { what: 'webhook mode' });
  await sleep(1500);
  assert.equal((await fiscalInvoices(c, uid)).filter((x) => x.source_ref === inv.invoice_number).length, 1);
  assert.equal(await vsdcCount(w, c.certUid, inv.invoice_number), 1);
  // the rule is deleted in Zoho: after FISCALHUB_ZOHO_WEBHOOK_POLL_SECONDS the integration polls
  await w.ctl('PUT', `/zoho/control/orgs/${org}/webhook`, { url: null });
  await waitFor(async () => (await integration(c, uid)).sync_mode === 'polling', { what: 'polling mode', timeoutMs: 15000 });
  await signed(await zohoInvoice(w, org, { line_items: [{ name: 'Quiet', rate: 4, quantity: 1 }] }));
});

test('Zoho\'s per-minute limit (429, no Retry-After): work waits and nothing is lost', async () => {
  await w.ctl('PUT', `/zoho/control/orgs/${org}`, { limits: { minute: 8 } });
  try {
    const limited = (await stats()).rate_limited?.minute || 0;
    const bulk = await w.ctl('POST', `/zoho/control/orgs/${org}/invoices/bulk`, { count: 12, amount: 5 });
    const done = await waitFor(async () => {
      const l = (await fiscalInvoices(c, uid)).filter((f) => f.status === 'signed' &&
        f.source_ref >= bulk.first_number && f.source_ref <= bulk.last_number);
      return l.length === 12 && l;
    }, { what: '12 invoices under the limit', timeoutMs: 60000 });
    await waitFor(async () => {
      for (const f of done) if ((await comments(w, f.source_url.split('/').pop())).length !== 1) return false;
      return true;
    }, { what: 'one comment each', timeoutMs: 60000 });
    const s = await stats();
    assert.ok((s.rate_limited?.minute || 0) - limited < 12, `few 429s: ${(s.rate_limited?.minute || 0) - limited}`);
  } finally {
    await w.ctl('PUT', `/zoho/control/orgs/${org}`, { limits: { minute: null } });
  }
});

test('Zoho\'s daily limit: when Zoho says none is left today, fiscalhub stops calling until its reset', async () => {
  const c2 = await account(w, 'zoho-day');
  const u2 = await zohoUser(w, { dc: 'eu', plan: 'free' });
  const org2 = u2.orgs[0].organization_id;
  const uid2 = await connectZoho(w, c2, u2);
  await waitFor(async () => (await integration(c2, uid2)).backfill.state === 'done', { what: 'first sync' });
  const used = (await stats()).orgs[org2].calls;
  await w.ctl('PUT', `/zoho/control/orgs/${org2}`, { limits: { day: used + 3 } });
  await zohoInvoice(w, org2);
  await waitFor(async () => (await stats()).orgs[org2].calls >= used + 3, { what: 'the last calls of the day' });
  const at = (await stats()).orgs[org2];
  await sleep(2500); // polls every second and an invoice to fetch: all wait for Zoho's reset
  const now = (await stats()).orgs[org2];
  assert.equal(now.calls, at.calls, 'no call after the day ran out');
  assert.ok((now.rate_limited || 0) <= 1, `refused calls: ${now.rate_limited}`);
});
