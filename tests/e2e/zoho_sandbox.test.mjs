// zoho_sandbox.test.mjs - the Zoho Books emulator of fiscalhub-sandbox over real HTTP: the
// multi-DC OAuth flow through the consent pages, Zoho's token rules (errors as HTTP 200, no
// rotation, the 20-refresh-token cap, the mint limit, revoke), api_domain per data centre, the
// Books API (auth header, organization_id, paging, last_modified_time, detail, comments, custom
// fields), workflow webhooks with signatures verified here following specs/zoho-books.md §4.3,
// the write-back comment that must not fire the edit webhook, rate limits and faults.
// Needs FH_BIN (a build directory); starts its own sandbox on free ports.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { startSandbox } from '../lib/sandbox.mjs';

const SCALE = 30; // a Zoho minute lasts 2 s, an hour 2 minutes
let sb;
let DC; // data centres: { eu: { accounts_server, api_domain, books, location }, ... }

before(async () => {
  sb = await startSandbox({ args: ['--zoho-time-scale', String(SCALE)] });
  DC = (await ctl('GET', '/zoho/control/info')).json.data_centres;
});

after(async () => {
  const r = await sb?.stop();
  if (r) {
    const log = readFileSync(sb.logFile, 'utf8');
    assert.doesNotMatch(log, /AddressSanitizer|LeakSanitizer|runtime error:/, 'sanitizer report in ' + sb.logFile);
    assert.equal(r.code, 0, `sandbox exited with ${r.code ?? r.signal}; log: ${sb.logFile}`);
  }
});

const ctl = (method, path, body) => sb.control(method, path, body);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const FULL = 'ZohoBooks.invoices.READ,ZohoBooks.invoices.CREATE,ZohoBooks.invoices.UPDATE,ZohoBooks.settings.READ,ZohoBooks.contacts.READ';

let seq = 0;
// A user in `dc` with `norgs` organizations and a client of its own.
async function world({ dc = 'eu', norgs = 2, plan = 'standard', client = {} } = {}) {
  seq += 1;
  const orgs = [];
  for (let i = 0; i < norgs; i++) {
    const r = await ctl('POST', '/zoho/control/orgs', { name: `Org ${seq}-${i}`, dc, plan, utc_offset: '+0100' });
    assert.equal(r.status, 201, r.text);
    orgs.push(r.json);
  }
  const email = `zuser${seq}-${process.pid}@example.com`;
  const password = 'pw-' + seq;
  const u = await ctl('POST', '/zoho/control/users', { email, password, dc, orgs: orgs.map((o) => o.organization_id) });
  assert.equal(u.status, 201, u.text);
  const redirect = `http://127.0.0.1:9/cb/${seq}`;
  const c = await ctl('POST', '/zoho/control/clients', { name: `Client ${seq}`, redirect_uris: [redirect], ...client });
  assert.equal(c.status, 201, c.text);
  return { dc, orgs, email, password, redirect, client: c.json, cookie: null };
}

const hidden = (html, name) => (new RegExp(`name="${name}" value="([^"]*)"`).exec(html) || [])[1];
const form = (o, cookie) => ({
  method: 'POST', redirect: 'manual',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
  body: new URLSearchParams(o).toString(),
});

function authUrl(w, { at = 'com', scope = FULL, state = 'st-' + seq, accessType = 'offline', prompt, extra = {} } = {}) {
  const q = new URLSearchParams({ scope, client_id: w.client.client_id, response_type: 'code', redirect_uri: w.redirect, state, ...extra });
  if (accessType) q.set('access_type', accessType);
  if (prompt) q.set('prompt', prompt);
  return `${DC[at].accounts_server}/oauth/v2/auth?${q}`;
}

const redirectQuery = (r, w) => {
  const loc = new URL(r.headers.get('location'));
  assert.equal(loc.origin + loc.pathname, w.redirect);
  return Object.fromEntries(loc.searchParams);
};

// Through the pages: log in (unless w has a session), pick an organization, Accept or Reject.
// A returning user may be redirected at once; returns the redirect's query parameters.
async function consent(w, { org = w.orgs[0], action = 'accept', ...opts } = {}) {
  const at = opts.at || 'com';
  let page = await fetch(authUrl(w, opts), { redirect: 'manual', headers: w.cookie ? { cookie: w.cookie } : {} });
  if (page.status === 302) return redirectQuery(page, w);
  assert.equal(page.status, 200);
  let html = await page.text();
  assert.doesNotMatch(html, /<script/i);
  assert.match(page.headers.get('content-security-policy'), /default-src 'none'/);
  const request = hidden(html, 'request');
  const csrf = hidden(html, 'csrf');
  if (!w.cookie) {
    assert.match(html, new RegExp(`<form method="post" action="/zoho/accounts/${at.replace('.', '\\.')}/oauth/v2/auth/login">`));
    const login = await fetch(`${DC[at].accounts_server}/oauth/v2/auth/login`, form({ request, csrf, email: w.email, password: w.password }));
    assert.equal(login.status, 303);
    w.cookie = login.headers.get('set-cookie').split(';')[0];
    page = await fetch(new URL(login.headers.get('location'), DC[at].accounts_server), { redirect: 'manual', headers: { cookie: w.cookie } });
    if (page.status === 302) return redirectQuery(page, w);
    assert.equal(page.status, 200);
    html = await page.text();
  }
  for (const o of w.orgs) assert.ok(html.includes(`value="${o.organization_id}"`), 'organization offered');
  assert.match(html, /Accept/);
  const done = await fetch(`${DC[at].accounts_server}/oauth/v2/auth/consent`, form({ request, csrf, action, org: org.organization_id }, w.cookie));
  assert.equal(done.status, 302, await done.clone().text());
  return redirectQuery(done, w);
}

