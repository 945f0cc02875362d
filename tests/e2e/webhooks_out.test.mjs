// Custom / Webhook: signed outgoing events delivered as durable jobs to the sandbox receiver.
// An invoice submitted with an API key is fiscalized at the V-SDC emulator and its event arrives
// with a valid signature and the custom headers; a receiver failing for a while gets every event
// exactly once after it recovers (deduplicated by event id); a slow receiver's timeout makes a
// duplicate it dedupes; after the retry window a delivery is Failed and Redeliver sends the same
// event id; integration status changes; endpoint settings (https, write-only headers).
// Backoff and the retry window are shortened by settings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signup } from '../lib/server.mjs';
import { startSandbox, issueCert, uploadCert, invoice, sleep, waitFor, startFiscalServer } from '../lib/fiscal.mjs';
import { ApiClient, createCustom, createKey, createWebhook, receiver, verifySignature } from '../lib/custom.mjs';

const RETRY_WINDOW_S = 3;
let sb, srv;
let seq = 0;
const sid = (tag) => `${tag}-${process.pid}-${++seq}`;

before(async () => {
  sb = await startSandbox();
  srv = await startFiscalServer(sb, {
    FISCALHUB_WORKERS: '4',
    FISCALHUB_WEBHOOK_BACKOFF_MS: '100',
    FISCALHUB_WEBHOOK_BACKOFF_MAX_MS: '400',
    FISCALHUB_WEBHOOK_RETRY_SECONDS: String(RETRY_WINDOW_S),
    FISCALHUB_WEBHOOK_TIMEOUT_MS: '700',
  });
});
after(async () => {
  await srv?.stop();
  await sb?.stop();
});

// An organization with a certificate, a Custom Integration with a key, and a webhook endpoint
// at the receiver hook `name` (its secret configured there).
async function setup(name, { events, headers, hook = {} } = {}) {
  const c = await signup(srv.url, name);
  const cert = await uploadCert(c, await issueCert(sb));
  const wh = await createWebhook(c, cert, receiver.url(sb, name), { events, headers });
  await receiver.configure(sb, name, { secret: wh.secret, ...hook });
  const custom = await createCustom(c, cert);
  const api = new ApiClient(srv.url, await createKey(c, custom));
  return { c, cert, wh, custom, api };
}

const deliveries = async (c, uid) => (await c.get(`/api/orgs/${c.org}/integrations/${uid}/webhook/deliveries?limit=100`)).json.deliveries;

