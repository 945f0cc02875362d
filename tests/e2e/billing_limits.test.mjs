// Licensing limits: seats on every integration type (402, nothing created), the trial badge, and
// invoices over the monthly limit or after expiry kept on hold with the reason, then fiscalized
// automatically - at a new month (the billing clock moved by FISCALHUB_BILLING_CLOCK_OFFSET_DAYS
// across a restart), on an upgrade, on a renewal - each exactly once at the V-SDC, none lost; and
// after the plan lost seats, the newest integration's invoices held until a removal frees a seat.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signup } from '../lib/server.mjs';
import { startSandbox, issueCert, uploadCert, invoice, waitFor } from '../lib/fiscal.mjs';
import { ApiClient, createCustom, createKey } from '../lib/custom.mjs';
import { issueKeys, billing, activateKey } from '../lib/billing.mjs';

let sb, srv;
let seq = 0;
const sid = (tag) => `${tag}-${process.pid}-${++seq}`;
const TRIAL_INVOICES = 4; // small, so the suite stays fast; the shipped 50 is checked in billing_keys

function serverEnv(extra = {}) {
  return {
    FISCALHUB_TRIAL_CONNECTIONS: '1',
    FISCALHUB_TRIAL_INVOICES: String(TRIAL_INVOICES),
    FISCALHUB_TAXCORE_CA_FILE: sb.caFile,
    FISCALHUB_BILLING_RELEASE_SECONDS: '1',
    FISCALHUB_JOB_BACKOFF_MS: '20',
    FISCALHUB_WORKERS: '4',
    ...extra,
  };
}

before(async () => {
  sb = await startSandbox();
  srv = await startServer({ env: serverEnv() });
});
after(async () => {
  await srv?.stop();
  await sb?.stop();
});

async function listed(c) {
  const r = await c.get(`/api/orgs/${c.org}/integrations`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

test('seats: past the seat count every integration type is refused with 402 and nothing is created', async () => {
  const c = await signup(srv.url, 'seats');
  const cert = await uploadCert(c, await issueCert(sb));
  const one = await createCustom(c, cert);
  const tries = [
    { type: 'webhook', certificate_uid: cert, settings: { url: 'https://example.com/hook', events: ['invoice.fiscalized'] } },
    { type: 'custom', certificate_uid: cert },
    { type: 'xero', certificate_uid: cert },
    { type: 'zoho_books', certificate_uid: cert },
  ];
  for (const body of tries) {
    const r = await c.post(`/api/orgs/${c.org}/integrations`, body);
    assert.equal(r.status, 402, `${body.type}: ${r.text}`);
    assert.equal(r.json.code, 9005);
    assert.equal(r.json.detail, '1 of 1 seat of the Free trial plan is in use; nothing was created');
  }
  let l = await listed(c);
  assert.deepEqual(l.integrations.map((i) => i.uid), [one]);
  assert.equal(l.pending.length, 0);
  assert.deepEqual([l.usage.active_connections, l.usage.connection_limit], [1, 1]);
  assert.equal(l.integrations[0].trial_badge, `Trial 0/${TRIAL_INVOICES}`);
  // three seats: two more, then refused again; removing one frees its seat
  const [k] = issueKeys(srv, { tier: 'growth', seats: 3, months: 12 });
  assert.equal((await activateKey(c, k)).status, 200);
  const two = await createCustom(c, cert);
  const x = await c.post(`/api/orgs/${c.org}/integrations`, tries[2]);
  assert.equal(x.status, 201, 'a pending Xero setup takes a seat too');
  const full = await c.post(`/api/orgs/${c.org}/integrations`, tries[0]);
  assert.equal(full.status, 402);
  assert.match(full.json.detail, /3 of 3 seats of the Growth plan/);
  l = await listed(c);
  assert.equal(l.integrations.length + l.pending.length, 3);
  assert.equal(l.integrations[0].trial_badge, null, 'no trial badge on a paid plan');
  assert.equal((await c.del(`/api/orgs/${c.org}/integrations/${two}`)).status, 204);
  assert.equal((await c.post(`/api/orgs/${c.org}/integrations`, tries[0])).status, 201);
});

// Submits n invoices through the Custom Integration's public API; returns their ids.
async function submitMany(api, n, over = {}) {
  const ids = [];
  for (let i = 0; i < n; i++) {
    const r = await api.post('/api/v1/invoices', { source_id: sid('inv'), invoice: invoice({ pos_invoice_number: sid('POS'), ...over }) });
    assert.equal(r.status, 202, r.text);
    ids.push(r.json.id);
  }
  return ids;
}

// The portal's view of each invoice (the public API is rate limited per key).
async function statuses(c, ids) {
  const out = {};
  for (const id of ids) {
    const r = await c.get(`/api/orgs/${c.org}/fiscal-invoices/${id}`);
    assert.equal(r.status, 200, r.text);
    out[id] = r.json;
  }
  return out;
}

// Waits until every invoice of ids has one of the wanted statuses; returns the details.
async function until(c, ids, ok, what) {
  return waitFor(async () => {
    const s = await statuses(c, ids);
    return Object.values(s).every((d) => ok(d.status)) ? s : null;
  }, { timeoutMs: 30000, everyMs: 200, what });
}

const count = (s, st) => Object.values(s).filter((d) => d.status === st).length;

function daysToNextMonth(offsetDays = 0) {
  const now = new Date(Date.now() + offsetDays * 86400000);
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return Math.ceil((next - now.getTime()) / 86400000) + 1;
}

test('seats: two fiscalhub processes on one store cannot both take the last seat', async () => {
  // a second process on the same store and master key (several may share a database)
  const other = await startServer({ env: { ...serverEnv(), DATABASE_URL: srv.env.DATABASE_URL, FISCALHUB_MASTER_KEY_FILE: srv.env.FISCALHUB_MASTER_KEY_FILE } });
  try {
    const c = await signup(srv.url, 'seat-race');
    const cert = await uploadCert(c, await issueCert(sb));
    const via = Object.assign(Object.create(Object.getPrototypeOf(c)), c, { base: other.url });
    const tries = [];
    for (let i = 0; i < 8; i++) tries.push((i % 2 ? via : c).post(`/api/orgs/${c.org}/integrations`, { type: 'custom', certificate_uid: cert }));
    const got = await Promise.all(tries);
    const statuses = got.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 402, 402, 402, 402, 402, 402, 402], JSON.stringify(got.map((r) => r.json)));
    for (const r of got.filter((x) => x.status === 402)) assert.equal(r.json.code, 9005);
    assert.equal((await listed(c)).integrations.length, 1, 'one integration holds the one seat');
  } finally {
    await other.stop();
  }
});

