// xero_sandbox.test.mjs - the Xero emulator of fiscalhub-sandbox over real HTTP: the OAuth code
// flow with PKCE through the consent pages, token rotation and its grace window, connections,
// the Accounting API (401/403 bodies, paging, If-Modified-Since, documents, history notes,
// attachments), rate limits, signed webhooks with intent to receive and retries, and fault
// injection. Needs FH_BIN (a build directory); starts its own sandbox on free ports.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, get as httpGet } from 'node:http';
import { readFileSync } from 'node:fs';
import { startSandbox } from '../lib/sandbox.mjs';

const SCALE = 30; // a Xero minute lasts 2 s
let sb;
let X; // base URLs

before(async () => {
  sb = await startSandbox({ args: ['--xero-time-scale', String(SCALE)] });
  const info = await ctl('GET', '/xero/control/info');
  X = info.json.base_urls;
});

after(async () => {
  const r = await sb?.stop();
  if (r) {
    const log = readFileSync(sb.logFile, 'utf8');
    assert.doesNotMatch(log, /AddressSanitizer|LeakSanitizer|runtime error:/, 'sanitizer report in ' + sb.logFile);
    assert.equal(r.code, 0, `sandbox exited with ${r.code ?? r.signal}; log: ${sb.logFile}`);
  }
});

async function ctl(method, path, body) {
  const r = await sb.control(method, path, body);
  return r;
}

const b64url = (buf) => buf.toString('base64url');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function pkce() {
  const verifier = b64url(randomBytes(48));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  return { verifier, challenge };
}

let seq = 0;
// A fresh user with `norgs` organisations and a confidential app (or a PKCE one).
async function world({ norgs = 2, pkceApp = false, app = {} } = {}) {
  seq += 1;
  const orgs = [];
  for (let i = 0; i < norgs; i++) {
    const r = await ctl('POST', '/xero/control/orgs', { name: `Test Org ${seq}-${i}` });
    assert.equal(r.status, 201, r.text);
    orgs.push(r.json);
  }
  const email = `user${seq}-${process.pid}@example.com`;
  const password = 'pw-' + seq;
  const u = await ctl('POST', '/xero/control/users', { email, password, orgs: orgs.map((o) => o.tenant_id) });
  assert.equal(u.status, 201, u.text);
  const redirect = `http://127.0.0.1:9/cb/${seq}`;
  const a = await ctl('POST', '/xero/control/apps', { name: `App ${seq}`, redirect_uris: [redirect], pkce: pkceApp, ...app });
  assert.equal(a.status, 201, a.text);
  return { orgs, email, password, redirect, app: a.json };
}

function hidden(html, name) {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  return m && m[1];
}

const FULL_SCOPE = 'openid profile email offline_access accounting.transactions accounting.contacts accounting.settings accounting.attachments';

function authorizeUrl(w, { scope = FULL_SCOPE, state = 'st-' + seq, challenge, extra = {} } = {}) {
  const q = new URLSearchParams({ response_type: 'code', client_id: w.app.client_id, redirect_uri: w.redirect, scope, state, ...extra });
  if (challenge) {
    q.set('code_challenge', challenge);
    q.set('code_challenge_method', 'S256');
  }
  return `${X.login}/identity/connect/authorize?${q}`;
}

const form = (o) => ({ method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(o).toString() });

// Logs in and consents through the HTML pages; returns the redirect's query parameters.
async function consent(w, { orgs = w.orgs, action = 'allow', ...opts } = {}) {
  const page = await fetch(authorizeUrl(w, opts));
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<form method="post" action="\/xero\/identity\/connect\/authorize\/login">/);
  assert.doesNotMatch(html, /<script/i);
  assert.match(page.headers.get('content-security-policy'), /default-src 'none'/);
  const request = hidden(html, 'request');
  const csrf = hidden(html, 'csrf');
  const login = await fetch(`${X.login}/identity/connect/authorize/login`, form({ request, csrf, email: w.email, password: w.password }));
  assert.equal(login.status, 303);
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const cpage = await fetch(new URL(login.headers.get('location'), X.login), { headers: { cookie } });
  assert.equal(cpage.status, 200);
  const chtml = await cpage.text();
  for (const o of w.orgs) assert.ok(chtml.includes(`value="${o.tenant_id}"`), 'org offered');
  assert.match(chtml, /Allow access/);
  const body = new URLSearchParams({ request, csrf, action });
  for (const o of orgs) body.append('org', o.tenant_id);
  const done = await fetch(`${X.login}/identity/connect/authorize/consent`, {
    method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString(),
  });
  assert.equal(done.status, 302);
  const loc = new URL(done.headers.get('location'));
  assert.equal(loc.origin + loc.pathname, w.redirect);
  return Object.fromEntries(loc.searchParams);
}

function basic(w) {
  return 'Basic ' + Buffer.from(`${w.app.client_id}:${w.app.client_secret}`).toString('base64');
}

async function token(w, params, { auth = basic(w) } = {}) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth) headers.authorization = auth;
  const r = await fetch(`${X.identity}/connect/token`, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
  return { status: r.status, json: await r.json().catch(() => null) };
}

// Consent + code exchange: returns the token response.
async function connect(w, opts = {}) {
  const p = pkce();
  const q = await consent(w, { challenge: p.challenge, ...opts });
  const t = await token(w, { grant_type: 'authorization_code', code: q.code, redirect_uri: w.redirect, code_verifier: p.verifier });
  assert.equal(t.status, 200, JSON.stringify(t.json));
  return t.json;
}

async function api(tok, tenant, path, { method = 'GET', headers = {}, body, accept = 'application/json' } = {}) {
  const h = { ...headers };
  if (tok) h.authorization = `Bearer ${tok}`;
  if (tenant) h['xero-tenant-id'] = tenant;
  if (accept) h.accept = accept;
  const r = await fetch(`${X.accounting}${path}`, { method, headers: h, body });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { json = null; }
  return { status: r.status, json, text, headers: r.headers };
}

