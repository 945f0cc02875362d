// stripe_sandbox.test.mjs - the Stripe emulator of fiscalhub-sandbox over real HTTP: the
// Stripe-Signature scheme against specs/other-platforms.md §4's vectors, Checkout sessions by
// API, the hosted Checkout page paid like a browser (test cards 4242 and 4000...0002), signed
// webhooks verified here independently, the customer portal (cancel, renew, Update plan), plan
// and seats changes by API, renewals by advancing a subscription (monthly and yearly), failed
// renewals, forged and stale deliveries, retries, and Stripe's error shapes. Needs FH_BIN (a
// build directory); starts its own sandbox on free ports.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { startSandbox } from '../lib/sandbox.mjs';

const SCALE = 36000; // webhook retries: 1 h -> 100 ms, 2 h -> 200 ms
let sb;
let S; // base URLs
let KEY; // the demo secret key
let hooks; // the test's webhook receiver

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A small webhook receiver: records every request raw; a path may be told to fail.
async function receiver() {
  const got = [];
  const failing = new Set();
  const srv = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      got.push({ path: req.url, headers: req.headers, raw, body: JSON.parse(raw), at: Date.now() });
      res.writeHead(failing.has(req.url) ? 500 : 200).end();
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${srv.address().port}`;
  return {
    base,
    got,
    failing,
    close: () => new Promise((r) => srv.close(r)),
    // Waits for a delivery to path that matches pred.
    async wait(path, pred, ms = 5000) {
      const end = Date.now() + ms;
      for (;;) {
        const hit = got.find((g) => g.path === path && pred(g.body, g));
        if (hit) return hit;
        if (Date.now() > end) throw new Error(`no webhook at ${path} matching ${pred}`);
        await sleep(20);
      }
    },
  };
}

// Stripe's verification, written from the spec sheet (not from the sandbox's code): split the
// header on ',' then '=', HMAC-SHA256 over "<t>.<raw body>" keyed with the whole secret string,
// any v1 may match, and |now - t| within the tolerance.
function verify(header, raw, secret, toleranceS = 300, now = Date.now() / 1000) {
  if (!header) return 'missing header';
  let t = null;
  const v1 = [];
  for (const part of header.split(',')) {
    const i = part.indexOf('=');
    if (i < 0) return 'unparsable header';
    const k = part.slice(0, i);
    const v = part.slice(i + 1);
    if (k === 't') t = Number(v);
    else if (k === 'v1') v1.push(v);
  }
  if (!Number.isInteger(t)) return 'unparsable header';
  if (!v1.length) return 'no v1';
  const want = createHmac('sha256', secret).update(`${t}.${raw}`).digest();
  const match = v1.some((s) => {
    const b = Buffer.from(s, 'hex');
    return b.length === want.length && timingSafeEqual(b, want);
  });
  if (!match) return 'no matching signature';
  if (toleranceS > 0 && Math.abs(now - t) > toleranceS) return 'timestamp outside tolerance';
  return 'ok';
}

async function ctl(method, path, body) {
  return sb.control(method, '/stripe/control' + path, body);
}

// A Stripe API call: form-encoded body (or query for GET), Bearer key.
async function api(method, path, params = {}, { key = KEY, headers = {} } = {}) {
  const q = new URLSearchParams(params).toString();
  const get = method === 'GET' || method === 'DELETE';
  const h = { ...headers };
  if (key !== null) h.authorization = `Bearer ${key}`;
  if (!get) h['content-type'] = 'application/x-www-form-urlencoded';
  const r = await fetch(`${S.api}/v1/${path}${get && q ? '?' + q : ''}`, { method, headers: h, body: get ? undefined : q });
  const text = await r.text();
  return { status: r.status, json: JSON.parse(text), headers: r.headers };
}

const hidden = (html, name) => (new RegExp(`name="${name}" value="([^"]*)"`).exec(html) || [])[1];
const form = (o) => ({
  method: 'POST',
  redirect: 'manual',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(o).toString(),
});

let seq = 0;
// A session for price (quantity seats) with the receiver's success/cancel pages.
async function newSession(price = 'price_fh_growth_month', quantity = 3, extra = {}) {
  seq += 1;
  const r = await api('POST', 'checkout/sessions', {
    mode: 'subscription',
    'line_items[0][price]': price,
    'line_items[0][quantity]': String(quantity),
    'line_items[0][adjustable_quantity][enabled]': 'true',
    'line_items[0][adjustable_quantity][maximum]': '50',
    success_url: `${hooks.base}/billing/done?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${hooks.base}/billing/cancelled`,
    client_reference_id: `org-${seq}`,
    customer_email: `buyer${seq}@example.com`,
    'metadata[org]': String(seq),
    'subscription_data[metadata][org]': String(seq),
    ...extra,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
}

// Opens session.url and posts the form like a browser would.
async function pay(session, fields) {
  const page = await fetch(session.url);
  assert.equal(page.status, 200);
  const html = await page.text();
  const csrf = hidden(html, 'csrf');
  assert.ok(csrf, 'the form carries a token');
  const action = /<form method="post" action="([^"]+)"/.exec(html)[1];
  const r = await fetch(new URL(action, session.url), form({ csrf, action: 'pay', card_expiry: '12 / 34', card_cvc: '123', name: 'Ana Buyer', ...fields }));
  return { status: r.status, location: r.headers.get('location'), html: r.status === 303 ? '' : await r.text() };
}

