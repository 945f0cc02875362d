// xero_inflight.test.mjs - Xero's limit of calls in flight per tenant holds for every fiscalhub
// process sharing a store, not for each: two processes (a `serve` and a second `serve` on the
// same store and master key), each with 4 workers, fiscalize and write back a burst of invoices
// of one organisation while every Xero call takes 250 ms (the emulator's latency_ms) and both
// sides allow 2 calls in flight. Xero would answer a third call in flight with 429 "concurrent";
// the emulator counts those. And the hourly sweep deletes calls left in flight by a process that
// died, once expired, for scopes nobody reserves again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startXeroWorld, xeroUser, account, connectXero, fiscalInvoices, notes, waitFor, stopXeroWorld,
} from '../lib/xero.mjs';
import { startServer, storeExec, storeQuery } from '../lib/server.mjs';

const LIMIT = 2;
const INVOICES = 10;
let w;
let other;

before(async () => {
  w = await startXeroWorld({ env: { FISCALHUB_XERO_CONCURRENT_LIMIT: String(LIMIT) } });
  const { FISCALHUB_PORT, FISCALHUB_PUBLIC_URL, ...env } = w.srv.env; // eslint-disable-line no-unused-vars
  other = await startServer({ env });
});

after(async () => {
  const r = await other?.stop();
  if (r) assert.equal(r.code, 0, `the second process exited with ${r.code ?? r.signal}`);
  await stopXeroWorld(w);
});

test('two processes on one store keep to Xero\'s calls in flight per tenant together', async () => {
  const c = await account(w, 'inflight');
  const u = await xeroUser(w, 1);
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval' } });
  const tenant = u.orgs[0].tenant_id;
  await w.ctl('PUT', `/xero/control/orgs/${tenant}/limits`, { concurrent: LIMIT });
  await w.ctl('PUT', '/xero/control/settings', { latency_ms: 250 });
  try {
    const before = await w.ctl('GET', '/xero/control/stats');
    const invs = [];
    for (let i = 0; i < INVOICES; i++) {
      invs.push(await w.ctl('POST', `/xero/control/orgs/${tenant}/invoices`, {
        Type: 'ACCREC', Contact: { Name: `Buyer ${i}` }, Status: 'AUTHORISED',
        LineItems: [{ Description: 'Widget', Quantity: 1, UnitAmount: 10 + i, AccountCode: '200', TaxType: 'TAX001' }],
      }));
    }
    // every invoice fiscalized once and its note written back
    await waitFor(async () => (await fiscalInvoices(c, uid)).filter((f) => f.status === 'signed').length === INVOICES,
      { timeoutMs: 60000, what: `${INVOICES} signed invoices` });
    for (const inv of invs) {
      await waitFor(async () => (await notes(w, inv.InvoiceID)).length === 1, { timeoutMs: 60000, what: `the note of ${inv.InvoiceNumber}` });
    }
    const after = await w.ctl('GET', '/xero/control/stats');
    const calls = after.tenants[tenant].calls - (before.tenants?.[tenant]?.calls ?? 0);
    assert.ok(calls >= INVOICES, `the burst made ${calls} Xero calls`);
    assert.equal((after.rate_limited.concurrent ?? 0) - (before.rate_limited.concurrent ?? 0), 0,
      'no call was refused for too many in flight');
    // both processes ran the burst's jobs (a worker's lease owner is host:pid:worker:random)
    const owners = storeQuery(w.srv, "SELECT lease_owner FROM jobs WHERE kind LIKE 'xero.%' AND lease_owner IS NOT NULL");
    const pids = new Set(owners.map((r) => r.lease_owner.split(':')[1]));
    assert.deepEqual([...pids].sort(), [String(w.srv.proc.pid), String(other.proc.pid)].sort(), 'both processes ran Xero jobs');
    // nothing stays counted in flight once the calls ended
    await waitFor(async () => Number(storeQuery(w.srv, 'SELECT COUNT(*) AS n FROM rate_calls')[0].n) === 0,
      { timeoutMs: 10000, what: 'no call counted in flight' });
  } finally {
    await w.ctl('PUT', '/xero/control/settings', { latency_ms: 0 });
  }
});

test('the sweep deletes expired calls left in flight, and only those', async () => {
  const now = Date.now();
  storeExec(w.srv, `INSERT INTO rate_calls (scope, holder, expires_at) VALUES
      ('xero:gone-tenant', 'another-host pid:[1]:4242', ${now - 1000}),
      ('xero:busy-tenant', 'another-host pid:[1]:4243', ${now + 3600000});
    UPDATE schedules SET next_run_at = 0 WHERE name = 'maintenance.sweep';`);
  await waitFor(() => storeQuery(w.srv, "SELECT id FROM rate_calls WHERE scope = 'xero:gone-tenant'").length === 0,
    { what: 'the sweep' });
  assert.deepEqual(storeQuery(w.srv, 'SELECT scope FROM rate_calls').map((r) => r.scope), ['xero:busy-tenant']);
  storeExec(w.srv, "DELETE FROM rate_calls WHERE scope = 'xero:busy-tenant'");
});
