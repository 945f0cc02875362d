// zoho.mjs - helpers of the Zoho Books connector suites: one fiscalhub-sandbox (Zoho emulator and
// V-SDC) with a Zoho client of our own, a fiscalhub pointed at it, sandbox users and
// organizations per data center, the consent driven over HTTP like a browser, the workflow
// webhook pointed at an integration's URL, and the control API of both emulators.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startServer } from './server.mjs';
import { startSandbox } from './sandbox.mjs';
import { waitFor, sleep, account, callback, integration, fiscalInvoices } from './xero.mjs';

// The same as for Xero: a fiscalhub account with a certificate, our callback as a browser
// would get it, the integration object, its fiscal invoices.
export { waitFor, sleep, account, callback, integration, fiscalInvoices };
export const SCALE = 30; // a Zoho minute lasts 2 s, an access token 2 minutes

// Starts the sandbox and fiscalhub; returns { sb, srv, ctl, DC, client, stop }. env overrides
// fiscalhub's settings (e.g. a short FISCALHUB_ZOHO_POLL_SECONDS for the polling suite).
export async function startZohoWorld({ env = {}, sandboxArgs = [] } = {}) {
  const sb = await startSandbox({ args: ['--zoho-time-scale', String(SCALE), ...sandboxArgs] });
  const ctl = async (method, path, body) => {
    const r = await sb.control(method, path, body);
    if (r.status >= 400) throw new Error(`sandbox ${method} ${path}: ${r.status} ${r.text}`);
    return r.json;
  };
  const DC = (await ctl('GET', '/zoho/control/info')).data_centres;
  const client = await ctl('POST', '/zoho/control/clients', {
    name: 'fiscalhub e2e', client_id: '1000.FHE2E' + randomBytes(8).toString('hex').toUpperCase(),
    redirect_uris: ['http://127.0.0.1:9/placeholder'],
  });
  const vsdc = await ctl('GET', '/vsdc/control/info');
  const srv = await startServer({
    env: {
      FISCALHUB_SANDBOX_URL: sb.url,
      FISCALHUB_ZOHO_CLIENT_ID: client.client_id,
      FISCALHUB_ZOHO_CLIENT_SECRET: client.client_secret,
      FISCALHUB_ZOHO_TIME_SCALE: String(SCALE),
      FISCALHUB_ZOHO_POLL_SECONDS: '3600',
      FISCALHUB_TAXCORE_CA_FILE: vsdc.ca_file,
      FISCALHUB_WORKERS: '4',
      FISCALHUB_JOB_BACKOFF_MS: '50',
      FISCALHUB_JOB_BACKOFF_MAX_MS: '1000',
      ...env,
    },
  });
  await ctl('PUT', `/zoho/control/clients/${client.client_id}`, { redirect_uris: [srv.url + '/oauth/zoho/callback'] });
  return {
    sb, srv, ctl, DC, client,
    async stop() {
      const r = await srv.stop();
      await sb.stop();
      return r;
    },
  };
}

// Stops the world (an after hook): fiscalhub exited cleanly, no sanitizer report, and none of
// the given secrets nor any Zoho token in its log.
export async function stopZohoWorld(w, secrets = []) {
  const r = await w?.stop();
  if (!r) return;
  const log = readFileSync(w.srv.logFile, 'utf8');
  assert.doesNotMatch(log, /AddressSanitizer|LeakSanitizer|runtime error:/, 'sanitizer report in ' + w.srv.logFile);
  assert.equal(r.code, 0, `fiscalhub exited with ${r.code ?? r.signal}`);
  assert.doesNotMatch(log, /1000\.[0-9a-f]{32}\.[0-9a-f]{32}/, 'a token in the log');
  for (const secret of [w.client.client_secret, ...secrets]) assert.ok(!secret || !log.includes(secret), 'a secret in the log');
}

let seq = 0;
// A sandbox user in dc with n new organizations: { email, password, dc, orgs: [{organization_id, name}] }.
export async function zohoUser(w, { dc = 'eu', n = 1, plan = 'standard' } = {}) {
  seq += 1;
  const orgs = [];
  for (let i = 0; i < n; i++) {
    orgs.push(await w.ctl('POST', '/zoho/control/orgs', { name: `E2E Zoho ${process.pid}-${seq}-${i}`, dc, plan, utc_offset: '+0100' }));
  }
  const email = `zoho-${process.pid}-${seq}@example.com`;
  const password = 'pw-' + seq;
  await w.ctl('POST', '/zoho/control/users', { email, password, dc, orgs: orgs.map((o) => o.organization_id) });
  return { email, password, dc, orgs };
}

