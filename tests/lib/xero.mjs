// xero.mjs - helpers of the Xero connector suites: one fiscalhub-sandbox (Xero emulator and V-SDC)
// with an app of our own, a fiscalhub pointed at it (webhooks with intent to receive passed),
// sandbox organisations and users, the consent driven over HTTP like a browser, and the control
// API of both emulators.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startServer, signup } from './server.mjs';
import { startSandbox } from './sandbox.mjs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const SCALE = 30; // a Xero minute lasts 2 s

export async function waitFor(fn, { timeoutMs = 30000, everyMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

// Starts the sandbox and fiscalhub; returns { sb, srv, X (base URLs), ctl, clientId, key, stop }.
export async function startXeroWorld({ env = {} } = {}) {
  const sb = await startSandbox({ args: ['--xero-time-scale', String(SCALE)] });
  const ctl = async (method, path, body) => {
    const r = await sb.control(method, path, body);
    if (r.status >= 400) throw new Error(`sandbox ${method} ${path}: ${r.status} ${r.text}`);
    return r.json;
  };
  const info = await ctl('GET', '/xero/control/info');
  // tokens live long in this suite, so the refresh counts are only the ones a test provokes
  await ctl('PUT', '/xero/control/settings', { access_lifetime_s: 86400 });
  const clientId = 'FHE2E' + randomBytes(10).toString('hex').toUpperCase();
  const secret = 'secret-' + randomBytes(12).toString('hex');
  const key = 'e2e-webhook-key-' + randomBytes(8).toString('hex');
  await ctl('POST', '/xero/control/apps', {
    name: 'fiscalhub e2e', client_id: clientId, client_secret: secret, redirect_uris: ['http://127.0.0.1:9/placeholder'],
  });
  const vsdc = await ctl('GET', '/vsdc/control/info');
  const srv = await startServer({
    env: {
      FISCALHUB_SANDBOX_URL: sb.url,
      FISCALHUB_XERO_CLIENT_ID: clientId,
      FISCALHUB_XERO_CLIENT_SECRET: secret,
      FISCALHUB_XERO_WEBHOOK_KEY: key,
      FISCALHUB_XERO_TIME_SCALE: String(SCALE),
      FISCALHUB_XERO_POLL_SECONDS: '3600',
      FISCALHUB_TAXCORE_CA_FILE: vsdc.ca_file,
      FISCALHUB_WORKERS: '4',
      FISCALHUB_JOB_BACKOFF_MS: '50',
      FISCALHUB_JOB_BACKOFF_MAX_MS: '1000',
      ...env,
    },
  });
  await ctl('PUT', `/xero/control/apps/${clientId}`, {
    redirect_uris: [srv.url + '/oauth/xero/callback'], webhook_url: srv.url + '/webhooks/xero', webhook_key: key,
    webhook_categories: ['INVOICE', 'CREDITNOTE', 'CONTACT'],
  });
  const hook = await waitFor(async () => {
    const s = await ctl('GET', `/xero/control/webhooks?client_id=${clientId}`);
    return s.status !== 'itr_pending' && s;
  }, { what: 'intent to receive' });
  return {
    sb, srv, ctl, clientId, key, hook, X: info.base_urls,
    async stop() {
      const r = await srv.stop();
      await sb.stop();
      return r;
    },
  };
}

// Stops the world (an after hook): fiscalhub exited cleanly, without a sanitizer report.
export async function stopXeroWorld(w) {
  const r = await w?.stop();
  if (!r) return;
  const log = readFileSync(w.srv.logFile, 'utf8');
  assert.doesNotMatch(log, /AddressSanitizer|LeakSanitizer|runtime error:/, 'sanitizer report in ' + w.srv.logFile);
  assert.equal(r.code, 0, `fiscalhub exited with ${r.code ?? r.signal}`);
}

let seq = 0;
// A sandbox user with n new organisations: { email, password, orgs: [{tenant_id, name}] }.
export async function xeroUser(w, n = 1) {
  seq += 1;
  const orgs = [];
  for (let i = 0; i < n; i++) orgs.push(await w.ctl('POST', '/xero/control/orgs', { name: `E2E Org ${process.pid}-${seq}-${i}` }));
  const email = `xero-${process.pid}-${seq}@example.com`;
  const password = 'pw-' + seq;
  await w.ctl('POST', '/xero/control/users', { email, password, orgs: orgs.map((o) => o.tenant_id) });
  return { email, password, orgs };
}

function hidden(html, name) {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  return m && m[1];
}

const form = (o) => ({
  method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(o).toString(),
});

// Follows the consent like a browser (log in, pick organisations, allow or deny); returns the URL
// Xero redirects to (our callback with code and state).
export async function consent(w, authorizeUrl, user, { orgs = user.orgs, action = 'allow' } = {}) {
  const page = await fetch(authorizeUrl);
  if (page.status !== 200) throw new Error(`consent page: ${page.status} ${await page.text()}`);
  const html = await page.text();
  const request = hidden(html, 'request');
  const csrf = hidden(html, 'csrf');
  const login = await fetch(`${w.X.login}/identity/connect/authorize/login`,
    form({ request, csrf, email: user.email, password: user.password }));
  if (login.status !== 303) throw new Error(`consent login: ${login.status}`);
  const cookie = login.headers.get('set-cookie').split(';')[0];
  await (await fetch(new URL(login.headers.get('location'), w.X.login), { headers: { cookie } })).text();
  const body = new URLSearchParams({ request, csrf, action });
  for (const o of orgs) body.append('org', o.tenant_id);
  const done = await fetch(`${w.X.login}/identity/connect/authorize/consent`, {
    method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
  });
  if (done.status !== 302) throw new Error(`consent: ${done.status} ${await done.text()}`);
  return done.headers.get('location');
}

// GETs our callback with the client's session, without following the redirect.
export async function callback(c, url) {
  const u = new URL(url);
  const r = await fetch(c.base + u.pathname + u.search, { redirect: 'manual', headers: { cookie: c.cookie } });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* redirect */ }
  return { status: r.status, location: r.headers.get('location'), json };
}

// A fiscalhub account with an uploaded sandbox certificate.
export async function account(w, tag) {
  const c = await signup(w.srv.url, tag);
  const cert = await w.ctl('POST', '/vsdc/control/certificates', {});
  const up = await c.post(`/api/orgs/${c.org}/certificates`, { pfx_base64: cert.pfx_base64, password: cert.password, pac: cert.pac });
  if (up.status !== 201) throw new Error(`certificate upload: ${up.status} ${up.text}`);
  c.certUid = up.json.uid;
  return c;
}

// Creates an integration and connects it to the user's organisations; returns the integration.
export async function connectXero(w, c, user, { settings = { trigger: 'payment' }, orgs } = {}) {
  const cr = await c.post(`/api/orgs/${c.org}/integrations`, { type: 'xero', certificate_uid: c.certUid, settings });
  if (cr.status !== 201) throw new Error(`create: ${cr.status} ${cr.text}`);
  const uid = cr.json.uid;
  const cb = await reconnect(w, c, uid, user, { orgs });
  if (cb.status !== 302 || cb.location !== `/integrations?connected=${uid}`) throw new Error(`callback: ${cb.status} ${cb.location}`);
  return uid;
}

export async function reconnect(w, c, uid, user, { orgs, action } = {}) {
  const st = await c.post(`/api/orgs/${c.org}/integrations/${uid}/connect`);
  if (st.status !== 200) throw new Error(`connect: ${st.status} ${st.text}`);
  const loc = await consent(w, st.json.authorize_url, user, { orgs: orgs || user.orgs, action });
  return callback(c, loc);
}

export async function integration(c, uid) {
  const r = await c.get(`/api/orgs/${c.org}/integrations`);
  return [...r.json.integrations, ...r.json.pending].find((i) => i.uid === uid);
}

export async function fiscalInvoices(c, uid) {
  const r = await c.get(`/api/orgs/${c.org}/fiscal-invoices?integration=${uid}&page_size=200`);
  return r.json.invoices;
}

// A sandbox invoice (DRAFT) with two lines of 20% and 10% tax.
export async function xeroInvoice(w, tenant, over = {}) {
  return w.ctl('POST', `/xero/control/orgs/${tenant}/invoices`, {
    Type: 'ACCREC', Contact: { Name: 'E2E Buyer' },
    LineItems: [
      { Description: 'Widget', Quantity: 2, UnitAmount: 25.0, AccountCode: '200', TaxType: 'TAX001' },
      { Description: 'Book', Quantity: 1, UnitAmount: 10.0, AccountCode: '200', TaxType: 'TAX002' },
    ],
    ...over,
  });
}

export async function notes(w, invoiceId) {
  return (await w.ctl('GET', `/xero/control/invoices/${invoiceId}/history?changes=Note`)).HistoryRecords;
}