test('over the limit invoices wait on hold; a new month, an upgrade and a renewal release them, each signed once', async () => {
  const c = await signup(srv.url, 'holds');
  const cert = await uploadCert(c, await issueCert(sb));
  const uid = await createCustom(c, cert);
  let api = new ApiClient(srv.url, await createKey(c, uid));
  const [lateKey] = issueKeys(srv, { tier: 'starter', seats: 1, months: 1, validDays: 1 });

  // trial: 4 fiscal invoices a month; 6 sent -> 4 signed, 2 on hold; a training one is not counted
  const first = await submitMany(api, TRIAL_INVOICES + 2);
  const training = await submitMany(api, 1, { invoice_type: 'training' });
  let s = await until(c, [...first, ...training], (st) => st === 'signed' || st === 'on_hold', 'the trial month');
  assert.equal(count(s, 'signed'), TRIAL_INVOICES + 1);
  assert.equal(count(s, 'on_hold'), 2);
  for (const d of Object.values(s))
    if (d.status === 'on_hold') assert.match(d.hold_reason, /Invoice limit reached: the Free trial plan allows 4 fiscal invoices a month/);
  const held = Object.values(s).find((d) => d.status === 'on_hold');
  const pub = await api.get(`/api/v1/invoices/${held.id}`);
  assert.deepEqual([pub.json.status, pub.json.last_error, pub.json.hold_reason, pub.json.hold_kind],
    ['on_hold', held.hold_reason, held.hold_reason, 'invoice_limit'], 'the public API shows the hold too');
  const portal = await c.get(`/api/orgs/${c.org}/fiscal-invoices?status=on_hold`);
  assert.equal(portal.json.total, 2);
  assert.match(portal.json.invoices[0].hold_reason, /fiscalizes this invoice automatically next month/);
  let l = await listed(c);
  assert.equal(l.integrations[0].invoices_this_month, TRIAL_INVOICES);
  assert.equal(l.integrations[0].trial_badge, `Trial ${TRIAL_INVOICES}/${TRIAL_INVOICES}`);
  assert.deepEqual([l.usage.invoices_this_month, l.usage.invoices_on_hold], [TRIAL_INVOICES, 2]);

  // a new month: the release job fiscalizes the two waiting ones
  const d1 = daysToNextMonth();
  const keep = { DATABASE_URL: srv.env.DATABASE_URL, FISCALHUB_MASTER_KEY_FILE: srv.env.FISCALHUB_MASTER_KEY_FILE };
  await srv.stop();
  srv = await startServer({ env: serverEnv({ ...keep, FISCALHUB_BILLING_CLOCK_OFFSET_DAYS: String(d1) }) });
  c.base = srv.url;
  api = new ApiClient(srv.url, api.auth);
  s = await until(c, first, (st) => st === 'signed', 'the held invoices to be released next month');
  l = await listed(c);
  assert.deepEqual([l.usage.invoices_this_month, l.usage.invoices_on_hold], [2, 0]);

  // the rest of the month's allowance, then one more waits; an upgrade releases it at once
  const second = await submitMany(api, 3);
  s = await until(c, second, (st) => st === 'signed' || st === 'on_hold', 'the second month');
  assert.deepEqual([count(s, 'signed'), count(s, 'on_hold')], [2, 1]);
  const [starter] = issueKeys(srv, { tier: 'starter', seats: 2, months: 1 });
  assert.equal((await activateKey(c, starter)).status, 200);
  await until(c, second, (st) => st === 'signed', 'the upgrade to release the held invoice');
  l = await listed(c);
  assert.equal(l.usage.invoices_this_month, TRIAL_INVOICES + 1);
  assert.equal(l.integrations[0].trial_badge, null);

  // after expiry everything waits (fiscal or not), keys past their window are refused, and no
  // integration can be added; a renewal releases them
  const d2 = d1 + 45;
  await srv.stop();
  srv = await startServer({ env: serverEnv({ ...keep, FISCALHUB_BILLING_CLOCK_OFFSET_DAYS: String(d2) }) });
  c.base = srv.url;
  api = new ApiClient(srv.url, api.auth);
  const third = [...(await submitMany(api, 2)), ...(await submitMany(api, 1, { invoice_type: 'training' }))];
  s = await until(c, third, (st) => st === 'on_hold', 'invoices after expiry to wait');
  for (const d of Object.values(s)) assert.match(d.hold_reason, /Licence expired: the Starter plan ended at/);
  const b = await billing(c);
  assert.equal(b.json.expired, true);
  assert.equal(b.json.invoices_on_hold, 3);
  const late = await activateKey(c, lateKey);
  assert.deepEqual([late.status, late.json.code], [410, 9003]);
  const add = await c.post(`/api/orgs/${c.org}/integrations`, { type: 'custom', certificate_uid: cert });
  assert.deepEqual([add.status, add.json.code], [402, 9006]);
  const [renewal] = issueKeys(srv, { tier: 'starter', seats: 2, months: 12 });
  const r = await activateKey(c, renewal);
  assert.equal(r.json.effect, 'starts');
  await until(c, third, (st) => st === 'signed', 'the renewal to release the held invoices');

  // none lost, none twice: every invoice signed, each RequestId posted exactly once
  const all = [...first, ...training, ...second, ...third];
  s = await statuses(c, all);
  assert.equal(count(s, 'signed'), all.length);
  const stats = await sb.control('GET', '/vsdc/control/stats');
  for (const d of Object.values(s)) {
    const posts = stats.posts_by_request_id.filter((p) => p.request_id === d.request_id);
    assert.equal(posts.length, 1, `one entry for ${d.request_id}`);
    assert.equal(posts[0].posts, 1, JSON.stringify(posts[0]));
  }
});

