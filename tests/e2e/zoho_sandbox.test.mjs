// zoho_sandbox.test.mjs - the Zoho Books emulator of fiscalhub-sandbox over real HTTP: the
// multi-DC OAuth flow through the consent pages, Zoho's token rules (errors as HTTP 200, no
// rotation, the 20-refresh-token cap, the mint limit, revoke), api_domain per data centre, the
// Books API (auth header, organization_id, paging, last_modified_time, detail, comments, custom
// fields), workflow webhooks with signatures verified here following specs/zoho-books.md §4.3,
// the write-back comment that must not fire the edit webhook, rate limits and faults; credit
// notes (list, detail, credits applied to invoices and deleted again, comments, refusals, the
// webhook's modules);
// invoice attachments (multipart uploads with binary bytes, read back through the API and the
// control API, documents in the detail, refusals, limits, settings, scopes, faults).
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

// ---- credit notes ----
const CN_SCOPE = FULL + ',ZohoBooks.creditnotes.READ,ZohoBooks.creditnotes.CREATE';

async function creditnote(org, spec = {}) {
  const r = await ctl('POST', `/zoho/control/orgs/${org}/creditnotes`, {
    customer_name: 'Kupac d.o.o.', line_items: [{ name: 'Return', rate: 50, quantity: 1, tax_name: 'VAT' }], ...spec,
  });
  assert.equal(r.status, 201, r.text);
  return r.json.creditnote;
}

const invoiceNow = async (id) => (await ctl('GET', `/zoho/control/invoices/${id}`)).json.invoice;