let endpoint; // the main webhook endpoint {id, secret, url}

before(async () => {
  hooks = await receiver();
  sb = await startSandbox({ args: ['--stripe-time-scale', String(SCALE)] });
  const info = await ctl('GET', '/info');
  assert.equal(info.status, 200);
  S = info.json.base_urls;
  KEY = info.json.account.secret_key;
  const we = await ctl('POST', '/webhook-endpoints', { url: `${hooks.base}/hooks/main` });
  assert.equal(we.status, 201, we.text);
  endpoint = we.json;
});

after(async () => {
  await hooks?.close();
  const r = await sb?.stop();
  if (r) {
    const log = readFileSync(sb.logFile, 'utf8');
    assert.doesNotMatch(log, /AddressSanitizer|LeakSanitizer|runtime error:/, 'sanitizer report in ' + sb.logFile);
    assert.doesNotMatch(log, /4242|sk_test_|whsec_/, 'no card numbers or secrets in the log');
    assert.equal(r.code, 0, `sandbox exited with ${r.code ?? r.signal}; log: ${sb.logFile}`);
  }
});

test('signature scheme: the spec sheet vectors, and the sandbox signs the same way', async () => {
  // stripe-node's raw HMAC vectors (key "test_secret").
  const h = (key, msg) => createHmac('sha256', key).update(msg).digest('hex');
  assert.equal(h('test_secret', ''), 'f7f9bd47fb987337b5796fdc1fdb9ba221d0d5396814bfcaf9521f43fd8927fd');
  assert.equal(h('test_secret', '{"obj1":"hello","obj2":"world"}'), 'bebb1a643997f419b315ddba19e6f5411e1ce7f810ba6d3617ce72823092f363');
  assert.equal(h('test_secret', Buffer.from([0xf0, 0x9f, 0x98, 0x80])), '837da296d05c4fe31f61d5d7ead035099d9585a5bcde87de952012a78f0b0c43');
  // The constructed Stripe-format vector.
  const payload = '{"id":"evt_test_webhook","object":"event"}';
  const header = 't=1700000000,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990';
  assert.equal(verify(header, payload, 'whsec_test_secret', 0), 'ok');
  assert.equal(verify(header, payload, 'whsec_test_secret'), 'timestamp outside tolerance');
  assert.equal(verify(header, payload, 'test_secret', 0), 'no matching signature', 'the key is the whole secret incl. whsec_');
  const signed = await ctl('POST', '/sign', { secret: 'whsec_test_secret', t: 1700000000, payload });
  assert.equal(signed.status, 200);
  assert.equal(signed.json.header, header);
});

test('API errors have Stripe shapes: no key, bad key, unknown parameter, unknown URL, missing object', async () => {
  const none = await api('GET', 'prices', {}, { key: null });
  assert.equal(none.status, 401);
  assert.equal(none.json.error.type, 'invalid_request_error');
  assert.match(none.json.error.message, /You did not provide an API key/);
  const bad = await api('GET', 'prices', {}, { key: 'sk_test_wrongwrongwrong1234' });
  assert.equal(bad.status, 401);
  assert.equal(bad.json.error.type, 'invalid_request_error');
  assert.match(bad.json.error.message, /^Invalid API Key provided: sk_test_\*+1234$/);
  assert.match(bad.headers.get('request-id'), /^req_/);
  const unknown = await api('POST', 'checkout/sessions', { mode: 'subscription', foo: 'bar' });
  assert.equal(unknown.status, 400);
  assert.deepEqual(
    { type: unknown.json.error.type, code: unknown.json.error.code, param: unknown.json.error.param },
    { type: 'invalid_request_error', code: 'parameter_unknown', param: 'foo' },
  );
  assert.equal(unknown.json.error.message, 'Received unknown parameter: foo');
  const nested = await api('POST', 'checkout/sessions', { mode: 'subscription', 'line_items[0][colour]': 'red' });
  assert.equal(nested.status, 400);
  assert.equal(nested.json.error.param, 'line_items[0][colour]');
  const missing = await api('POST', 'checkout/sessions', { mode: 'subscription', success_url: 'https://x.example/ok' });
  assert.equal(missing.status, 400);
  assert.deepEqual([missing.json.error.code, missing.json.error.param], ['parameter_missing', 'line_items']);
  const noprice = await api('POST', 'checkout/sessions', {
    mode: 'subscription', success_url: 'https://x.example/ok', 'line_items[0][price]': 'price_nope', 'line_items[0][quantity]': '1',
  });
  assert.equal(noprice.status, 400);
  assert.deepEqual([noprice.json.error.code, noprice.json.error.param], ['resource_missing', 'line_items[0][price]']);
  const badint = await api('POST', 'checkout/sessions', { 'line_items[0][quantity]': 'two' });
  assert.equal(badint.json.error.code, 'parameter_invalid_integer');
  const url = await api('GET', 'nothing/here');
  assert.equal(url.status, 404);
  assert.match(url.json.error.message, /^Unrecognized request URL \(GET: \/v1\/nothing\/here\)/);
  const gone = await api('GET', 'subscriptions/sub_doesnotexist');
  assert.equal(gone.status, 404);
  assert.equal(gone.json.error.code, 'resource_missing');
  assert.equal(gone.json.error.message, "No such subscription: 'sub_doesnotexist'");
});