async function token(dc, params) {
  const r = await fetch(`${DC[dc].accounts_server}/oauth/v2/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString(),
  });
  return { status: r.status, json: await r.json() };
}

const creds = (w) => ({ client_id: w.client.client_id, client_secret: w.client.client_secret });

async function connect(w, opts = {}) {
  const q = await consent(w, opts);
  const t = await token(q.location === 'us' ? 'com' : dcOfLocation(q.location), { grant_type: 'authorization_code', code: q.code, redirect_uri: w.redirect, ...creds(w) });
  assert.equal(t.status, 200);
  assert.ok(t.json.access_token, JSON.stringify(t.json));
  return t.json;
}

const dcOfLocation = (loc) => Object.keys(DC).find((k) => DC[k].location === loc);

async function api(dc, tok, path, { org, method = 'GET', body, headers = {}, query = {} } = {}) {
  const u = new URL(`${DC[dc].books}${path}`);
  if (org) u.searchParams.set('organization_id', org);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  const h = { ...headers };
  if (tok) h.authorization = `Zoho-oauthtoken ${tok}`;
  if (body !== undefined && typeof body !== 'string') h['content-type'] = 'application/json';
  const r = await fetch(u, { method, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { json = null; }
  return { status: r.status, json, text, headers: r.headers };
}

async function invoice(org, spec = {}) {
  const r = await ctl('POST', `/zoho/control/orgs/${org}/invoices`, {
    customer_name: 'Kupac d.o.o.', line_items: [{ name: 'Widget', rate: 100, quantity: 2, tax_name: 'VAT' }], ...spec,
  });
  assert.equal(r.status, 201, r.text);
  return r.json.invoice;
}

// The signature as specs/zoho-books.md §4.3 describes it, written here independently of the C.
function zohoSignature(secret, url, rawBody) {
  const pairs = [...new URL(url).searchParams.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return createHmac('sha256', secret).update(pairs.map(([k, v]) => k + v).join('') + rawBody).digest('hex');
}

test('our signature helper reproduces the spec test vectors', () => {
  assert.equal(zohoSignature('mysecretkey12', 'http://x/?subscription_id=90343&name=basic', '{"created_date":"2019-03-06","event_id":"5675"}'),
    'ec0357bb87b946f9b88f3d80899810913dfbc310ada921e1d1e25575d5f63ee9');
  assert.equal(zohoSignature('mysecretkey12', 'http://x/', '{"invoice":{"invoice_id":"1","status":"paid"}}'),
    '7f0a08922e0310a3a0e0b8a3e17db77170a8402e80004ea06dcb8d516e183db2');
});

test('multi-DC consent: log in at accounts.zoho.com, pick an organization, code belongs to the user\'s DC', async () => {
  const w = await world({ dc: 'eu' });
  const q = await consent(w, { at: 'com', state: 'xyz 1', org: w.orgs[1] });
  assert.equal(q.state, 'xyz 1');
  assert.equal(q.location, 'eu');
  assert.equal(q['accounts-server'], DC.eu.accounts_server);
  assert.match(q.code, /^1000\.[0-9a-f]{32}\.[0-9a-f]{32}$/);
  // the code is exchanged at the accounts server the redirect names, nowhere else
  const wrongDc = await token('com', { grant_type: 'authorization_code', code: q.code, redirect_uri: w.redirect, ...creds(w) });
  assert.equal(wrongDc.status, 200, 'Zoho answers token errors with HTTP 200');
  assert.deepEqual(wrongDc.json, { error: 'invalid_code' });
  const t = await token('eu', { grant_type: 'authorization_code', code: q.code, redirect_uri: w.redirect, ...creds(w) });
  assert.equal(t.status, 200);
  assert.equal(t.json.api_domain, DC.eu.api_domain);
  assert.equal(t.json.token_type, 'Bearer');
  assert.equal(t.json.expires_in, 3600 / SCALE);
  assert.match(t.json.refresh_token, /^1000\./);
  const reuse = await token('eu', { grant_type: 'authorization_code', code: q.code, redirect_uri: w.redirect, ...creds(w) });
  assert.deepEqual(reuse.json, { error: 'invalid_code' });
  const tokens = await ctl('GET', `/zoho/control/tokens?client_id=${w.client.client_id}`);
  assert.equal(tokens.json[0].organization_id, w.orgs[1].organization_id, 'the chosen organization is recorded');
  // Reject redirects with access_denied
  const w2 = await world({ norgs: 1 });
  const rej = await consent(w2, { action: 'reject', state: 'r-1' });
  assert.deepEqual(rej, { state: 'r-1', error: 'access_denied' });
});

test('authorize errors show a page and never redirect; wrong password shows the form again', async () => {
  const w = await world({ norgs: 1 });
  const cases = [
    [{ redirect_uri: 'https://evil.example/cb' }, 'invalid_redirect_uri'],
    [{ client_id: '1000.NOPE' }, 'invalid_client'],
    [{ response_type: 'token' }, 'unsupported_response_type'],
    [{ scope: 'ZohoBooks.invoices' }, 'invalid_scope'],
    [{ access_type: 'forever' }, 'invalid_request'],
  ];
  for (const [override, error] of cases) {
    const u = new URL(authUrl(w));
    for (const [k, v] of Object.entries(override)) u.searchParams.set(k, v);
    const r = await fetch(u, { redirect: 'manual' });
    assert.equal(r.status, 400, JSON.stringify(override));
    assert.equal(r.headers.get('location'), null);
    assert.match(await r.text(), new RegExp(error));
  }
  const page = await (await fetch(authUrl(w))).text();
  const bad = await fetch(`${DC.com.accounts_server}/oauth/v2/auth/login`, form({ request: hidden(page, 'request'), csrf: hidden(page, 'csrf'), email: w.email, password: 'wrong' }));
  assert.equal(bad.status, 401);
  assert.match(await bad.text(), /Invalid email address or password/);
  const forged = await fetch(`${DC.com.accounts_server}/oauth/v2/auth/login`, form({ request: hidden(page, 'request'), csrf: 'forged', email: w.email, password: w.password }));
  assert.equal(forged.status, 400);
});

test('token errors are HTTP 200 with an error field (400 when configured); no rotation on refresh', async () => {
  const w = await world({ norgs: 1 });
  const t = await connect(w);
  const bad = [
    [{ ...creds(w), client_secret: 'nope', grant_type: 'refresh_token', refresh_token: t.refresh_token }, 'invalid_client_secret'],
    [{ client_id: '1000.UNKNOWN', client_secret: 'x', grant_type: 'refresh_token', refresh_token: t.refresh_token }, 'invalid_client'],
    [{ ...creds(w), grant_type: 'refresh_token', refresh_token: '1000.dead.beef' }, 'invalid_code'],
    [{ ...creds(w), grant_type: 'password' }, 'unsupported_grant_type'],
  ];
  for (const [params, error] of bad) {
    const r = await token('eu', params);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { error });
  }
  // the code's redirect_uri must match
  const q = await consent(w, { prompt: 'consent' });
  const mism = await token('eu', { grant_type: 'authorization_code', code: q.code, redirect_uri: w.redirect + 'x', ...creds(w) });
  assert.deepEqual(mism.json, { error: 'invalid_redirect_uri' });
  await ctl('PUT', '/zoho/control/settings', { token_error_status: 400 });
  const r400 = await token('eu', { ...creds(w), grant_type: 'refresh_token', refresh_token: '1000.x.y' });
  await ctl('PUT', '/zoho/control/settings', { token_error_status: 200 });
  assert.equal(r400.status, 400);
  // refresh: a new access token, no new refresh token, the old one keeps working
  const r1 = await token('eu', { ...creds(w), grant_type: 'refresh_token', refresh_token: t.refresh_token });
  const r2 = await token('eu', { ...creds(w), grant_type: 'refresh_token', refresh_token: t.refresh_token });
  for (const r of [r1, r2]) {
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json).sort(), ['access_token', 'api_domain', 'expires_in', 'token_type']);
    assert.equal(r.json.api_domain, DC.eu.api_domain);
  }
  assert.notEqual(r1.json.access_token, r2.json.access_token);
  for (const a of [t.access_token, r1.json.access_token, r2.json.access_token])
    assert.equal((await api('eu', a, '/organizations')).status, 200);
});

test('refresh tokens: only on the first consent or with prompt=consent; 10 access tokens per refresh token; mint limit', async () => {
  const w = await world({ norgs: 1 });
  const t = await connect(w); // first consent: a refresh token
  assert.ok(t.refresh_token);
  // returning user, no prompt: redirected without the consent page, no refresh token
  const q = await consent(w);
  const again = await token('eu', { grant_type: 'authorization_code', code: q.code, redirect_uri: w.redirect, ...creds(w) });
  assert.equal(again.json.refresh_token, undefined);
  assert.ok(again.json.access_token);
  // prompt=consent shows the page again and issues another refresh token
  const forced = await connect(w, { prompt: 'consent' });
  assert.ok(forced.refresh_token && forced.refresh_token !== t.refresh_token);
  // online access: never a refresh token
  const online = await connect(w, { accessType: null, prompt: 'consent' });
  assert.equal(online.refresh_token, undefined);
  // the code's access token plus 10 refreshes: the 11th active token invalidates the oldest
  const minted = [];
  for (let i = 0; i < 10; i++) {
    const r = await token('eu', { ...creds(w), grant_type: 'refresh_token', refresh_token: t.refresh_token });
    assert.equal(r.status, 200);
    assert.ok(r.json.access_token, JSON.stringify(r.json));
    minted.push(r.json.access_token);
  }
  const old = await api('eu', t.access_token, '/organizations');
  assert.equal(old.status, 401);
  assert.deepEqual(old.json, { code: 57, message: 'You are not authorized to perform this operation' });
  assert.equal((await api('eu', minted[0], '/organizations')).status, 200);
  // the 11th mint within the window is throttled (HTTP 200, Access Denied)
  const throttled = await token('eu', { ...creds(w), grant_type: 'refresh_token', refresh_token: t.refresh_token });
  assert.equal(throttled.status, 200);
  assert.equal(throttled.json.error, 'Access Denied');
  assert.equal(throttled.json.status, 'failure');
  assert.match(throttled.json.error_description, /too many requests/);
});

test('a user keeps at most 20 refresh tokens per client: the 21st invalidates the oldest (stats show it)', async () => {
  const w = await world({ norgs: 1 });
  await ctl('PUT', '/zoho/control/settings', { grant_limit: 1000 });
  try {
    const first = await connect(w);
    const rest = [];
    for (let i = 0; i < 19; i++) rest.push((await connect(w, { prompt: 'consent' })).refresh_token);
    let stats = await ctl('GET', '/zoho/control/stats');
    assert.equal(stats.json.refresh_tokens_per_user[w.email][w.client.client_id], 20);
    const evictedBefore = stats.json.identity.refresh_tokens_evicted || 0;
    assert.equal((await token('eu', { ...creds(w), grant_type: 'refresh_token', refresh_token: first.refresh_token })).status, 200);
    const last = await connect(w, { prompt: 'consent' }); // the 21st
    const dead = await token('eu', { ...creds(w), grant_type: 'refresh_token', refresh_token: first.refresh_token });
    assert.deepEqual(dead.json, { error: 'invalid_code' });
    assert.equal((await api('eu', first.access_token, '/organizations')).status, 401, 'its access tokens die with it');
    for (const rt of [rest[0], last.refresh_token])
      assert.equal((await token('eu', { ...creds(w), grant_type: 'refresh_token', refresh_token: rt })).status, 200);
    stats = await ctl('GET', '/zoho/control/stats');
    assert.equal(stats.json.refresh_tokens_per_user[w.email][w.client.client_id], 20);
    assert.equal(stats.json.identity.refresh_tokens_evicted, evictedBefore + 1);
    // grant codes per client are limited too
    await ctl('PUT', '/zoho/control/settings', { grant_limit: 2 });
    const page = await fetch(authUrl(w, { prompt: 'consent' }), { headers: { cookie: w.cookie } });
    const html = await page.text();
    const done = await fetch(`${DC.com.accounts_server}/oauth/v2/auth/consent`, form({ request: hidden(html, 'request'), csrf: hidden(html, 'csrf'), action: 'accept', org: w.orgs[0].organization_id }, w.cookie));
    assert.equal(done.status, 400);
    assert.match(await done.text(), /too many requests/);
  } finally {
    await ctl('PUT', '/zoho/control/settings', { grant_limit: 10 });
  }
});

test('revoke: both endpoints; the refresh token and its access tokens die; unknown tokens get 400', async () => {
  const w = await world({ norgs: 1 });
  const t = await connect(w);
  const r = await fetch(`${DC.eu.accounts_server}/oauth/v2/token/revoke?token=${t.refresh_token}`, { method: 'POST' });
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { status: 'success' });
  assert.deepEqual((await token('eu', { ...creds(w), grant_type: 'refresh_token', refresh_token: t.refresh_token })).json, { error: 'invalid_code' });
  assert.equal((await api('eu', t.access_token, '/organizations')).status, 401);
  const again = await fetch(`${DC.eu.accounts_server}/oauth/v2/token/revoke?token=${t.refresh_token}`, { method: 'POST' });
  assert.equal(again.status, 400);
  // the consent went with the last refresh token: the next authorization shows the page and issues one
  const t2 = await connect(w);
  assert.ok(t2.refresh_token);
  const basic = 'Basic ' + Buffer.from(`${w.client.client_id}:${w.client.client_secret}`).toString('base64');
  const noAuth = await fetch(`${DC.eu.accounts_server}/oauth/v2/revoke/token?token=${t2.access_token}&token_type=access_token`, { method: 'POST' });
  assert.equal(noAuth.status, 401);
  const ok = await fetch(`${DC.eu.accounts_server}/oauth/v2/revoke/token?token=${t2.access_token}&token_type=access_token`, { method: 'POST', headers: { authorization: basic } });
  assert.equal(ok.status, 200);
  assert.equal((await api('eu', t2.access_token, '/organizations')).status, 401);
  assert.equal((await token('eu', { ...creds(w), grant_type: 'refresh_token', refresh_token: t2.refresh_token })).status, 200, 'revoking an access token leaves the refresh token');
  const stats = await ctl('GET', '/zoho/control/stats');
  assert.ok(stats.json.identity.revocations >= 2);
});

test('api_domain per data centre; a token works only against its own DC; serverinfo', async () => {
  for (const dc of ['com', 'in', 'com.au', 'jp', 'ca']) {
    const w = await world({ dc, norgs: 1 });
    const q = await consent(w, { at: 'com' });
    assert.equal(q.location, DC[dc].location);
    const t = await token(dc, { grant_type: 'authorization_code', code: q.code, redirect_uri: w.redirect, ...creds(w) });
    assert.equal(t.json.api_domain, DC[dc].api_domain, dc);
    assert.equal(t.json.api_domain + '/books/v3', DC[dc].books);
    const mine = await api(dc, t.json.access_token, '/organizations');
    assert.equal(mine.status, 200);
    assert.deepEqual(mine.json.organizations.map((o) => o.organization_id), [w.orgs[0].organization_id]);
    const other = await api(dc === 'com' ? 'eu' : 'com', t.json.access_token, '/organizations');
    assert.equal(other.status, 401);
  }
  assert.equal(DC.ca.real_accounts_server, 'https://accounts.zohocloud.ca');
  const si = await (await fetch(`${DC.com.accounts_server}/oauth/serverinfo`)).json();
  assert.equal(si.result, 'success');
  assert.equal(si.locations.eu, DC.eu.accounts_server);
  assert.equal(si.locations.au, DC['com.au'].accounts_server);
  // a DC secret of its own (dc_secrets) is checked at that DC only
  const w = await world({ dc: 'in', norgs: 1, client: { dc_secrets: { in: 'india-secret' } } });
  const q = await consent(w);
  const wrong = await token('in', { grant_type: 'authorization_code', code: q.code, redirect_uri: w.redirect, ...creds(w) });
  assert.deepEqual(wrong.json, { error: 'invalid_client_secret' });
  const right = await token('in', { grant_type: 'authorization_code', code: q.code, redirect_uri: w.redirect, ...creds(w), client_secret: 'india-secret' });
  assert.equal(right.status, 200);
});

test('Books API: Zoho-oauthtoken, scopes, organization_id required and checked, envelopes', async () => {
  const w = await world({ norgs: 2 });
  const t = await connect(w);
  const [a, b] = w.orgs.map((o) => o.organization_id);
  const orgs = await api('eu', t.access_token, '/organizations');
  assert.equal(orgs.json.code, 0);
  assert.equal(orgs.json.message, 'success');
  assert.deepEqual(orgs.json.organizations.map((o) => o.organization_id).sort(), [a, b].sort());
  assert.equal(orgs.json.organizations[0].plan_name, 'standard');
  const one = await api('eu', t.access_token, `/organizations/${b}`);
  assert.equal(one.json.organization.organization_id, b);
  const noOrg = await api('eu', t.access_token, '/invoices');
  assert.equal(noOrg.status, 400);
  assert.deepEqual(noOrg.json, { code: 2, message: 'Invalid value passed for organization_id' });
  const stranger = (await world({ norgs: 1 })).orgs[0].organization_id;
  const foreign = await api('eu', t.access_token, '/invoices', { org: stranger });
  assert.equal(foreign.status, 400);
  assert.equal(foreign.json.code, 6041);
  assert.equal(foreign.json.message, `This user is not associated with the CompanyID/CompanyName:${stranger}.`);
  assert.equal((await api('eu', t.access_token, '/invoices', { org: a })).json.code, 0);
  const bearer = await api('eu', null, '/invoices', { org: a, headers: { authorization: `Bearer ${t.access_token}` } });
  assert.equal(bearer.status, 401);
  assert.equal(bearer.json.code, 14);
  assert.equal((await api('eu', null, '/invoices', { org: a })).json.code, 14);
  assert.equal((await api('eu', '1000.bogus.token', '/invoices', { org: a })).json.code, 57);
  // an expired access token
  await ctl('POST', '/zoho/control/tokens/expire', { client_id: w.client.client_id });
  const expired = await api('eu', t.access_token, '/invoices', { org: a });
  assert.equal(expired.status, 401);
  assert.equal(expired.json.code, 57);
  // a read-only consent cannot add comments
  const ro = await world({ norgs: 1 });
  const rt = await connect(ro, { scope: 'ZohoBooks.invoices.READ' });
  const inv = await invoice(ro.orgs[0].organization_id);
  const denied = await api('eu', rt.access_token, `/invoices/${inv.invoice_id}/comments`, { org: ro.orgs[0].organization_id, method: 'POST', body: { description: 'x' } });
  assert.equal(denied.status, 401);
  assert.equal(denied.json.code, 57);
  assert.equal((await api('eu', rt.access_token, '/settings/taxes', { org: ro.orgs[0].organization_id })).status, 401);
  const notFound = await api('eu', rt.access_token, '/invoices/1', { org: ro.orgs[0].organization_id });
  assert.equal(notFound.status, 404);
  assert.deepEqual(notFound.json, { code: 1002, message: 'Invoice does not exist.' });
  assert.deepEqual((await api('eu', rt.access_token, '/nothing/here', { org: ro.orgs[0].organization_id })).json, { code: 5, message: 'Invalid URL Passed' });
});

test('invoices: paging with has_more_page, per_page capped at 200, detail with lines, taxes, customer, payments', async () => {
  const w = await world({ norgs: 1 });
  const org = w.orgs[0].organization_id;
  const t = await connect(w);
  const bulk = await ctl('POST', `/zoho/control/orgs/${org}/invoices/bulk`, { count: 450, amount: 50, tax_name: 'VAT' });
  assert.equal(bulk.status, 201, bulk.text);
  const seen = new Set();
  let page = 1;
  let more = true;
  const sizes = [];
  while (more) {
    const r = await api('eu', t.access_token, '/invoices', { org, query: { page: String(page), per_page: '200' } });
    assert.equal(r.status, 200);
    assert.equal(r.json.page_context.page, page);
    assert.equal(r.json.page_context.sort_column, 'created_time');
    sizes.push(r.json.invoices.length);
    for (const i of r.json.invoices) seen.add(i.invoice_id);
    assert.equal(r.json.invoices[0].line_items, undefined, 'list rows are summaries');
    more = r.json.page_context.has_more_page;
    page += 1;
  }
  assert.deepEqual(sizes, [200, 200, 50]);
  assert.equal(seen.size, 450);
  const capped = await api('eu', t.access_token, '/invoices', { org, query: { per_page: '1000' } });
  assert.equal(capped.json.invoices.length, 200);
  assert.equal(capped.json.page_context.per_page, 200);
  assert.equal((await api('eu', t.access_token, '/invoices', { org, query: { filter_by: 'Status.Bogus' } })).json.code, 2);
  // detail: 2 x 100 at 20 % VAT, a part payment
  const inv = await invoice(org, { line_items: [{ name: 'Widget', rate: 100, quantity: 2, tax_name: 'VAT' }, { name: 'Book', rate: 10.5, quantity: 1, tax_name: 'Reduced VAT' }] });
  const pay = await ctl('POST', `/zoho/control/invoices/${inv.invoice_id}/payments`, { amount: 100, reference_number: 'P-1' });
  assert.equal(pay.status, 201, pay.text);
  const d = await api('eu', t.access_token, `/invoices/${inv.invoice_id}`, { org });
  assert.equal(d.status, 200);
  const x = d.json.invoice;
  assert.match(d.text, /"total":251\.55,/, 'amounts are numbers with two decimals');
  assert.match(d.text, /"sub_total":210\.50,/);
  assert.equal(x.tax_total, 41.05);
  assert.equal(x.total, 251.55);
  assert.equal(x.balance, 151.55);
  assert.equal(x.status, 'partially_paid');
  assert.equal(x.customer_name, 'Kupac d.o.o.');
  assert.deepEqual(x.line_items.map((l) => [l.name, l.item_total, l.tax_percentage]), [['Widget', 200, 20], ['Book', 10.5, 10]]);
  assert.deepEqual(x.taxes.map((tx) => [tx.tax_name, tx.tax_amount]), [['VAT', 40], ['Reduced VAT', 1.05]]);
  assert.equal(x.payments.length, 1);
  assert.equal(x.payments[0].amount, 100);
  assert.match(x.last_modified_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0100$/);
  const contact = await api('eu', t.access_token, `/contacts/${x.customer_id}`, { org });
  assert.equal(contact.json.contact.contact_name, 'Kupac d.o.o.');
  const pays = await api('eu', t.access_token, `/invoices/${inv.invoice_id}/payments`, { org });
  assert.equal(pays.json.payments[0].reference_number, 'P-1');
  // tax inclusive: 120 includes 20 % VAT
  const incl = await invoice(org, { is_inclusive_tax: true, line_items: [{ name: 'Gross', rate: 120, tax_name: 'VAT' }] });
  assert.deepEqual([incl.sub_total, incl.tax_total, incl.total], [120, 20, 120]);
});

// The organization's local time (+0100) of a Unix time in whole seconds, Zoho style.
const zohoTime = (sec) => new Date(sec * 1000 + 3600e3).toISOString().slice(0, 19) + '+0100';

test('last_modified_time: strictly after by default (inclusive as a setting), raw + rejected, no sort by it unless enabled', async () => {
  const w = await world({ norgs: 1 });
  const org = w.orgs[0].organization_id;
  const t = await connect(w);
  const invs = [];
  for (let i = 0; i < 3; i++) invs.push(await invoice(org));
  await sleep(1100);
  const mark = Math.floor(Date.now() / 1000);
  await sleep(1100);
  for (const i of invs.slice(0, 2)) assert.equal((await ctl('PUT', `/zoho/control/invoices/${i.invoice_id}`, { reference_number: 'edited' })).status, 200);
  const r = await api('eu', t.access_token, '/invoices', { org, query: { last_modified_time: zohoTime(mark) } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.invoices.map((i) => i.invoice_id).sort(), invs.slice(0, 2).map((i) => i.invoice_id).sort());
  const lm = r.json.invoices[0].last_modified_time;
  const at = await api('eu', t.access_token, '/invoices', { org, query: { last_modified_time: lm } });
  assert.ok(!at.json.invoices.some((i) => i.last_modified_time === lm), 'strictly after');
  await ctl('PUT', '/zoho/control/settings', { modified_inclusive: true });
  const incl = await api('eu', t.access_token, '/invoices', { org, query: { last_modified_time: lm } });
  await ctl('PUT', '/zoho/control/settings', { modified_inclusive: false });
  assert.ok(incl.json.invoices.some((i) => i.last_modified_time === lm));
  const raw = await fetch(`${DC.eu.books}/invoices?organization_id=${org}&last_modified_time=${zohoTime(mark)}`, { headers: { authorization: `Zoho-oauthtoken ${t.access_token}` } });
  assert.equal(raw.status, 400, 'an unencoded + arrives as a space');
  assert.deepEqual(await raw.json(), { code: 2, message: 'Invalid value passed for last_modified_time' });
  const sortLm = await api('eu', t.access_token, '/invoices', { org, query: { sort_column: 'last_modified_time' } });
  assert.equal(sortLm.status, 400);
  await ctl('PUT', '/zoho/control/settings', { sort_by_modified: true });
  const sorted = await api('eu', t.access_token, '/invoices', { org, query: { sort_column: 'last_modified_time', sort_order: 'A' } });
  await ctl('PUT', '/zoho/control/settings', { sort_by_modified: false });
  assert.equal(sorted.status, 200);
  assert.equal(sorted.json.invoices.at(-1).reference_number, 'edited');
});

test('comments are recorded (the write-back), do not move last_modified_time; custom fields via PUT /invoice/{id}/customfields', async () => {
  const w = await world({ norgs: 1 });
  const org = w.orgs[0].organization_id;
  const t = await connect(w);
  const inv = await invoice(org);
  const path = `/invoices/${inv.invoice_id}/comments`;
  const c = await api('eu', t.access_token, path, { org, method: 'POST', body: { description: 'Fiscal ref ABC-1 https://verify.example/abc', show_comment_to_clients: false } });
  assert.equal(c.status, 200);
  assert.deepEqual(c.json, { code: 0, message: 'Comments added.' });
  const listed = await api('eu', t.access_token, path, { org });
  assert.equal(listed.json.comments[0].description, 'Fiscal ref ABC-1 https://verify.example/abc');
  assert.ok(listed.json.comments.some((x) => x.comment_type === 'system'), 'history entries are mixed in');
  const recorded = await ctl('GET', `/zoho/control/invoices/${inv.invoice_id}/comments?type=internal`);
  assert.deepEqual(recorded.json.map((x) => x.description), ['Fiscal ref ABC-1 https://verify.example/abc']);
  const d = await api('eu', t.access_token, `/invoices/${inv.invoice_id}`, { org });
  assert.equal(d.json.invoice.last_modified_time, inv.last_modified_time);
  const formBody = await api('eu', t.access_token, path, { org, method: 'POST', body: 'description=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.deepEqual(formBody.json, { code: 1038, message: 'JSON is not well formed' });
  assert.equal((await api('eu', t.access_token, path, { org, method: 'POST', body: {} })).json.code, 2);
  // custom field: the singular /invoice/ path, by id
  const cfid = w.orgs[0].custom_fields[0].customfield_id;
  const cf = await api('eu', t.access_token, `/invoice/${inv.invoice_id}/customfields`, { org, method: 'PUT', body: [{ customfield_id: cfid, value: 'FISC-1' }] });
  assert.deepEqual(cf.json, { code: 0, message: 'Custom Fields Updated Successfully' });
  const after = await api('eu', t.access_token, `/invoices/${inv.invoice_id}`, { org });
  assert.deepEqual(after.json.invoice.custom_fields.map((f) => [f.api_name, f.value]), [['cf_fiscal_reference', 'FISC-1']]);
  assert.equal((await api('eu', t.access_token, `/invoice/${inv.invoice_id}/customfields`, { org, method: 'PUT', body: [{ customfield_id: '1', value: 'x' }] })).status, 400);
  const plural = await api('eu', t.access_token, `/invoices/${inv.invoice_id}/customfields`, { org, method: 'PUT', body: [] });
  assert.equal(plural.status, 404);
});

// A small receiver for the workflow webhooks.
async function receiver() {
  const hits = [];
  let status = 200;
  const srv = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      hits.push({ url: req.url, headers: req.headers, body });
      res.writeHead(status);
      res.end();
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${srv.address().port}`;
  return { hits, base, setStatus: (s) => { status = s; }, close: () => new Promise((r) => srv.close(r)) };
}

async function until(cond, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await cond();
    if (v) return v;
    await sleep(25);
  }
  throw new Error('timed out waiting');
}