test('OAuth code flow with PKCE through the consent pages; code is single use; wrong verifier fails', async () => {
  const w = await world();
  const p = pkce();
  const q = await consent(w, { challenge: p.challenge, state: 'xyz-123' });
  assert.equal(q.state, 'xyz-123');
  assert.ok(q.code && q.code.length >= 40);
  assert.match(q.scope, /accounting\.transactions/);
  const bad = await token(w, { grant_type: 'authorization_code', code: q.code, redirect_uri: w.redirect, code_verifier: pkce().verifier });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.json, { error: 'invalid_grant' });
  const wrongRedirect = await token(w, { grant_type: 'authorization_code', code: q.code, redirect_uri: w.redirect + 'x', code_verifier: p.verifier });
  assert.equal(wrongRedirect.json.error, 'invalid_grant');
  const ok = await token(w, { grant_type: 'authorization_code', code: q.code, redirect_uri: w.redirect, code_verifier: p.verifier });
  assert.equal(ok.status, 200);
  assert.equal(ok.json.token_type, 'Bearer');
  assert.equal(ok.json.expires_in, 1800 / SCALE);
  assert.match(ok.json.access_token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.match(ok.json.refresh_token, /^[0-9a-f]{64}$/);
  assert.ok(ok.json.id_token, 'openid gives an id_token');
  const claims = JSON.parse(Buffer.from(ok.json.id_token.split('.')[1], 'base64url'));
  assert.equal(claims.email, w.email);
  assert.equal(claims.aud, w.app.client_id);
  const reuse = await token(w, { grant_type: 'authorization_code', code: q.code, redirect_uri: w.redirect, code_verifier: p.verifier });
  assert.equal(reuse.status, 400);
  assert.equal(reuse.json.error, 'invalid_grant');
  // client credentials in the form instead of Basic work too; a bad secret does not
  const q2 = await consent(w, { challenge: p.challenge });
  const body = await token(w, { grant_type: 'authorization_code', code: q2.code, redirect_uri: w.redirect, code_verifier: p.verifier, client_id: w.app.client_id, client_secret: w.app.client_secret }, { auth: null });
  assert.equal(body.status, 200);
  const badClient = await token(w, { grant_type: 'refresh_token', refresh_token: body.json.refresh_token }, { auth: 'Basic ' + Buffer.from(`${w.app.client_id}:nope`).toString('base64') });
  assert.equal(badClient.status, 401);
  assert.equal(badClient.json.error, 'invalid_client');
  const grant = await token(w, { grant_type: 'password', username: 'x' });
  assert.equal(grant.json.error, 'unsupported_grant_type');
});

test('authorize: Cancel redirects with access_denied; bad requests show an error page and never redirect', async () => {
  const w = await world({ norgs: 1 });
  const q = await consent(w, { action: 'cancel', state: 'c-1' });
  assert.equal(q.error, 'access_denied');
  assert.equal(q.state, 'c-1');
  assert.equal(q.code, undefined);
  const cases = [
    [{ redirect_uri: 'https://evil.example/cb' }, 'invalid_request'],
    [{ client_id: 'NOPE0000000000000000000000000000' }, 'unauthorized_client'],
    [{ response_type: 'token' }, 'unsupported_response_type'],
    [{ scope: 'accounting.transactions bogus.scope' }, 'invalid_scope'],
    [{ state: '' }, 'invalid_request'],
    [{ code_challenge: 'short', code_challenge_method: 'S256' }, 'invalid_request'],
  ];
  for (const [override, error] of cases) {
    const u = new URL(authorizeUrl(w));
    for (const [k, v] of Object.entries(override)) u.searchParams.set(k, v);
    const r = await fetch(u, { redirect: 'manual' });
    assert.equal(r.status, 400, JSON.stringify(override));
    assert.equal(r.headers.get('location'), null);
    assert.match(await r.text(), new RegExp(error));
  }
  // a scope the app may not request
  const d = await world({ norgs: 1, app: { denied_scopes: ['accounting.transactions'] } });
  const r = await fetch(authorizeUrl(d));
  assert.equal(r.status, 400);
  assert.match(await r.text(), /unauthorized_client[\s\S]*Invalid scope for client/);
  // wrong password shows the form again
  const page = await (await fetch(authorizeUrl(w))).text();
  const bad = await fetch(`${X.login}/identity/connect/authorize/login`, form({ request: hidden(page, 'request'), csrf: hidden(page, 'csrf'), email: w.email, password: 'wrong' }));
  assert.equal(bad.status, 401);
  assert.match(await bad.text(), /email or password is incorrect/);
  const forged = await fetch(`${X.login}/identity/connect/authorize/login`, form({ request: hidden(page, 'request'), csrf: 'forged', email: w.email, password: w.password }));
  assert.equal(forged.status, 400);
});

test('PKCE app: no secret, code_challenge required, verifier checked', async () => {
  const w = await world({ norgs: 1, pkceApp: true });
  assert.equal(w.app.client_secret, null);
  const r = await fetch(authorizeUrl(w));
  assert.equal(r.status, 400, 'no code_challenge');
  const p = pkce();
  const q = await consent(w, { challenge: p.challenge });
  const t = await token(w, { grant_type: 'authorization_code', code: q.code, redirect_uri: w.redirect, client_id: w.app.client_id, code_verifier: p.verifier }, { auth: null });
  assert.equal(t.status, 200, JSON.stringify(t.json));
  const ref = await token(w, { grant_type: 'refresh_token', refresh_token: t.json.refresh_token, client_id: w.app.client_id }, { auth: null });
  assert.equal(ref.status, 200);
});