test('checkout: create by API, pay with 4242 on the page, redirect with the id, signed checkout.session.completed', async () => {
  const s = await newSession('price_fh_growth_month', 3);
  assert.match(s.id, /^cs_test_[A-Za-z0-9]{20,}$/);
  assert.equal(s.object, 'checkout.session');
  assert.equal(s.mode, 'subscription');
  assert.equal(s.status, 'open');
  assert.equal(s.payment_status, 'unpaid');
  assert.equal(s.amount_total, 3 * 4900);
  assert.equal(s.subscription, null);
  assert.equal(s.livemode, false);
  assert.ok(s.url.startsWith(S.checkout), s.url);
  const again = await api('GET', `checkout/sessions/${s.id}`, { 'expand[]': 'line_items' });
  assert.equal(again.status, 200);
  assert.equal(again.json.line_items.data[0].quantity, 3);
  assert.equal(again.json.line_items.data[0].price.recurring.interval, 'month');

  const page = await fetch(s.url);
  const html = await page.text();
  assert.match(page.headers.get('content-security-policy'), /default-src 'none'/);
  assert.doesNotMatch(html, /<script/i);
  assert.match(html, /fiscalhub Growth/);
  assert.match(html, /EUR 49\.00 per seat \/ month/);
  assert.match(html, /name="quantity_0"[^>]*value="3"/);

  const r = await pay(s, { card_number: '4242 4242 4242 4242', quantity_0: '4' });
  assert.equal(r.status, 303, r.html);
  assert.equal(r.location, `${hooks.base}/billing/done?session_id=${s.id}`);

  const hit = await hooks.wait('/hooks/main', (b) => b.type === 'checkout.session.completed' && b.data.object.id === s.id);
  assert.equal(verify(hit.headers['stripe-signature'], hit.raw, endpoint.secret), 'ok');
  assert.equal(verify(hit.headers['stripe-signature'], hit.raw, 'whsec_someoneelse'), 'no matching signature');
  const ev = hit.body;
  assert.match(ev.id, /^evt_/);
  assert.equal(ev.object, 'event');
  assert.equal(ev.livemode, false);
  assert.equal(ev.data.object.status, 'complete');
  assert.equal(ev.data.object.payment_status, 'paid');
  assert.equal(ev.data.object.client_reference_id, s.client_reference_id);
  assert.equal(ev.data.object.metadata.org, s.metadata.org);
  assert.match(ev.data.object.subscription, /^sub_/);
  assert.match(ev.data.object.customer, /^cus_/);

  const sub = await api('GET', `subscriptions/${ev.data.object.subscription}`);
  assert.equal(sub.status, 200);
  assert.equal(sub.json.status, 'active');
  assert.equal(sub.json.quantity, 4, 'the seats chosen on the page');
  assert.equal(sub.json.items.data[0].price.id, 'price_fh_growth_month');
  assert.equal(sub.json.metadata.org, s.metadata.org);
  const days = (sub.json.current_period_end - sub.json.current_period_start) / 86400;
  assert.ok(days >= 28 && days <= 31, `a month: ${days} days`);
  const cus = await api('GET', `customers/${sub.json.customer}`);
  assert.equal(cus.json.email, s.customer_email);
  const done = await api('GET', `checkout/sessions/${s.id}`);
  assert.equal(done.json.status, 'complete');
  assert.equal(done.json.url, null);
  const inv = await api('GET', `invoices/${done.json.invoice}`);
  assert.equal(inv.json.status, 'paid');
  assert.equal(inv.json.amount_paid, 4 * 4900);
  assert.equal(inv.json.billing_reason, 'subscription_create');
  // The page of a paid session is gone.
  assert.equal((await fetch(s.url)).status, 410);
});