test('an invoice submitted with an API key is fiscalized and its signed event reaches the receiver', async () => {
  const name = sid('main');
  const { c, wh, api } = await setup(name, { headers: [{ name: 'Authorization', value: 'Bearer hook-token-1' }] });
  const r = await api.post('/api/v1/invoices', { invoice: invoice({ pos_invoice_number: sid('POS') }), source_id: sid('S') });
  assert.equal(r.status, 202, r.text);
  const d = await api.settled(r.json.id);
  assert.equal(d.status, 'signed');
  const [got] = await receiver.events(sb, name, (e) => e.type === 'invoice.fiscalized');
  assert.equal(got.signature_valid, true, got.signature_error);
  assert.equal(got.status, 200);
  // verified here too, independently of the receiver
  assert.ok(verifySignature(wh.secret, got.headers['fiscalhub-signature'], got.body));
  assert.ok(!verifySignature(wh.secret + 'x', got.headers['fiscalhub-signature'], got.body));
  const ev = got.event;
  assert.match(ev.id, /^evt_[A-Za-z0-9_-]{24}$/);
  assert.equal(got.headers['fiscalhub-event-id'], ev.id);
  assert.equal(got.headers['fiscalhub-event-type'], 'invoice.fiscalized');
  assert.equal(got.headers.authorization, 'Bearer hook-token-1', 'the custom header');
  assert.equal(got.headers['content-type'], 'application/json');
  assert.equal(ev.api_version, 'v1');
  assert.equal(ev.organization, c.org);
  const inv = ev.data.invoice;
  assert.equal(inv.id, d.id);
  assert.equal(inv.invoice_number, d.invoice_number);
  assert.equal(inv.verification_url, d.verification_url);
  assert.equal(inv.result.signature, d.result.signature, 'the fiscal signature');
  assert.equal(inv.result.journal, d.result.journal);
  assert.deepEqual(inv.invoice, d.invoice);
  assert.equal(inv.source_id, d.source_id);
  // the delivery log (written once fiscalhub has read the receiver's answer)
  const log = await waitFor(async () => {
    const l = (await deliveries(c, wh.uid)).find((x) => x.event_id === ev.id);
    return l?.status === 'delivered' ? l : null;
  }, { what: 'the delivery logged as delivered', timeoutMs: 10000 });
  assert.equal(log.attempts, 1);
  assert.equal(log.last_http_status, 200);
  assert.equal(typeof log.last_latency_ms, 'number');
  assert.match(log.last_response, /"received":true/);
  // a forged or replayed request is refused by the receiver
  const forged = await fetch(receiver.url(sb, name), { method: 'POST', body: got.body,
    headers: { 'content-type': 'application/json', 'fiscalhub-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` } });
  assert.equal(forged.status, 400);
  const old = Math.floor(Date.now() / 1000) - 3600;
  const { createHmac } = await import('node:crypto');
  const stale = `t=${old},v1=${createHmac('sha256', wh.secret).update(`${old}.${got.body}`).digest('hex')}`;
  const replayed = await fetch(receiver.url(sb, name), { method: 'POST', body: got.body, headers: { 'fiscalhub-signature': stale } });
  assert.equal(replayed.status, 400);
  assert.match((await replayed.json()).error, /tolerance/);
});

test('a failed fiscalization sends invoice.failed with the reason', async () => {
  const name = sid('fail');
  const { api } = await setup(name, { events: ['invoice.failed'] });
  const r = await api.post('/api/v1/invoices', { invoice: invoice({ items: [{ name: 'X', quantity: '1', unit_price: '5', labels: ['Q'], total: '5' }] }) });
  assert.equal(r.status, 202);
  const d = await api.settled(r.json.id);
  assert.equal(d.status, 'failed');
  const [got] = await receiver.events(sb, name, (e) => e.type === 'invoice.failed');
  assert.equal(got.signature_valid, true);
  assert.equal(got.event.data.invoice.id, d.id);
  assert.match(got.event.data.invoice.last_error, /2310/);
  assert.equal(got.event.data.invoice.result, null);
});

test('the receiver failing for a while still gets every event exactly once after it recovers', async () => {
  const name = sid('flaky');
  const { c, wh, api } = await setup(name, { events: ['invoice.fiscalized'], hook: { fail_for_ms: 1200, fail_status: 503 } });
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await api.post('/api/v1/invoices', { invoice: invoice({ pos_invoice_number: sid('POS') }) })).json.id);
  const got = await receiver.events(sb, name, (e) => e.type === 'invoice.fiscalized', 5);
  const h = await receiver.get(sb, name);
  assert.ok(h.failed > 0, 'the receiver really refused some deliveries');
  // every invoice's event exactly once, each accepted once, all signatures valid
  const events = h.events.filter((e) => e.type === 'invoice.fiscalized');
  assert.equal(events.length, 5);
  assert.deepEqual(events.map((e) => e.accepted), [1, 1, 1, 1, 1]);
  assert.ok(events.every((e) => e.signature_valid === true));
  assert.deepEqual(got.map((g) => g.event.data.invoice.id).sort((x, y) => x - y), ids.slice().sort((x, y) => x - y));
  // the refused requests carried the same event ids: retries never mint a new id
  const accepted = new Set(events.map((e) => e.event_id));
  for (const r of h.requests.filter((x) => x.outcome === 'failed')) assert.ok(accepted.has(r.event_id), r.event_id);
  // the log counts every attempt with its status and the receiver's answer; fiscalhub records a
  // delivery once it has read the receiver's 200, a moment after the receiver counted it
  const log = await waitFor(async () => {
    const l = (await deliveries(c, wh.uid)).filter((x) => x.event_type === 'invoice.fiscalized');
    return l.length === 5 && l.every((x) => x.status === 'delivered') ? l : null;
  }, { what: 'the five deliveries logged as delivered', timeoutMs: 10000 });
  const retried = log.find((x) => x.attempts > 1);
  assert.ok(retried, 'some delivery needed retries');
  const full = (await c.get(`/api/orgs/${c.org}/integrations/${wh.uid}/webhook/deliveries/${retried.id}`)).json;
  assert.equal(full.attempt_log.length, retried.attempts);
  const refused = full.attempt_log.find((a) => a.http_status === 503);
  assert.ok(refused);
  assert.match(refused.response_excerpt, /injected failure/);
  assert.match(refused.error, /503/);
  assert.equal(full.attempt_log[0].http_status, 200);
  const failedRequests = h.requests.filter((x) => x.outcome === 'failed').length;
  const loggedRefusals = log.reduce((n, x) => n + x.attempts - 1, 0);
  assert.equal(loggedRefusals, failedRequests, 'attempts are counted honestly: one POST each');
});

test('a slow receiver times out; the retry is a duplicate the receiver dedupes by event id', async () => {
  const name = sid('slow');
  const { c, wh, api } = await setup(name, { events: ['invoice.fiscalized'], hook: { slow_ms: 1200, slow_count: 1 } });
  const id = (await api.post('/api/v1/invoices', { invoice: invoice({ pos_invoice_number: sid('POS') }) })).json.id;
  const got = await receiver.events(sb, name, (e) => e.type === 'invoice.fiscalized', 2);
  assert.equal(got[0].event.id, got[1].event.id);
  assert.equal(got[0].event.data.invoice.id, id);
  assert.equal(got[1].duplicate, true);
  const h = await receiver.get(sb, name);
  assert.equal(h.events.length, 1);
  assert.equal(h.events[0].accepted, 2);
  const log = await waitFor(async () => {
    const l = (await deliveries(c, wh.uid))[0];
    return l && l.status === 'delivered' ? l : null;
  }, { what: 'delivered' });
  const full = (await c.get(`/api/orgs/${c.org}/integrations/${wh.uid}/webhook/deliveries/${log.id}`)).json;
  const first = full.attempt_log.find((a) => a.attempt === 1);
  assert.equal(first.http_status, null);
  assert.match(first.error, /no answer/i);
  assert.ok(first.latency_ms >= 600, `timed out after ${first.latency_ms} ms`);
});

test('after the retry window a delivery is Failed; Redeliver sends the same event id again', async () => {
  const name = sid('down');
  const { c, wh, api } = await setup(name, { events: ['invoice.fiscalized'], hook: { fail_count: 1000000, fail_status: 500 } });
  const id = (await api.post('/api/v1/invoices', { invoice: invoice({ pos_invoice_number: sid('POS') }) })).json.id;
  await api.settled(id);
  const failed = await waitFor(async () => {
    const l = (await deliveries(c, wh.uid))[0];
    return l && l.status === 'failed' ? l : null;
  }, { timeoutMs: (RETRY_WINDOW_S + 10) * 1000, what: 'the delivery to fail' });
  assert.ok(failed.attempts >= 3, `${failed.attempts} attempts`);
  assert.equal(failed.last_http_status, 500);
  assert.equal(failed.next_attempt_at, null);
  const full = (await c.get(`/api/orgs/${c.org}/integrations/${wh.uid}/webhook/deliveries/${failed.id}`)).json;
  const span = Date.parse(full.attempt_log[0].started_at) - Date.parse(full.attempt_log.at(-1).started_at);
  assert.ok(span >= (RETRY_WINDOW_S - 0.5) * 1000, `retried for ${span} ms`);
  const requestsBefore = (await receiver.get(sb, name)).requests.length;
  assert.equal(requestsBefore, failed.attempts, 'one POST per counted attempt');
  // the receiver is back; Redeliver
  await receiver.configure(sb, name, { fail_count: 0 });
  const r = await c.post(`/api/orgs/${c.org}/integrations/${wh.uid}/webhook/deliveries/${failed.id}/redeliver`);
  assert.equal(r.status, 202, r.text);
  assert.equal(r.json.status, 'pending');
  assert.equal(r.json.redeliveries, 1);
  const [got] = await receiver.events(sb, name, (e) => e.type === 'invoice.fiscalized');
  assert.equal(got.event.id, failed.event_id, 'the same event id');
  assert.equal(got.signature_valid, true);
  const done = await waitFor(async () => {
    const l = (await deliveries(c, wh.uid))[0];
    return l.status === 'delivered' ? l : null;
  }, { what: 'redelivered' });
  assert.equal(done.attempts, failed.attempts + 1);
  // Redeliver of a delivered event: the receiver sees a duplicate; a pending one is refused
  const again = await c.post(`/api/orgs/${c.org}/integrations/${wh.uid}/webhook/deliveries/${failed.id}/redeliver`);
  assert.equal(again.status, 202);
  const busy = await c.post(`/api/orgs/${c.org}/integrations/${wh.uid}/webhook/deliveries/${failed.id}/redeliver`);
  if (busy.status !== 202) assert.equal(busy.json.code, 8009); // unless the worker was faster
  const dup = await receiver.events(sb, name, (e) => e.id === failed.event_id, 2);
  assert.equal(dup[1].duplicate, true);
  assert.equal((await c.post(`/api/orgs/${c.org}/integrations/${wh.uid}/webhook/deliveries/999999/redeliver`)).status, 404);
});

test('integration status changes are events too', async () => {
  const name = sid('status');
  const { c, cert, wh } = await setup(name, { events: ['integration.status_changed'] });
  const other = await createCustom(c, cert);
  assert.equal((await c.del(`/api/orgs/${c.org}/integrations/${other}`)).status, 204);
  const got = await receiver.events(sb, name, (e) => e.data.integration.uid === other && e.data.integration.status === 'removed');
  assert.equal(got[0].event.type, 'integration.status_changed');
  assert.equal(got[0].event.data.previous_status, 'active');
  assert.equal(got[0].event.data.integration.type, 'custom');
  assert.equal(got[0].signature_valid, true);
  // the endpoint's own creation was announced to it as well
  const own = await receiver.events(sb, name, (e) => e.data.integration.uid === wh.uid);
  assert.equal(own[0].event.data.integration.status, 'active');
  assert.equal(own[0].event.data.previous_status, null);
});

test('endpoint settings: https outside loopback, headers write-only, Configure changes them', async () => {
  const c = await signup(srv.url, 'wh-settings');
  const cert = await uploadCert(c, await issueCert(sb));
  const post = (settings) => c.post(`/api/orgs/${c.org}/integrations`, { type: 'webhook', certificate_uid: cert, settings });
  const refusals = [
    [{ url: 'http://erp.example.com/hook', events: ['invoice.failed'] }, 8007, /settings\.url/],
    [{ url: 'ftp://127.0.0.1/x', events: ['invoice.failed'] }, 8007, /settings\.url/],
    [{ url: 'https://erp.example.com/hook' }, 1001, /settings\.events/],
    [{ url: 'https://erp.example.com/hook', events: ['invoice.paid'] }, 1003, /settings\.events\[0\]/],
    [{ url: 'https://erp.example.com/hook', events: ['invoice.failed'], headers: [{ name: 'Host', value: 'x' }] }, 8008, /headers\[0\]\.name/],
    [{ url: 'https://erp.example.com/hook', events: ['invoice.failed'], headers: [{ name: 'X-A', value: 'a\nb' }] }, 8008, /headers\[0\]\.value/],
    [{ url: 'https://erp.example.com/hook', events: ['invoice.failed'], secret: 'mine' }, 1006, /settings\.secret/],
  ];
  for (const [settings, code, detail] of refusals) {
    const r = await post(settings);
    assert.equal(r.status, 400, JSON.stringify(settings));
    assert.equal(r.json.code, code, r.text);
    assert.match(r.json.detail, detail);
  }
  assert.equal((await c.get(`/api/orgs/${c.org}/integrations`)).json.integrations.length, 0, 'nothing was created');
  const name = sid('cfg');
  const r = await post({ url: receiver.url(sb, name), events: ['invoice.fiscalized'], headers: [{ name: 'X-Token', value: 'first' }, { name: 'X-Tenant', value: 't-1' }] });
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.signing_secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  const uid = r.json.uid;
  const got = await c.get(`/api/orgs/${c.org}/integrations/${uid}/webhook`);
  assert.deepEqual(got.json.headers, [{ name: 'X-Token' }, { name: 'X-Tenant' }]);
  assert.ok(!got.text.includes('first') && !got.text.includes(r.json.signing_secret), 'values and secret are write-only');
  assert.ok(!(await c.get(`/api/orgs/${c.org}/integrations`)).text.includes('first'));
  // change one header, keep the other's stored value (null), and subscribe to more events
  const put = await c.req('PUT', `/api/orgs/${c.org}/integrations/${uid}/webhook`,
    { events: ['invoice.fiscalized', 'invoice.failed'], headers: [{ name: 'X-Token', value: 'second' }, { name: 'X-Tenant', value: null }] });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.json.events, ['invoice.fiscalized', 'invoice.failed']);
  const bad = await c.req('PUT', `/api/orgs/${c.org}/integrations/${uid}/webhook`, { headers: [{ name: 'X-New', value: null }] });
  assert.equal(bad.status, 400);
  assert.match(bad.json.detail, /headers\[0\]\.value/);
  await receiver.configure(sb, name, { secret: r.json.signing_secret });
  const api = new ApiClient(srv.url, await createKey(c, await createCustom(c, cert)));
  await api.post('/api/v1/invoices', { invoice: invoice({ pos_invoice_number: sid('POS') }) });
  const [ev] = await receiver.events(sb, name, (e) => e.type === 'invoice.fiscalized');
  assert.equal(ev.headers['x-token'], 'second');
  assert.equal(ev.headers['x-tenant'], 't-1');
  // endpoints and deliveries belong to webhook integrations of this organization only
  const custom = (await c.get(`/api/orgs/${c.org}/integrations`)).json.integrations.find((i) => i.type === 'custom');
  assert.equal((await c.get(`/api/orgs/${c.org}/integrations/${custom.uid}/webhook`)).json.code, 8004);
  const stranger = await signup(srv.url, 'wh-stranger');
  assert.equal((await stranger.get(`/api/orgs/${c.org}/integrations/${uid}/webhook/deliveries`)).status, 404);
  assert.equal((await c.get(`/api/orgs/${c.org}/integrations/${uid}/webhook/deliveries?cursor=zzz`)).json.code, 1011);
  await sleep(0);
});
