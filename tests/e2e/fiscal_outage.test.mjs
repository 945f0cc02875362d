// A V-SDC outage delays invoices instead of failing them: attempts without a definite answer go on
// (pending, with the reason) for FISCALHUB_FISCAL_RETRY_SECONDS, well past the ten attempts that
// used to end them, and the invoice is signed once the V-SDC answers again. An outage longer than
// that window fails the invoice with a reason that says so; a Retry starts a new window. The
// window is shortened to 6 s here, and the backoff to 20..300 ms.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signup } from '../lib/server.mjs';
import { startSandbox, issueCert, uploadCert, invoice, settled, sleep, waitFor } from '../lib/fiscal.mjs';

const WINDOW_S = 6;
let sb, srv, c, uid;
let seq = 0;
const sid = (tag) => `${tag}-${process.pid}-${++seq}`;

before(async () => {
  sb = await startSandbox();
  srv = await startServer({
    env: {
      FISCALHUB_TAXCORE_CA_FILE: sb.caFile,
      FISCALHUB_JOB_BACKOFF_MS: '20',
      FISCALHUB_JOB_BACKOFF_MAX_MS: '300',
      FISCALHUB_FISCAL_RETRY_SECONDS: String(WINDOW_S),
    },
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

test('an outage longer than the retry window fails the invoice; a Retry starts a new window and signs it', async () => {
  await sb.control('PUT', '/vsdc/control/faults', { error_5xx: 1, status_5xx: 503 });
  const t0 = Date.now();
  const r = await submit();
  const f = await settled(c, r.id, (WINDOW_S + 30) * 1000);
  assert.equal(f.status, 'failed');
  assert.ok(Date.now() - t0 >= WINDOW_S * 1000, 'not before the window ended');
  assert.match(f.last_error, /^Gave up after \d+ attempts in \d+ s without an answer\. Last: .*503/);
  // still down: the retried invoice waits again rather than failing at once
  const rt = await c.post(`/api/orgs/${c.org}/fiscal-invoices/${r.id}/retry`);
  assert.equal(rt.status, 202, rt.text);
  await sleep(1500);
  const again = await get(r.id);
  assert.equal(again.status, 'pending', again.last_error);
  await sb.control('PUT', '/vsdc/control/faults', {});
  const d = await settled(c, r.id);
  assert.equal(d.status, 'signed', d.last_error);
  const posts = await postsAtVsdc(r.request_id);
  assert.equal(posts.length, 1);
  assert.ok(posts[0].invoice_number, 'one fiscal invoice for its RequestId');
});
