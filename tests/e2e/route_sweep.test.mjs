// Every route of src/api/routes.c, read from the table itself so that a new route is swept too,
// against what no caller should get through: no or a forged session or API key, another tenant's
// organization, integration or invoice, a viewer where more is needed, malformed path values,
// malformed and oversized bodies, a body where none is taken, odd query parameters on every GET.
// Each answer is a 4xx error JSON (code, hint, detail) and nothing of either tenant changes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, signup, uniqueEmail } from '../lib/server.mjs';
import { startSandbox, issueCert, uploadCert, invoice, startFiscalServer } from '../lib/fiscal.mjs';
import { ApiClient, basic, createCustom, createKey, createWebhook } from '../lib/custom.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

// { method, pattern, limit, auth, perm } of each entry of the route table.
function routeTable() {
  const src = readFileSync(join(ROOT, 'src/api/routes.c'), 'utf8').replace(/\s+/g, ' ');
  const re = /\{"(GET|POST|PATCH|PUT|DELETE)", "([^"]+)", ([^,]+), (FH_AUTH_\w+), (FH_PERM_\w+),/g;
  const kb = (s) => Function(`"use strict"; const KB = 1024; return (${s});`)();
  return [...src.matchAll(re)].map(([, method, pattern, limit, auth, perm]) => ({ method, pattern, limit: kb(limit), auth, perm }));
}

let sb, srv, a, b, viewer, aw;
const routes = routeTable();

// Tenant A and B each with a certificate, a Custom Integration with a key and a signed invoice;
// A also has a Custom / Webhook integration and a viewer.
async function tenant(tag) {
  const c = await signup(srv.url, tag);
  const cert = await uploadCert(c, await issueCert(sb));
  const custom = await createCustom(c, cert);
  const key = await createKey(c, custom, 'sweep');
  const api = new ApiClient(srv.url, key);
  const sub = await api.post('/api/v1/invoices', { invoice: invoice({ pos_invoice_number: `SW-${tag}` }) });
  assert.equal(sub.status, 202, sub.text);
  const signed = await api.settled(sub.json.id);
  assert.equal(signed.status, 'signed');
  return Object.assign(c, { cert, custom, key, api, invoiceId: sub.json.id });
}

before(async () => {
  sb = await startSandbox();
  srv = await startFiscalServer(sb, { FISCALHUB_WORKERS: '2' });
  a = await tenant('sweep-a');
  b = await tenant('sweep-b');
  aw = (await createWebhook(a, a.cert, 'http://127.0.0.1:9/hook', { events: ['invoice.failed'] })).uid;
  const email = uniqueEmail('sweep-viewer');
  const m = await a.post(`/api/orgs/${a.org}/members`, { email, role: 'viewer', name: 'V', password: 'long enough password' });
  assert.equal(m.status, 201, m.text);
  viewer = new Client(srv.url);
  assert.equal((await viewer.post('/api/auth/login', { email, password: 'long enough password' })).status, 200);
  viewer.org = a.org;
  a.viewerId = m.json.user_id;
});
after(async () => {
  await srv?.stop();
  await sb?.stop();
});

// The path of route r with t's values, or with over's for the parameters it names. Routes of an
// integration's webhook (the Zoho setup, Custom / Webhook endpoints and deliveries) get A's
// webhook integration, the others its Custom Integration.
function pathOf(r, t, over = {}) {
  const values = {
    org: t.org,
    uid: r.pattern.includes('/certificates/') ? t.cert : r.pattern.includes('/webhook') && t === a ? aw : t.custom,
    id: r.pattern.includes('/deliveries/') ? '1' : t.invoiceId,
    user_id: t === a ? a.viewerId : b.me.user.id,
    client_id: t.key.client_id,
    key: 'not-a-key',
  };
  return r.pattern.replace(/\{(\w+)\}/g, (_, k) => (k in over ? over[k] : values[k]));
}

function isError(r, where, status, code) {
  assert.ok(r.status >= 400 && r.status < 500, `${where}: ${r.status} ${r.text}`);
  if (status) assert.equal(r.status, status, `${where}: ${r.status} ${r.text}`);
  assert.match(r.headers.get('content-type') || '', /^application\/json/, `${where}: ${r.headers.get('content-type')}`);
  assert.equal(typeof r.json?.code, 'number', `${where}: ${r.text}`);
  assert.equal(typeof r.json.hint, 'string', where);
  assert.equal(typeof r.json.detail, 'string', where);
  if (code) assert.equal(r.json.code, code, `${where}: ${r.text}`);
}

const where = (r, extra = '') => `${r.method} ${r.pattern}${extra}`;
const hasBody = (r) => r.limit > 0;
const isPartnerIntake = (r) => r.pattern.startsWith('/webhooks/');