test('workflow webhooks: create/edit/payment/void, signed over sorted query + body; write-back comment does not fire the edit webhook', async () => {
  const rcv = await receiver();
  try {
    const w = await world({ norgs: 1 });
    const org = w.orgs[0].organization_id;
    const t = await connect(w);
    const secret = 'Abcdef123456secret';
    const url = `${rcv.base}/hook/zoho?zz=last&integration=42&a=first%20one`;
    const cfg = await ctl('PUT', `/zoho/control/orgs/${org}/webhook`, { url, secret, events: ['create', 'edit'], headers: { 'X-Custom': 'yes' } });
    assert.equal(cfg.status, 200, cfg.text);
    const inv = await invoice(org);
    await until(() => rcv.hits.length === 1);
    const h = rcv.hits[0];
    assert.equal(h.url, '/hook/zoho?zz=last&integration=42&a=first%20one');
    assert.match(h.headers['content-type'], /^application\/json/);
    assert.equal(h.headers['x-custom'], 'yes');
    const sig = h.headers['x-zoho-webhook-signature'];
    assert.equal(sig, zohoSignature(secret, url, h.body), 'HMAC-SHA256 hex over a + first one, integration42, zzlast + body');
    assert.notEqual(sig, createHmac('sha256', secret).update(h.body).digest('hex'), 'the query parameters are part of it');
    const payload = JSON.parse(h.body);
    assert.deepEqual(Object.keys(payload), ['invoice']);
    assert.equal(payload.invoice.invoice_id, inv.invoice_id);
    assert.ok(payload.invoice.line_items.length === 1, 'the default payload carries the full record');
    // the write-back: a comment does not fire the edit rule (loop protection can be tested)
    const c = await api('eu', t.access_token, `/invoices/${inv.invoice_id}/comments`, { org, method: 'POST', body: { description: 'Fiscal ref X' } });
    assert.equal(c.status, 200);
    await sleep(400);
    assert.equal(rcv.hits.length, 1, 'no webhook for a comment');
    // edits do fire: control edit, a custom field update through the API, a payment, a void
    await ctl('PUT', `/zoho/control/invoices/${inv.invoice_id}`, { reference_number: 'R-2' });
    await until(() => rcv.hits.length === 2);
    assert.equal(JSON.parse(rcv.hits[1].body).invoice.reference_number, 'R-2');
    const cfid = w.orgs[0].custom_fields[0].customfield_id;
    await api('eu', t.access_token, `/invoice/${inv.invoice_id}/customfields`, { org, method: 'PUT', body: [{ customfield_id: cfid, value: 'FISC-9' }] });
    await until(() => rcv.hits.length === 3);
    assert.equal(JSON.parse(rcv.hits[2].body).invoice.custom_fields[0].value, 'FISC-9');
    const second = await invoice(org);
    await until(() => rcv.hits.length === 4);
    await ctl('POST', `/zoho/control/invoices/${second.invoice_id}/payments`, {});
    await until(() => rcv.hits.length === 5);
    assert.equal(JSON.parse(rcv.hits[4].body).invoice.status, 'paid');
    for (const x of rcv.hits) assert.equal(x.headers['x-zoho-webhook-signature'], zohoSignature(secret, url, x.body));
    // a comment fires the edit rule only when configured so
    await ctl('PUT', '/zoho/control/settings', { comment_fires_edit: true });
    await api('eu', t.access_token, `/invoices/${inv.invoice_id}/comments`, { org, method: 'POST', body: { description: 'again' } });
    await ctl('PUT', '/zoho/control/settings', { comment_fires_edit: false });
    await until(() => rcv.hits.length === 6);
    // a rule on "create" only, and without a secret: no signature header
    await ctl('PUT', `/zoho/control/orgs/${org}/webhook`, { url: `${rcv.base}/plain`, events: ['create'] });
    const third = await invoice(org);
    await ctl('POST', `/zoho/control/invoices/${third.invoice_id}/void`, {});
    await until(() => rcv.hits.length === 7);
    await sleep(300);
    assert.equal(rcv.hits.length, 7, 'void is an edit, not covered by a create-only rule');
    assert.equal(rcv.hits[6].headers['x-zoho-webhook-signature'], undefined);
    // the receiver has a delivery before the emulator has read its answer: wait for the count
    const state = await until(async () => { const r = await ctl('GET', `/zoho/control/orgs/${org}/webhook`); return r.json.delivered >= 7 && r; });
    assert.equal(state.json.delivered, 7);
    assert.equal(state.json.secret, null);
    assert.equal((await ctl('PUT', `/zoho/control/orgs/${org}/webhook`, { url, secret: 'short' })).status, 400);
  } finally {
    await rcv.close();
  }
});

