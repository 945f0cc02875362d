// Buying seats online through the sandbox's Stripe: Purchase Seats creates a Checkout session,
// the buyer pays with the 4242 test card, the signed checkout.session.completed gives the plan,
// invoice.paid of a renewal extends it, the customer portal opens; forged, stale and unsigned
// deliveries (the sandbox's and hand-made ones) change nothing; a redelivered event applies once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startServer, signup } from '../lib/server.mjs';
import { startSandbox, waitFor } from '../lib/fiscal.mjs';
import { billing } from '../lib/billing.mjs';

const SECRET = 'whsec_fiscalhub_billing_e2e_secret';
let sb, srv, endpoint;

before(async () => {
  sb = await startSandbox();
  srv = await startServer({
    env: { FISCALHUB_SANDBOX_URL: sb.url, FISCALHUB_STRIPE_WEBHOOK_SECRET: SECRET, FISCALHUB_TRIAL_CONNECTIONS: '1', FISCALHUB_TRIAL_INVOICES: '50' },
  });
  endpoint = await sb.control('POST', '/stripe/control/webhook-endpoints', { url: `${srv.url}/webhooks/stripe`, secret: SECRET });
});
after(async () => {
  await srv?.stop();
  await sb?.stop();
});

const sign = (body, t, secret = SECRET) => `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

async function checkout(c, body = { tier: 'growth', interval: 'month', seats: 2 }) {
  const r = await c.post(`/api/orgs/${c.org}/billing/checkout`, body);
  assert.equal(r.status, 201, r.text);
  assert.ok(r.json.url.startsWith(`${sb.url}/stripe/c/pay/cs_test_`), r.json.url);
  return r.json.url.split('/').pop();
}

async function endpointLog() {
  const e = await sb.control('GET', `/stripe/control/webhook-endpoints/${endpoint.id}`);
  return e.log;
}

test('a checkout paid with the test card gives the plan; a renewal extends it; the portal opens', async () => {
  const c = await signup(srv.url, 'stripe');
  const session = await checkout(c);
  const page = await fetch(`${sb.url}/stripe/c/pay/${session}`);
  assert.equal(page.status, 200, 'the hosted checkout page');
  assert.match(await page.text(), /fiscalhub Growth/);
  assert.equal((await billing(c)).json.source, 'trial', 'nothing changes before payment');
  await sb.control('POST', `/stripe/control/sessions/${session}/complete`, { card: '4242 4242 4242 4242' });
  const b = await waitFor(async () => {
    const r = await billing(c);
    return r.json.source === 'stripe' ? r.json : null;
  }, { what: 'the signed checkout.session.completed' });
  assert.deepEqual([b.plan.tier, b.plan.seats, b.invoice_limit, b.key], ['growth', 2, 5000, null]);
  assert.deepEqual([b.stripe.interval, b.stripe.status, b.stripe.portal], ['month', 'active', true]);
  const days = (Date.parse(b.expires_at) - Date.parse(b.starts_at)) / 86400000;
  assert.ok(days >= 28 && days <= 31.1, `a month: ${days}`);
  const log = await endpointLog();
  assert.ok(log.length >= 3 && log.every((l) => l.status === 200), JSON.stringify(log));

  // the renewal: the subscription jumps to its period end and invoice.paid moves the expiry
  const subs = await sb.control('GET', '/stripe/control/subscriptions');
  const sub = subs.data.find((s) => s.metadata?.org === c.org);
  assert.ok(sub, 'the subscription carries the organization');
  await sb.control('POST', `/stripe/control/subscriptions/${sub.id}/advance`);
  const renewed = await waitFor(async () => {
    const r = (await billing(c)).json;
    return Date.parse(r.expires_at) > Date.parse(b.expires_at) ? r : null;
  }, { what: 'the renewal webhook' });
  const more = (Date.parse(renewed.expires_at) - Date.parse(b.expires_at)) / 86400000;
  assert.ok(more >= 28 && more <= 31.1, `one more month: ${more}`);
  assert.equal(renewed.starts_at, b.starts_at);

  const p = await c.post(`/api/orgs/${c.org}/billing/portal`);
  assert.equal(p.status, 201, p.text);
  assert.ok(p.json.url.startsWith(`${sb.url}/stripe/p/session/`), p.json.url);
  assert.equal((await fetch(p.json.url)).status, 200);
  const none = await signup(srv.url, 'noportal');
  const np = await none.post(`/api/orgs/${none.org}/billing/portal`);
  assert.deepEqual([np.status, np.json.code], [409, 9010]);
  const bad = await c.post(`/api/orgs/${c.org}/billing/checkout`, { tier: 'trial', interval: 'month', seats: 1 });
  assert.equal(bad.status, 400);
});

test('forged, stale and unsigned deliveries change nothing; a redelivered event applies once', async () => {
  const c = await signup(srv.url, 'forged');
  const session = await checkout(c, { tier: 'scale', interval: 'year', seats: 4 });
  const body = JSON.stringify({
    id: `evt_forged_${process.pid}`, object: 'event', type: 'checkout.session.completed',
    data: { object: { id: session, object: 'checkout.session', subscription: 'sub_forged', customer: 'cus_forged' } },
  });
  const post = (headers) => fetch(`${srv.url}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const cases = [
    [{ 'stripe-signature': sign(body, now(), 'whsec_someone_else') }, 401, 9007],
    [{ 'stripe-signature': sign(body, now() - 600) }, 400, 9008],
    [{ 'stripe-signature': sign(body, now() + 600) }, 400, 9008],
    [{}, 401, 9007],
    [{ 'stripe-signature': `t=${now()},v0=${createHmac('sha256', SECRET).update(`${now()}.${body}`).digest('hex')}` }, 401, 9007],
    [{ 'stripe-signature': sign(body + ' ', now()) }, 401, 9007],
    [{ 'stripe-signature': 'garbage' }, 401, 9007],
  ];
  for (const [h, status, code] of cases) {
    const r = await post(h);
    const j = await r.json();
    assert.deepEqual([r.status, j.code], [status, code], JSON.stringify(h));
  }
  assert.equal((await billing(c)).json.source, 'trial', 'no forged delivery changed the plan');

  // the sandbox's own forged deliveries of a real event are refused too
  const before = (await endpointLog()).length;
  for (const kind of ['bad_signature', 'stale', 'no_header', 'no_v1'])
    await sb.control('POST', '/stripe/control/events/forge', { kind, endpoint: endpoint.id, type: 'checkout.session.completed' });
  const forged = await waitFor(async () => {
    const log = await endpointLog();
    const f = log.slice(before).filter((l) => l.forged);
    return f.length >= 4 ? f : null;
  }, { what: 'the forged deliveries' });
  assert.deepEqual(forged.map((l) => l.status).sort(), [400, 401, 401, 401]);
  assert.equal((await billing(c)).json.source, 'trial');

  // a genuine signature (any of several v1) applies, once
  const good = `${sign(body, now(), 'whsec_old_secret')},v1=${sign(body, now()).split('v1=')[1]}`;
  const ok = await post({ 'stripe-signature': good });
  assert.equal(ok.status, 200);
  assert.match((await ok.json()).outcome, /plan: scale, 4 seats/);
  const again = await post({ 'stripe-signature': sign(body, now()) });
  assert.equal((await again.json()).outcome, 'duplicate');
  const b = (await billing(c)).json;
  assert.deepEqual([b.source, b.plan.tier, b.plan.seats, b.stripe.interval], ['stripe', 'scale', 4, 'year']);
});
