// One customer's slow partner does not hold up everyone else. A tenant's webhook endpoint that
// never answers in time, with a backlog of events, must neither delay another tenant's
// fiscalization (fiscalizations have workers of their own) nor take every worker for other jobs
// (an endpoint gets at most FISCALHUB_WEBHOOK_ENDPOINT_CONCURRENCY POSTs at a time; its other
// deliveries wait without spending an attempt). Once it answers again, every event arrives and
// the delivery log counts exactly the POSTs it received.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signup, storeQuery } from '../lib/server.mjs';
import { startSandbox, issueCert, uploadCert, invoice, waitFor, startFiscalServer } from '../lib/fiscal.mjs';
import { ApiClient, createCustom, createKey, createWebhook, receiver } from '../lib/custom.mjs';

const BACKLOG = 6;
const TIMEOUT_MS = 1500;
// two workers (the default, and the fiscal workers' default too); webhooks time out quickly
const ENV = {
  FISCALHUB_WORKERS: '2',
  FISCALHUB_WEBHOOK_BACKOFF_MS: '100',
  FISCALHUB_WEBHOOK_BACKOFF_MAX_MS: '200',
  FISCALHUB_WEBHOOK_RETRY_SECONDS: '600',
  FISCALHUB_WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
};
let sb, srv;
let seq = 0;
const sid = (tag) => `${tag}-${process.pid}-${++seq}`;

before(async () => {
  sb = await startSandbox();
  srv = await startFiscalServer(sb, ENV);
});
after(async () => {
  await srv?.stop();
  await sb?.stop();
});

async function tenant(name, hook = {}) {
  const c = await signup(srv.url, name);
  const cert = await uploadCert(c, await issueCert(sb));
  const wh = await createWebhook(c, cert, receiver.url(sb, name), { events: ['invoice.fiscalized'] });
  await receiver.configure(sb, name, { secret: wh.secret, ...hook });
  const api = new ApiClient(srv.url, await createKey(c, await createCustom(c, cert)));
  return { c, wh, api, name };
}

const submit = async (t) => {
  const r = await t.api.post('/api/v1/invoices', { invoice: invoice({ pos_invoice_number: sid('POS') }), source_id: sid('S') });
  assert.equal(r.status, 202, r.text);
  return r.json.id;
};
const requestsAt = async (name) => (await receiver.get(sb, name)).requests.length;

test('a hanging webhook endpoint delays neither other fiscalizations nor other endpoints', async () => {
  // the receiver answers hook A after 2 s, later than fiscalhub waits: every POST times out
  const a = await tenant(sid('hangs'), { slow_ms: TIMEOUT_MS + 500, slow_count: 100000 });
  const b = await tenant(sid('fine'));
  for (let i = 0; i < BACKLOG; i++) await submit(a);
  await waitFor(async () => (await requestsAt(a.name)) >= 1, { what: 'the first POST to the hanging endpoint' });

  // another tenant's invoice is signed, and its event delivered, while A's backlog waits
  const id = await submit(b);
  const d = await b.api.settled(id);
  assert.equal(d.status, 'signed');
  const [ev] = await receiver.events(sb, b.name, (e) => e.type === 'invoice.fiscalized');
  assert.equal(ev.event.data.invoice.id, id);
  const triedA = await requestsAt(a.name);
  assert.ok(triedA < BACKLOG, `B was served after ${triedA} POSTs to A: it waited for A's backlog`);

  // A's own invoices were all signed meanwhile, too
  const mine = (await a.api.get('/api/v1/invoices?limit=100')).json.invoices;
  assert.equal(mine.length, BACKLOG);
  assert.ok(mine.every((x) => x.status === 'signed'), JSON.stringify(mine.map((x) => x.status)));

  // A answers again: every event arrives once, and every POST is one logged attempt
  await receiver.configure(sb, a.name, { slow_count: 0 });
  await receiver.events(sb, a.name, (e) => e.type === 'invoice.fiscalized', BACKLOG, 60000);
  const log = await waitFor(async () => {
    const l = (await a.c.get(`/api/orgs/${a.c.org}/integrations/${a.wh.uid}/webhook/deliveries?limit=100`)).json.deliveries;
    return l.length === BACKLOG && l.every((x) => x.status === 'delivered') ? l : null;
  }, { what: "A's deliveries logged as delivered", timeoutMs: 60000 });
  const h = await receiver.get(sb, a.name);
  assert.equal(h.events.length, BACKLOG, 'one event per invoice');
  assert.equal(log.reduce((n, x) => n + x.attempts, 0), h.requests.length, 'attempts are the POSTs the receiver got');
  assert.ok(log.some((x) => x.attempts > 1), 'some POSTs timed out first');
});