test('a declined card (4000 0000 0000 0002) completes nothing', async () => {
  const s = await newSession('price_fh_starter_month', 1);
  const r = await pay(s, { card_number: '4000 0000 0000 0002' });
  assert.equal(r.status, 402);
  assert.match(r.html, /role="alert">Your card was declined\./);
  assert.doesNotMatch(r.html, /4000 0000 0000 0002"/, 'the card number is not echoed back');
  const nontest = await pay(s, { card_number: '4111 1111 1111 1111' });
  assert.equal(nontest.status, 402);
  assert.match(nontest.html, /non test card/);
  const st = await api('GET', `checkout/sessions/${s.id}`);
  assert.equal(st.json.status, 'open');
  assert.equal(st.json.subscription, null);
  const events = await api('GET', 'events', { type: 'checkout.session.completed', limit: '100' });
  assert.ok(!events.json.data.some((e) => e.data.object.id === s.id), 'no completion event');
  await sleep(200);
  assert.ok(!hooks.got.some((g) => g.body.data.object.id === s.id), 'no webhook for the declined session');
  const stats = await ctl('GET', '/stats');
  assert.ok(stats.json.declines.card_declined >= 1);
  // Cancel goes back to cancel_url and leaves the session open.
  const html = await (await fetch(s.url)).text();
  const back = await fetch(s.url, form({ csrf: hidden(html, 'csrf'), action: 'cancel' }));
  assert.equal(back.status, 303);
  assert.equal(back.headers.get('location'), `${hooks.base}/billing/cancelled`);
  assert.equal((await api('GET', `checkout/sessions/${s.id}`)).json.status, 'open');
});

// A paid subscription through the control shortcut (the page is covered above).
async function paidSub(price) {
  const s = await newSession(price, 2);
  const done = await ctl('POST', `/sessions/${s.id}/complete`, { card: '4242424242424242' });
  assert.equal(done.status, 200, done.text);
  return done.json.subscription;
}

test('customer portal: the link works, cancel at period end and renew send customer.subscription.updated', async () => {
  const sub = await paidSub('price_fh_scale_month');
  const ps = await api('POST', 'billing_portal/sessions', { customer: sub.customer, return_url: `${hooks.base}/billing` });
  assert.equal(ps.status, 200, JSON.stringify(ps.json));
  assert.equal(ps.json.object, 'billing_portal.session');
  assert.ok(ps.json.url.startsWith(S.portal));
  const page = await fetch(ps.json.url);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /fiscalhub Scale/);
  assert.match(html, /Renews on \d{4}-\d\d-\d\d/);
  assert.ok(html.includes(`href="${hooks.base}/billing"`), 'return link');
  const csrf = hidden(html, 'csrf');
  const cancel = await fetch(ps.json.url, form({ csrf, subscription: sub.id, action: 'cancel' }));
  assert.equal(cancel.status, 303);
  const after = await (await fetch(new URL(cancel.headers.get('location'), ps.json.url))).text();
  assert.match(after, /Cancels on/);
  const upd = await hooks.wait('/hooks/main', (b) => b.type === 'customer.subscription.updated' && b.data.object.id === sub.id && b.data.object.cancel_at_period_end);
  assert.equal(verify(upd.headers['stripe-signature'], upd.raw, endpoint.secret), 'ok');
  assert.equal(upd.body.data.previous_attributes.cancel_at_period_end, false);
  const renew = await fetch(ps.json.url, form({ csrf, subscription: sub.id, action: 'renew' }));
  assert.equal(renew.status, 303);
  await hooks.wait('/hooks/main', (b) => b.type === 'customer.subscription.updated' && b.data.object.id === sub.id && b.data.previous_attributes.cancel_at_period_end === true);
  const forged = await fetch(ps.json.url, form({ csrf: 'nope', subscription: sub.id, action: 'cancel' }));
  assert.equal(forged.status, 403);
  const unknownCustomer = await api('POST', 'billing_portal/sessions', { customer: 'cus_nobody' });
  assert.equal(unknownCustomer.status, 400);
  assert.equal(unknownCustomer.json.error.code, 'resource_missing');
});

// The customer.subscription.updated events of one subscription in the event log (recorded
// when emitted, so no waiting is needed), newest first.
async function subUpdates(id) {
  const r = await api('GET', 'events', { type: 'customer.subscription.updated', limit: '100' });
  assert.equal(r.status, 200);
  return r.json.data.filter((e) => e.data.object.id === id);
}

// The renewal invoice of sub after an advance, as delivered to the main endpoint.
async function renewalInvoice(subId) {
  const paid = await hooks.wait('/hooks/main', (b) => b.type === 'invoice.paid' && b.data.object.subscription === subId && b.data.object.billing_reason === 'subscription_cycle');
  assert.equal(verify(paid.headers['stripe-signature'], paid.raw, endpoint.secret), 'ok');
  return paid.body.data.object;
}

const DEMO_PRICES = ['starter', 'growth', 'scale'].flatMap((t) => [`price_fh_${t}_month`, `price_fh_${t}_year`]);

