// Buying seats online through the sandbox's Stripe: Purchase Seats creates a Checkout session,
// the buyer pays with the 4242 test card, the signed checkout.session.completed gives the plan,
// invoice.paid of a renewal extends it, the customer portal opens; forged, stale and unsigned
// deliveries (the sandbox's and hand-made ones) change nothing; a redelivered event applies once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startServer, signup, storeQuery } from '../lib/server.mjs';
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

async function stripeApi(path) {
  const r = await fetch(`${sb.url}/stripe/v1/${path}`, { headers: { authorization: 'Bearer sk_test_fhsandbox_demo_secret_key' } });
  assert.equal(r.status, 200, path);
  return r.json();
}

test('an organization is never billed twice: earlier sessions expire, a running plan changes in the portal', async () => {
  const c = await signup(srv.url, 'twice');
  const first = await checkout(c, { tier: 'growth', interval: 'month', seats: 2 });
  const second = await checkout(c, { tier: 'scale', interval: 'month', seats: 3 });
  assert.equal((await stripeApi(`checkout/sessions/${first}`)).status, 'expired', 'the earlier session cannot be paid any more');
  assert.equal((await stripeApi(`checkout/sessions/${second}`)).status, 'open');
  await assert.rejects(sb.control('POST', `/stripe/control/sessions/${first}/complete`, { card: '4242 4242 4242 4242' }),
    /: 4\d\d /, 'paying the expired session is refused');
  await sb.control('POST', `/stripe/control/sessions/${second}/complete`, { card: '4242 4242 4242 4242' });
  const b = await waitFor(async () => {
    const r = (await billing(c)).json;
    return r.source === 'stripe' ? r : null;
  }, { what: 'the plan from the second session' });
  assert.deepEqual([b.plan.tier, b.plan.seats], ['scale', 3]);
  const subs = (await sb.control('GET', '/stripe/control/subscriptions')).data.filter((s) => s.metadata?.org === c.org);
  assert.equal(subs.length, 1, 'one subscription');

  // while it runs, another checkout is refused: seats and tier change in the customer portal
  const again = await c.post(`/api/orgs/${c.org}/billing/checkout`, { tier: 'scale', interval: 'month', seats: 5 });
  assert.deepEqual([again.status, again.json.code], [409, 9013], again.text);
  assert.match(again.json.detail, /^the Scale plan paid through Stripe runs until \d{4}-\d\d-\d\d.*: change its seats or tier in the customer portal$/);
  const sessions = (await sb.control('GET', '/stripe/control/sessions')).data.filter((s) => s.client_reference_id === c.org);
  assert.equal(sessions.length, 2, 'no session was created for it');
  // ... also when it is canceled at its period end (it still bills until then)
  await sb.control('POST', `/stripe/control/subscriptions/${subs[0].id}/cancel`, { at_period_end: true });
  await waitFor(async () => (await billing(c)).json.stripe.cancel_at_period_end === true, { what: 'cancel at period end' });
  const canceled = await c.post(`/api/orgs/${c.org}/billing/checkout`, { tier: 'growth', interval: 'month', seats: 1 });
  assert.deepEqual([canceled.status, canceled.json.code], [409, 9013]);
});

test('a session paid before its completion arrived is not followed by a second subscription', async () => {
  const c = await signup(srv.url, 'paidmeanwhile');
  const first = await checkout(c, { tier: 'growth', interval: 'month', seats: 1 });
  await sb.control('PUT', `/stripe/control/webhook-endpoints/${endpoint.id}`, { status: 'disabled' });
  try {
    await sb.control('POST', `/stripe/control/sessions/${first}/complete`, { card: '4242 4242 4242 4242' });
    const r = await c.post(`/api/orgs/${c.org}/billing/checkout`, { tier: 'growth', interval: 'month', seats: 2 });
    assert.deepEqual([r.status, r.json.code], [409, 9014], r.text);
    assert.match(r.json.detail, new RegExp(`Stripe session ${first} is complete`));
  } finally {
    await sb.control('PUT', `/stripe/control/webhook-endpoints/${endpoint.id}`, { status: 'enabled' });
  }
  const sessions = (await sb.control('GET', '/stripe/control/sessions')).data.filter((s) => s.client_reference_id === c.org);
  assert.equal(sessions.length, 1, 'no second session');
});

test('two checkouts started at the same moment: the second is told to wait (409, 9015), so one session at most stays open', async () => {
  // The first start's session is created slowly at Stripe; the second arrives while the first
  // holds the organization's start (seen in the store: the sandbox answers nothing while it
  // waits). The first waits on a partner thread, so the second is read and answered meanwhile.
  const starts = () => Number(storeQuery(srv, 'SELECT COUNT(*) AS n FROM stripe_checkout_starts')[0].n);
  const c = await signup(srv.url, 'sametime');
  await sb.control('PUT', '/stripe/control/faults', { next: ['slow'], slow_ms: 3000 });
  let second, firstDone = false;
  try {
    const first = c.post(`/api/orgs/${c.org}/billing/checkout`, { tier: 'growth', interval: 'month', seats: 1 });
    first.then(() => { firstDone = true; });
    await waitFor(() => starts() === 1, { what: 'the first start under way', everyMs: 20 });
    second = await c.post(`/api/orgs/${c.org}/billing/checkout`, { tier: 'scale', interval: 'month', seats: 2 });
    assert.equal(firstDone, false, 'the second start was answered while the first waited at Stripe');
    const r = await first;
    assert.equal(r.status, 201, r.text);
  } finally {
    await sb.control('PUT', '/stripe/control/faults', {});
  }
  assert.deepEqual([second.status, second.json.code], [409, 9015], second.text);
  assert.match(second.json.detail, /another checkout of this organization is being started/);
  const ours = async () => (await sb.control('GET', '/stripe/control/sessions')).data.filter((x) => x.client_reference_id === c.org);
  assert.deepEqual((await ours()).map((x) => x.status), ['open'], 'the refused start created no session');
  // once the first start has ended, the next one goes through and expires the first's session
  const third = await checkout(c, { tier: 'scale', interval: 'month', seats: 2 });
  const open = (await ours()).filter((x) => x.status === 'open');
  assert.deepEqual(open.map((x) => x.id), [third]);
});

