// partner_threads.test.mjs - a request that waits for a partner (here a Stripe checkout whose
// session the sandbox's Stripe creates slowly) runs on a partner thread with its connection
// suspended, so it holds no HTTP thread: this server has one HTTP thread and one partner thread,
// and still answers everything else while the checkout waits; a second partner request waits its
// turn and is answered; a server stopped meanwhile answers the waiting request before it exits;
// beyond FISCALHUB_PARTNER_QUEUE waiting requests the next is refused at once with 503.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signup, storeQuery } from '../lib/server.mjs';
import { startSandbox, waitFor } from '../lib/fiscal.mjs';

const SLOW_MS = 2500;
let sb, srv;
const env = () => ({ FISCALHUB_SANDBOX_URL: sb.url, FISCALHUB_HTTP_THREADS: '1', FISCALHUB_PARTNER_THREADS: '1' });

before(async () => {
  sb = await startSandbox();
  srv = await startServer({ env: env() });
});
after(async () => {
  await srv?.stop();
  await sb?.stop();
});

const started = (s, c) => Number(storeQuery(s,
  `SELECT COUNT(*) AS n FROM stripe_checkout_starts s JOIN organizations o ON o.id = s.org_id WHERE o.code = '${c.org}'`)[0].n);

// Starts a checkout of c's organization that waits at Stripe; resolves once it does (its start is
// in the store), with the pending answer and a flag that says whether it has come.
async function slowCheckout(s, c, slows = 1) {
  await sb.control('PUT', '/stripe/control/faults', { next: Array(slows).fill('slow'), slow_ms: SLOW_MS });
  const pending = { done: false, at: 0 };
  pending.answer = c.post(`/api/orgs/${c.org}/billing/checkout`, { tier: 'growth', interval: 'month', seats: 1 })
    .then((r) => { pending.done = true; pending.at = Date.now(); return r; });
  await waitFor(() => started(s, c) === 1 || pending.done, { what: 'the checkout at Stripe', everyMs: 20 });
  assert.equal(pending.done, false, 'the checkout was answered before it reached Stripe');
  return pending;
}

test('a checkout waiting at Stripe holds no HTTP thread: the only one still answers the portal', async () => {
  const c = await signup(srv.url, 'partnerwait');
  const pending = await slowCheckout(srv, c);
  try {
    const health = await fetch(`${srv.url}/healthz`);
    const plan = await c.get(`/api/orgs/${c.org}/billing`);
    const me = await c.get('/api/me');
    assert.equal(pending.done, false, 'the other requests were answered only after the checkout');
    assert.deepEqual([health.status, plan.status, me.status], [200, 200, 200]);
    assert.equal(plan.json.source, 'trial');
  } finally {
    await sb.control('PUT', '/stripe/control/faults', {});
  }
  const r = await pending.answer;
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.url, /\/stripe\/c\/pay\/cs_test_/);
  assert.equal(started(srv, c), 0, 'the start is released');
});

test('a second partner request waits for the partner thread and is answered in its turn', async () => {
  const a = await signup(srv.url, 'partnerfirst');
  const b = await signup(srv.url, 'partnersecond');
  const first = await slowCheckout(srv, a);
  let second;
  try {
    second = b.post(`/api/orgs/${b.org}/billing/checkout`, { tier: 'scale', interval: 'year', seats: 3 })
      .then((r) => ({ r, at: Date.now() }));
    assert.equal((await fetch(`${srv.url}/healthz`)).status, 200);
    assert.equal(first.done, false, 'healthz waited for the checkout');
  } finally {
    await sb.control('PUT', '/stripe/control/faults', {});
  }
  const [one, two] = [await first.answer, await second];
  assert.equal(one.status, 201, one.text);
  assert.equal(two.r.status, 201, two.r.text);
  assert.ok(two.at >= first.at, 'the second ran after the first on the one partner thread');
  const sessions = (await sb.control('GET', '/stripe/control/sessions')).data;
  assert.deepEqual([a.org, b.org].map((o) => sessions.filter((x) => x.client_reference_id === o && x.status === 'open').length), [1, 1]);
});

test('a server stopped while a partner request waits answers it, then exits', async () => {
  const own = await startServer({ env: env() });
  let exited;
  try {
    const c = await signup(own.url, 'partnerstop');
    const pending = await slowCheckout(own, c);
    exited = own.stop('SIGTERM');
    const r = await pending.answer;
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(await exited, { code: 0, signal: null });
  } finally {
    await sb.control('PUT', '/stripe/control/faults', {});
    if (!exited) await own.stop();
  }
});

test('more partner requests than FISCALHUB_PARTNER_QUEUE may wait answer 503 with Retry-After, and start nothing', async () => {
  const own = await startServer({ env: { ...env(), FISCALHUB_PARTNER_QUEUE: '1' } });
  try {
    const [a, b, c] = [await signup(own.url, 'queuefirst'), await signup(own.url, 'queuesecond'), await signup(own.url, 'queuethird')];
    const first = await slowCheckout(own, a, 2); // holds the one partner thread
    let second;
    try {
      second = b.post(`/api/orgs/${b.org}/billing/checkout`, { tier: 'scale', interval: 'year', seats: 3 });
      // the second waits in the queue (its start is written by the handler, so none yet): the
      // third finds the queue full
      await new Promise((res) => setTimeout(res, 300));
      const third = await c.post(`/api/orgs/${c.org}/billing/checkout`, { tier: 'growth', interval: 'month', seats: 1 });
      assert.equal(third.status, 503, third.text);
      assert.equal(third.json.code, 5003);
      assert.equal(third.json.detail, '1 requests wait for a partner already');
      assert.equal(third.headers.get('retry-after'), '5');
      assert.equal(started(own, c), 0, 'the refused checkout started nothing');
      assert.equal(first.done, false, 'the refusal did not wait for the partner');
    } finally {
      await sb.control('PUT', '/stripe/control/faults', {});
    }
    assert.equal((await first.answer).status, 201);
    assert.equal((await second).status, 201);
    // once the queue is free again, the third organization's checkout goes through
    const again = await c.post(`/api/orgs/${c.org}/billing/checkout`, { tier: 'growth', interval: 'month', seats: 1 });
    assert.equal(again.status, 201, again.text);
    const sessions = (await sb.control('GET', '/stripe/control/sessions')).data;
    assert.equal(sessions.filter((x) => x.client_reference_id === c.org).length, 1, 'one session for the third, from its retry');
  } finally {
    await sb.control('PUT', '/stripe/control/faults', {});
    await own.stop();
  }
});