test('webhook failures are counted, not retried by default, and replayed on request', async () => {
  const rcv = await receiver();
  try {
    const w = await world({ norgs: 1 });
    const org = w.orgs[0].organization_id;
    await ctl('PUT', `/zoho/control/orgs/${org}/webhook`, { url: `${rcv.base}/h`, secret: 'Secret123456789' });
    const before = (await ctl('GET', '/zoho/control/stats')).json.webhooks;
    rcv.setStatus(500);
    await invoice(org);
    await until(() => rcv.hits.length === 1);
    await sleep(300);
    let state = await until(async () => { const r = (await ctl('GET', `/zoho/control/orgs/${org}/webhook`)).json; return r.failed >= 1 && r; });
    assert.equal(state.failed, 1);
    assert.equal(state.replayable, 1);
    assert.equal(state.log[0].status, 500);
    assert.equal(rcv.hits.length, 1, 'no automatic retry');
    rcv.setStatus(204);
    const rp = await ctl('POST', `/zoho/control/orgs/${org}/webhook/replay`);
    assert.deepEqual(rp.json, { replayed: 1 });
    await until(() => rcv.hits.length === 2);
    assert.equal(rcv.hits[1].body, rcv.hits[0].body, 'the same delivery again');
    await until(async () => (await ctl('GET', `/zoho/control/orgs/${org}/webhook`)).json.delivered === 1);
    state = (await ctl('GET', `/zoho/control/orgs/${org}/webhook`)).json;
    assert.equal(state.replayable, 0);
    const after = (await ctl('GET', '/zoho/control/stats')).json.webhooks;
    assert.equal((after.failed || 0) - (before.failed || 0), 1);
    assert.equal((after.delivered || 0) - (before.delivered || 0), 1);
  } finally {
    await rcv.close();
  }
});