test('refresh tokens rotate; a replay inside the grace window returns the same new pair; invalid_grant after it', async () => {
  const w = await world({ norgs: 1 });
  const t0 = await connect(w);
  const r1 = await token(w, { grant_type: 'refresh_token', refresh_token: t0.refresh_token });
  assert.equal(r1.status, 200);
  assert.notEqual(r1.json.refresh_token, t0.refresh_token);
  assert.notEqual(r1.json.access_token, t0.access_token);
  const replay = await token(w, { grant_type: 'refresh_token', refresh_token: t0.refresh_token });
  assert.equal(replay.status, 200);
  assert.equal(replay.json.refresh_token, r1.json.refresh_token);
  assert.equal(replay.json.access_token, r1.json.access_token);
  const r2 = await token(w, { grant_type: 'refresh_token', refresh_token: r1.json.refresh_token });
  assert.equal(r2.status, 200);
  // end the grace windows (as if 30 minutes had passed): the used tokens are now dead
  const e = await ctl('POST', '/xero/control/tokens/expire', { client_id: w.app.client_id, access: false, grace: true });
  assert.ok(e.json.grace_ended >= 2);
  for (const rt of [t0.refresh_token, r1.json.refresh_token]) {
    const dead = await token(w, { grant_type: 'refresh_token', refresh_token: rt });
    assert.equal(dead.status, 400);
    assert.deepEqual(dead.json, { error: 'invalid_grant' });
  }
  const live = await token(w, { grant_type: 'refresh_token', refresh_token: r2.json.refresh_token });
  assert.equal(live.status, 200);
  // idle expiry
  await ctl('POST', '/xero/control/tokens/expire', { client_id: w.app.client_id, access: false, refresh: true });
  const idle = await token(w, { grant_type: 'refresh_token', refresh_token: live.json.refresh_token });
  assert.equal(idle.json.error, 'invalid_grant');
  const stats = await ctl('GET', '/xero/control/stats');
  assert.ok(stats.json.identity.refreshes >= 3);
  assert.ok(stats.json.identity.refresh_replays >= 1);
});

test('grace window runs out by itself (scaled time)', async () => {
  await ctl('PUT', '/xero/control/settings', { grace_s: 3 }); // 3 s / 30 = 100 ms
  try {
    const w = await world({ norgs: 1 });
    const t0 = await connect(w);
    const r1 = await token(w, { grant_type: 'refresh_token', refresh_token: t0.refresh_token });
    assert.equal(r1.status, 200);
    await sleep(250);
    const late = await token(w, { grant_type: 'refresh_token', refresh_token: t0.refresh_token });
    assert.equal(late.json.error, 'invalid_grant');
  } finally {
    await ctl('PUT', '/xero/control/settings', { grace_s: 1800 });
  }
});

