// A V-SDC outage delays invoices instead of failing them: attempts without a definite answer go on
// (pending, with the reason) for FISCALHUB_FISCAL_RETRY_SECONDS, well past the ten attempts that
// used to end them, and the invoice is signed once the V-SDC answers again. An outage longer than
// that window fails the invoice with a reason that says so; a Retry starts a new window. The
// window is shortened to 6 s here, and the backoff to 20..300 ms.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signup } from '../lib/server.mjs';
import { startSandbox, issueCert, uploadCert, invoice, settled, sleep, waitFor, startFiscalServer } from '../lib/fiscal.mjs';

const WINDOW_S = 6;
let sb, srv, c, uid;
let seq = 0;
const sid = (tag) => `${tag}-${process.pid}-${++seq}`;

before(async () => {
  sb = await startSandbox();
  srv = await startFiscalServer(sb, {
    FISCALHUB_JOB_BACKOFF_MAX_MS: '300',
    FISCALHUB_FISCAL_RETRY_SECONDS: String(WINDOW_S),
  });
  c = await signup(srv.url, 'outage');
  uid = await uploadCert(c, await issueCert(sb));
});
after(async () => {
  await sb?.control('PUT', '/vsdc/control/faults', {});
  await srv?.stop();
  await sb?.stop();
});

const get = async (id) => (await c.get(`/api/orgs/${c.org}/fiscal-invoices/${id}`)).json;
async function submit() {
  const r = await c.post(`/api/orgs/${c.org}/fiscal-invoices`,
    { certificate_uid: uid, source_id: sid('s'), invoice: invoice({ pos_invoice_number: sid('POS') }) });
  assert.equal(r.status, 202, r.text);
  return r.json;
}
async function postsAtVsdc(requestId) {
  const s = await sb.control('GET', '/vsdc/control/stats');
  return s.posts_by_request_id.filter((p) => p.request_id === requestId);
}

test('an outage longer than ten attempts leaves the invoice pending with the reason; it is signed once the V-SDC is back', async () => {
  await sb.control('PUT', '/vsdc/control/faults', { error_5xx: 1, status_5xx: 503 });
  const r = await submit();
  const during = await waitFor(async () => {
    const d = await get(r.id);
    return d.attempts >= 12 ? d : null;
  }, { what: 'twelve attempts', timeoutMs: WINDOW_S * 1000 });
  assert.equal(during.status, 'pending', 'still waiting, not failed');
  assert.match(during.last_error, /503/);
  await sb.control('PUT', '/vsdc/control/faults', {});
  const d = await settled(c, r.id);
  assert.equal(d.status, 'signed', d.last_error);
  assert.ok(d.attempts >= 13);
  const [p] = await postsAtVsdc(r.request_id);
  assert.equal(p.posts, d.attempts, 'every attempt was one POST');
  assert.equal(p.invoice_number, d.invoice_number, 'signed once, by the last one');
});

test('an outage longer than the retry window fails the invoices; Retry all failed starts a new window and signs them', async () => {
  await sb.control('PUT', '/vsdc/control/faults', { error_5xx: 1, status_5xx: 503 });
  const t0 = Date.now();
  const rs = [];
  for (let i = 0; i < 3; i++) rs.push(await submit());
  const failed = [];
  for (const r of rs) failed.push(await settled(c, r.id, (WINDOW_S + 30) * 1000));
  assert.ok(Date.now() - t0 >= WINDOW_S * 1000, 'not before the window ended');
  for (const f of failed) {
    assert.equal(f.status, 'failed');
    assert.match(f.last_error, /^Gave up after \d+ attempts in \d+ s without an answer\. Last: .*503/);
  }

  // bad input and another organization change nothing
  const bad = await c.post(`/api/orgs/${c.org}/fiscal-invoices/retry`, { from: 'yesterday' });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.code, 1003);
  assert.match(bad.json.detail, /from/);
  assert.equal((await c.post(`/api/orgs/${c.org}/fiscal-invoices/retry`, { status: 'failed' })).json.code, 1006);
  const other = await signup(srv.url, 'outage-other');
  const cross = await other.post(`/api/orgs/${c.org}/fiscal-invoices/retry`, {});
  assert.ok(cross.status === 403 || cross.status === 404, `${cross.status}`);
  assert.equal((await get(rs[0].id)).status, 'failed');

  // the first two (created before the third), then the rest, while the V-SDC is still down
  const first = await c.post(`/api/orgs/${c.org}/fiscal-invoices/retry`, { to: failed[2].created_at });
  assert.equal(first.status, 202, first.text);
  assert.deepEqual(first.json, { retried: 2, remaining: 0 }, 'none left that match the filter');
  assert.equal((await get(rs[2].id)).status, 'failed');
  const rest = await c.post(`/api/orgs/${c.org}/fiscal-invoices/retry`, {});
  assert.deepEqual(rest.json, { retried: 1, remaining: 0 });
  assert.deepEqual((await c.post(`/api/orgs/${c.org}/fiscal-invoices/retry`, {})).json, { retried: 0, remaining: 0 });
  await sleep(1500); // a new window: they wait again rather than failing at once
  for (const r of rs) assert.equal((await get(r.id)).status, 'pending');

  await sb.control('PUT', '/vsdc/control/faults', {});
  for (const r of rs) {
    const d = await settled(c, r.id);
    assert.equal(d.status, 'signed', d.last_error);
    const posts = await postsAtVsdc(r.request_id);
    assert.equal(posts.length, 1);
    assert.ok(posts[0].invoice_number, 'one fiscal invoice for its RequestId');
  }
});