test('a checkout whose answer from Stripe is cut short is asked for once more with its key: the session Stripe made', async () => {
  const c = await signup(srv.url, 'cutshort');
  const ours = async () => (await sb.control('GET', '/stripe/control/sessions')).data.filter((x) => x.client_reference_id === c.org);
  const start = async (next) => {
    await sb.control('PUT', '/stripe/control/faults', { next });
    try {
      return await c.post(`/api/orgs/${c.org}/billing/checkout`, { tier: 'growth', interval: 'month', seats: 1 });
    } finally {
      assert.deepEqual((await sb.control('GET', '/stripe/control/faults')).next, [], 'every fault was drawn');
      await sb.control('PUT', '/stripe/control/faults', {});
    }
  };
  const r = await start(['cut']);
  assert.equal(r.status, 201, r.text);
  const made = await ours();
  assert.deepEqual(made.map((x) => x.status), ['open'], 'one session: the second ask got the first one back');
  assert.equal(r.json.url.split('/').pop(), made[0].id);
  // the new session's answer cut twice (the earlier session's expiry goes through): 502 naming it
  const twice = await start(['none', 'cut', 'cut']);
  assert.deepEqual([twice.status, twice.json.code], [502, 9009], twice.text);
  assert.equal(twice.json.detail, "Stripe's answer (200) could not be read: its body is not a JSON object");
  const after = await ours();
  assert.equal(after.find((x) => x.id === made[0].id).status, 'expired');
  assert.equal(after.length, 2, 'Stripe made the session whose answer was cut twice');
  const next = await checkout(c, { tier: 'growth', interval: 'month', seats: 1 });
  assert.equal((await ours()).find((x) => x.id === next).status, 'open');
});

test('a seat or tier change of the subscription (customer.subscription.updated) becomes the plan', async () => {
  const c = await signup(srv.url, 'resize');
  const session = await checkout(c, { tier: 'growth', interval: 'month', seats: 2 });
  await sb.control('POST', `/stripe/control/sessions/${session}/complete`, { card: '4242 4242 4242 4242' });
  const b = await waitFor(async () => {
    const r = (await billing(c)).json;
    return r.source === 'stripe' ? r : null;
  }, { what: 'the plan' });
  const sub = (await sb.control('GET', '/stripe/control/subscriptions')).data.find((s) => s.metadata?.org === c.org);
  const updated = (items, id) => JSON.stringify({
    id, object: 'event', type: 'customer.subscription.updated',
    data: { object: { id: sub.id, object: 'subscription', status: 'active', customer: sub.customer, cancel_at_period_end: false,
      current_period_end: Math.floor(Date.parse(b.expires_at) / 1000), items: { object: 'list', data: items } } },
  });
  const post = async (body) => {
    const r = await fetch(`${srv.url}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': sign(body, now()) }, body });
    assert.equal(r.status, 200);
    return (await r.json()).outcome;
  };
  assert.equal(await post(updated([{ id: 'si_1', price: { id: 'price_fh_scale_year' }, quantity: 5 }], `evt_resize_${process.pid}`)), 'plan: scale, 5 seats');
  const r = (await billing(c)).json;
  assert.deepEqual([r.plan.tier, r.plan.seats, r.stripe.interval, r.expires_at], ['scale', 5, 'year', b.expires_at]);
  // the same through the sandbox's Stripe, as the customer portal's Update plan does it
  const form = new URLSearchParams({ 'items[0][id]': sub.items.data[0].id, 'items[0][price]': 'price_fh_growth_month', 'items[0][quantity]': '3' });
  const up = await fetch(`${sb.url}/stripe/v1/subscriptions/${sub.id}`, {
    method: 'POST', body: form, headers: { authorization: 'Bearer sk_test_fhsandbox_demo_secret_key', 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(up.status, 200, await up.text());
  const resized = await waitFor(async () => {
    const x = (await billing(c)).json;
    return x.plan.seats === 3 ? x : null;
  }, { what: 'the portal change as the plan' });
  assert.deepEqual([resized.plan.tier, resized.stripe.interval], ['growth', 'month']);
  // a price fiscalhub does not sell leaves the plan as it is
  assert.equal(await post(updated([{ id: 'si_1', price: { id: 'price_someone_elses' }, quantity: 9 }], `evt_resize2_${process.pid}`)), 'plan updated');
  const same = (await billing(c)).json;
  assert.deepEqual([same.plan.tier, same.plan.seats], ['growth', 3]);
});