test('customer portal: Update plan changes seats and price, the event carries the old items, the renewal bills the new plan', async () => {
  const sub = await paidSub('price_fh_starter_month'); // 2 seats
  const si = sub.items.data[0].id;
  const usd = await ctl('POST', '/prices', { product: 'prod_fh_growth', unit_amount: 5900, interval: 'month', currency: 'usd' });
  assert.equal(usd.status, 201, usd.text);
  const ps = await api('POST', 'billing_portal/sessions', { customer: sub.customer, return_url: `${hooks.base}/billing` });
  assert.equal(ps.status, 200, JSON.stringify(ps.json));
  const html = await (await fetch(ps.json.url)).text();
  assert.doesNotMatch(html, /<script/i);
  assert.match(html, /<fieldset><legend>Update plan<\/legend>/);
  const seats = new RegExp(`<label for="seats-${sub.id}">Seats</label><input type="number" id="seats-${sub.id}" name="quantity" min="1" max="99" step="1" required value="2" aria-describedby="update-hint-${sub.id}">`);
  assert.match(html, seats);
  assert.match(html, new RegExp(`<label for="price-${sub.id}">Plan</label><select id="price-${sub.id}" name="price" required aria-describedby="update-hint-${sub.id}">`));
  assert.match(html, new RegExp(`<p class="hint" id="update-hint-${sub.id}">Changes apply now, without proration`));
  assert.match(html, /<button type="submit" name="action" value="update">Update plan<\/button>/);
  const options = [...html.matchAll(/<option value="([^"]+)"( selected)?>([^<]*)<\/option>/g)].map((m) => ({ id: m[1], selected: !!m[2], text: m[3] }));
  assert.deepEqual(options.map((o) => o.id).sort(), [...DEMO_PRICES].sort(), 'the active EUR prices, not the USD one');
  assert.deepEqual(options.filter((o) => o.selected).map((o) => o.id), ['price_fh_starter_month']);
  assert.equal(options.find((o) => o.id === 'price_fh_growth_year').text, 'fiscalhub Growth, EUR 490.00 per seat / year');

  const csrf = hidden(html, 'csrf');
  const post = (fields) => fetch(ps.json.url, form({ csrf, subscription: sub.id, action: 'update', ...fields }));
  const before = (await subUpdates(sub.id)).length;
  for (const [fields, why] of [
    [{ price: 'price_fh_growth_month', quantity: '0' }, /Seats must be a whole number from 1 to 99\./],
    [{ price: 'price_fh_growth_month', quantity: '100' }, /Seats must be a whole number from 1 to 99\./],
    [{ price: 'price_fh_growth_month', quantity: '2.5' }, /Seats must be a whole number from 1 to 99\./],
    [{ price: 'price_fh_growth_month' }, /Seats must be a whole number from 1 to 99\./],
    [{ price: usd.json.id, quantity: '3' }, /That plan is not available for this subscription\./],
    [{ price: 'price_nope', quantity: '3' }, /That plan is not available for this subscription\./],
    [{ price: 'price_fh_starter_month', quantity: '2' }, /It already has this plan and number of seats\./],
  ]) {
    const r = await post(fields);
    assert.equal(r.status, 400, JSON.stringify(fields));
    const page = await r.text();
    assert.match(page, /role="alert">That change is not possible for this subscription\. /);
    assert.match(page, why);
  }
  const forged = await fetch(ps.json.url, form({ csrf: 'nope', subscription: sub.id, action: 'update', price: 'price_fh_growth_month', quantity: '5' }));
  assert.equal(forged.status, 403);
  const same = await api('GET', `subscriptions/${sub.id}`);
  assert.equal(same.json.quantity, 2);
  assert.equal(same.json.items.data[0].price.id, 'price_fh_starter_month');
  assert.equal((await subUpdates(sub.id)).length, before, 'no event for a refused change');

  const ok = await post({ price: 'price_fh_growth_month', quantity: '5' });
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get('location'), `/stripe/p/session/${ps.json.id}?notice=updated`);
  const after = await (await fetch(new URL(ok.headers.get('location'), ps.json.url))).text();
  assert.match(after, /<p role="status">Your plan was updated\.<\/p>/);
  assert.match(after, /fiscalhub Growth<\/h2><p>5 seats &middot; EUR 245\.00 per month/);
  assert.match(after, /<option value="price_fh_growth_month" selected>/);
  assert.match(after, new RegExp(`id="seats-${sub.id}"[^>]* value="5"`));

  const hit = await hooks.wait('/hooks/main', (b) => b.type === 'customer.subscription.updated' && b.data.object.id === sub.id && b.data.previous_attributes.items);
  assert.equal(verify(hit.headers['stripe-signature'], hit.raw, endpoint.secret), 'ok');
  const { object, previous_attributes: prev } = hit.body.data;
  assert.equal(object.items.data.length, 1);
  assert.equal(object.items.data[0].id, si, 'the same subscription item');
  assert.equal(object.items.data[0].price.id, 'price_fh_growth_month');
  assert.equal(object.items.data[0].quantity, 5);
  assert.equal(object.quantity, 5);
  assert.equal(object.current_period_end, sub.current_period_end, 'the period stays');
  assert.deepEqual(Object.keys(prev).sort(), ['items', 'quantity']);
  assert.equal(prev.quantity, 2);
  assert.equal(prev.items.object, 'list');
  assert.deepEqual(prev.items.data.map((i) => [i.id, i.price.id, i.quantity]), [[si, 'price_fh_starter_month', 2]]);
  assert.equal((await subUpdates(sub.id)).length, before + 1, 'one event');

  const adv = await ctl('POST', `/subscriptions/${sub.id}/advance`);
  assert.equal(adv.status, 200, adv.text);
  const inv = await renewalInvoice(sub.id);
  assert.equal(inv.amount_paid, 5 * 4900, 'the new price x the new seats, no proration');
  assert.deepEqual(inv.lines.data.map((l) => [l.price.id, l.quantity, l.proration, l.subscription_item]), [['price_fh_growth_month', 5, false, si]]);
});

