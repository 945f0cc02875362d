// zoho_tokens.test.mjs - Zoho's token rules against the sandbox: access tokens refreshed on expiry
// (single flight) with the one refresh token, which is never minted again while it works (the
// emulator counts live refresh tokens per user; Reconnect asks without prompt=consent); a
// refresh token withdrawn in Zoho answers HTTP 200 with an "error" field, which turns the
// integration inactive, and Reconnect then asks for a new one; data-center routing (accounts
// server, api_domain, Zoho's multi-DC redirect).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startZohoWorld, stopZohoWorld, zohoUser, account, connectZoho, reconnect, integration, fiscalInvoices, hookUp, zohoInvoice,
  waitFor,
} from '../lib/zoho.mjs';

let w;

before(async () => {
  w = await startZohoWorld();
});

after(() => stopZohoWorld(w, []));

const stats = () => w.ctl('GET', '/zoho/control/stats');
const liveRefreshTokens = async (u) => (await stats()).refresh_tokens_per_user?.[u.email]?.[w.client.client_id] ?? 0;
const signed = (c, uid, inv) => waitFor(async () => (await fiscalInvoices(c, uid))
  .find((f) => f.source_ref === inv.invoice_number && f.status === 'signed'), { what: `invoice ${inv.invoice_number}` });

test('expired access tokens: one refresh for a burst, the refresh token reused, never minted again', async () => {
  const c = await account(w, 'zoho-refresh');
  const u = await zohoUser(w, { dc: 'eu' });
  const org = u.orgs[0].organization_id;
  const uid = await connectZoho(w, c, u);
  await hookUp(w, c, uid, org);
  assert.equal(await liveRefreshTokens(u), 1);
  await waitFor(async () => (await integration(c, uid)).backfill.state === 'done', { what: 'first sync' });
  const before = (await stats()).identity.refreshes || 0;
  await w.ctl('POST', '/zoho/control/tokens/expire', { client_id: w.client.client_id, user: u.email });
  const bulk = await w.ctl('POST', `/zoho/control/orgs/${org}/invoices/bulk`, { count: 20, events: true });
  assert.equal(bulk.created, 20);
  await waitFor(async () => (await fiscalInvoices(c, uid)).filter((f) => f.status === 'signed').length >= 20,
    { what: '20 fiscal invoices', timeoutMs: 60000 });
  assert.equal(((await stats()).identity.refreshes || 0) - before, 1, 'one refresh for the burst');
  assert.equal(await liveRefreshTokens(u), 1, 'no new refresh token');
  // Reconnect while the stored refresh token works: no prompt=consent, no new refresh token
  const cb = await reconnect(w, c, uid, u);
  assert.equal(cb.location, `/integrations?connected=${uid}`);
  assert.equal(new URL(cb.authorizeUrl).searchParams.get('prompt'), null);
  assert.equal(new URL(cb.zohoRedirect).searchParams.get('location'), 'eu');
  assert.equal(await liveRefreshTokens(u), 1, 'still one refresh token after Reconnect');
  await w.ctl('POST', '/zoho/control/tokens/expire', { client_id: w.client.client_id, user: u.email });
  const t = await c.post(`/api/orgs/${c.org}/integrations/${uid}/test`);
  assert.equal(t.json.ok, true, t.json.message);
  assert.equal(await liveRefreshTokens(u), 1);
});

test('a refresh token withdrawn in Zoho (HTTP 200 with error) -> inactive with the reason; Reconnect asks for a new one', async () => {
  const c = await account(w, 'zoho-revoked');
  const u = await zohoUser(w, { dc: 'eu' });
  const org = u.orgs[0].organization_id;
  const uid = await connectZoho(w, c, u);
  const st = (await w.ctl('GET', '/zoho/control/info')).settings;
  assert.equal(st.token_error_status, 200, 'the emulator answers token errors with HTTP 200');
  await w.ctl('POST', '/zoho/control/tokens/revoke', { client_id: w.client.client_id, user: u.email });
  const t = await c.post(`/api/orgs/${c.org}/integrations/${uid}/test`);
  assert.equal(t.json.ok, false);
  assert.match(t.json.message, /invalid_code/);
  assert.match(t.json.message, /reconnect/i);
  let i = await integration(c, uid);
  assert.equal(i.status, 'inactive');
  assert.match(i.status_reason, /Zoho refused the refresh token \(invalid_code\); reconnect to Zoho\./);
  const cb = await reconnect(w, c, uid, u);
  assert.equal(cb.location, `/integrations?connected=${uid}`);
  assert.equal(new URL(cb.authorizeUrl).searchParams.get('prompt'), 'consent', 'a new refresh token is needed');
  i = await integration(c, uid);
  assert.equal(i.status, 'active');
  assert.equal(i.status_reason, null);
  assert.equal(await liveRefreshTokens(u), 1);
  await hookUp(w, c, uid, org);
  await signed(c, uid, await zohoInvoice(w, org));
});

test('data centers: a US account works through com; an account elsewhere is followed to its data center', async () => {
  const c = await account(w, 'zoho-us');
  const us = await zohoUser(w, { dc: 'com', plan: 'professional' });
  const uid = await connectZoho(w, c, us, { settings: { data_center: 'com' } });
  const org = us.orgs[0].organization_id;
  await hookUp(w, c, uid, org);
  const inv = await zohoInvoice(w, org);
  const f = await signed(c, uid, inv);
  assert.match(f.source_url, new RegExp(`/books/com/app/${org}#/invoices/${inv.invoice_id}$`));
  assert.ok((await stats()).orgs[org].calls > 0, 'calls went to the US organization');
  // an Indian account connected with data center "com": Zoho sends it back with location=in
  const c2 = await account(w, 'zoho-in');
  const inUser = await zohoUser(w, { dc: 'in' });
  const uid2 = await connectZoho(w, c2, inUser, { settings: { data_center: 'com' } });
  const i = await integration(c2, uid2);
  assert.equal(i.settings.data_center, 'in');
  const t = await c2.post(`/api/orgs/${c2.org}/integrations/${uid2}/test`);
  assert.equal(t.json.ok, true, t.json.message);
  assert.match(t.json.message, /data center in/);
  // and a refresh goes to India's accounts server
  const refreshes = (await stats()).identity.refreshes || 0;
  await w.ctl('POST', '/zoho/control/tokens/expire', { client_id: w.client.client_id, user: inUser.email });
  assert.equal((await c2.post(`/api/orgs/${c2.org}/integrations/${uid2}/test`)).json.ok, true);
  assert.equal(((await stats()).identity.refreshes || 0) - refreshes, 1);
});