test('connections: list, filter by authEventId, delete one; revocation drops them all', async () => {
  const w = await world({ norgs: 3 });
  const t = await connect(w, { orgs: w.orgs.slice(0, 2) });
  const list = await fetch(`${X.api}/connections`, { headers: { authorization: `Bearer ${t.access_token}` } });
  assert.equal(list.status, 200);
  const conns = await list.json();
  assert.equal(conns.length, 2);
  assert.deepEqual(conns.map((c) => c.tenantId).sort(), w.orgs.slice(0, 2).map((o) => o.tenant_id).sort());
  for (const c of conns) {
    assert.equal(c.tenantType, 'ORGANISATION');
    assert.match(c.createdDateUtc, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}$/);
    assert.ok(c.authEventId && c.id && c.tenantName);
  }
  // a second consent adds the third org under a new authEventId
  const t2 = await connect(w, { orgs: [w.orgs[2]] });
  const all = await (await fetch(`${X.api}/Connections`, { headers: { authorization: `Bearer ${t2.access_token}` } })).json();
  assert.equal(all.length, 3);
  const third = all.find((c) => c.tenantId === w.orgs[2].tenant_id);
  const only = await (await fetch(`${X.api}/connections?authEventId=${third.authEventId}`, { headers: { authorization: `Bearer ${t2.access_token}` } })).json();
  assert.deepEqual(only.map((c) => c.tenantId), [w.orgs[2].tenant_id]);
  const del = await fetch(`${X.api}/connections/${third.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${t2.access_token}` } });
  assert.equal(del.status, 204);
  const again = await fetch(`${X.api}/connections/${third.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${t2.access_token}` } });
  assert.equal(again.status, 404);
  const gone = await api(t2.access_token, w.orgs[2].tenant_id, '/Organisation');
  assert.equal(gone.status, 403);
  const noauth = await fetch(`${X.api}/connections`);
  assert.equal(noauth.status, 401);
  // revocation: 200, connections gone, refresh token dead
  const rev = await fetch(`${X.identity}/connect/revocation`, { method: 'POST', headers: { authorization: basic(w), 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${t2.refresh_token}` });
  assert.equal(rev.status, 200);
  const after = await (await fetch(`${X.api}/connections`, { headers: { authorization: `Bearer ${t2.access_token}` } })).json();
  assert.deepEqual(after, []);
  const dead = await token(w, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
  assert.equal(dead.json.error, 'invalid_grant');
});

test('disconnect from Xero\'s side: 403 on the API, then invalid_grant on refresh', async () => {
  const w = await world({ norgs: 1 });
  const t = await connect(w);
  const tenant = w.orgs[0].tenant_id;
  assert.equal((await api(t.access_token, tenant, '/Organisation')).status, 200);
  const conns = await ctl('GET', `/xero/control/connections?client_id=${w.app.client_id}`);
  assert.equal(conns.json.length, 1);
  assert.equal((await ctl('DELETE', `/xero/control/connections/${conns.json[0].id}`)).status, 204);
  const r = await api(t.access_token, tenant, '/Organisation');
  assert.equal(r.status, 403);
  assert.equal(r.json.Detail, 'AuthenticationUnsuccessful');
  const ref = await token(w, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
  assert.equal(ref.json.error, 'invalid_grant');
});

test('accounting: 401 and 403 bodies, scopes, tenant header, XML without Accept, plain-text 404', async () => {
  const w = await world({ norgs: 2 });
  const t = await connect(w, { orgs: [w.orgs[0]] });
  const tenant = w.orgs[0].tenant_id;
  const none = await api(null, tenant, '/Organisation');
  assert.equal(none.status, 401);
  assert.deepEqual(Object.keys(none.json), ['Type', 'Title', 'Status', 'Detail', 'Instance', 'Extensions']);
  assert.equal(none.json.Title, 'Unauthorized');
  assert.equal(none.json.Detail, 'AuthenticationUnsuccessful');
  assert.equal((await api('garbage', tenant, '/Organisation')).status, 401);
  const noTenant = await api(t.access_token, null, '/Organisation');
  assert.equal(noTenant.status, 403);
  assert.equal(noTenant.json.Title, 'Forbidden');
  assert.equal((await api(t.access_token, w.orgs[1].tenant_id, '/Organisation')).status, 403, 'org not connected');
  const org = await api(t.access_token, tenant.toUpperCase(), '/organisation');
  assert.equal(org.status, 200, 'case-insensitive path and tenant id');
  assert.equal(org.json.Status, 'OK');
  assert.match(org.json.DateTimeUTC, /^\/Date\(\d+\)\/$/);
  assert.equal(org.json.Organisations[0].OrganisationID, tenant);
  assert.equal(org.headers.get('x-minlimit-remaining'), '59');
  const rates = await api(t.access_token, tenant, '/TaxRates');
  assert.ok(rates.json.TaxRates.length >= 2);
  assert.match(rates.text, /"DisplayTaxRate":20\.0000/);
  const xml = await api(t.access_token, tenant, '/Organisation', { accept: '*/*' });
  assert.equal(xml.status, 200);
  assert.match(xml.headers.get('content-type'), /xml/);
  const nf = await api(t.access_token, tenant, '/Invoices/00000000-0000-4000-8000-000000000000');
  assert.equal(nf.status, 404);
  assert.equal(nf.text, "The resource you're looking for cannot be found");
  assert.equal((await api(t.access_token, tenant, '/Nothing/Here')).status, 404);
  // expired access token
  await ctl('POST', '/xero/control/tokens/expire', { client_id: w.app.client_id });
  const exp = await api(t.access_token, tenant, '/Organisation');
  assert.equal(exp.status, 401);
  assert.match(exp.json.Detail, /^TokenExpired: token expired at \d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d$/);
  // a token without accounting.settings cannot read the organisation
  const w2 = await world({ norgs: 1 });
  const t3 = await connect(w2, { scope: 'offline_access accounting.transactions.read' });
  const noScope = await api(t3.access_token, w2.orgs[0].tenant_id, '/Organisation');
  assert.equal(noScope.status, 401);
  assert.equal(noScope.json.Detail, 'AuthorizationUnsuccessful');
  assert.equal((await api(t3.access_token, w2.orgs[0].tenant_id, '/Invoices')).status, 200);
});

async function connectedOrg() {
  const w = await world({ norgs: 1 });
  const t = await connect(w);
  return { w, t, tenant: w.orgs[0].tenant_id, call: (p, o) => api(t.access_token, w.orgs[0].tenant_id, p, o) };
}

test('invoices: paging 100 per page, Statuses, If-Modified-Since, where, order, formats', async () => {
  const { tenant, call } = await connectedOrg();
  const bulk = await ctl('POST', `/xero/control/orgs/${tenant}/invoices/bulk`, { count: 250, lines: 2, amount: 10.5 });
  assert.equal(bulk.status, 201, bulk.text);
  assert.equal(bulk.json.created, 250);
  const drafts = await ctl('POST', `/xero/control/orgs/${tenant}/invoices/bulk`, { count: 7, status: 'DRAFT' });
  assert.equal(drafts.json.created, 7);
  const seen = new Set();
  for (let page = 1; page <= 3; page++) {
    const r = await call(`/Invoices?page=${page}&Statuses=AUTHORISED`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.pagination, { page, pageSize: 100, pageCount: 3, itemCount: 250 });
    assert.equal(r.json.Invoices.length, page < 3 ? 100 : 50);
    for (const inv of r.json.Invoices) {
      seen.add(inv.InvoiceID);
      assert.equal(inv.Status, 'AUTHORISED');
      assert.equal(inv.LineItems.length, 2, 'paged lists carry line items');
    }
  }
  assert.equal(seen.size, 250);
  const past = await call('/Invoices?page=4&Statuses=AUTHORISED');
  assert.equal(past.json.Invoices.length, 0);
  const both = await call('/Invoices?page=1&pageSize=1000&Statuses=DRAFT,AUTHORISED');
  assert.equal(both.json.Invoices.length, 257);
  const whereDraft = await call('/Invoices?page=1&where=' + encodeURIComponent('Status=="DRAFT" AND Type=="ACCREC"'));
  assert.equal(whereDraft.json.pagination.itemCount, 7);
  assert.equal((await call('/Invoices?where=' + encodeURIComponent('Bogus=="x"'))).status, 400);
  const unpaged = await call('/Invoices?Statuses=DRAFT');
  assert.equal(unpaged.json.pagination, undefined);
  assert.equal(unpaged.json.Invoices[0].LineItems.length, 0, 'unpaged lists omit line items');
  const summary = await call('/Invoices?page=1&summaryOnly=true&Statuses=DRAFT');
  assert.equal(summary.json.Invoices[0].LineItems, undefined);
  const desc = await call('/Invoices?page=1&pageSize=5&order=' + encodeURIComponent('InvoiceNumber DESC'));
  const nums = desc.json.Invoices.map((i) => i.InvoiceNumber);
  assert.deepEqual(nums, [...nums].sort().reverse());
  // formats: /Date(ms+0000)/, DateString, 2-decimal amounts
  const one = both.json.Invoices[0];
  assert.match(one.UpdatedDateUTC, /^\/Date\(\d{13}\+0000\)\/$/);
  assert.match(one.DateString, /^\d{4}-\d\d-\d\dT00:00:00$/);
  assert.match(both.text, /"UnitAmount":10\.50,/);
  assert.match(both.text, /"CurrencyRate":1\.000000/);
  // If-Modified-Since: wait for the next second, then change three invoices
  await sleep(1100 - (Date.now() % 1000));
  const since = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().slice(0, 19);
  const ids = [...seen].slice(10, 13);
  for (const id of ids) {
    const e = await ctl('PUT', `/xero/control/invoices/${id}`, { Reference: 'edited' });
    assert.equal(e.status, 200, e.text);
  }
  const changed = await call('/Invoices?page=1', { headers: { 'If-Modified-Since': since } });
  assert.deepEqual(changed.json.Invoices.map((i) => i.InvoiceID).sort(), [...ids].sort());
  assert.ok(changed.json.Invoices.every((i) => i.Reference === 'edited'));
  const stats = await ctl('GET', '/xero/control/stats');
  assert.ok(stats.json.calls['GET /Invoices'] >= 9);
  assert.ok(stats.json.tenants[tenant].calls >= 9);
});

test('one invoice: contact, line items with tax, payments, credit notes, PAID; payments list', async () => {
  const { tenant, call } = await connectedOrg();
  const c = await ctl('POST', `/xero/control/orgs/${tenant}/contacts`, { Name: 'Acme d.o.o.', EmailAddress: 'ap@acme.test' });
  assert.equal(c.status, 201);
  const inv = await ctl('POST', `/xero/control/orgs/${tenant}/invoices`, {
    Type: 'ACCREC', Contact: { ContactID: c.json.ContactID }, Date: '2026-01-15', DueDate: '2026-02-14', Reference: 'ORD-1001',
    LineItems: [
      { Description: 'Widget', Quantity: 2, UnitAmount: 25.0, AccountCode: '200', TaxType: 'TAX001' },
      { Description: 'Book', Quantity: 1, UnitAmount: 10.0, AccountCode: '200', TaxType: 'TAX002' },
    ],
  });
  assert.equal(inv.status, 201, inv.text);
  assert.equal(inv.json.Status, 'DRAFT');
  assert.equal(inv.json.InvoiceNumber, 'INV-0001');
  const id = inv.json.InvoiceID;
  const bad = await ctl('POST', `/xero/control/orgs/${tenant}/invoices`, { Contact: { Name: 'X' }, LineItems: [{ UnitAmount: 1, AccountCode: '999' }] });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error, /Account code '999' is not a valid code/);
  assert.equal((await ctl('POST', `/xero/control/invoices/${id}/void`)).status, 409, 'a draft cannot be voided');
  assert.equal((await ctl('POST', `/xero/control/invoices/${id}/approve`)).json.Status, 'AUTHORISED');
  const pay = await ctl('POST', `/xero/control/invoices/${id}/payments`, { Amount: 30, Date: '2026-01-20', Reference: 'bank' });
  assert.equal(pay.status, 201, pay.text);
  const cn = await ctl('POST', `/xero/control/invoices/${id}/credit-notes`, { Amount: 10 });
  assert.equal(cn.status, 201, cn.text);
  const r = await call(`/Invoices/${id}`);
  assert.equal(r.status, 200);
  const i = r.json.Invoices[0];
  assert.equal(i.Contact.Name, 'Acme d.o.o.');
  assert.equal(i.Contact.EmailAddress, 'ap@acme.test');
  assert.deepEqual(i.LineItems.map((l) => [l.TaxType, l.LineAmount, l.TaxAmount]), [['TAX001', 50, 10], ['TAX002', 10, 1]]);
  assert.equal(i.SubTotal, 60);
  assert.equal(i.TotalTax, 11);
  assert.equal(i.Total, 71);
  assert.equal(i.AmountPaid, 30);
  assert.equal(i.AmountCredited, 10);
  assert.equal(i.AmountDue, 31);
  assert.equal(i.Payments.length, 1);
  assert.equal(i.CreditNotes[0].CreditNoteNumber, 'CN-0001');
  assert.match(r.text, /"Total":71\.00/);
  const byNumber = await call('/Invoices/INV-0001');
  assert.equal(byNumber.json.Invoices[0].InvoiceID, id);
  const cnr = await call(`/CreditNotes/${cn.json.CreditNote.CreditNoteID}`);
  assert.equal(cnr.json.CreditNotes[0].Type, 'ACCRECCREDIT');
  assert.equal(cnr.json.CreditNotes[0].Allocations[0].Invoice.InvoiceID, id);
  assert.equal((await call('/CreditNotes?page=1')).json.CreditNotes.length, 1);
  await ctl('POST', `/xero/control/invoices/${id}/payments`, {});
  const paid = await call(`/Invoices/${id}`);
  assert.equal(paid.json.Invoices[0].Status, 'PAID');
  assert.equal(paid.json.Invoices[0].AmountDue, 0);
  assert.match(paid.json.Invoices[0].FullyPaidOnDate, /^\/Date\(/);
  const pays = await call('/Payments?page=1');
  assert.equal(pays.json.Payments.length, 2);
  assert.equal(pays.json.Payments[0].Invoice.InvoiceID, id);
  const contacts = await call('/Contacts?where=' + encodeURIComponent('Name=="acme d.o.o."'));
  assert.equal(contacts.json.Contacts.length, 1);
});

test('history notes and attachments are recorded; Idempotency-Key replays', async () => {
  const { tenant, call, t } = await connectedOrg();
  const inv = await ctl('POST', `/xero/control/orgs/${tenant}/invoices`, { Contact: { Name: 'N' }, Status: 'AUTHORISED', LineItems: [{ UnitAmount: 5 }] });
  const id = inv.json.InvoiceID;
  const before = (await call(`/Invoices/${id}`)).json.Invoices[0].UpdatedDateUTC;
  const note = { HistoryRecords: [{ Details: 'Fiscalized: receipt ABCD-1234' }] };
  const h = await call(`/Invoices/${id}/History`, { method: 'PUT', body: JSON.stringify(note), headers: { 'content-type': 'application/json', 'Idempotency-Key': 'k-1' } });
  assert.equal(h.status, 200, h.text);
  assert.equal(h.json.HistoryRecords[0].Details, 'Fiscalized: receipt ABCD-1234');
  assert.match(h.json.HistoryRecords[0].DateUTC, /^\/Date\(/);
  const again = await call(`/Invoices/${id}/History`, { method: 'PUT', body: JSON.stringify(note), headers: { 'content-type': 'application/json', 'Idempotency-Key': 'k-1' } });
  assert.equal(again.status, 200);
  const other = await call(`/Invoices/${id}/History`, { method: 'PUT', body: JSON.stringify({ HistoryRecords: [{ Details: 'x' }] }), headers: { 'content-type': 'application/json', 'Idempotency-Key': 'k-1' } });
  assert.equal(other.status, 400);
  assert.match(other.json.Message, /is used with a different request/);
  const empty = await call(`/Invoices/${id}/History`, { method: 'PUT', body: JSON.stringify({ HistoryRecords: [{}] }), headers: { 'content-type': 'application/json' } });
  assert.equal(empty.status, 400);
  assert.equal(empty.json.Type, 'ValidationException');
  assert.equal(empty.json.ErrorNumber, 10);
  assert.ok(empty.json.Elements[0].ValidationErrors[0].Message);
  const notes = await ctl('GET', `/xero/control/invoices/${id}/history?changes=Note`);
  assert.equal(notes.json.HistoryRecords.length, 1, 'the idempotent replay added nothing');
  assert.equal(notes.json.HistoryRecords[0].Details, 'Fiscalized: receipt ABCD-1234');
  const list = await call(`/Invoices/${id}/History`);
  assert.ok(list.json.HistoryRecords.some((r) => r.Changes === 'Note'));
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(3000)]);
  const up = await call(`/Invoices/${id}/Attachments/receipt%20ABCD.pdf`, { method: 'PUT', body: pdf, headers: { 'content-type': 'application/pdf' } });
  assert.equal(up.status, 200, up.text);
  assert.equal(up.json.Attachments[0].FileName, 'receipt ABCD.pdf');
  assert.equal(up.json.Attachments[0].ContentLength, pdf.length);
  assert.equal(up.json.Attachments[0].MimeType, 'application/pdf');
  const back = await fetch(`${sb.url}/xero/control/invoices/${id}/attachments/receipt%20ABCD.pdf`);
  assert.deepEqual(Buffer.from(await back.arrayBuffer()), pdf);
  const meta = await ctl('GET', `/xero/control/invoices/${id}/attachments`);
  assert.equal(meta.json.Attachments[0].sha256, createHash('sha256').update(pdf).digest('hex'));
  const viaApi = await fetch(`${X.accounting}/Invoices/${id}/Attachments/receipt%20ABCD.pdf`, { headers: { authorization: `Bearer ${t.access_token}`, 'xero-tenant-id': tenant } });
  assert.equal(viaApi.status, 200);
  assert.equal(viaApi.headers.get('content-type'), 'application/pdf');
  assert.deepEqual(Buffer.from(await viaApi.arrayBuffer()), pdf);
  const after = (await call(`/Invoices/${id}`)).json.Invoices[0];
  assert.equal(after.UpdatedDateUTC, before, 'notes and attachments do not move UpdatedDateUTC');
  assert.equal(after.HasAttachments, true);
});

test('rate limits: 429 at the 61st call of a scaled minute, headers count down, Retry-After; day and concurrent limits', async () => {
  await ctl('PUT', '/xero/control/settings', { time_scale: 15 }); // a minute of 4 s
  try {
    const { tenant, call, w, t } = await connectedOrg();
    let last = 60;
    const t0 = Date.now();
    for (let i = 1; i <= 60; i++) {
      const r = await call('/Organisation');
      assert.equal(r.status, 200, `call ${i}`);
      const left = Number(r.headers.get('x-minlimit-remaining'));
      assert.equal(left, last - 1);
      last = left;
      assert.ok(Number(r.headers.get('x-daylimit-remaining')) <= 5000 - i);
      assert.ok(r.headers.get('x-appminlimit-remaining'));
    }
    const limited = await call('/Organisation');
    assert.ok(Date.now() - t0 < 4000, 'the 61 calls fit in one scaled minute');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('x-rate-limit-problem'), 'minute');
    const retry = Number(limited.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 4, `Retry-After ${retry}`);
    assert.equal(limited.headers.get('x-minlimit-remaining'), '0');
    await sleep(retry * 1000 + 100);
    assert.equal((await call('/Organisation')).status, 200, 'a new minute');
    // day limit through a per-tenant override
    await ctl('PUT', `/xero/control/orgs/${tenant}/limits`, { day: 62 });
    assert.equal((await call('/Organisation')).status, 200);
    const day = await call('/Organisation');
    assert.equal(day.status, 429);
    assert.equal(day.headers.get('x-rate-limit-problem'), 'day');
    assert.ok(Number(day.headers.get('retry-after')) > 60);
    await ctl('PUT', `/xero/control/orgs/${tenant}/limits`, { day: null });
    // concurrency: five calls held in flight
    await ctl('POST', `/xero/control/orgs/${tenant}/hold`, { client_id: w.app.client_id, slots: 5, ms: 60000 });
    const conc = await call('/Organisation');
    assert.equal(conc.status, 429);
    assert.equal(conc.headers.get('x-rate-limit-problem'), 'concurrent');
    assert.equal(conc.headers.get('retry-after'), null);
    await ctl('POST', `/xero/control/orgs/${tenant}/hold`, { client_id: w.app.client_id, slots: 0, ms: 0 });
    // latency_ms: an admitted call takes that long and counts as in flight meanwhile
    await ctl('PUT', `/xero/control/orgs/${tenant}/limits`, { concurrent: 1 });
    await ctl('PUT', '/xero/control/settings', { latency_ms: 400 });
    try {
      const t1 = Date.now();
      const slow = call('/Organisation');
      await sleep(150);
      // on a connection of its own (the emulator's HTTP thread of the first one waits meanwhile)
      const meanwhile = await new Promise((resolve, reject) => {
        httpGet(`${X.accounting}/Organisation`, {
          agent: false,
          headers: { authorization: `Bearer ${t.access_token}`, 'xero-tenant-id': tenant, accept: 'application/json' },
        }, (res) => { res.resume(); res.on('end', () => resolve(res)); }).on('error', reject);
      });
      assert.equal(meanwhile.statusCode, 429);
      assert.equal(meanwhile.headers['x-rate-limit-problem'], 'concurrent');
      assert.equal((await slow).status, 200);
      assert.ok(Date.now() - t1 >= 400, 'the admitted call took latency_ms');
    } finally {
      await ctl('PUT', '/xero/control/settings', { latency_ms: 0 });
      await ctl('PUT', `/xero/control/orgs/${tenant}/limits`, { concurrent: null });
    }
    // forced 429s
    await ctl('PUT', '/xero/control/faults', { force_429: { count: 2, problem: 'minute', retry_after: 7, tenant_id: tenant } });
    const f1 = await call('/Organisation');
    const f2 = await call('/Organisation');
    const f3 = await call('/Organisation');
    assert.deepEqual([f1.status, f2.status, f3.status], [429, 429, 200]);
    assert.equal(f1.headers.get('retry-after'), '7');
    const stats = await ctl('GET', '/xero/control/stats');
    assert.ok(stats.json.rate_limited.minute >= 3);
    assert.ok(stats.json.rate_limited.day >= 1);
    assert.ok(stats.json.rate_limited.concurrent >= 1);
    assert.ok(stats.json.tenants[tenant].rate_limited >= 5);
  } finally {
    await ctl('PUT', '/xero/control/settings', { time_scale: SCALE });
    await ctl('PUT', '/xero/control/faults', {});
  }
});

// A webhook receiver: verifies x-xero-signature like a real consumer (or not, when lax).
async function receiver({ key, lax = false, failFirst = 0 } = {}) {
  const got = [];
  let fails = failFirst;
  const srv = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const sig = Buffer.from(req.headers['x-xero-signature'] || '', 'base64');
      const want = createHmac('sha256', key).update(raw).digest();
      const valid = sig.length === want.length && timingSafeEqual(sig, want);
      const body = JSON.parse(raw.toString('utf8'));
      if (!lax && !valid) {
        res.writeHead(401).end();
        return;
      }
      if (body.events.length && fails > 0) {
        fails -= 1;
        res.writeHead(500).end();
        return;
      }
      if (body.events.length) got.push({ body, valid, raw: raw.toString('utf8') });
      res.writeHead(200).end();
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${srv.address().port}/xero-webhooks`, got, close: () => new Promise((r) => srv.close(r)) };
}

async function waitFor(fn, ms = 8000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(50);
  }
}

