// sync_speed.test.mjs - how fast a Xero integration syncs follows its organization's tier: the
// trial and Scale read a webhook's invoice at once, Growth after FISCALHUB_GROWTH_WEBHOOK_DELAY_SECONDS,
// Starter takes no webhooks and finds the invoice at its next poll (FISCALHUB_STARTER_POLL_SECONDS).
// The partner setting FISCALHUB_XERO_POLL_SECONDS is 0 here, so each tier polls at its own
// interval; Growth and Scale poll only hourly, so what they sign came through the webhook.
// A webhook's invoice is fetched alone (GET /Invoices/{id}); a poll reads the list (GET /Invoices).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startXeroWorld, xeroUser, account, connectXero, integration, fiscalInvoices, xeroInvoice, waitFor, stopXeroWorld,
} from '../lib/xero.mjs';
import { issueKeys, activateKey, billing } from '../lib/billing.mjs';

const GROWTH_DELAY_S = 4;
let w;

before(async () => {
  w = await startXeroWorld({
    env: {
      FISCALHUB_XERO_POLL_SECONDS: '0',
      FISCALHUB_STARTER_POLL_SECONDS: '5',
      FISCALHUB_GROWTH_POLL_SECONDS: '3600',
      FISCALHUB_SCALE_POLL_SECONDS: '3600',
      FISCALHUB_GROWTH_WEBHOOK_DELAY_SECONDS: String(GROWTH_DELAY_S),
    },
  });
});

after(() => stopXeroWorld(w));

const calls = async (route) => (await w.ctl('GET', '/xero/control/stats')).calls[route] ?? 0;

// A new organisation on tier (null: the trial) with a connected Xero integration (trigger
// approval); the key is activated before the integration exists when keyFirst, after otherwise.
async function org(tag, tier, { keyFirst = false } = {}) {
  const c = await account(w, tag);
  const activate = async () => {
    const [key] = issueKeys(w.srv, { tier, seats: 2, months: 1 });
    const r = await activateKey(c, key);
    assert.equal(r.status, 200, r.text);
  };
  if (tier && keyFirst) await activate();
  const u = await xeroUser(w, 1);
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval' } });
  await waitFor(async () => (await integration(c, uid)).last_sync_at, { what: 'the first sync' });
  if (tier && !keyFirst) await activate();
  return { c, uid, tenant: u.orgs[0].tenant_id };
}

// Approves a new invoice in Xero (its webhook goes to fiscalhub); returns { inv, approvedAt }.
async function approve(o) {
  const inv = await xeroInvoice(w, o.tenant);
  const approvedAt = Date.now();
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
  return { inv, approvedAt };
}

const signed = (o, inv, timeoutMs = 30000) => waitFor(async () => (await fiscalInvoices(o.c, o.uid))
  .find((x) => x.source_ref === inv.InvoiceNumber && x.status === 'signed'), { what: `${inv.InvoiceNumber} signed`, timeoutMs });

// The integration saw a webhook delivery at or after ms; returns that time.
const webhookSeen = (o, ms) => waitFor(async () => {
  const at = (await integration(o.c, o.uid)).webhooks_seen_at;
  return at && Date.parse(at) >= ms - 1000 && Date.parse(at);
}, { what: 'the webhook delivery' });

test('the trial and Scale read a webhook\'s invoice at once (they poll only hourly here)', async () => {
  const trial = await org('sync-trial', null);
  let b = await billing(trial.c);
  assert.equal(b.json.plan.trial, true);
  assert.deepEqual(b.json.plan.sync, { mode: 'realtime', poll_seconds: 3600, webhook_delay_seconds: 0 }, 'the trial syncs like Scale');
  const fetched = await calls('GET /Invoices/{id}');
  const { inv } = await approve(trial);
  await signed(trial, inv);
  assert.ok(await calls('GET /Invoices/{id}') > fetched, 'the webhook\'s invoice was fetched alone');

  const scale = await org('sync-scale', 'scale', { keyFirst: true });
  b = await billing(scale.c);
  assert.deepEqual([b.json.plan.tier, b.json.plan.sync.mode], ['scale', 'realtime']);
  const { inv: inv2 } = await approve(scale);
  await signed(scale, inv2);
});

test('Growth reads a webhook\'s invoice after its delay', async () => {
  const growth = await org('sync-growth', 'growth');
  const b = await billing(growth.c);
  assert.deepEqual(b.json.plan.sync, { mode: 'near_realtime', poll_seconds: 3600, webhook_delay_seconds: GROWTH_DELAY_S });
  const { inv, approvedAt } = await approve(growth);
  const seen = await webhookSeen(growth, approvedAt);
  const f = await signed(growth, inv);
  const waited = Date.parse(f.created_at) - seen;
  assert.ok(waited >= GROWTH_DELAY_S * 1000 - 100,
    `the invoice was read ${waited} ms after its webhook arrived, not before the ${GROWTH_DELAY_S} s delay`);
});

test('Starter takes no webhooks: the invoice is found by its next poll', async () => {
  const starter = await org('sync-starter', 'starter', { keyFirst: true });
  const b = await billing(starter.c);
  assert.deepEqual(b.json.plan.sync, { mode: 'polling', poll_seconds: 5, webhook_delay_seconds: null });
  const fetched = await calls('GET /Invoices/{id}');
  const listed = await calls('GET /Invoices');
  const { inv, approvedAt } = await approve(starter);
  await webhookSeen(starter, approvedAt);
  await signed(starter, inv);
  assert.equal(await calls('GET /Invoices/{id}'), fetched, 'the webhook led to no fetch of its invoice');
  assert.ok(await calls('GET /Invoices') > listed, 'a poll read the list');

  // an upgrade takes the webhooks from then on (Scale polls hourly here)
  const [key] = issueKeys(w.srv, { tier: 'scale', seats: 2, months: 1 });
  assert.equal((await activateKey(starter.c, key)).status, 200);
  const { inv: inv2 } = await approve(starter);
  await signed(starter, inv2);
  assert.ok(await calls('GET /Invoices/{id}') > fetched, 'after the upgrade the webhook\'s invoice was fetched');
});