test('rate limits: per minute and per day per organization (by plan), in flight; 429 with the envelope; stats', async () => {
  const w = await world({ norgs: 2, plan: 'free' });
  const [a, b] = w.orgs.map((o) => o.organization_id);
  const t = await connect(w);
  await ctl('PUT', `/zoho/control/orgs/${a}`, { limits: { minute: 3 } });
  const first = await api('eu', t.access_token, '/invoices', { org: a });
  assert.equal(first.headers.get('x-rate-limit-limit'), '1000', 'free plan: 1,000 a day');
  assert.equal(first.headers.get('x-rate-limit-remaining'), '999');
  assert.ok(Number(first.headers.get('x-rate-limit-reset')) > 0);
  // per minute (3 for this organization): the 4th call of the minute is refused
  const codes = [first.status];
  for (let i = 0; i < 3; i++) codes.push((await api('eu', t.access_token, '/invoices', { org: a })).status);
  assert.deepEqual(codes, [200, 200, 200, 429]);
  const limited = await api('eu', t.access_token, '/invoices', { org: a });
  assert.equal(limited.status, 429);
  assert.equal(limited.json.code, 44);
  assert.match(limited.json.message, /per minute/);
  assert.equal(limited.headers.get('retry-after'), null, 'Zoho sends no Retry-After');
  assert.equal((await ctl('PUT', `/zoho/control/orgs/${b}`, { plan: 'professional' })).status, 200);
  const other = await api('eu', t.access_token, '/invoices', { org: b });
  assert.equal(other.status, 200, 'limits are per organization');
  assert.equal(other.headers.get('x-rate-limit-limit'), '5000', 'professional plan: 5,000 a day');
  await sleep(60000 / SCALE + 100);
  assert.equal((await api('eu', t.access_token, '/invoices', { org: a })).status, 200, 'the minute has passed');
  // per day
  await ctl('PUT', `/zoho/control/orgs/${b}`, { limits: { day: 3 } });
  let last;
  for (let i = 0; i < 3; i++) last = await api('eu', t.access_token, '/invoices', { org: b });
  assert.equal(last.status, 429);
  assert.equal(last.headers.get('x-rate-limit-remaining'), '0');
  assert.match(last.json.message, /for the day/);
  // in flight
  await ctl('PUT', `/zoho/control/orgs/${a}`, { limits: { minute: null } });
  await ctl('POST', `/zoho/control/orgs/${a}/hold`, { slots: 5, ms: 500 });
  const busy = await api('eu', t.access_token, '/invoices', { org: a });
  assert.equal(busy.status, 429);
  assert.match(busy.json.message, /concurrent/);
  // forced 429s for one organization, with a configurable code
  await sleep(600);
  await ctl('PUT', '/zoho/control/settings', { rate_limit_code: 1070 });
  await ctl('PUT', '/zoho/control/faults', { force_429: { count: 1, organization_id: a } });
  const forced = await api('eu', t.access_token, '/invoices', { org: a });
  await ctl('PUT', '/zoho/control/settings', { rate_limit_code: 44 });
  assert.equal(forced.status, 429);
  assert.equal(forced.json.code, 1070);
  assert.equal((await api('eu', t.access_token, '/invoices', { org: a })).status, 200);
  const stats = await ctl('GET', '/zoho/control/stats');
  assert.ok(stats.json.rate_limited.minute >= 1 && stats.json.rate_limited.day >= 1 && stats.json.rate_limited.concurrent >= 1);
  assert.ok(stats.json.orgs[a].calls >= 6);
  assert.ok(stats.json.orgs[a].rate_limited >= 3);
  assert.ok(stats.json.calls['GET /invoices'] >= 10);
});