// The API keys without last_used_at, which the sweep's own requests move.
const keysOf = (r) => JSON.stringify(r.json.api_keys.map(({ last_used_at, ...k }) => k));

// Everything a tenant can see of itself.
async function stateOf(t) {
  const g = async (p) => (await t.get(p)).text;
  const o = `/api/orgs/${t.org}`;
  return [
    await g(o), await g(`${o}/members`), await g(`${o}/integrations`), await g(`${o}/certificates`),
    await g(`${o}/fiscal-invoices`), await g(`${o}/billing`), keysOf(await t.get(`${o}/integrations/${t.custom}/api-keys`)),
    (await t.api.get('/api/v1/invoices')).text,
  ].join('\n');
}

let stateBefore;
test('the route table is read whole', async () => {
  assert.ok(routes.length >= 60, `${routes.length} routes`);
  for (const r of routes) assert.ok(Number.isInteger(r.limit) && r.limit >= 0, where(r));
  assert.ok(routes.some((r) => r.auth === 'FH_AUTH_API_KEY') && routes.some((r) => r.auth === 'FH_AUTH_ORG'));
  stateBefore = [await stateOf(a), await stateOf(b)];
});

test('without a session or API key, or with a forged one: 401', async () => {
  for (const r of routes) {
    const body = hasBody(r) ? '{}' : undefined;
    if (r.auth === 'FH_AUTH_SESSION' || r.auth === 'FH_AUTH_ORG') {
      isError(await new Client(srv.url).req(r.method, pathOf(r, a), body, { raw: true }), where(r, ' (no session)'), 401, 3000);
      const forged = new Client(srv.url);
      forged.cookie = 'fh_session=' + 'A'.repeat(43);
      isError(await forged.req(r.method, pathOf(r, a), body, { raw: true }), where(r, ' (forged session)'), 401, 3000);
    } else if (r.auth === 'FH_AUTH_API_KEY') {
      isError(await new ApiClient(srv.url).req(r.method, pathOf(r, a), body), where(r, ' (no key)'), 401, 8000);
      const wrong = new ApiClient(srv.url, basic(a.key.client_id, 'cs_' + 'x'.repeat(43)));
      isError(await wrong.req(r.method, pathOf(r, a), body), where(r, ' (wrong secret)'), 401, 8000);
      // an organization's session is no API key
      isError(await a.req(r.method, pathOf(r, a), body, { raw: true }), where(r, ' (session)'), 401, 8000);
    }
  }
});

// Bodies that would be accepted, so that only the id decides (a body is checked before the ids).
const validBody = {
  'PATCH /api/orgs/{org}/members/{user_id}': JSON.stringify({ role: 'member' }),
  'PATCH /api/orgs/{org}/integrations/{uid}': JSON.stringify({ settings: {} }),
  'POST /api/orgs/{org}/integrations/{uid}/tenant': JSON.stringify({ tenant_id: 'x' }),
  'POST /api/orgs/{org}/integrations/{uid}/api-keys': JSON.stringify({ label: 'x' }),
  'PUT /api/orgs/{org}/integrations/{uid}/webhook': JSON.stringify({ url: 'http://127.0.0.1:9/x', events: ['invoice.failed'] }),
};

test('another tenant\'s organization, integration, certificate or invoice: 404, as if missing', async () => {
  let checked = 0;
  for (const r of routes) {
    const body = hasBody(r) ? '{}' : undefined;
    if (r.auth === 'FH_AUTH_ORG') {
      const theirs = await b.req(r.method, pathOf(r, a), body, { raw: true });
      isError(theirs, where(r, ' (B on A\'s organization)'), 404, 2000);
      const missing = await b.req(r.method, pathOf(r, a, { org: 'OR-ZZZZZZ' }), body, { raw: true });
      assert.equal(theirs.json.hint, missing.json.hint, where(r));
      // A's own organization with B's ids
      if (/\{(uid|id|user_id|client_id)\}/.test(r.pattern)) {
        const crossed = await a.req(r.method, pathOf(r, b, { org: a.org }), validBody[`${r.method} ${r.pattern}`] ?? body, { raw: true });
        isError(crossed, where(r, ' (A with B\'s ids)'), 404);
        checked++;
      }
    } else if (r.auth === 'FH_AUTH_API_KEY' && r.pattern.includes('{id}')) {
      isError(await b.api.req(r.method, pathOf(r, a), body), where(r, ' (B\'s key, A\'s invoice)'), 404);
      checked++;
    }
  }
  assert.ok(checked >= 20, `${checked} routes with ids`);
});