test('credit notes: list paged and sorted like invoices, status and last_modified_time filters, detail, unknown id', async () => {
  const w = await world({ norgs: 2 });
  const [org, other] = w.orgs.map((o) => o.organization_id);
  const t = await connect(w, { scope: CN_SCOPE });
  const cns = [await creditnote(org, { status: 'draft', reference_number: 'R-0' })];
  for (let i = 1; i < 5; i++) cns.push(await creditnote(org, { reference_number: `R-${i}` }));
  assert.deepEqual(cns.map((c) => c.creditnote_number), ['CN-00001', 'CN-00002', 'CN-00003', 'CN-00004', 'CN-00005']);
  assert.deepEqual(cns.map((c) => c.status), ['draft', 'open', 'open', 'open', 'open']);
  const foreign = await creditnote(other);
  assert.equal(foreign.creditnote_number, 'CN-00001', 'numbered per organization');
  // paging: 2 + 2 + 1, newest first by default
  const seen = [];
  const sizes = [];
  for (let page = 1, more = true; more; page++) {
    const r = await api('eu', t.access_token, '/creditnotes', { org, query: { page: String(page), per_page: '2' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.code, 0);
    assert.equal(r.json.page_context.page, page);
    assert.equal(r.json.page_context.per_page, 2);
    assert.equal(r.json.page_context.report_name, 'Credit Notes');
    assert.equal(r.json.page_context.sort_column, 'created_time');
    assert.equal(r.json.creditnotes[0].line_items, undefined, 'list rows are summaries');
    sizes.push(r.json.creditnotes.length);
    seen.push(...r.json.creditnotes.map((c) => c.creditnote_id));
    more = r.json.page_context.has_more_page;
  }
  assert.deepEqual(sizes, [2, 2, 1]);
  assert.deepEqual(seen, cns.map((c) => c.creditnote_id).reverse());
  const row = (await api('eu', t.access_token, '/creditnotes', { org, query: { per_page: '1' } })).json.creditnotes[0];
  assert.deepEqual(Object.keys(row).sort(), ['balance', 'created_time', 'creditnote_id', 'creditnote_number', 'currency_code', 'customer_id', 'customer_name', 'date', 'last_modified_time', 'reference_number', 'status', 'total'].sort());
  assert.deepEqual([row.total, row.balance, row.currency_code, row.customer_name], [60, 60, 'EUR', 'Kupac d.o.o.']);
  const capped = await api('eu', t.access_token, '/creditnotes', { org, query: { per_page: '1000' } });
  assert.equal(capped.json.page_context.per_page, 200);
  const asc = await api('eu', t.access_token, '/creditnotes', { org, query: { sort_column: 'creditnote_number', sort_order: 'A' } });
  assert.deepEqual(asc.json.creditnotes.map((c) => c.creditnote_number), cns.map((c) => c.creditnote_number));
  // status filter
  const drafts = await api('eu', t.access_token, '/creditnotes', { org, query: { status: 'draft' } });
  assert.deepEqual(drafts.json.creditnotes.map((c) => c.creditnote_id), [cns[0].creditnote_id]);
  assert.equal(drafts.json.page_context.applied_filter, 'Status.Draft');
  assert.equal((await api('eu', t.access_token, '/creditnotes', { org, query: { status: 'open' } })).json.creditnotes.length, 4);
  assert.equal((await api('eu', t.access_token, '/creditnotes', { org, query: { status: 'closed' } })).json.creditnotes.length, 0);
  for (const query of [{ status: 'paid' }, { sort_column: 'total' }, { sort_order: 'X' }, { page: '0' }, { last_modified_time: 'yesterday' }]) {
    const bad = await api('eu', t.access_token, '/creditnotes', { org, query });
    assert.equal(bad.status, 400, JSON.stringify(query));
    assert.deepEqual(bad.json, { code: 2, message: `Invalid value passed for ${Object.keys(query)[0]}` });
  }
  // last_modified_time: strictly after the second, as for invoices; sorting by it only with sort_by_modified
  await sleep(1100);
  const mark = Math.floor(Date.now() / 1000);
  await sleep(1100);
  for (const c of [cns[1], cns[3]]) assert.equal((await ctl('PUT', `/zoho/control/creditnotes/${c.creditnote_id}`, { reference_number: 'edited' })).status, 200);
  const since = await api('eu', t.access_token, '/creditnotes', { org, query: { last_modified_time: zohoTime(mark) } });
  assert.deepEqual(since.json.creditnotes.map((c) => c.creditnote_id).sort(), [cns[1], cns[3]].map((c) => c.creditnote_id).sort());
  assert.equal(since.json.page_context.search_criteria[0].column_name, 'last_modified_time');
  const lm = since.json.creditnotes[0].last_modified_time;
  assert.equal((await api('eu', t.access_token, '/creditnotes', { org, query: { last_modified_time: lm } })).json.creditnotes.length, 0, 'strictly after');
  await ctl('PUT', '/zoho/control/settings', { modified_inclusive: true });
  const incl = await api('eu', t.access_token, '/creditnotes', { org, query: { last_modified_time: lm } });
  await ctl('PUT', '/zoho/control/settings', { modified_inclusive: false });
  assert.equal(incl.json.creditnotes.length, 2);
  assert.equal((await api('eu', t.access_token, '/creditnotes', { org, query: { sort_column: 'last_modified_time' } })).status, 400);
  await ctl('PUT', '/zoho/control/settings', { sort_by_modified: true });
  const byLm = await api('eu', t.access_token, '/creditnotes', { org, query: { sort_column: 'last_modified_time', sort_order: 'A' } });
  await ctl('PUT', '/zoho/control/settings', { sort_by_modified: false });
  assert.equal(byLm.status, 200);
  assert.equal(byLm.json.creditnotes.at(-1).reference_number, 'edited');
  // detail
  const d = await api('eu', t.access_token, `/creditnotes/${cns[2].creditnote_id}`, { org });
  assert.equal(d.status, 200);
  assert.equal(d.json.message, 'success');
  const x = d.json.creditnote;
  assert.equal(x.creditnote_number, 'CN-00003');
  assert.deepEqual([x.sub_total, x.tax_total, x.total, x.balance], [50, 10, 60, 60]);
  assert.match(d.text, /"total":60\.00,/);
  assert.deepEqual(x.line_items.map((l) => [l.name, l.rate, l.quantity, l.tax_name, l.tax_percentage, l.item_total]), [['Return', 50, 1, 'VAT', 20, 50]]);
  assert.ok(x.line_items[0].line_item_id);
  assert.deepEqual(x.taxes.map((tx) => [tx.tax_name, tx.tax_amount]), [['VAT', 10]]);
  assert.deepEqual([x.invoice_id, x.invoice_number, x.is_inclusive_tax, x.exchange_rate, x.currency_code], ['', '', false, 1, 'EUR']);
  assert.match(x.created_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0100$/);
  assert.match(x.date, /^\d{4}-\d\d-\d\d$/);
  const control = await ctl('GET', `/zoho/control/creditnotes/${cns[2].creditnote_id}`);
  assert.deepEqual(control.json.creditnote, x, 'the control API shows what the Books API shows');
  assert.equal(control.json.organization_id, org);
  assert.deepEqual(control.json.invoices_credited, []);
  // unknown, or of another organization
  for (const id of ['1', foreign.creditnote_id]) {
    const nf = await api('eu', t.access_token, `/creditnotes/${id}`, { org });
    assert.equal(nf.status, 404);
    assert.deepEqual(nf.json, { code: 1002, message: 'Credit Note does not exist.' });
    assert.equal((await api('eu', t.access_token, `/creditnotes/${id}/invoices`, { org })).status, 404);
  }
  assert.equal((await api('eu', t.access_token, '/creditnotes', { org, method: 'DELETE' })).status, 405);
  const stats = (await ctl('GET', '/zoho/control/stats')).json;
  assert.ok(stats.calls['GET /creditnotes'] >= 10);
  assert.ok(stats.calls['GET /creditnotes/{id}'] >= 3);
  assert.ok(stats.calls['GET /creditnotes/{id}/invoices'] >= 2);
});

test('credit notes: credits applied at creation (invoice_id, invoices) and later; balances, paid invoice, closed at 0, void refused', async () => {
  const w = await world({ norgs: 1 });
  const org = w.orgs[0].organization_id;
  const t = await connect(w, { scope: CN_SCOPE });
  const a = await invoice(org); // 240.00
  const b = await invoice(org, { customer_name: 'Drugi d.o.o.' });
  // from an invoice: min(total, balance) is applied at once; the customer is the invoice's
  const first = await ctl('POST', `/zoho/control/orgs/${org}/creditnotes`, { invoice_id: a.invoice_id, line_items: [{ name: 'Return', rate: 50, tax_name: 'VAT' }] });
  assert.equal(first.status, 201, first.text);
  const cn1 = first.json.creditnote;
  assert.deepEqual([cn1.invoice_id, cn1.invoice_number, cn1.customer_id], [a.invoice_id, a.invoice_number, a.customer_id]);
  assert.deepEqual([cn1.total, cn1.balance, cn1.status], [60, 0, 'closed']);
  assert.deepEqual(first.json.invoices_credited.map((k) => [k.invoice_id, k.amount_applied]), [[a.invoice_id, 60]]);
  assert.ok(first.json.comments.some((c) => /applied to invoice/.test(c.description)));
  let ia = await invoiceNow(a.invoice_id);
  assert.deepEqual([ia.balance, ia.credits_applied, ia.status], [180, 60, 'partially_paid']);
  // applications listed at creation
  const cn2 = await creditnote(org, { line_items: [{ name: 'Big return', rate: 250, tax_name: 'VAT' }], invoices: [{ invoice_id: a.invoice_id, amount_applied: 100 }] });
  assert.deepEqual([cn2.total, cn2.balance, cn2.status, cn2.invoice_id], [300, 200, 'open', '']);
  assert.equal((await invoiceNow(a.invoice_id)).balance, 80);
  // and later, to two invoices at once
  const later = await ctl('POST', `/zoho/control/creditnotes/${cn2.creditnote_id}/invoices`, { invoices: [{ invoice_id: a.invoice_id, amount_applied: 80 }, { invoice_id: b.invoice_id, amount_applied: '120.00' }] });
  assert.equal(later.status, 201, later.text);
  assert.deepEqual(Object.keys(later.json).sort(), ['creditnote', 'invoices_credited']);
  assert.deepEqual([later.json.creditnote.balance, later.json.creditnote.status], [0, 'closed']);
  assert.deepEqual(later.json.invoices_credited.map((k) => [k.invoice_number, k.amount_applied]), [[a.invoice_number, 100], [a.invoice_number, 80], [b.invoice_number, 120]]);
  ia = await invoiceNow(a.invoice_id);
  assert.deepEqual([ia.balance, ia.credits_applied, ia.status], [0, 240, 'paid']);
  const ib = await invoiceNow(b.invoice_id);
  assert.deepEqual([ib.balance, ib.status], [120, 'partially_paid']);
  // the Books API: invoices credited, oldest first, and the invoice's balance
  const credited = await api('eu', t.access_token, `/creditnotes/${cn2.creditnote_id}/invoices`, { org });
  assert.equal(credited.status, 200);
  assert.equal(credited.json.code, 0);
  const ks = credited.json.invoices_credited;
  assert.deepEqual(ks.map((k) => [k.invoice_id, k.amount_applied]), [[a.invoice_id, 100], [a.invoice_id, 80], [b.invoice_id, 120]]);
  for (const k of ks) {
    assert.deepEqual(Object.keys(k).sort(), ['amount_applied', 'creditnote_id', 'creditnote_invoice_id', 'date', 'invoice_id', 'invoice_number']);
    assert.equal(k.creditnote_id, cn2.creditnote_id);
    assert.match(k.date, /^\d{4}-\d\d-\d\d$/);
  }
  assert.equal(new Set(ks.map((k) => k.creditnote_invoice_id)).size, 3);
  const closed = await api('eu', t.access_token, '/creditnotes', { org, query: { status: 'closed' } });
  assert.deepEqual(closed.json.creditnotes.map((c) => c.creditnote_id).sort(), [cn1.creditnote_id, cn2.creditnote_id].sort());
  const apiInv = await api('eu', t.access_token, `/invoices/${a.invoice_id}`, { org });
  assert.deepEqual([apiInv.json.invoice.balance, apiInv.json.invoice.credits_applied, apiInv.json.invoice.status], [0, 240, 'paid']);
  // the invoice takes no payment beyond its balance and cannot be voided with credits
  assert.equal((await ctl('POST', `/zoho/control/invoices/${a.invoice_id}/payments`, {})).status, 409);
  const voidInv = await ctl('POST', `/zoho/control/invoices/${b.invoice_id}/void`, {});
  assert.equal(voidInv.status, 409);
  assert.match(voidInv.json.error, /credits/);
  // void: refused with credits applied, allowed without
  const v = await ctl('POST', `/zoho/control/creditnotes/${cn2.creditnote_id}/void`, {});
  assert.equal(v.status, 409);
  assert.deepEqual(v.json, { error: 'a credit note with credits applied (300.00) cannot be voided' });
  const cn3 = await creditnote(org);
  const v3 = await ctl('POST', `/zoho/control/creditnotes/${cn3.creditnote_id}/void`, {});
  assert.equal(v3.status, 200, v3.text);
  assert.deepEqual([v3.json.creditnote.status, v3.json.creditnote.balance], ['void', 0]);
  assert.equal((await ctl('POST', `/zoho/control/creditnotes/${cn3.creditnote_id}/void`, {})).status, 409);
  const editVoid = await ctl('PUT', `/zoho/control/creditnotes/${cn3.creditnote_id}`, { reference_number: 'x' });
  assert.deepEqual([editVoid.status, editVoid.json.error], [409, 'a void credit note cannot be edited']);
  const applyVoid = await ctl('POST', `/zoho/control/creditnotes/${cn3.creditnote_id}/invoices`, { invoices: [{ invoice_id: b.invoice_id, amount_applied: 1 }] });
  assert.equal(applyVoid.status, 409);
  assert.match(applyVoid.json.error, /open credit note \(this one is void\)/);
  // a draft applies nothing until opened; with invoice_id it is only linked
  const draft = await creditnote(org, { status: 'draft', invoice_id: b.invoice_id });
  assert.deepEqual([draft.status, draft.balance, draft.invoice_number], ['draft', 60, b.invoice_number]);
  assert.equal((await invoiceNow(b.invoice_id)).balance, 120);
  const early = await ctl('POST', `/zoho/control/creditnotes/${draft.creditnote_id}/invoices`, { invoices: [{ invoice_id: b.invoice_id, amount_applied: 10 }] });
  assert.deepEqual([early.status, early.json.error], [409, 'credits are applied only from an open credit note (this one is draft)']);
  const opened = await ctl('POST', `/zoho/control/creditnotes/${draft.creditnote_id}/open`, {});
  assert.equal(opened.status, 200);
  assert.equal(opened.json.creditnote.status, 'open');
  assert.equal((await ctl('POST', `/zoho/control/creditnotes/${draft.creditnote_id}/open`, {})).status, 409, 'only a draft opens');
  assert.equal((await ctl('POST', `/zoho/control/creditnotes/${draft.creditnote_id}/invoices`, { invoices: [{ invoice_id: b.invoice_id, amount_applied: 10 }] })).status, 201);
  // edits: the total cannot go below the credits; a closed credit note opens again when it grows
  const kept = (await ctl('GET', `/zoho/control/creditnotes/${draft.creditnote_id}`)).json.creditnote;
  assert.ok(kept.total > 0 && kept.reference_number !== 'not kept');
  const below = await ctl('PUT', `/zoho/control/creditnotes/${draft.creditnote_id}`, { line_items: [{ name: 'Tiny', rate: 5 }], reference_number: 'not kept' });
  assert.deepEqual([below.status, below.json.error], [409, 'the total would be below the credits applied (10.00)']);
  // a refused edit changes nothing: neither its lines nor its other fields (so does a malformed one)
  const bad = await ctl('PUT', `/zoho/control/creditnotes/${draft.creditnote_id}`, { reference_number: 'not kept', line_items: [{ name: '', rate: 'x' }] });
  assert.equal(bad.status, 400);
  assert.deepEqual((await ctl('GET', `/zoho/control/creditnotes/${draft.creditnote_id}`)).json.creditnote, kept);
  const paidInv = (await ctl('GET', `/zoho/control/invoices/${b.invoice_id}`)).json.invoice;
  assert.ok(paidInv.total > 1 && !paidInv.is_inclusive_tax);
  const invBelow = await ctl('PUT', `/zoho/control/invoices/${b.invoice_id}`, { line_items: [{ name: 'Tiny', rate: 1 }], is_inclusive_tax: true, reference_number: 'not kept' });
  assert.equal(invBelow.status, 409);
  assert.match(invBelow.json.error, /^the total would be below the payments and credits \(\d+\)$/);
  assert.deepEqual((await ctl('GET', `/zoho/control/invoices/${b.invoice_id}`)).json.invoice, paidInv);
  // nor does it make the contact it names: ids come from one counter, so a contact made by the
  // refused edit would have an id below that of the invoice created after it
  const ghost = await ctl('PUT', `/zoho/control/invoices/${b.invoice_id}`, { customer_name: 'Ghost Customer', date: 'not a date' });
  assert.equal(ghost.status, 400);
  const afterGhost = await invoice(org, { customer_name: 'Ghost Customer' });
  assert.ok(BigInt(afterGhost.customer_id) > BigInt(afterGhost.invoice_id), `contact ${afterGhost.customer_id} made before invoice ${afterGhost.invoice_id}`);
  // nor does a refused invoice or credit note (lines checked after the header)
  for (const [what, path, idOf] of [['invoice', 'invoices', (r) => r.invoice], ['credit note', 'creditnotes', (r) => r.creditnote]]) {
    const name = `Ghost of a refused ${what}`;
    const refused = await ctl('POST', `/zoho/control/orgs/${org}/${path}`, { customer_name: name, line_items: [{ name: '', rate: 'x' }] });
    assert.equal(refused.status, 400, refused.text);
    const made = await ctl('POST', `/zoho/control/orgs/${org}/${path}`, { customer_name: name, line_items: [{ name: 'Widget', rate: 1 }] });
    assert.equal(made.status, 201, made.text);
    const rec = idOf(made.json);
    assert.ok(BigInt(rec.customer_id) > BigInt(rec.invoice_id ?? rec.creditnote_id), `${what}: contact ${rec.customer_id} made before`);
  }
  const grown = await ctl('PUT', `/zoho/control/creditnotes/${cn1.creditnote_id}`, { line_items: [{ name: 'Return', rate: 100, tax_name: 'VAT' }], creditnote_number: 'CN-RENAMED' });
  assert.equal(grown.status, 200, grown.text);
  assert.deepEqual([grown.json.creditnote.status, grown.json.creditnote.balance, grown.json.creditnote.creditnote_number], ['open', 60, 'CN-RENAMED']);
  // last_modified_time of a same_second edit stays
  const before = grown.json.creditnote.last_modified_time;
  await sleep(1100);
  const same = await ctl('PUT', `/zoho/control/creditnotes/${cn1.creditnote_id}`, { reference_number: 'quiet', same_second: true });
  assert.equal(same.json.creditnote.last_modified_time, before);
  const moved = await ctl('PUT', `/zoho/control/creditnotes/${cn1.creditnote_id}`, { reference_number: 'loud' });
  assert.notEqual(moved.json.creditnote.last_modified_time, before);
});

test('credit notes: a credit deleted (DELETE /creditnotes/{id}/invoices/{creditnote_invoice_id}, or the control API) puts balances and statuses back; the invoice can be voided; unknown ids; scope', async () => {
  const rcv = await receiver();
  try {
    const w = await world({ norgs: 2 });
    const [org, other] = w.orgs.map((o) => o.organization_id);
    const a = await invoice(org); // 240.00
    const cn = await creditnote(org, { invoice_id: a.invoice_id, line_items: [{ name: 'Return', rate: 200, tax_name: 'VAT' }] });
    assert.deepEqual([cn.total, cn.balance, cn.status], [240, 0, 'closed']);
    assert.deepEqual([(await invoiceNow(a.invoice_id)).status, (await invoiceNow(a.invoice_id)).balance], ['paid', 0]);
    assert.equal((await ctl('POST', `/zoho/control/invoices/${a.invoice_id}/void`, {})).status, 409, 'not voided with credits');
    // a consent without creditnotes.DELETE may read the credits, not delete them
    const t = await connect(w, { scope: CN_SCOPE });
    const listed = await api('eu', t.access_token, `/creditnotes/${cn.creditnote_id}/invoices`, { org });
    const kid = listed.json.invoices_credited[0].creditnote_invoice_id;
    const path = `/creditnotes/${cn.creditnote_id}/invoices/${kid}`;
    const denied = await api('eu', t.access_token, path, { org, method: 'DELETE' });
    assert.deepEqual([denied.status, denied.json], [401, { code: 57, message: 'You are not authorized to perform this operation' }]);
    const t2 = await connect(w, { scope: CN_SCOPE + ',ZohoBooks.creditnotes.DELETE' });
    // the webhook on both modules sees the credit note's edit, then the invoice's (as for applying)
    await ctl('PUT', `/zoho/control/orgs/${org}/webhook`, { url: `${rcv.base}/hook`, modules: ['invoices', 'creditnotes'] });
    const invBefore = await invoiceNow(a.invoice_id);
    await sleep(1100); // last_modified_time has whole seconds
    const del = await api('eu', t2.access_token, path, { org, method: 'DELETE' });
    assert.equal(del.status, 200, del.text);
    assert.deepEqual(del.json, { code: 0, message: 'Credits applied to an invoice have been deleted.' });
    const cnNow = (await api('eu', t2.access_token, `/creditnotes/${cn.creditnote_id}`, { org })).json.creditnote;
    assert.deepEqual([cnNow.balance, cnNow.status], [240, 'open']);
    assert.notEqual(cnNow.last_modified_time, cn.last_modified_time);
    assert.deepEqual((await api('eu', t2.access_token, `/creditnotes/${cn.creditnote_id}/invoices`, { org })).json.invoices_credited, []);
    const ia = (await api('eu', t2.access_token, `/invoices/${a.invoice_id}`, { org })).json.invoice;
    assert.deepEqual([ia.balance, ia.credits_applied, ia.status], [240, 0, 'sent']);
    assert.notEqual(ia.last_modified_time, invBefore.last_modified_time);
    await until(() => rcv.hits.length === 2);
    const bodies = rcv.hits.map((x) => JSON.parse(x.body));
    assert.deepEqual(bodies.map((b) => Object.keys(b)[0]), ['creditnote', 'invoice']);
    assert.deepEqual([bodies[0].creditnote.status, bodies[0].creditnote.balance], ['open', 240]);
    assert.deepEqual([bodies[1].invoice.status, bodies[1].invoice.credits_applied], ['sent', 0]);
    const history = (await ctl('GET', `/zoho/control/invoices/${a.invoice_id}/comments?type=system`)).json;
    assert.equal(history.at(-1).description, `Credits of EUR 240.00 applied from credit note ${cn.creditnote_number} deleted.`);
    const cnHistory = (await ctl('GET', `/zoho/control/creditnotes/${cn.creditnote_id}/comments`)).json;
    assert.equal(cnHistory.at(-1).description, `Credits of EUR 240.00 applied to invoice ${a.invoice_number} deleted.`);
    // deleted once: the same id again is unknown
    const again = await api('eu', t2.access_token, path, { org, method: 'DELETE' });
    assert.deepEqual([again.status, again.json], [404, { code: 1002, message: 'Credits applied to the invoice do not exist.' }]);
    // two credits of one credit note: deleting one (control API) leaves the other
    const two = await ctl('POST', `/zoho/control/creditnotes/${cn.creditnote_id}/invoices`, {
      invoices: [{ invoice_id: a.invoice_id, amount_applied: 100 }, { invoice_id: a.invoice_id, amount_applied: 40 }],
    });
    assert.equal(two.status, 201, two.text);
    const [k1, k2] = two.json.invoices_credited;
    const c1 = await ctl('DELETE', `/zoho/control/creditnotes/${cn.creditnote_id}/invoices/${k1.creditnote_invoice_id}`);
    assert.equal(c1.status, 200, c1.text);
    assert.deepEqual(Object.keys(c1.json).sort(), ['creditnote', 'invoice', 'invoices_credited']);
    assert.deepEqual(c1.json.invoices_credited.map((k) => [k.creditnote_invoice_id, k.amount_applied]), [[k2.creditnote_invoice_id, 40]]);
    assert.deepEqual([c1.json.creditnote.balance, c1.json.creditnote.status], [200, 'open']);
    assert.deepEqual([c1.json.invoice.balance, c1.json.invoice.credits_applied, c1.json.invoice.status], [200, 40, 'partially_paid']);
    assert.deepEqual(c1.json.invoice, await invoiceNow(a.invoice_id));
    await until(() => rcv.hits.length === 6, 5000); // apply: credit note + invoice; delete: the same
    // paid by a payment and a credit: the credit deleted leaves it partially paid; overdue when due
    const b = await invoice(org, { date: '2020-01-01', due_date: '2020-01-31' });
    await ctl('POST', `/zoho/control/invoices/${b.invoice_id}/payments`, { amount: 180 });
    const cnb = await creditnote(org, { invoices: [{ invoice_id: b.invoice_id, amount_applied: 60 }] });
    assert.equal((await invoiceNow(b.invoice_id)).status, 'paid');
    const kb = (await ctl('GET', `/zoho/control/creditnotes/${cnb.creditnote_id}`)).json.invoices_credited[0];
    const cb = await ctl('DELETE', `/zoho/control/creditnotes/${cnb.creditnote_id}/invoices/${kb.creditnote_invoice_id}`);
    assert.deepEqual([cb.json.invoice.balance, cb.json.invoice.status], [60, 'partially_paid']);
    assert.deepEqual([cb.json.creditnote.balance, cb.json.creditnote.status], [60, 'open']);
    const c = await invoice(org, { date: '2020-01-01', due_date: '2020-01-31' });
    const cnc = await creditnote(org, { invoices: [{ invoice_id: c.invoice_id, amount_applied: 60 }] });
    const kc = (await ctl('GET', `/zoho/control/creditnotes/${cnc.creditnote_id}`)).json.invoices_credited[0];
    const cc = await ctl('DELETE', `/zoho/control/creditnotes/${cnc.creditnote_id}/invoices/${kc.creditnote_invoice_id}`);
    assert.deepEqual([cc.json.invoice.balance, cc.json.invoice.status], [240, 'overdue']);
    // unknown ids, and ids of another credit note or organization
    const foreign = await creditnote(other, { invoices: [{ invoice_id: (await invoice(other)).invoice_id, amount_applied: 10 }] });
    const kf = (await ctl('GET', `/zoho/control/creditnotes/${foreign.creditnote_id}`)).json.invoices_credited[0].creditnote_invoice_id;
    const noCn = { code: 1002, message: 'Credit Note does not exist.' };
    const noCredit = { code: 1002, message: 'Credits applied to the invoice do not exist.' };
    for (const [p, want] of [
      [`/creditnotes/1/invoices/${k2.creditnote_invoice_id}`, noCn],
      [`/creditnotes/${foreign.creditnote_id}/invoices/${kf}`, noCn],
      [`/creditnotes/${cn.creditnote_id}/invoices/1`, noCredit],
      [`/creditnotes/${cn.creditnote_id}/invoices/${kf}`, noCredit],
      [`/creditnotes/${cnb.creditnote_id}/invoices/${k2.creditnote_invoice_id}`, noCredit],
    ]) {
      const r = await api('eu', t2.access_token, p, { org, method: 'DELETE' });
      assert.deepEqual([r.status, r.json], [404, want], p);
    }
    for (const [p, error] of [
      [`/zoho/control/creditnotes/1/invoices/${k2.creditnote_invoice_id}`, 'no such credit note'],
      [`/zoho/control/creditnotes/${cn.creditnote_id}/invoices/1`, 'no such credit on this credit note'],
      [`/zoho/control/creditnotes/${cn.creditnote_id}/invoices/${kf}`, 'no such credit on this credit note'],
    ]) {
      const r = await ctl('DELETE', p);
      assert.deepEqual([r.status, r.json], [404, { error }], p);
    }
    assert.equal((await ctl('GET', `/zoho/control/creditnotes/${foreign.creditnote_id}`)).json.creditnote.balance, 50, 'refused calls change nothing');
    assert.equal((await invoiceNow(a.invoice_id)).balance, 200);
    // with its last credit deleted, the invoice can be voided
    assert.equal((await ctl('POST', `/zoho/control/invoices/${a.invoice_id}/void`, {})).status, 409);
    assert.equal((await ctl('DELETE', `/zoho/control/creditnotes/${cn.creditnote_id}/invoices/${k2.creditnote_invoice_id}`)).status, 200);
    const voided = await ctl('POST', `/zoho/control/invoices/${a.invoice_id}/void`, {});
    assert.equal(voided.status, 200, voided.text);
    assert.equal(voided.json.invoice.status, 'void');
    const done = (await ctl('GET', `/zoho/control/creditnotes/${cn.creditnote_id}`)).json;
    assert.deepEqual([done.creditnote.balance, done.creditnote.status, done.invoices_credited], [240, 'open', []]);
    const stats = (await ctl('GET', '/zoho/control/stats')).json;
    assert.equal(stats.calls['DELETE /creditnotes/{id}/invoices/{creditnote_invoice_id}'], 8);
    assert.equal(stats.books.credits_deleted, 1);
  } finally {
    await rcv.close();
  }
});

test('credit notes: refusals for bad input and conflicts (unknown invoice, over a balance, draft invoice, unknown id, malformed JSON)', async () => {
  const w = await world({ norgs: 2 });
  const [org, other] = w.orgs.map((o) => o.organization_id);
  const inv = await invoice(org); // 240.00
  const draftInv = await invoice(org, { status: 'draft' });
  const foreignInv = await invoice(other);
  const cn = await creditnote(org); // 60.00
  const post = (spec) => ctl('POST', `/zoho/control/orgs/${org}/creditnotes`, { customer_name: 'X', line_items: [{ name: 'L', rate: 50, tax_name: 'VAT' }], ...spec });
  const apply = (invoices, id = cn.creditnote_id) => ctl('POST', `/zoho/control/creditnotes/${id}/invoices`, { invoices });
  const cases = [
    [() => apply([{ invoice_id: '1', amount_applied: 10 }]), 400, 'invoices[0]: no such invoice in this organization'],
    [() => apply([{ invoice_id: foreignInv.invoice_id, amount_applied: 10 }]), 400, 'invoices[0]: no such invoice in this organization'],
    [() => apply([{ invoice_id: inv.invoice_id, amount_applied: 0 }]), 400, 'invoices[0]: amount_applied must be above 0, in cents'],
    [() => apply([{ invoice_id: inv.invoice_id, amount_applied: 1.005 }]), 400, 'invoices[0]: amount_applied must be above 0, in cents'],
    [() => apply([]), 400, 'invoices must be an array of 1 to 100 {invoice_id, amount_applied}'],
    [() => apply(undefined), 400, 'invoices must be an array of 1 to 100 {invoice_id, amount_applied}'],
    [() => apply([{ invoice_id: draftInv.invoice_id, amount_applied: 10 }]), 409, `credits apply only to an invoice that is not draft or void (${draftInv.invoice_number} is draft)`],
    [() => apply([{ invoice_id: inv.invoice_id, amount_applied: 61 }]), 409, 'the credits (61.00) are more than the credit note\'s balance (60.00)'],
    [() => apply([{ invoice_id: inv.invoice_id, amount_applied: 30 }, { invoice_id: inv.invoice_id, amount_applied: 31 }]), 409, 'the credits (61.00) are more than the credit note\'s balance (60.00)'],
    [() => post({ line_items: [{ name: 'L', rate: 500 }], invoices: [{ invoice_id: inv.invoice_id, amount_applied: 241 }] }), 409, `the credits to invoice ${inv.invoice_number} (241.00) are more than its balance (240.00)`],
    [() => post({ invoice_id: '1' }), 400, 'invoice_id: no such invoice in this organization'],
    [() => post({ invoice_id: foreignInv.invoice_id }), 400, 'invoice_id: no such invoice in this organization'],
    [() => post({ invoice_id: draftInv.invoice_id }), 409, `credits apply only to an invoice that is not draft or void (${draftInv.invoice_number} is draft)`],
    [() => post({ status: 'draft', invoices: [{ invoice_id: inv.invoice_id, amount_applied: 1 }] }), 409, 'credits are applied only from an open credit note (this one is draft)'],
    [() => post({ status: 'closed' }), 400, 'status is open or draft'],
    [() => post({ creditnote_number: cn.creditnote_number }), 409, `Credit note number ${cn.creditnote_number} has already been created`],
    [() => post({ customer_name: undefined }), 400, /^customer_id \(of this organization\) or customer_name, date \(yyyy-mm-dd\)/],
    [() => post({ due_date: '2026-01-01' }), 400, /^customer_id/],
    [() => post({ line_items: [] }), 400, 'line_items must be an array of 1 to 200 items'],
    [() => ctl('PUT', `/zoho/control/creditnotes/${cn.creditnote_id}`, { invoices: [{ invoice_id: inv.invoice_id, amount_applied: 1 }] }), 400, /^status changes with \/open and \/void, credits with POST/],
    [() => ctl('POST', '/zoho/control/orgs/123/creditnotes', { customer_name: 'X', line_items: [{ name: 'L', rate: 1 }] }), 404, 'no such organization'],
    [() => ctl('GET', '/zoho/control/creditnotes/1'), 404, 'no such credit note'],
    [() => ctl('PUT', '/zoho/control/creditnotes/1', {}), 404, 'no such credit note'],
    [() => ctl('GET', '/zoho/control/creditnotes/1/comments'), 404, 'no such credit note'],
    [() => apply([{ invoice_id: inv.invoice_id, amount_applied: 1 }], '1'), 404, 'no such credit note'],
    [() => ctl('POST', `/zoho/control/creditnotes/${cn.creditnote_id}/refund`, {}), 404, 'actions: open, void, invoices'],
  ];
  for (const [call, status, error] of cases) {
    const r = await call();
    assert.equal(r.status, status, `${r.text} (expected ${error})`);
    if (error instanceof RegExp) assert.match(r.json.error, error);
    else assert.equal(r.json.error, error);
  }
  // nothing was applied by the refused calls (all or nothing)
  assert.equal((await invoiceNow(inv.invoice_id)).balance, 240);
  const still = (await ctl('GET', `/zoho/control/creditnotes/${cn.creditnote_id}`)).json;
  assert.deepEqual([still.creditnote.balance, still.invoices_credited.length], [60, 0]);
  // malformed JSON
  for (const [method, path] of [['POST', `/zoho/control/orgs/${org}/creditnotes`], ['PUT', `/zoho/control/creditnotes/${cn.creditnote_id}`], ['POST', `/zoho/control/creditnotes/${cn.creditnote_id}/invoices`]]) {
    const r = await fetch(sb.url + path, { method, headers: { 'content-type': 'application/json' }, body: '{"invoices": [' });
    assert.equal(r.status, 400, `${method} ${path}`);
    assert.ok((await r.json()).error);
  }
  // invoices and credit notes count together against max_invoices
  const info = (await ctl('GET', '/zoho/control/info')).json;
  assert.ok(info.creditnotes >= 1);
  await ctl('PUT', '/zoho/control/settings', { max_invoices: info.invoices + info.creditnotes + 1 });
  try {
    await creditnote(org);
    const full = await post({});
    assert.deepEqual([full.status, full.json.error], [400, `the sandbox keeps at most ${info.invoices + info.creditnotes + 1} invoices and credit notes`]);
    assert.equal((await ctl('POST', `/zoho/control/orgs/${org}/invoices`, { customer_name: 'X', line_items: [{ name: 'L', rate: 1 }] })).status, 400);
  } finally {
    await ctl('PUT', '/zoho/control/settings', { max_invoices: 100000 });
  }
});

test('credit note comments: POST /creditnotes/{id}/comments answers 201 with the comment, recorded; scope creditnotes needed', async () => {
  const w = await world({ norgs: 1 });
  const org = w.orgs[0].organization_id;
  const t = await connect(w, { scope: CN_SCOPE });
  const cn = await creditnote(org);
  const path = `/creditnotes/${cn.creditnote_id}/comments`;
  const before = (await ctl('GET', '/zoho/control/stats')).json.books.creditnote_comments_added || 0;
  const c = await api('eu', t.access_token, path, { org, method: 'POST', body: { description: 'Fiscal ref CN-ABC-1' } });
  assert.equal(c.status, 201, c.text);
  assert.equal(c.json.code, 0);
  assert.equal(c.json.message, 'Comments added.');
  assert.equal(c.json.comment.creditnote_id, cn.creditnote_id);
  assert.equal(c.json.comment.description, 'Fiscal ref CN-ABC-1');
  assert.equal(c.json.comment.comment_type, 'internal');
  assert.ok(c.json.comment.comment_id);
  const recorded = await ctl('GET', `/zoho/control/creditnotes/${cn.creditnote_id}/comments?type=internal`);
  assert.deepEqual(recorded.json.map((x) => [x.comment_id, x.description]), [[c.json.comment.comment_id, 'Fiscal ref CN-ABC-1']]);
  const all = (await ctl('GET', `/zoho/control/creditnotes/${cn.creditnote_id}/comments`)).json;
  assert.equal(all[0].comment_type, 'system', 'history first, oldest first');
  assert.equal(all.at(-1).description, 'Fiscal ref CN-ABC-1');
  const view = (await ctl('GET', `/zoho/control/creditnotes/${cn.creditnote_id}`)).json;
  assert.ok(view.comments.some((x) => x.description === 'Fiscal ref CN-ABC-1'));
  assert.equal(view.creditnote.last_modified_time, cn.last_modified_time, 'a comment does not move last_modified_time');
  const stats = (await ctl('GET', '/zoho/control/stats')).json;
  assert.equal(stats.books.creditnote_comments_added, before + 1);
  assert.ok(stats.calls['POST /creditnotes/{id}/comments'] >= 1);
  // the same body rules as invoice comments
  const formBody = await api('eu', t.access_token, path, { org, method: 'POST', body: 'description=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.deepEqual([formBody.status, formBody.json], [400, { code: 1038, message: 'JSON is not well formed' }]);
  assert.deepEqual((await api('eu', t.access_token, path, { org, method: 'POST', body: '{"description": ' })).json, { code: 1038, message: 'JSON is not well formed' });
  const empty = await api('eu', t.access_token, path, { org, method: 'POST', body: {} });
  assert.deepEqual([empty.status, empty.json], [400, { code: 2, message: 'Invalid value passed for description' }]);
  const unknown = await api('eu', t.access_token, '/creditnotes/1/comments', { org, method: 'POST', body: { description: 'x' } });
  assert.deepEqual([unknown.status, unknown.json], [404, { code: 1002, message: 'Credit Note does not exist.' }]);
  assert.equal((await ctl('GET', `/zoho/control/creditnotes/${cn.creditnote_id}/comments?type=internal`)).json.length, 1);
  // scopes (a consent of its own each): invoices only -> no credit notes; creditnotes.READ -> no comments
  const scoped = async (scope) => {
    const sw = await world({ norgs: 1 });
    const so = sw.orgs[0].organization_id;
    const tok = (await connect(sw, { scope })).access_token;
    const id = (await creditnote(so)).creditnote_id;
    const call = (method, p, body) => api('eu', tok, p, { org: so, method, body });
    return { id, call };
  };
  const inv = await scoped(FULL);
  for (const [method, p, body] of [['GET', '/creditnotes'], ['GET', `/creditnotes/${inv.id}`], ['GET', `/creditnotes/${inv.id}/invoices`], ['POST', `/creditnotes/${inv.id}/comments`, { description: 'x' }]]) {
    const r = await inv.call(method, p, body);
    assert.equal(r.status, 401, `${method} ${p}`);
    assert.deepEqual(r.json, { code: 57, message: 'You are not authorized to perform this operation' });
  }
  assert.equal((await inv.call('GET', '/invoices')).status, 200, 'the same token reads invoices');
  const ro = await scoped('ZohoBooks.creditnotes.READ');
  assert.equal((await ro.call('GET', '/creditnotes')).status, 200);
  assert.equal((await ro.call('GET', `/creditnotes/${ro.id}`)).status, 200);
  assert.equal((await ro.call('POST', `/creditnotes/${ro.id}/comments`, { description: 'x' })).status, 401);
  const allScope = await scoped('ZohoBooks.creditnotes.ALL');
  assert.equal((await allScope.call('POST', `/creditnotes/${allScope.id}/comments`, { description: 'all' })).status, 201);
  const fa = await scoped('ZohoBooks.fullaccess.all');
  assert.equal((await fa.call('POST', `/creditnotes/${fa.id}/comments`, { description: 'full' })).status, 201);
  await ctl('PUT', '/zoho/control/settings', { accept_fullaccess: false });
  const noFull = await fa.call('GET', '/creditnotes');
  await ctl('PUT', '/zoho/control/settings', { accept_fullaccess: true });
  assert.equal(noFull.status, 401);
});

test('webhooks: modules ["creditnotes"] delivers {"creditnote": …} signed like invoices; not without it; applying credits fires the invoice edit', async () => {
  const rcv = await receiver();
  try {
    const w = await world({ norgs: 1 });
    const org = w.orgs[0].organization_id;
    const secret = 'CreditSecret12345';
    const url = `${rcv.base}/hook/cn?b=2&a=1`;
    const cfg = await ctl('PUT', `/zoho/control/orgs/${org}/webhook`, { url, secret });
    assert.deepEqual(cfg.json.modules, ['invoices'], 'invoices only by default');
    const inv = await invoice(org);
    await until(() => rcv.hits.length === 1);
    await creditnote(org);
    await sleep(400);
    assert.equal(rcv.hits.length, 1, 'no credit note events without the module');
    // both modules
    const both = await ctl('PUT', `/zoho/control/orgs/${org}/webhook`, { url, secret, modules: ['invoices', 'creditnotes'] });
    assert.equal(both.status, 200, both.text);
    assert.deepEqual(both.json.modules, ['invoices', 'creditnotes']);
    const cn = await creditnote(org, { reference_number: 'CN-HOOK' });
    await until(() => rcv.hits.length === 2);
    const h = rcv.hits[1];
    assert.equal(h.url, '/hook/cn?b=2&a=1');
    assert.match(h.headers['content-type'], /^application\/json/);
    assert.equal(h.headers['x-zoho-webhook-signature'], zohoSignature(secret, url, h.body));
    const payload = JSON.parse(h.body);
    assert.deepEqual(Object.keys(payload), ['creditnote']);
    assert.equal(payload.creditnote.creditnote_id, cn.creditnote_id);
    assert.equal(payload.creditnote.reference_number, 'CN-HOOK');
    assert.equal(payload.creditnote.line_items.length, 1, 'the full record');
    const full = (await ctl('GET', `/zoho/control/creditnotes/${cn.creditnote_id}`)).json.creditnote;
    assert.deepEqual(payload.creditnote, full, 'rendered as GET /creditnotes/{id}');
    // applying a credit: the credit note's edit and the invoice's edit (as a payment)
    await ctl('POST', `/zoho/control/creditnotes/${cn.creditnote_id}/invoices`, { invoices: [{ invoice_id: inv.invoice_id, amount_applied: 60 }] });
    await until(() => rcv.hits.length === 4);
    const bodies = rcv.hits.slice(2).map((x) => JSON.parse(x.body));
    assert.deepEqual(bodies.map((b) => Object.keys(b)[0]), ['creditnote', 'invoice']);
    assert.deepEqual([bodies[0].creditnote.status, bodies[0].creditnote.balance], ['closed', 0]);
    assert.deepEqual([bodies[1].invoice.balance, bodies[1].invoice.credits_applied], [180, 60]);
    // organization_id with payload_org_id; create-only rule on credit notes only
    await ctl('PUT', '/zoho/control/settings', { payload_org_id: true });
    await ctl('PUT', `/zoho/control/orgs/${org}/webhook`, { url, secret, modules: ['creditnotes'], events: ['create'] });
    const cn2 = await creditnote(org);
    await until(() => rcv.hits.length === 5);
    await ctl('PUT', '/zoho/control/settings', { payload_org_id: false });
    const p5 = JSON.parse(rcv.hits[4].body);
    assert.deepEqual(Object.keys(p5).sort(), ['creditnote', 'organization_id']);
    assert.equal(p5.organization_id, org);
    assert.equal(p5.creditnote.creditnote_id, cn2.creditnote_id);
    await invoice(org);
    await ctl('PUT', `/zoho/control/creditnotes/${cn2.creditnote_id}`, { reference_number: 'edit' });
    await sleep(400);
    assert.equal(rcv.hits.length, 5, 'no invoice events, no edit events');
    for (const x of rcv.hits) assert.equal(x.headers['x-zoho-webhook-signature'], zohoSignature(secret, url, x.body));
    const state = await until(async () => { const r = (await ctl('GET', `/zoho/control/orgs/${org}/webhook`)).json; return r.delivered >= 5 && r; });
    assert.deepEqual(state.modules, ['creditnotes']);
    assert.equal(state.log.at(-1).creditnote_id, cn2.creditnote_id);
    assert.equal(state.log[0].invoice_id, inv.invoice_id);
    for (const modules of [[], ['bills'], 'creditnotes']) {
      const bad = await ctl('PUT', `/zoho/control/orgs/${org}/webhook`, { url, modules });
      assert.equal(bad.status, 400, JSON.stringify(modules));
      assert.match(bad.json.error, /modules \["invoices", "creditnotes"\]/);
    }
  } finally {
    await rcv.close();
  }
});

// ---- attachments ----
// A GIF with what a multipart parser can trip over: NUL, lone CR and LF, CRLF CRLF, "--" at the
// start of a line, a CRLF at its very end.
const GIF = Buffer.concat([
  Buffer.from('GIF89a'), Buffer.from([0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x0d, 0xff, 0x0a, 0x00]),
  Buffer.from('\r\n\r\n--\r\n--formdata\r\n'), Buffer.from([0x00, 0x3b, 0x0d, 0x0a]),
]);
const filePart = (name, type, data, extra = []) => ({
  headers: [`Content-Disposition: form-data; name="attachment"; filename="${name}"`, `Content-Type: ${type}`, ...extra], data,
});
// A multipart body written by hand: parts [{ headers: [lines], data }], CRLF line ends.
const multipart = (boundary, parts, { preamble = '', epilogue = '', close = true } = {}) => Buffer.concat([
  Buffer.from(preamble),
  ...parts.flatMap((p) => [Buffer.from(`--${boundary}\r\n${p.headers.map((h) => h + '\r\n').join('')}\r\n`), Buffer.from(p.data), Buffer.from('\r\n')]),
  Buffer.from(close ? `--${boundary}--\r\n${epilogue}` : ''),
]);
const BBB = 'multipart/form-data; boundary=BBB';

// POST /invoices/{id}/attachment with a FormData body that Node builds (file as the part
// "attachment", fields as plain parts), or a raw body with its own Content-Type.
async function attach(tok, org, id, { file = GIF, name = 'logo.gif', type = 'image/gif', fields = {}, query = {}, raw, ctype } = {}) {
  const u = new URL(`${DC.eu.books}/invoices/${id}/attachment`);
  if (org) u.searchParams.set('organization_id', org);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  const headers = { authorization: `Zoho-oauthtoken ${tok}` };
  let body = raw;
  if (raw === undefined) {
    body = new FormData();
    if (file) body.append('attachment', new Blob([file], { type }), name);
    for (const [k, v] of Object.entries(fields)) body.append(k, v);
  } else {
    headers['content-type'] = ctype;
  }
  const r = await fetch(u, { method: 'POST', headers, body });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { json = null; }
  return { status: r.status, json, text, headers: r.headers };
}

async function download(tok, org, id) {
  const r = await fetch(`${DC.eu.books}/invoices/${id}/attachment?organization_id=${org}`, { headers: { authorization: `Zoho-oauthtoken ${tok}` } });
  const body = Buffer.from(await r.arrayBuffer());
  let json = null;
  try { json = JSON.parse(body.toString('utf8')); } catch { json = null; }
  return { status: r.status, type: r.headers.get('content-type'), disposition: r.headers.get('content-disposition'), body, json };
}

test('attachments: a GIF with NUL, CR and LF bytes round-trips (POST, GET .../attachment, control read-back); documents and has_attachment', async () => {
  const w = await world({ norgs: 1 });
  const org = w.orgs[0].organization_id;
  const tok = (await connect(w)).access_token;
  const inv = await invoice(org);
  const other = await invoice(org);
  const stats0 = (await ctl('GET', '/zoho/control/stats')).json;
  const up = await attach(tok, org, inv.invoice_id, { fields: { can_send_in_email: 'true' } });
  assert.equal(up.status, 200, up.text);
  assert.equal(up.json.code, 0);
  assert.equal(up.json.message, 'Your file has been attached.');
  assert.equal(up.json.documents.length, 1);
  const doc = up.json.documents[0];
  assert.match(doc.document_id, /^\d+$/);
  assert.deepEqual(doc, { document_id: doc.document_id, file_name: 'logo.gif', file_type: 'gif', file_size: GIF.length, file_size_formatted: `${GIF.length} bytes`, attachment_order: 1, can_send_in_email: true });
  assert.match(up.headers.get('x-rate-limit-limit'), /^\d+$/, 'counted against the organization\'s limits');
  // the same bytes back, from the API and from the control API
  const got = await download(tok, org, inv.invoice_id);
  assert.equal(got.status, 200);
  assert.equal(got.type, 'image/gif');
  assert.equal(got.disposition, 'inline; filename="logo.gif"');
  assert.equal(got.body.toString('hex'), GIF.toString('hex'), 'byte for byte');
  const view = (await ctl('GET', `/zoho/control/invoices/${inv.invoice_id}`)).json;
  assert.deepEqual(view.attachments, [{ document_id: doc.document_id, file_name: 'logo.gif', content_type: 'image/gif', size: GIF.length, can_send_in_email: true, base64: GIF.toString('base64') }]);
  // the detail has documents and has_attachment; list rows only has_attachment
  const d = (await api('eu', tok, `/invoices/${inv.invoice_id}`, { org })).json.invoice;
  assert.equal(d.has_attachment, true);
  assert.deepEqual(d.documents, up.json.documents);
  assert.equal(d.last_modified_time, inv.last_modified_time, 'an attachment does not move last_modified_time');
  const plain = (await api('eu', tok, `/invoices/${other.invoice_id}`, { org })).json.invoice;
  assert.equal(plain.has_attachment, false);
  assert.deepEqual(plain.documents, []);
  const rows = (await api('eu', tok, '/invoices', { org })).json.invoices;
  assert.equal(rows.find((x) => x.invoice_id === inv.invoice_id).has_attachment, true);
  assert.equal(rows.find((x) => x.invoice_id === inv.invoice_id).documents, undefined, 'documents only in the detail');
  assert.equal(rows.find((x) => x.invoice_id === other.invoice_id).has_attachment, false);
  // can_send_in_email from the query; a file above the 1 MB body limit of the JSON routes; an upper-case extension
  const pdf = Buffer.alloc(1536 * 1024, 0x0a);
  pdf.write('%PDF-1.4\r\n');
  const p = await attach(tok, org, inv.invoice_id, { file: pdf, name: 'Scan Final.PDF', type: 'application/pdf', query: { can_send_in_email: 'true' } });
  assert.equal(p.status, 200, p.text);
  assert.deepEqual(p.json.documents.map((x) => [x.file_name, x.file_type, x.file_size, x.file_size_formatted, x.attachment_order, x.can_send_in_email]),
    [['logo.gif', 'gif', GIF.length, `${GIF.length} bytes`, 1, true], ['Scan Final.PDF', 'pdf', pdf.length, '1.5 MB', 2, true]]);
  // the form part wins over the query; neither: false
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00]);
  assert.equal((await attach(tok, org, inv.invoice_id, { file: png, name: 'x.png', type: 'image/png', fields: { can_send_in_email: 'false' }, query: { can_send_in_email: 'true' } })).status, 200);
  const jpeg = Buffer.alloc(1300, 0xd8);
  const j = await attach(tok, org, inv.invoice_id, { file: jpeg, name: 'photo.jpeg', type: 'image/jpeg' });
  assert.deepEqual(j.json.documents.map((x) => [x.file_type, x.attachment_order, x.can_send_in_email]), [['gif', 1, true], ['pdf', 2, true], ['png', 3, false], ['jpeg', 4, false]]);
  assert.equal(j.json.documents[3].file_size_formatted, '1.3 KB');
  const latest = await download(tok, org, inv.invoice_id);
  assert.equal(latest.type, 'image/jpeg', 'GET answers the latest attachment');
  assert.ok(latest.body.equals(jpeg));
  const pdfBack = (await ctl('GET', `/zoho/control/invoices/${inv.invoice_id}`)).json.attachments[1];
  assert.ok(Buffer.from(pdfBack.base64, 'base64').equals(pdf));
  assert.equal(pdfBack.content_type, 'application/pdf');
  // hand-written bodies: a quoted boundary with blanks and specials, a preamble, an epilogue,
  // blanks after a boundary, header names in other cases, a path in the filename
  const bq = "q b'(1)+_,-./:=?";
  const raw1 = multipart(bq, [{ headers: ['content-disposition: form-data; name=can_send_in_email'], data: 'TRUE' }, filePart('C:\\Users\\me\\scan.bmp', 'image/bmp', GIF, ['X-Ignored: yes'])],
    { preamble: 'a preamble\r\n', epilogue: `--${bq}\r\nnot a part\r\n` });
  const padded = Buffer.from(raw1.toString('latin1').replace(`--${bq}\r\ncontent`, `--${bq} \t\r\ncontent`), 'latin1');
  const r1 = await attach(tok, org, other.invoice_id, { raw: padded, ctype: `Multipart/Form-Data; charset=utf-8; boundary="${bq}"` });
  assert.equal(r1.status, 200, r1.text);
  assert.deepEqual(r1.json.documents.map((x) => [x.file_name, x.file_type, x.can_send_in_email, x.file_size]), [['scan.bmp', 'bmp', true, GIF.length]]);
  // an unquoted boundary; the data holds "\r\n--" + the boundary followed by other characters
  const tricky = Buffer.concat([GIF, Buffer.from('\r\n--BBBX\r\n--BBB-\r\n')]);
  const r2 = await attach(tok, org, other.invoice_id, { raw: multipart('BBB', [filePart('t.jpg', 'image/jpeg', tricky)]), ctype: 'multipart/form-data;boundary=BBB' });
  assert.equal(r2.status, 200, r2.text);
  const back = await download(tok, org, other.invoice_id);
  assert.equal(back.type, 'image/jpeg');
  assert.equal(back.body.toString('hex'), tricky.toString('hex'));
  assert.equal((await ctl('GET', `/zoho/control/invoices/${other.invoice_id}`)).json.attachments[0].content_type, 'image/bmp', 'as uploaded in the part');
  const stats = (await ctl('GET', '/zoho/control/stats')).json;
  assert.equal(stats.books.attachments_added, (stats0.books.attachments_added || 0) + 6);
  assert.equal(stats.calls['POST /invoices/{id}/attachment'], (stats0.calls['POST /invoices/{id}/attachment'] || 0) + 6);
  assert.equal(stats.calls['GET /invoices/{id}/attachment'], (stats0.calls['GET /invoices/{id}/attachment'] || 0) + 3);
});

test('attachments: attachment_touches moves last_modified_time, attachment_fires_edit fires the edit webhook (both off by default)', async () => {
  const rcv = await receiver();
  try {
    const w = await world({ norgs: 1 });
    const org = w.orgs[0].organization_id;
    const tok = (await connect(w)).access_token;
    assert.equal((await ctl('PUT', `/zoho/control/orgs/${org}/webhook`, { url: `${rcv.base}/hook`, events: ['edit'] })).status, 200);
    const inv = await invoice(org);
    const s = (await ctl('GET', '/zoho/control/info')).json.settings;
    assert.deepEqual([s.attachment_fires_edit, s.attachment_touches, s.max_attachments, s.max_attachment_bytes], [false, false, 5, 10 * 1024 * 1024]);
    // each step waits for the next second: last_modified_time has whole seconds
    const step = async (settings, name) => {
      await sleep(1100);
      await ctl('PUT', '/zoho/control/settings', settings);
      try {
        assert.equal((await attach(tok, org, inv.invoice_id, { name })).status, 200);
      } finally {
        await ctl('PUT', '/zoho/control/settings', { attachment_fires_edit: false, attachment_touches: false });
      }
      await sleep(300);
      return (await invoiceNow(inv.invoice_id)).last_modified_time;
    };
    assert.equal(await step({}, 'first.gif'), inv.last_modified_time, 'by default no touch');
    assert.equal(rcv.hits.length, 0, 'and no edit webhook');
    const touched = await step({ attachment_touches: true }, 'second.gif');
    assert.notEqual(touched, inv.last_modified_time);
    assert.equal(rcv.hits.length, 0, 'attachment_touches fires nothing');
    assert.equal(await step({ attachment_fires_edit: true }, 'third.gif'), touched, 'attachment_fires_edit does not touch');
    await until(() => rcv.hits.length === 1);
    const payload = JSON.parse(rcv.hits[0].body).invoice;
    assert.equal(payload.invoice_id, inv.invoice_id);
    assert.deepEqual(payload.documents.map((x) => x.file_name), ['first.gif', 'second.gif', 'third.gif']);
  } finally {
    await rcv.close();
  }
});

test('attachments: refused file types, malformed bodies, the 6th file, size limit, bad can_send_in_email, unknown invoice, scope; faults and limits apply', async () => {
  const w = await world({ norgs: 2 });
  const [org, org2] = w.orgs.map((o) => o.organization_id);
  const tok = (await connect(w)).access_token;
  const id = (await invoice(org)).invoice_id;
  const refused = async (opts, re) => {
    const r = await attach(tok, org, id, opts);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.code, 2, r.text);
    assert.match(r.json.message, re);
  };
  const ALLOWED = /allowed file types are gif, png, jpeg, jpg, bmp, pdf\.$/;
  await refused({ name: 'notes.txt', type: 'text/plain' }, /^The file notes\.txt cannot be attached: /);
  await refused({ name: 'notes.txt', type: 'text/plain' }, ALLOWED);
  await refused({ name: 'README' }, ALLOWED);
  await refused({ name: 'logo.gif.exe' }, ALLOWED);
  await refused({ file: Buffer.alloc(0) }, /^The file logo\.gif is empty\.$/);
  const body = multipart('BBB', [filePart('a.gif', 'image/gif', GIF)]);
  const bad = [
    [{ raw: body, ctype: 'multipart/form-data; boundary=AAA' }, /^Invalid multipart\/form-data body: the boundary of the Content-Type is not in the body\.$/],
    [{ raw: body, ctype: 'multipart/form-data' }, /the Content-Type is not multipart\/form-data with a boundary/],
    [{ raw: body, ctype: 'multipart/mixed; boundary=BBB' }, /the Content-Type is not multipart\/form-data/],
    [{ raw: body, ctype: 'multipart/form-data; boundary="BBB' }, /the Content-Type is not multipart\/form-data/],
    [{ raw: body, ctype: `multipart/form-data; boundary=${'B'.repeat(71)}` }, /the Content-Type is not multipart\/form-data with a boundary of 1 to 70/],
    [{ raw: '{"attachment":"x"}', ctype: 'application/json' }, /the Content-Type is not multipart\/form-data/],
    [{ raw: '', ctype: BBB }, /the body is empty/],
    [{ file: null, fields: { can_send_in_email: 'true' } }, /no file part named attachment/],
    [{ raw: multipart('BBB', [{ headers: ['Content-Disposition: form-data; name="attachment"'], data: 'x' }]), ctype: BBB }, /no file part named attachment \(with a filename\)/],
    [{ raw: multipart('BBB', [filePart('a.gif', 'image/gif', GIF), filePart('b.gif', 'image/gif', GIF)]), ctype: BBB }, /more than one part named attachment/],
    [{ raw: multipart('BBB', [filePart('a.gif', 'image/gif', GIF)], { close: false }), ctype: BBB }, /a part does not end with the boundary \(the body is cut short/],
    [{ raw: body.subarray(0, body.length - 20), ctype: BBB }, /cut short/],
    [{ raw: Buffer.from(body.toString('latin1').replaceAll('\r\n', '\n'), 'latin1'), ctype: BBB }, /the first boundary line does not end with CRLF/],
    [{ raw: multipart('BBB', [filePart('a.gif', 'image/gif', GIF, ['X-Pad: ' + 'a'.repeat(9000)])]), ctype: BBB }, /headers do not end with an empty line \(CRLF CRLF\) within 8 KB/],
    [{ raw: multipart('BBB', [{ headers: ['Content-Type: image/gif'], data: GIF }]), ctype: BBB }, /a part has no Content-Disposition: form-data with a name/],
    [{ raw: multipart('BBB', [{ headers: ['Content-Disposition: attachment; name="attachment"; filename="a.gif"'], data: GIF }]), ctype: BBB }, /Content-Disposition is not form-data/],
    [{ raw: multipart('BBB', [{ headers: ['Content-Disposition: form-data; name="attachment"; filename="a.gif'], data: GIF }]), ctype: BBB }, /Content-Disposition does not parse/],
    [{ raw: multipart('BBB', [{ headers: ['Content-Disposition form-data'], data: GIF }]), ctype: BBB }, /header line has no colon/],
    [{ raw: multipart('BBB', Array.from({ length: 17 }, () => ({ headers: ['Content-Disposition: form-data; name="x"'], data: '1' }))), ctype: BBB }, /more than 16 parts/],
  ];
  for (const [opts, re] of bad) {
    const r = await attach(tok, org, id, opts);
    assert.equal(r.status, 400, `${re}: ${r.text}`);
    assert.equal(r.json.code, 2);
    assert.match(r.json.message, /^Invalid multipart\/form-data body: /);
    assert.match(r.json.message, re);
  }
  for (const [fields, query] of [[{ can_send_in_email: 'maybe' }, {}], [{}, { can_send_in_email: 'yes' }]]) {
    const r = await attach(tok, org, id, { fields, query });
    assert.equal(r.status, 400, r.text);
    assert.deepEqual(r.json, { code: 2, message: 'Invalid value passed for can_send_in_email' });
  }
  assert.deepEqual((await ctl('GET', `/zoho/control/invoices/${id}`)).json.attachments, [], 'nothing refused was kept');
  // the per-file limit (a setting) and the count (5, a setting)
  assert.equal((await ctl('PUT', '/zoho/control/settings', { max_attachment_bytes: 15 * 1024 * 1024 + 1 })).status, 400);
  assert.equal((await ctl('PUT', '/zoho/control/settings', { max_attachments: 0 })).status, 400);
  await ctl('PUT', '/zoho/control/settings', { max_attachment_bytes: 100 });
  try {
    await refused({ file: Buffer.alloc(101, 1) }, /^The file logo\.gif is larger than 100 bytes, the limit for an attachment\.$/);
    assert.equal((await attach(tok, org, id, { file: Buffer.alloc(100, 1), name: '1.gif' })).status, 200);
  } finally {
    await ctl('PUT', '/zoho/control/settings', { max_attachment_bytes: 10 * 1024 * 1024 });
  }
  // the default: 10 MB (the upload route takes bodies beyond the 1 MB of the JSON routes)
  await refused({ file: Buffer.alloc(10 * 1024 * 1024 + 1, 2), name: 'big.pdf' }, /^The file big\.pdf is larger than 10 MB, the limit for an attachment\.$/);
  assert.equal((await attach(tok, org, id, { file: Buffer.alloc(10 * 1024 * 1024, 2), name: 'big.pdf' })).status, 200);
  for (let i = 3; i <= 5; i++) assert.equal((await attach(tok, org, id, { name: `${i}.gif` })).status, 200);
  await refused({ name: '6.gif' }, /^An invoice can have at most 5 attachments\.$/);
  const five = (await api('eu', tok, `/invoices/${id}`, { org })).json.invoice.documents;
  assert.deepEqual(five.map((x) => [x.file_name, x.attachment_order, x.file_size_formatted]),
    [['1.gif', 1, '100 bytes'], ['big.pdf', 2, '10 MB'], ['3.gif', 3, `${GIF.length} bytes`], ['4.gif', 4, `${GIF.length} bytes`], ['5.gif', 5, `${GIF.length} bytes`]]);
  await ctl('PUT', '/zoho/control/settings', { max_attachments: 6 });
  try {
    assert.equal((await attach(tok, org, id, { name: '6.gif' })).status, 200);
  } finally {
    await ctl('PUT', '/zoho/control/settings', { max_attachments: 5 });
  }
  // unknown invoice, another organization's invoice, an invoice without attachments
  const foreign = (await invoice(org2)).invoice_id;
  for (const inv of ['1', foreign]) {
    const r = await attach(tok, org, inv);
    assert.equal(r.status, 404);
    assert.deepEqual(r.json, { code: 1002, message: 'Invoice does not exist.' });
    const g = await download(tok, org, inv);
    assert.equal(g.status, 404);
    assert.deepEqual(g.json, { code: 1002, message: 'Invoice does not exist.' });
  }
  const none = await download(tok, org2, foreign);
  assert.equal(none.status, 404);
  assert.deepEqual(none.json, { code: 1002, message: 'Attachment does not exist.' });
  assert.deepEqual((await attach(tok, null, id)).json, { code: 2, message: 'Invalid value passed for organization_id' });
  // a void invoice takes attachments as it takes comments
  const voided = (await invoice(org)).invoice_id;
  assert.equal((await ctl('POST', `/zoho/control/invoices/${voided}/void`, {})).status, 200);
  assert.equal((await attach(tok, org, voided)).status, 200);
  // scopes: READ cannot upload, CREATE alone cannot download
  const scoped = async (scope) => {
    const sw = await world({ norgs: 1 });
    const so = sw.orgs[0].organization_id;
    return { tok: (await connect(sw, { scope })).access_token, org: so, id: (await invoice(so)).invoice_id };
  };
  const ro = await scoped('ZohoBooks.invoices.READ');
  const denied = await attach(ro.tok, ro.org, ro.id);
  assert.equal(denied.status, 401);
  assert.deepEqual(denied.json, { code: 57, message: 'You are not authorized to perform this operation' });
  assert.equal((await download(ro.tok, ro.org, ro.id)).json.message, 'Attachment does not exist.');
  const wo = await scoped('ZohoBooks.invoices.CREATE');
  assert.equal((await attach(wo.tok, wo.org, wo.id)).status, 200);
  assert.equal((await download(wo.tok, wo.org, wo.id)).status, 401);
  // faults and limits go for this route as for the others
  const calls0 = (await ctl('GET', '/zoho/control/stats')).json.orgs[org].calls;
  await ctl('PUT', '/zoho/control/faults', { next: ['error_5xx'] });
  const f = await attach(tok, org, voided);
  assert.equal(f.status, 500);
  assert.deepEqual(f.json, { code: 1000, message: 'Internal error' });
  await ctl('PUT', '/zoho/control/faults', { force_429: { count: 1, organization_id: org } });
  const limited = await attach(tok, org, voided);
  await ctl('PUT', '/zoho/control/faults', {});
  assert.equal(limited.status, 429);
  assert.equal(limited.json.code, 44);
  const stats = (await ctl('GET', '/zoho/control/stats')).json;
  assert.equal(stats.orgs[org].calls, calls0 + 1, 'the 429 is counted, the injected 5xx comes first');
  assert.equal((await ctl('GET', `/zoho/control/invoices/${voided}`)).json.attachments.length, 1, 'neither was kept');
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
  const cn = await creditnote('20090000001');
  assert.ok((await ctl('GET', '/zoho/control/info')).json.creditnotes >= 1);
  const r = await ctl('POST', '/zoho/control/reset', {});
  assert.equal(r.status, 200);
  assert.equal((await ctl('GET', `/zoho/control/creditnotes/${cn.creditnote_id}`)).status, 404, 'credit notes go with a reset');
  assert.equal((await api('eu', t.json.access_token, '/organizations')).status, 401, 'tokens are gone after a reset');
  const info = (await ctl('GET', '/zoho/control/info')).json;
  assert.deepEqual([info.users, info.orgs, info.invoices, info.creditnotes], [2, 3, 4, 0]);
  const stats = (await ctl('GET', '/zoho/control/stats')).json;
  assert.deepEqual(stats.calls, { 'GET /organizations': 1 }, 'counters start again (with the 401 above)');
  assert.deepEqual(stats.auth_failures, { invalid_token: 1 });
});