const hidden = (html, name) => (new RegExp(`name="${name}" value="([^"]*)"`).exec(html) || [])[1];
const formAction = (html, suffix) => (new RegExp(`<form method="post" action="([^"]*${suffix})">`).exec(html) || [])[1];
const post = (url, o, cookie) => fetch(url, {
  method: 'POST', redirect: 'manual',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
  body: new URLSearchParams(o).toString(),
});

// Follows the consent like a browser (sign in, pick an organization, Accept or Reject); returns
// the URL Zoho redirects to (our callback with code, state, location and accounts-server).
export async function consent(w, authorizeUrl, user, { org = user.orgs[0], action = 'accept' } = {}) {
  const page = await fetch(authorizeUrl, { redirect: 'manual' });
  if (page.status !== 200) throw new Error(`consent page: ${page.status} ${await page.text()}`);
  const html = await page.text();
  const request = hidden(html, 'request');
  const csrf = hidden(html, 'csrf');
  const origin = new URL(authorizeUrl).origin;
  const login = await post(origin + formAction(html, '/login'), { request, csrf, email: user.email, password: user.password });
  if (login.status !== 303) throw new Error(`consent login: ${login.status}`);
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const cpage = await fetch(new URL(login.headers.get('location'), origin), { redirect: 'manual', headers: { cookie } });
  if (cpage.status === 302) return cpage.headers.get('location'); // a returning user: no page
  const chtml = await cpage.text();
  const done = await post(origin + formAction(chtml, '/consent'),
    { request: hidden(chtml, 'request'), csrf: hidden(chtml, 'csrf'), action, org: org.organization_id }, cookie);
  if (done.status !== 302) throw new Error(`consent: ${done.status} ${await done.text()}`);
  return done.headers.get('location');
}

export async function reconnect(w, c, uid, user, opts = {}) {
  const st = await c.post(`/api/orgs/${c.org}/integrations/${uid}/connect`);
  if (st.status !== 200) throw new Error(`connect: ${st.status} ${st.text}`);
  const loc = await consent(w, st.json.authorize_url, user, opts);
  return { ...(await callback(c, loc)), authorizeUrl: st.json.authorize_url, zohoRedirect: loc };
}

// Creates a zoho_books integration and connects it to the user's first organization.
export async function connectZoho(w, c, user, { settings = { data_center: user.dc }, org } = {}) {
  const cr = await c.post(`/api/orgs/${c.org}/integrations`, { type: 'zoho_books', certificate_uid: c.certUid, settings });
  if (cr.status !== 201) throw new Error(`create: ${cr.status} ${cr.text}`);
  const uid = cr.json.uid;
  const cb = await reconnect(w, c, uid, user, { org });
  if (cb.status !== 302 || cb.location !== `/integrations?connected=${uid}`) throw new Error(`callback: ${cb.status} ${cb.location}`);
  return uid;
}

// Points the organization's workflow webhook (create and edit) at the integration's URL.
export async function hookUp(w, c, uid, org) {
  const setup = (await c.get(`/api/orgs/${c.org}/integrations/${uid}/webhook`)).json;
  await w.ctl('PUT', `/zoho/control/orgs/${org}/webhook`, { url: setup.url, secret: setup.secret, events: ['create', 'edit'] });
  return setup;
}

// A sandbox invoice (sent unless status says otherwise): Widget 2 x 100 at VAT 20 %, Book 10 at
// Reduced VAT 10 % - 251 with tax.
export async function zohoInvoice(w, org, over = {}) {
  const r = await w.ctl('POST', `/zoho/control/orgs/${org}/invoices`, {
    customer_name: 'E2E Kupac d.o.o.',
    line_items: [{ name: 'Widget', rate: 100, quantity: 2, tax_name: 'VAT' }, { name: 'Book', rate: 10, quantity: 1, tax_name: 'Reduced VAT' }],
    ...over,
  });
  return r.invoice;
}

export async function comments(w, invoiceId) {
  return w.ctl('GET', `/zoho/control/invoices/${invoiceId}/comments?type=internal`);
}

// The signature of specs/zoho-books.md §4.3, written independently of the C.
export function zohoSignature(secret, url, rawBody) {
  const pairs = [...new URL(url).searchParams.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return createHmac('sha256', secret).update(pairs.map(([k, v]) => k + v).join('') + rawBody).digest('hex');
}

export async function vsdcCount(w, certUid, posNumber) {
  const r = await w.ctl('GET', `/vsdc/control/invoices?uid=${certUid}&limit=1000`);
  return r.invoices.filter((i) => i.pos_invoice_number === posNumber).length;
}