test('faults: 5xx with Zoho\'s body, connection reset, timeout, slow answer; identity only when asked', async () => {
  const w = await world({ norgs: 1 });
  const org = w.orgs[0].organization_id;
  const t = await connect(w);
  await ctl('PUT', '/zoho/control/faults', { next: ['error_5xx', 'reset', 'timeout', 'slow'], timeout_ms: 300, slow_ms: 200, status_5xx: 503 });
  const e = await api('eu', t.access_token, '/invoices', { org });
  assert.equal(e.status, 503);
  assert.deepEqual(e.json, { code: 1000, message: 'Internal error' });
  await assert.rejects(api('eu', t.access_token, '/invoices', { org }));
  const t0 = Date.now();
  await assert.rejects(api('eu', t.access_token, '/invoices', { org }));
  assert.ok(Date.now() - t0 >= 250);
  const t1 = Date.now();
  assert.equal((await api('eu', t.access_token, '/invoices', { org })).status, 200);
  assert.ok(Date.now() - t1 >= 180);
  // token endpoint: untouched unless apply_to_identity
  await ctl('PUT', '/zoho/control/faults', { error_5xx: 1 });
  assert.equal((await token('eu', { ...creds(w), grant_type: 'refresh_token', refresh_token: t.refresh_token })).status, 200);
  assert.equal((await api('eu', t.access_token, '/invoices', { org })).status, 500);
  await ctl('PUT', '/zoho/control/faults', { error_5xx: 1, apply_to_identity: true });
  const te = await fetch(`${DC.eu.accounts_server}/oauth/v2/token`, { method: 'POST' });
  assert.equal(te.status, 500);
  await ctl('PUT', '/zoho/control/faults', {});
  const f = await ctl('GET', '/zoho/control/stats');
  assert.ok(f.json.faults.error_5xx >= 2 && f.json.faults.reset >= 1 && f.json.faults.timeout >= 1 && f.json.faults.slow >= 1);
  assert.equal((await ctl('PUT', '/zoho/control/faults', { force_429: { problem: 'appminute' } })).status, 400);
});