async function webhookState(clientId) {
  return (await ctl('GET', `/xero/control/webhooks?client_id=${clientId}`)).json;
}

test('webhooks: intent to receive passes, signed INVOICE and CONTACT events arrive in order', async () => {
  const key = 'test-webhook-key-' + seq;
  const rx = await receiver({ key });
  try {
    const { w, tenant } = await connectedOrg();
    const upd = await ctl('PUT', `/xero/control/apps/${w.app.client_id}`, { webhook_url: rx.url, webhook_key: key });
    assert.equal(upd.status, 200);
    const st = await waitFor(async () => { const s = await webhookState(w.app.client_id); return s.status === 'active' && s; });
    assert.equal(st.intent_to_receive.passed, true);
    assert.deepEqual(st.intent_to_receive.checks.map((c) => c.status).sort(), [200, 401]);
    const inv = await ctl('POST', `/xero/control/orgs/${tenant}/invoices`, { Contact: { Name: 'Hook Buyer' }, LineItems: [{ UnitAmount: 1 }] });
    await ctl('POST', `/xero/control/invoices/${inv.json.InvoiceID}/approve`);
    const events = await waitFor(() => { const e = rx.got.flatMap((g) => g.body.events); return e.length >= 3 && e; });
    assert.ok(rx.got.every((g) => g.valid));
    const kinds = events.map((e) => `${e.eventCategory}:${e.eventType}`);
    assert.deepEqual(kinds.slice(0, 3), ['CONTACT:CREATE', 'INVOICE:CREATE', 'INVOICE:UPDATE']);
    const ev = events[1];
    assert.equal(ev.resourceId, inv.json.InvoiceID);
    assert.equal(ev.tenantId, tenant);
    assert.equal(ev.tenantType, 'ORGANISATION');
    assert.equal(ev.resourceUrl, `${X.accounting}/Invoices/${inv.json.InvoiceID}`);
    assert.match(ev.eventDateUtc, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
    const b = rx.got[0].body;
    assert.deepEqual(Object.keys(b), ['events', 'firstEventSequence', 'lastEventSequence', 'entropy']);
    assert.equal(b.lastEventSequence - b.firstEventSequence + 1, b.events.length);
    assert.match(b.entropy, /^[A-Z]{20}$/);
    // the emulator counts a batch as delivered once the receiver's answer is back, which may
    // be after the receiver (which records a delivery as it arrives) shows all three
    const stats = await waitFor(async () => {
      const s = await ctl('GET', '/xero/control/stats');
      return s.json.webhooks.events_delivered >= 3 && s;
    });
    assert.ok(stats.json.webhooks.itr_passed >= 1);
  } finally {
    await rx.close();
  }
});

test('webhooks: intent to receive fails against a receiver that always says 200', async () => {
  const key = 'lax-key';
  const rx = await receiver({ key, lax: true });
  try {
    const { w, tenant } = await connectedOrg();
    await ctl('PUT', `/xero/control/apps/${w.app.client_id}`, { webhook_url: rx.url, webhook_key: key });
    const st = await waitFor(async () => { const s = await webhookState(w.app.client_id); return s.status !== 'itr_pending' && s; });
    assert.equal(st.status, 'itr_failed');
    assert.equal(st.intent_to_receive.passed, false);
    const badCheck = st.intent_to_receive.checks.find((c) => c.signature === 'invalid');
    assert.equal(badCheck.status, 200);
    assert.equal(badCheck.ok, false);
    await ctl('POST', `/xero/control/orgs/${tenant}/invoices`, { Contact: { Name: 'Nobody' }, LineItems: [{ UnitAmount: 1 }] });
    await sleep(300);
    assert.equal(rx.got.length, 0, 'no events before intent to receive passes');
    assert.ok((await webhookState(w.app.client_id)).queued >= 1);
  } finally {
    await rx.close();
  }
});

test('webhooks: failed deliveries are retried (scaled 15 minutes) until they succeed', async () => {
  const key = 'retry-key';
  const rx = await receiver({ key, failFirst: 3 });
  const { w, tenant } = await connectedOrg();
  await ctl('PUT', '/xero/control/settings', { time_scale: 3600 }); // 15 min -> 250 ms
  try {
    await ctl('PUT', `/xero/control/apps/${w.app.client_id}`, { webhook_url: rx.url, webhook_key: key, webhook_categories: ['INVOICE'] });
    await waitFor(async () => (await webhookState(w.app.client_id)).status === 'active');
    await ctl('POST', `/xero/control/orgs/${tenant}/invoices`, { Contact: { Name: 'Retry Co' }, LineItems: [{ UnitAmount: 1 }] });
    const got = await waitFor(() => rx.got.length >= 1 && rx.got);
    assert.equal(got[0].body.events[0].eventCategory, 'INVOICE', 'CONTACT is not subscribed');
    // the receiver has the delivery before the emulator has read its 200: wait for its count
    const st = await waitFor(async () => { const s = await webhookState(w.app.client_id); return s.deliveries_ok >= 1 && s; });
    assert.equal(st.deliveries_failed, 3);
    assert.equal(st.deliveries_ok, 1);
    assert.equal(st.queued, 0);
  } finally {
    await rx.close();
    await ctl('PUT', '/xero/control/settings', { time_scale: SCALE });
  }
});

test('fault injection: 5xx, reset, timeout and slow responses', async () => {
  const { call } = await connectedOrg();
  await ctl('PUT', '/xero/control/faults', { next: ['error_5xx', 'reset', 'timeout', 'slow'], timeout_ms: 300, slow_ms: 200 });
  try {
    const e = await call('/Organisation');
    assert.equal(e.status, 500);
    assert.match(e.text, /An error occurred in Xero/);
    await assert.rejects(call('/Organisation'), 'reset');
    const t0 = Date.now();
    await assert.rejects(call('/Organisation'), 'timeout');
    assert.ok(Date.now() - t0 >= 250);
    const t1 = Date.now();
    const slow = await call('/Organisation');
    assert.equal(slow.status, 200);
    assert.ok(Date.now() - t1 >= 180);
    assert.equal((await call('/Organisation')).status, 200);
    // cut: a 200 whose body stops halfway, its Content-Length saying so
    await ctl('PUT', '/xero/control/faults', { next: ['none', 'cut'] });
    const whole = await call('/Organisation');
    const cut = await call('/Organisation');
    assert.equal(cut.status, 200);
    assert.equal(cut.text.length, Math.floor(whole.text.length / 2));
    assert.throws(() => JSON.parse(cut.text));
    assert.equal((await call('/Organisation')).text.length, whole.text.length, 'the next answer is whole');
    const f = await ctl('GET', '/xero/control/stats');
    assert.deepEqual([f.json.faults.error_5xx, f.json.faults.reset, f.json.faults.timeout, f.json.faults.slow].map((n) => n >= 1), [true, true, true, true]);
    await ctl('PUT', '/xero/control/faults', { error_5xx: 1, status_5xx: 503 });
    assert.equal((await call('/Organisation')).status, 503);
  } finally {
    await ctl('PUT', '/xero/control/faults', {});
  }
});

test('fault injection: a lost response is carried out first; the Idempotency-Key window (idempotency_s)', async () => {
  const { tenant, call } = await connectedOrg();
  const inv = await ctl('POST', `/xero/control/orgs/${tenant}/invoices`, { Contact: { Name: 'L' }, Status: 'AUTHORISED', LineItems: [{ UnitAmount: 5 }] });
  const id = inv.json.InvoiceID;
  const put = (details, key) => call(`/Invoices/${id}/History`, {
    method: 'PUT', body: JSON.stringify({ HistoryRecords: [{ Details: details }] }), headers: { 'content-type': 'application/json', 'Idempotency-Key': key },
  });
  const noteCount = async () => (await ctl('GET', `/xero/control/invoices/${id}/history?changes=Note`)).json.HistoryRecords.length;
  assert.equal((await ctl('PUT', '/xero/control/faults', { lost_response: { count: 'x' } })).status, 400);
  assert.equal((await ctl('PUT', '/xero/control/settings', { idempotency_s: -1 })).status, 400);
  const replays0 = (await ctl('GET', '/xero/control/stats')).json.idempotency?.replays ?? 0;
  const set = await ctl('PUT', '/xero/control/faults', { lost_response: { count: 1, path: '/History' } });
  assert.deepEqual(set.json.lost_response, { count: 1, path: '/History' });
  try {
    assert.equal((await call(`/Invoices/${id}`)).status, 200, 'reads and other paths are answered');
    await assert.rejects(put('lost one', 'lost-1'), 'the answer is lost');
    assert.equal(await noteCount(), 1, 'but the note was written');
    assert.equal((await ctl('GET', '/xero/control/faults')).json.lost_response.count, 0);
    const replay = await put('lost one', 'lost-1');
    assert.equal(replay.status, 200, 'a retry within the window gets the first answer');
    assert.equal(await noteCount(), 1);
    assert.equal((await ctl('PUT', '/xero/control/settings', { idempotency_s: 0 })).json.idempotency_s, 0);
    assert.equal((await put('lost one', 'lost-1')).status, 200);
    assert.equal(await noteCount(), 2, 'past the window the same key writes again');
    const stats = (await ctl('GET', '/xero/control/stats')).json;
    assert.equal(stats.faults.lost_response, 1);
    assert.equal(stats.idempotency.replays - replays0, 1);
  } finally {
    await ctl('PUT', '/xero/control/faults', {});
    await ctl('PUT', '/xero/control/settings', { idempotency_s: 360 });
  }
});

test('control API: settings validation, reset keeps the demo, stats', async () => {
  assert.equal((await ctl('PUT', '/xero/control/settings', { time_scale: 0 })).status, 400);
  assert.equal((await ctl('PUT', '/xero/control/settings', { grace_replay: 'sometimes' })).status, 400);
  assert.equal((await ctl('POST', '/xero/control/users', { email: 'demo@example.com', password: 'x' })).status, 409);
  const orgs = (await ctl('GET', '/xero/control/orgs')).json;
  assert.ok(orgs.some((o) => o.name === 'Demo Company (RS)'));
  const r = await ctl('POST', '/xero/control/reset', {});
  assert.equal(r.status, 200);
  const after = (await ctl('GET', '/xero/control/orgs')).json;
  assert.equal(after.length, 2);
  const info = await ctl('GET', '/xero/control/info');
  assert.equal(info.json.apps[0].client_id, 'D3A0D3A0D3A0D3A0D3A0D3A0D3A00001');
  assert.equal(info.json.settings.time_scale, SCALE);
  const stats = await ctl('GET', '/xero/control/stats');
  assert.equal(stats.json.total_calls, 0);
});