test('seats lost: the newest integrations over the seats keep their invoices on hold until a seat is free', async () => {
  const c = await signup(srv.url, 'seats-lost');
  const cert = await uploadCert(c, await issueCert(sb));
  const [three] = issueKeys(srv, { tier: 'growth', seats: 3, months: 12 });
  assert.equal((await activateKey(c, three)).status, 200);
  const uids = [await createCustom(c, cert), await createCustom(c, cert), await createCustom(c, cert)];
  const apis = [];
  for (const uid of uids) apis.push(new ApiClient(srv.url, await createKey(c, uid)));
  // a key with fewer seats replaces the plan: three integrations, two seats
  const [two] = issueKeys(srv, { tier: 'growth', seats: 2, months: 12 });
  assert.equal((await activateKey(c, two)).status, 200);
  let l = await listed(c);
  assert.deepEqual(l.integrations.map((i) => [i.uid, i.over_seat_limit]), [[uids[0], false], [uids[1], false], [uids[2], true]]);
  assert.deepEqual([l.usage.active_connections, l.usage.connection_limit], [3, 2]);

  const oldest = await submitMany(apis[0], 2);
  const newest = [...(await submitMany(apis[2], 2)), ...(await submitMany(apis[2], 1, { invoice_type: 'training' }))];
  await until(c, oldest, (st) => st === 'signed', 'the oldest integration to be fiscalized');
  let s = await until(c, newest, (st) => st === 'on_hold', 'the newest integration to wait');
  for (const d of Object.values(s))
    assert.equal(
      d.hold_reason,
      'Over the seat limit: the Growth plan has 2 seats, held by the integrations added before this one. fiscalhub fiscalizes this invoice automatically once this integration has a seat: remove another integration, or get more seats on Billing.',
    );
  // the release job runs every second; it leaves them alone while no seat is free
  await new Promise((r) => setTimeout(r, 2500));
  s = await statuses(c, newest);
  assert.equal(count(s, 'on_hold'), 3, JSON.stringify(Object.values(s).map((d) => d.status)));
  l = await listed(c);
  assert.equal(l.usage.invoices_on_hold, 3);

  // removing the oldest frees a seat: the newest gets it and its invoices are fiscalized, once
  assert.equal((await c.del(`/api/orgs/${c.org}/integrations/${uids[0]}`)).status, 204);
  s = await until(c, newest, (st) => st === 'signed', 'the freed seat to release the held invoices');
  l = await listed(c);
  assert.deepEqual(l.integrations.map((i) => [i.uid, i.over_seat_limit]), [[uids[1], false], [uids[2], false]]);
  const stats = await sb.control('GET', '/vsdc/control/stats');
  for (const d of Object.values(s)) {
    const posts = stats.posts_by_request_id.filter((p) => p.request_id === d.request_id);
    assert.deepEqual(posts.map((p) => p.posts), [1], `one post for ${d.request_id}`);
  }
});
