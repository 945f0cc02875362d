// xero_intake.test.mjs - POST /webhooks/xero as intake only (serve --no-workers): what a signed
// delivery's body must be, what is stored for it, and many deliveries at once sharing commits
// while each is answered only after its own rows are in the store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { startServer, storeQuery } from '../lib/server.mjs';

const KEY = 'intake-test-key';
let srv;

const sign = (body) => createHmac('sha256', KEY).update(body).digest('base64');
const post = (body, sig = sign(body)) =>
  fetch(`${srv.url}/webhooks/xero`, { method: 'POST', headers: { 'x-xero-signature': sig }, body });
const event = (tenantId, resourceId, eventCategory = 'INVOICE') => ({
  resourceUrl: `https://api.xero.com/api.xro/2.0/Invoices/${resourceId}`, resourceId,
  eventDateUtc: '2026-11-22T01:02:03.456', eventType: 'UPDATE', eventCategory, tenantId, tenantType: 'ORGANISATION',
});
const delivery = (events) => JSON.stringify({ events, firstEventSequence: 1, lastEventSequence: events.length, entropy: 'ABCDEFGHIJKLMNOPQRST' });
const rowsOf = (tenant) => storeQuery(srv, `SELECT tenant_id, category, event_type, resource_id, event_at FROM inbox_events WHERE tenant_id = '${tenant}' ORDER BY id`);
const count = (sql) => Number(Object.values(storeQuery(srv, sql)[0])[0]);

before(async () => {
  srv = await startServer({ args: ['--no-workers'], env: { FISCALHUB_XERO_WEBHOOK_KEY: KEY } });
});

after(async () => {
  await srv?.stop();
});

test('a signed body that is not what Xero sends is 400 naming the problem, and nothing is stored', async () => {
  const tenant = randomUUID();
  const cases = [
    ['{"events":[', 1000],
    ['[]', 1000],
    [`{"events":[${JSON.stringify(event(tenant, randomUUID()))}]} trailing`, 1000],
    ['{"events":[{"tenantId":"\\u0000"}]}', 1000],
    ['{"events":{}}', 1003],
    ['{"entropy":"ABC"}', 1003],
    [delivery(Array.from({ length: 1001 }, () => event(tenant, randomUUID()))), 1012],
  ];
  for (const [body, code] of cases) {
    const r = await post(body);
    assert.equal(r.status, 400, body.slice(0, 60));
    const j = await r.json();
    assert.equal(j.code, code, `${body.slice(0, 60)}: ${JSON.stringify(j)}`);
    assert.ok(j.detail.length > 0);
  }
  assert.equal(count('SELECT count(*) AS n FROM inbox_events'), 0);
  assert.equal(count("SELECT count(*) AS n FROM jobs WHERE kind = 'xero.inbox'"), 0);
});

test('a delivery stores one row per invoice or credit note event, decoded, before its 200', async () => {
  const tenant = randomUUID();
  const inv = randomUUID(), cn = randomUUID();
  const body = delivery([event(tenant, inv), event(tenant, randomUUID(), 'CONTACT'), event(tenant, cn, 'CREDITNOTE'),
    { ...event(tenant, randomUUID()), resourceId: 12 }, 'not an event'])
    .replace(`"tenantId":"${tenant}"`, `"tenantId":"${tenant.replace('-', '\\u002d')}"`); // an escape, decoded
  const r = await post(body);
  assert.equal(r.status, 200);
  assert.equal(await r.text(), '');
  assert.deepEqual(rowsOf(tenant), [
    { tenant_id: tenant, category: 'INVOICE', event_type: 'UPDATE', resource_id: inv, event_at: '2026-11-22T01:02:03.456' },
    { tenant_id: tenant, category: 'CREDITNOTE', event_type: 'UPDATE', resource_id: cn, event_at: '2026-11-22T01:02:03.456' },
  ]);
  // Xero's intent-to-receive check: no events, 200, nothing stored; a wrong signature 401
  const itr = delivery([]);
  assert.equal((await post(itr)).status, 200);
  assert.equal((await post(itr, sign(itr + ' '))).status, 401);
});

test('300 deliveries at once: each 200 comes after its own rows are stored, and they share commits', async () => {
  const tenant = randomUUID();
  const jobsBefore = count("SELECT count(*) AS n FROM jobs WHERE kind = 'xero.inbox'");
  const ids = Array.from({ length: 300 }, () => randomUUID());
  const seen = await Promise.all(ids.map(async (id) => {
    const r = await post(delivery([event(tenant, id)]));
    assert.equal(r.status, 200);
    // answered: the row is there for any reader
    return count(`SELECT count(*) AS n FROM inbox_events WHERE resource_id = '${id}'`);
  }));
  assert.deepEqual(seen, ids.map(() => 1));
  assert.equal(rowsOf(tenant).length, 300);
  const jobs = count("SELECT count(*) AS n FROM jobs WHERE kind = 'xero.inbox'") - jobsBefore;
  assert.ok(jobs >= 1 && jobs < 300, `${jobs} commits for 300 deliveries`);
});