test('POST /v1/subscriptions/{id} items[0]: seats and price by API, refused changes leave everything as it was', async () => {
  const sub = await paidSub('price_fh_growth_month'); // 2 seats
  const other = await paidSub('price_fh_growth_month');
  const si = sub.items.data[0].id;
  const usd = await ctl('POST', '/prices', { product: 'prod_fh_scale', unit_amount: 9900, interval: 'month', currency: 'usd' });
  assert.equal(usd.status, 201, usd.text);
  const before = (await subUpdates(sub.id)).length;
  const refusals = [
    [{ 'items[0][id]': other.items.data[0].id, 'items[0][quantity]': '3', cancel_at_period_end: 'true', 'metadata[x]': 'y' }, 'resource_missing', 'items[0][id]', /^No such subscription item: 'si_/],
    [{ 'items[0][id]': 'si_nope', 'items[0][quantity]': '3' }, 'resource_missing', 'items[0][id]', /^No such subscription item: 'si_nope'$/],
    [{ 'items[0][price]': 'price_fh_scale_month' }, 'parameter_missing', 'items[0][id]', /items\[0\]\[id\]/],
    [{ 'items[0][id]': si, 'items[0][quantity]': '0', cancel_at_period_end: 'true' }, undefined, 'items[0][quantity]', /Invalid quantity/],
    [{ 'items[0][id]': si, 'items[0][quantity]': 'three' }, 'parameter_invalid_integer', 'items[0][quantity]', /Invalid integer/],
    [{ 'items[0][id]': si, 'items[0][price]': 'price_nope' }, 'resource_missing', 'items[0][price]', /^No such price: 'price_nope'$/],
    [{ 'items[0][id]': si, 'items[0][price]': usd.json.id }, undefined, 'items[0][price]', /currency/],
    [{ 'items[0][id]': si, 'items[0][deleted]': 'true' }, 'parameter_unknown', 'items[0][deleted]', /unknown parameter/],
    [{ 'items[0][id]': si, 'items[1][id]': si }, undefined, 'items', /one subscription item/],
    [{ 'items[0][id]': si, 'items[0][quantity]': '3', proration_behavior: 'sometimes' }, undefined, 'proration_behavior', /create_prorations, none, or always_invoice/],
  ];
  for (const [params, code, param, message] of refusals) {
    const r = await api('POST', `subscriptions/${sub.id}`, params);
    assert.equal(r.status, 400, JSON.stringify(params));
    assert.equal(r.json.error.type, 'invalid_request_error');
    assert.equal(r.json.error.code, code, JSON.stringify(r.json));
    assert.equal(r.json.error.param, param);
    assert.match(r.json.error.message, message);
  }
  const same = await api('GET', `subscriptions/${sub.id}`);
  assert.deepEqual([same.json.items.data[0].price.id, same.json.quantity, same.json.cancel_at_period_end, same.json.metadata.x],
    ['price_fh_growth_month', 2, false, undefined], 'nothing changed');
  assert.equal((await api('GET', `subscriptions/${other.id}`)).json.quantity, 2, 'the other subscription neither');
  assert.equal((await subUpdates(sub.id)).length, before, 'no event');

  const r = await api('POST', `subscriptions/${sub.id}`, { 'items[0][id]': si, 'items[0][price]': 'price_fh_scale_year', 'items[0][quantity]': '7', proration_behavior: 'none' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual([r.json.items.data[0].id, r.json.items.data[0].price.id, r.json.items.data[0].quantity, r.json.quantity], [si, 'price_fh_scale_year', 7, 7]);
  assert.equal(r.json.current_period_end, sub.current_period_end, 'the period stays until the renewal');
  const hit = await hooks.wait('/hooks/main', (b) => b.type === 'customer.subscription.updated' && b.data.object.id === sub.id && b.data.object.items.data[0].price.id === 'price_fh_scale_year');
  assert.equal(verify(hit.headers['stripe-signature'], hit.raw, endpoint.secret), 'ok');
  assert.deepEqual(hit.body.data.object, r.json, 'the event object is the subscription as rendered');
  const prev = hit.body.data.previous_attributes;
  assert.deepEqual(Object.keys(prev).sort(), ['items', 'quantity']);
  assert.equal(prev.quantity, 2);
  assert.deepEqual(prev.items.data.map((i) => [i.id, i.price.id, i.quantity]), [[si, 'price_fh_growth_month', 2]]);

  // Only the price: the quantity is not among previous_attributes.
  const r2 = await api('POST', `subscriptions/${sub.id}`, { 'items[0][id]': si, 'items[0][price]': 'price_fh_growth_year', proration_behavior: 'create_prorations' });
  assert.equal(r2.status, 200, JSON.stringify(r2.json));
  assert.equal(r2.json.quantity, 7);
  const hit2 = await hooks.wait('/hooks/main', (b) => b.type === 'customer.subscription.updated' && b.data.object.id === sub.id && b.data.object.items.data[0].price.id === 'price_fh_growth_year');
  assert.deepEqual(Object.keys(hit2.body.data.previous_attributes), ['items']);
  assert.equal(hit2.body.data.previous_attributes.items.data[0].price.id, 'price_fh_scale_year');
  // The same again changes nothing: 200, no event.
  const n = (await subUpdates(sub.id)).length;
  assert.equal(n, before + 2);
  const r3 = await api('POST', `subscriptions/${sub.id}`, { 'items[0][id]': si, 'items[0][quantity]': '7', proration_behavior: 'always_invoice' });
  assert.equal(r3.status, 200);
  assert.equal((await subUpdates(sub.id)).length, n, 'no event when nothing changed');

  // The renewal: the new (yearly) interval from the old period end, 7 x 490.00.
  const adv = await ctl('POST', `/subscriptions/${sub.id}/advance`);
  assert.equal(adv.status, 200, adv.text);
  assert.equal(adv.json.current_period_start, sub.current_period_end);
  const days = (adv.json.current_period_end - adv.json.current_period_start) / 86400;
  assert.ok(days >= 365 && days <= 366, `a year: ${days} days`);
  const inv = await renewalInvoice(sub.id);
  assert.equal(inv.amount_paid, 7 * 49000);
  assert.deepEqual(inv.lines.data.map((l) => [l.price.id, l.quantity]), [['price_fh_growth_year', 7]]);
});

test('renewal: advance -> invoice.paid for the next period and customer.subscription.updated (monthly and yearly)', async () => {
  for (const [price, minDays, maxDays] of [['price_fh_growth_month', 28, 31], ['price_fh_starter_year', 365, 366]]) {
    const sub = await paidSub(price);
    const adv = await ctl('POST', `/subscriptions/${sub.id}/advance`);
    assert.equal(adv.status, 200, adv.text);
    assert.equal(adv.json.current_period_start, sub.current_period_end);
    const days = (adv.json.current_period_end - adv.json.current_period_start) / 86400;
    assert.ok(days >= minDays && days <= maxDays, `${price}: ${days} days`);
    const paid = await hooks.wait('/hooks/main', (b) => b.type === 'invoice.paid' && b.data.object.subscription === sub.id && b.data.object.billing_reason === 'subscription_cycle');
    assert.equal(verify(paid.headers['stripe-signature'], paid.raw, endpoint.secret), 'ok');
    const inv = paid.body.data.object;
    assert.equal(inv.status, 'paid');
    assert.equal(inv.amount_paid, 2 * (price === 'price_fh_growth_month' ? 4900 : 19000));
    assert.deepEqual(inv.lines.data[0].period, { start: sub.current_period_end, end: adv.json.current_period_end });
    const upd = await hooks.wait('/hooks/main', (b) => b.type === 'customer.subscription.updated' && b.data.object.id === sub.id && b.data.previous_attributes.current_period_end === sub.current_period_end);
    assert.equal(upd.body.data.object.current_period_end, adv.json.current_period_end);
    assert.equal(upd.body.data.object.latest_invoice, inv.id);
  }
});

test('a failed renewal: invoice.payment_failed, past_due, then paid again; cancel at period end ends it', async () => {
  const sub = await paidSub('price_fh_growth_year');
  const fail = await ctl('POST', `/subscriptions/${sub.id}/fail`);
  assert.equal(fail.status, 200);
  assert.equal(fail.json.status, 'past_due');
  const failed = await hooks.wait('/hooks/main', (b) => b.type === 'invoice.payment_failed' && b.data.object.subscription === sub.id);
  assert.equal(failed.body.data.object.status, 'open');
  assert.equal(failed.body.data.object.attempt_count, 1);
  const pay2 = await ctl('POST', `/invoices/${failed.body.data.object.id}/pay`);
  assert.equal(pay2.status, 200);
  await hooks.wait('/hooks/main', (b) => b.type === 'customer.subscription.updated' && b.data.object.id === sub.id && b.data.object.status === 'active' && b.data.previous_attributes.status === 'past_due');
  const cancel = await api('POST', `subscriptions/${sub.id}`, { cancel_at_period_end: 'true' });
  assert.equal(cancel.status, 200);
  assert.equal(cancel.json.cancel_at_period_end, true);
  const end = await ctl('POST', `/subscriptions/${sub.id}/advance`);
  assert.equal(end.json.status, 'canceled');
  await hooks.wait('/hooks/main', (b) => b.type === 'customer.subscription.deleted' && b.data.object.id === sub.id);
});

test('forged and stale deliveries arrive with signatures a verifier refuses', async () => {
  const kinds = ['bad_signature', 'stale', 'no_header', 'no_v1', 'multi_v1'];
  const sent = {};
  for (const kind of kinds) {
    const r = await ctl('POST', '/events/forge', { kind, endpoint: endpoint.id, type: 'checkout.session.completed' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.queued, 1);
    sent[kind] = r.json.event.id;
  }
  const verdicts = {};
  for (const kind of kinds) {
    const hit = await hooks.wait('/hooks/main', (b) => b.id === sent[kind]);
    verdicts[kind] = verify(hit.headers['stripe-signature'], hit.raw, endpoint.secret);
    if (kind === 'stale') {
      assert.equal(verify(hit.headers['stripe-signature'], hit.raw, endpoint.secret, 0), 'ok', 'stale but genuinely signed');
      const t = Number(/t=(\d+)/.exec(hit.headers['stripe-signature'])[1]);
      assert.ok(Date.now() / 1000 - t >= 590, 'ten minutes old');
    }
  }
  assert.deepEqual(verdicts, {
    bad_signature: 'no matching signature',
    stale: 'timestamp outside tolerance',
    no_header: 'missing header',
    no_v1: 'no v1',
    multi_v1: 'ok',
  });
  const we = await ctl('GET', `/webhook-endpoints/${endpoint.id}`);
  assert.equal(we.json.log.filter((l) => l.forged).length >= kinds.length, true);
});

test('webhook retries with backoff on non-2xx, then the event counts as failed', async () => {
  const we = await ctl('POST', '/webhook-endpoints', { url: `${hooks.base}/hooks/failing`, enabled_events: ['invoice.paid'] });
  assert.equal(we.status, 201);
  assert.match(we.json.secret, /^whsec_/);
  hooks.failing.add('/hooks/failing');
  const sub = await paidSub('price_fh_starter_month');
  const paid = await hooks.wait('/hooks/failing', (b) => b.type === 'invoice.paid' && b.data.object.subscription === sub.id);
  const deadline = Date.now() + 5000;
  let tries;
  for (;;) {
    tries = hooks.got.filter((g) => g.path === '/hooks/failing' && g.body.id === paid.body.id);
    if (tries.length >= 3 || Date.now() > deadline) break;
    await sleep(20);
  }
  assert.equal(tries.length, 3, 'three attempts (sandbox mode)');
  const gap1 = tries[1].at - tries[0].at;
  const gap2 = tries[2].at - tries[1].at;
  assert.ok(gap1 >= 80 && gap2 >= 160, `backoff grows: ${gap1} ms, ${gap2} ms`);
  for (const t of tries) assert.equal(verify(t.headers['stripe-signature'], t.raw, we.json.secret), 'ok');
  // the receiver has the last attempt before the emulator has read its answer: wait for the count
  let state;
  for (const until = Date.now() + 5000; ;) {
    state = await ctl('GET', `/webhook-endpoints/${we.json.id}`);
    if (state.json.events_failed >= 1 || Date.now() > until) break;
    await sleep(20);
  }
  assert.equal(state.json.events_failed, 1);
  assert.equal(state.json.failed_attempts, 3);
  assert.ok(!hooks.got.some((g) => g.path === '/hooks/failing' && g.body.type !== 'invoice.paid'), 'only enabled events');
  const stats = await ctl('GET', '/stats');
  assert.ok(stats.json.webhooks.events_failed >= 1);
  assert.ok(stats.json.calls['POST /v1/checkout/sessions'] >= 1);
  assert.ok(stats.json.sessions.completed >= 1);
  assert.equal((await ctl('DELETE', `/webhook-endpoints/${we.json.id}`)).status, 200);
});

test('idempotency keys, expiry, and injected faults', async () => {
  const params = {
    mode: 'subscription', 'line_items[0][price]': 'price_fh_growth_month', 'line_items[0][quantity]': '1', success_url: 'https://app.example/ok',
  };
  const k = { headers: { 'idempotency-key': `idem-${process.pid}` } };
  const a = await api('POST', 'checkout/sessions', params, k);
  const b = await api('POST', 'checkout/sessions', params, k);
  assert.equal(a.status, 200);
  assert.equal(b.json.id, a.json.id);
  assert.equal(b.headers.get('idempotent-replayed'), 'true');
  const c = await api('POST', 'checkout/sessions', { ...params, 'line_items[0][quantity]': '2' }, k);
  assert.equal(c.status, 400);
  assert.equal(c.json.error.type, 'idempotency_error');

  const exp = await api('POST', `checkout/sessions/${a.json.id}/expire`);
  assert.equal(exp.status, 200);
  assert.equal(exp.json.status, 'expired');
  assert.equal((await fetch(a.json.url)).status, 410);
  assert.equal((await api('POST', `checkout/sessions/${a.json.id}/expire`)).status, 400);

  assert.equal((await ctl('PUT', '/faults', { next: ['error_5xx'] })).status, 200);
  const f = await api('GET', 'prices');
  assert.equal(f.status, 500);
  assert.equal(f.json.error.type, 'api_error');
  assert.equal((await ctl('PUT', '/faults', { force_429: { count: 1 } })).status, 200);
  const rl = await api('GET', 'prices');
  assert.equal(rl.status, 429);
  assert.equal(rl.json.error.code, 'rate_limit');
  assert.equal((await api('GET', 'prices')).status, 200);
});

test('reset brings back the demo catalogue and forgets buyers', async () => {
  const r = await ctl('POST', '/reset', {});
  assert.equal(r.status, 200);
  const info = await ctl('GET', '/info');
  assert.deepEqual(info.json.counts, { products: 3, prices: 6, sessions: 0, customers: 0, subscriptions: 0, invoices: 0 });
  assert.deepEqual(info.json.webhook_endpoints, []);
  const stats = await ctl('GET', '/stats');
  assert.deepEqual(stats.json.sessions, {}, 'counters start again');
  const prices = await api('GET', 'prices', { 'lookup_keys[]': 'growth_yearly' });
  assert.equal(prices.json.data.length, 1);
  assert.equal(prices.json.data[0].id, 'price_fh_growth_year');
  assert.equal(prices.json.data[0].unit_amount, 49000);
});