test('control API: settings validation, demo data and credentials, reset', async () => {
  assert.equal((await ctl('PUT', '/zoho/control/settings', { token_error_status: 302 })).status, 400);
  assert.equal((await ctl('PUT', '/zoho/control/settings', { comment_fires_edit: 'yes' })).status, 400);
  assert.equal((await ctl('PUT', '/zoho/control/settings', { time_scale: 0 })).status, 400);
  assert.equal((await ctl('POST', '/zoho/control/orgs', { name: 'X', dc: 'mars' })).status, 400);
  assert.equal((await ctl('POST', '/zoho/control/users', { email: 'x@example.com', password: 'p', dc: 'com', orgs: ['20090000001'] })).status, 400, 'an organization of another DC');
  const demo = (await ctl('GET', '/zoho/control/clients/1000.FISCALHUBSANDBOXDEMOCLIENT01')).json;
  assert.equal(demo.client_secret, 'sandbox-demo-zoho-client-secret');
  assert.ok(demo.redirect_uris.includes('http://127.0.0.1:8080/oauth/zoho/callback'));
  const w = { email: 'demo@example.com', password: 'sandbox', redirect: demo.redirect_uris[0], client: demo, orgs: [{ organization_id: '20090000001' }, { organization_id: '20090000002' }], cookie: null };
  const q = await consent(w);
  assert.equal(q.location, 'eu');
  const t = await token('eu', { grant_type: 'authorization_code', code: q.code, redirect_uri: w.redirect, ...creds(w) });
  const list = await api('eu', t.json.access_token, '/invoices', { org: '20090000001' });
  assert.equal(list.json.invoices.length, 3);
  const r = await ctl('POST', '/zoho/control/reset', {});
  assert.equal(r.status, 200);
  assert.equal((await api('eu', t.json.access_token, '/organizations')).status, 401, 'tokens are gone after a reset');
  const info = (await ctl('GET', '/zoho/control/info')).json;
  assert.deepEqual([info.users, info.orgs, info.invoices], [2, 3, 4]);
  const stats = (await ctl('GET', '/zoho/control/stats')).json;
  assert.deepEqual(stats.calls, { 'GET /organizations': 1 }, 'counters start again (with the 401 above)');
  assert.deepEqual(stats.auth_failures, { invalid_token: 1 });
});