test('with every general worker held by hanging endpoints, fiscalizations still go on', async () => {
  // two endpoints that never answer in time, one POST each at a time: both general workers
  const hang = [await tenant(sid('hangs1'), { slow_ms: TIMEOUT_MS + 500, slow_count: 100000 }),
    await tenant(sid('hangs2'), { slow_ms: TIMEOUT_MS + 500, slow_count: 100000 })];
  const b = await tenant(sid('signs'));
  const each = 5;
  for (let i = 0; i < each; i++) for (const t of hang) await submit(t);
  await waitFor(async () => (await requestsAt(hang[0].name)) >= 1 && (await requestsAt(hang[1].name)) >= 1,
    { what: 'a POST to each hanging endpoint' });
  const id = await submit(b);
  assert.equal((await b.api.settled(id)).status, 'signed');
  const tried = (await requestsAt(hang[0].name)) + (await requestsAt(hang[1].name));
  assert.ok(tried < 2 * each, `B was signed after ${tried} POSTs to the hanging endpoints`);
  // B's event waits for a general worker, and arrives once one is free
  for (const t of hang) await receiver.configure(sb, t.name, { slow_count: 0 });
  const [ev] = await receiver.events(sb, b.name, (e) => e.type === 'invoice.fiscalized', 1, 60000);
  assert.equal(ev.event.data.invoice.id, id);
  for (const t of hang) await receiver.events(sb, t.name, (e) => e.type === 'invoice.fiscalized', each, 60000);
});

test('after a restart, deliveries that waited for their endpoint go at once, not at their time', async () => {
  const s1 = await startFiscalServer(sb, ENV);
  const name = sid('restart');
  const c = await signup(s1.url, name);
  const cert = await uploadCert(c, await issueCert(sb));
  const wh = await createWebhook(c, cert, receiver.url(sb, name), { events: ['invoice.fiscalized'] });
  await receiver.configure(sb, name, { secret: wh.secret, slow_ms: TIMEOUT_MS + 500, slow_count: 100000 });
  const api = new ApiClient(s1.url, await createKey(c, await createCustom(c, cert)));
  for (let i = 0; i < BACKLOG; i++) {
    const r = await api.post('/api/v1/invoices', { invoice: invoice({ pos_invoice_number: sid('POS') }), source_id: sid('S') });
    assert.equal(r.status, 202, r.text);
  }
  const waiting = `SELECT MAX(run_at) AS until, COUNT(*) AS n FROM jobs WHERE kind = 'webhook.deliver' AND state = 'ready' AND last_error LIKE 'waiting:%'`;
  const before = await waitFor(async () => {
    const [w] = storeQuery(s1, waiting);
    return Number(w.n) >= BACKLOG - 2 ? w : null;
  }, { what: 'deliveries waiting for the endpoint' });
  await s1.stop('SIGKILL');
  await receiver.configure(sb, name, { slow_count: 0 });
  const s2 = await startFiscalServer(sb, { ...ENV, DATABASE_URL: s1.env.DATABASE_URL, FISCALHUB_MASTER_KEY_FILE: s1.env.FISCALHUB_MASTER_KEY_FILE });
  try {
    await receiver.events(sb, name, (e) => e.type === 'invoice.fiscalized', BACKLOG);
    assert.ok(Date.now() < Number(before.until), `delivered ${Date.now() - Number(before.until)} ms after the last waiting one was due`);
  } finally {
    await s2.stop();
  }
});