test('a viewer is refused whatever needs more than viewing: 403', async () => {
  let checked = 0;
  for (const r of routes.filter((x) => x.auth === 'FH_AUTH_ORG' && x.perm !== 'FH_PERM_VIEW')) {
    isError(await viewer.req(r.method, pathOf(r, a), hasBody(r) ? '{}' : undefined, { raw: true }), where(r, ' (viewer)'), 403, 3003);
    checked++;
  }
  assert.ok(checked >= 25, `${checked} routes`);
});

test('malformed path values: 400 or 404, never more', async () => {
  const bad = ['abc', '-1', '0', '99999999999999999999', '1.5', '%27%20OR%201%3D1', 'x'.repeat(300)];
  for (const r of routes) {
    const params = [...r.pattern.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    const caller = r.auth === 'FH_AUTH_API_KEY' ? a.api : a;
    for (const p of params) {
      for (const v of bad) {
        const path = pathOf(r, a, { [p]: v });
        const res = caller === a.api ? await a.api.req(r.method, path, hasBody(r) ? '{}' : undefined)
          : await a.req(r.method, path, hasBody(r) ? '{}' : undefined, { raw: true });
        isError(res, where(r, ` (${p} = ${v.slice(0, 20)})`));
        assert.ok(res.status === 400 || res.status === 404 || (isPartnerIntake(r) && res.status === 401), where(r, ` (${p} = ${v.slice(0, 20)}): ${res.status}`));
      }
    }
  }
});

// The caller that passes route r's authentication in tenant A.
function callerOf(r) {
  if (r.auth === 'FH_AUTH_API_KEY') return (m, p, body, headers) => a.api.req(m, p, body, headers);
  const c = r.auth === 'FH_AUTH_NONE' || r.auth === 'FH_AUTH_NO_SESSION_JSON' ? new Client(srv.url) : a;
  return (m, p, body, headers = {}) => c.req(m, p, body, { raw: true, headers });
}

test('malformed JSON: 400 (1000); the partners\' webhooks refuse it unsigned (401) or for its key (404)', async () => {
  for (const r of routes.filter((x) => x.limit > 0)) {
    for (const raw of ['{', '{"a":}', '[1,2', '{"a": 1} trailing']) {
      const res = await callerOf(r)(r.method, pathOf(r, a), raw);
      if (r.pattern === '/webhooks/xero') // Xero wants a bare 401 (specs/xero.md §4.3)
        assert.deepEqual([res.status, res.text], [401, ''], where(r));
      else if (r.pattern === '/webhooks/zoho/{key}') isError(res, where(r, ` (${raw})`), 404, 2000); // no such key
      else if (isPartnerIntake(r)) isError(res, where(r, ` (${raw})`), 401);
      else isError(res, where(r, ` (${raw})`), 400, 1000);
    }
  }
});

test('an encoded NUL or slash in the path: 400 (1010) before any routing', async () => {
  for (const r of routes) {
    const params = [...r.pattern.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    for (const p of params) {
      for (const v of ['a%00b', 'a%2Fb', 'a%2fb']) {
        const res = await callerOf(r)(r.method, pathOf(r, a, { [p]: v }), hasBody(r) ? '{}' : undefined);
        isError(res, where(r, ` (${p} = ${v})`), 400, 1010);
      }
    }
  }
  // a NUL used to end the path early: this was routed as GET /api/orgs/{org}
  isError(await a.get(`/api/orgs/${a.org}%00/members`), 'NUL', 400, 1010);
  isError(await a.get(`/api/orgs/${a.org}/integrations%2F${a.custom}`), 'slash', 400, 1010);
  isError(await new Client(srv.url).get('/assets%2F..%2Findex.html'), 'static', 400, 1010);
  // in the query they are data
  const q = await a.get(`/api/orgs/${a.org}/fiscal-invoices?q=a%2Fb`);
  assert.ok(q.status === 200 || q.status === 400, q.text);
  assert.notEqual(q.json?.code, 1010);
});

test('a body over the route\'s limit: 413 (1007), or the connection closed far over it', async () => {
  for (const r of routes.filter((x) => x.limit > 0)) {
    const over = '{"a":"' + 'x'.repeat(r.limit) + '"}';
    const res = await callerOf(r)(r.method, pathOf(r, a), over).catch((err) => ({ closed: err }));
    if (!res.closed) isError(res, where(r, ` (${over.length} bytes)`), 413, 1007);
  }
});

test('a body where the route takes none: 413 (1007)', async () => {
  let checked = 0;
  for (const r of routes.filter((x) => x.limit === 0 && x.method !== 'GET')) {
    isError(await callerOf(r)(r.method, pathOf(r, a), '{"unexpected":true}'), where(r, ' (body)'), 413, 1007);
    checked++;
  }
  assert.ok(checked >= 10, `${checked} routes`);
});

test('odd query parameters on every GET: an answer or 400, never more, and JSON', async () => {
  const names = ['status', 'from', 'to', 'integration', 'page', 'page_size', 'limit', 'cursor', 'q', 'tax_mismatch',
    'source_id', 'with_qr', 'type', 'invoice_type', 'sort', 'code', 'state', 'error', 'unknown'];
  const values = ['', 'x', '-1', '0', '99999999999999999999', '1.5', '%00', '%27', 'a'.repeat(3000), '2026-13-45', '1e3', 'true', '[]'];
  let n = 0;
  for (const r of routes.filter((x) => x.method === 'GET' && x.auth !== 'FH_AUTH_NONE')) {
    const caller = r.auth === 'FH_AUTH_API_KEY' ? (p) => a.api.get(p) : (p) => a.get(p);
    for (const name of names) {
      for (const v of values) {
        const res = await caller(`${pathOf(r, a)}?${name}=${v}`);
        const where = `${r.method} ${r.pattern}?${name}=${v.slice(0, 20)}`;
        assert.ok(res.status < 500, `${where}: ${res.status} ${res.text?.slice(0, 200)}`);
        if (res.status >= 400 && !r.pattern.startsWith('/oauth/')) isError(res, where);
        n++;
      }
    }
  }
  assert.ok(n > 1000, `${n} requests`);
});

test('nothing of either tenant changed', async () => {
  assert.deepEqual([await stateOf(a), await stateOf(b)], stateBefore);
});

test('odd headers (Authorization, Content-Type, Idempotency-Key, Cookie, CSRF, Origin): never more than 4xx (after the state check: some are valid)', async (t) => {
  const b64 = (t) => Buffer.from(t).toString('base64');
  const auths = ['Basic', 'Basic ', 'Basic !!!', `Basic ${b64('nocolon')}`, `Basic ${b64(':')}`, `Basic ${b64('ck_x:')}`,
    `Basic ${b64(':cs_x')}`, 'Bearer x', `Basic ${'A'.repeat(6000)}`, `basic ${b64(`${a.key.client_id}:${a.key.client_secret}`)}`];
  const body = JSON.stringify({ invoice: invoice({ pos_invoice_number: 'HDR' }) });
  let n = 0;
  const accepted = [];
  const check = (res, where) => {
    if (res.status < 300) accepted.push(where);
    assert.ok(res.status < 500, `${where}: ${res.status} ${res.text?.slice(0, 200)}`);
    if (res.status >= 400) isError(res, where);
    n++;
  };
  for (const auth of auths)
    check(await new ApiClient(srv.url, auth).post('/api/v1/invoices', body), `Authorization: ${auth.slice(0, 30)}`);
  for (const ct of ['text/plain', 'application/json; charset=latin1', 'application/jsonx', 'multipart/form-data; boundary=x', ''])
    check(await a.api.post('/api/v1/invoices', body, { 'content-type': ct }), `Content-Type: ${ct}`);
  for (const key of [' ', 'x'.repeat(300), '\u00e9t\u00e9', 'a\tb'])
    check(await a.api.post('/api/v1/invoices', body, { 'idempotency-key': key }), `Idempotency-Key: ${key.slice(0, 20)}`);
  const portal = [`/api/orgs/${a.org}`, 'PATCH', JSON.stringify({ name: a.me.orgs[0].name })];
  for (const headers of [{ cookie: 'fh_session=' + 'x'.repeat(4000) }, { cookie: 'fh_session=;fh_session=abc' },
    { cookie: `${a.cookie}; ${a.cookie}` }, { origin: 'https://evil.example' }, { origin: 'null' }]) {
    const c = new Client(srv.url);
    c.cookie = headers.cookie ?? a.cookie;
    c.csrf = a.csrf;
    const { cookie, ...rest } = headers;
    const res = await c.req(portal[1], portal[0], portal[2], { raw: true, headers: rest });
    check(res, JSON.stringify(headers).slice(0, 60));
    if (rest.origin) assert.deepEqual([res.status, res.json.code], [403, 3007], `Origin ${rest.origin}`);
  }
  // the session's own cookie with a CSRF token that is not its own: 403 (3002)
  for (const token of ['x'.repeat(500), a.csrf.slice(0, -1), a.csrf + 'x', ' ', null]) {
    const c = new Client(srv.url);
    c.cookie = a.cookie;
    const res = await c.req(portal[1], portal[0], portal[2], { raw: true, csrf: false, headers: token === null ? {} : { 'x-csrf-token': token } });
    check(res, `X-CSRF-Token: ${String(token).slice(0, 20)}`);
    assert.deepEqual([res.status, res.json.code], [403, 3002], `X-CSRF-Token: ${String(token).slice(0, 20)}`);
  }
  assert.ok(n >= 25, `${n} requests`);
  t.diagnostic(`accepted: ${accepted.join(' | ')}`);
});
