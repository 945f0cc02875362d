// Organizations take turns at the workers: one organization's burst of invoices does not hold back
// another's. fiscalhub runs two workers and a window of 4 fiscalizations per organization; the
// V-SDC answers after 40 ms, so a burst of 120 invoices keeps the workers busy for seconds. An
// invoice of a second organization submitted right after the burst is signed after at most the
// burst's invoices already in their window (plus those the workers hold), not after the burst.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signup } from '../lib/server.mjs';
import { startSandbox, issueCert, uploadCert, invoice, settled, startFiscalServer } from '../lib/fiscal.mjs';

const WINDOW = 4, WORKERS = 2, BURST = 120;
let sb, srv;
let seq = 0;
const sid = (tag) => `${tag}-${process.pid}-${++seq}`;

before(async () => {
  sb = await startSandbox();
  srv = await startFiscalServer(sb, {
    FISCALHUB_WORKERS: '1',
    FISCALHUB_FISCAL_WORKERS: String(WORKERS - 1),
    FISCALHUB_FISCAL_ORG_WINDOW: String(WINDOW),
    FISCALHUB_TRIAL_INVOICES: '100000',
  });
});
after(async () => {
  await sb?.control('PUT', '/vsdc/control/faults', {});
  await srv?.stop();
  await sb?.stop();
});

async function submit(c, uid) {
  const r = await c.post(`/api/orgs/${c.org}/fiscal-invoices`,
    { certificate_uid: uid, source_id: sid('s'), invoice: invoice({ pos_invoice_number: sid('POS') }) });
  assert.equal(r.status, 202, r.text);
  return r.json;
}

async function heldJobs() {
  const m = await (await fetch(srv.url + '/metrics')).text();
  return Number(/fiscalhub_jobs_queue_depth\{state="held"\} (\d+)/.exec(m)?.[1]);
}

test("another organization's invoice is signed ahead of one organization's backlog", async (t) => {
  const big = await signup(srv.url, 'burst');
  const small = await signup(srv.url, 'single');
  const bigUid = await uploadCert(big, await issueCert(sb));
  const smallUid = await uploadCert(small, await issueCert(sb));
  await sb.control('PUT', '/vsdc/control/faults', { latency_ms: 40 });
  // each certificate's first invoice opens it and its V-SDC connection: not what is measured
  for (const [c, uid] of [[big, bigUid], [small, smallUid]]) {
    assert.equal((await settled(c, (await submit(c, uid)).id)).status, 'signed');
  }

  const burst = [];
  for (let i = 0; i < BURST; i += 20) {
    burst.push(...await Promise.all(Array.from({ length: 20 }, () => submit(big, bigUid))));
  }
  const held = await heldJobs();
  const one = await submit(small, smallUid);
  assert.ok(held > 0, `the burst's invoices beyond the window wait their turn (held ${held})`);
  // the operator's listing names them held, in the burst's organization's lane
  const listed = srv.admin(['jobs']).trim().split('\n').map((l) => l.split('\t'));
  assert.deepEqual(listed[0], ['id', 'kind', 'state', 'lane', 'attempts', 'last_error']);
  const heldRows = listed.filter((r) => r[2] === 'held');
  assert.ok(heldRows.length > 0);
  const lanes = [...new Set(heldRows.map((r) => `${r[1]} ${r[3]}`))];
  assert.equal(lanes.length, 1, `one organization's jobs wait: ${lanes}`);
  assert.match(lanes[0], /^fiscal\.submit org:\d+$/);

  const mine = await settled(small, one.id);
  assert.equal(mine.status, 'signed', mine.last_error);
  const submittedAt = Date.parse(mine.created_at), signedAt = Date.parse(mine.signed_at);
  const theirs = [];
  for (const r of burst) theirs.push(await settled(big, r.id));
  for (const d of theirs) assert.equal(d.status, 'signed', d.last_error);
  const signed = theirs.map((d) => Date.parse(d.signed_at));
  const after = signed.filter((t) => t > signedAt).length;
  const between = signed.filter((t) => t > submittedAt && t <= signedAt).length;
  t.diagnostic(`burst invoices signed while the single one waited: ${between}; after it: ${after}; held at its submission: ${held}`);
  assert.ok(between <= WINDOW + WORKERS + 1,
    `${between} of the burst were signed between the single invoice's submission and its signature`);
  // and it means something only when the burst was still queued when the single one came
  assert.ok(after >= 30, `${after} of the burst were signed after the single invoice`);
  assert.equal(await heldJobs(), 0, 'nothing left waiting');
});
