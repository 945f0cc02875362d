// Issue #3's "done when": with 35% injected faults including lost responses (the V-SDC signs but
// the answer never arrives) and answers cut short (signed, half the body), every one of FH_FISCAL_N (default 1000) invoices ends signed with
// exactly one fiscal invoice at the V-SDC, and none is lost; and the same when fiscalhub is
// killed with SIGKILL in the middle and restarted on the same store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, signup } from '../lib/server.mjs';
import { startSandbox, issueCert, uploadCert, invoice, waitFor } from '../lib/fiscal.mjs';

const N = Number(process.env.FH_FISCAL_N || 1000);
const FAULTS = { error_5xx: 0.08, timeout: 0.06, reset: 0.08, lost_response: 0.08, cut_response: 0.05, timeout_ms: 200, apply_to_get: true };
const ENV = {
  FISCALHUB_JOB_BACKOFF_MS: '20',
  FISCALHUB_JOB_BACKOFF_MAX_MS: '800',
  FISCALHUB_JOB_LEASE_SECONDS: '3',
  FISCALHUB_WORKERS: '8',
  FISCALHUB_HTTP_THREADS: '8',
  FISCALHUB_TAXCORE_TIMEOUT_MS: '3000',
  FISCALHUB_FISCAL_MAX_ATTEMPTS: '80',
};

let sb;
before(async () => { sb = await startSandbox(); });
after(async () => { await sb?.stop(); });

async function counts(c) {
  const n = async (s) => (await c.get(`/api/orgs/${c.org}/fiscal-invoices?status=${s}&page_size=1`)).json.total;
  return { signed: await n('signed'), failed: await n('failed'), pending: await n('pending') };
}

async function submitAll(c, uid, tag) {
  const ids = new Array(N);
  let next = 0;
  async function lane() {
    for (let i = next++; i < N; i = next++) {
      const r = await c.post(`/api/orgs/${c.org}/fiscal-invoices`, {
        certificate_uid: uid, source_id: `${tag}-${i}`,
        invoice: invoice({ pos_invoice_number: `${tag}-${i}` }),
      });
      if (r.status !== 202) throw new Error(`submit ${i}: ${r.status} ${r.text}`);
      ids[i] = r.json.id;
    }
  }
  await Promise.all(Array.from({ length: 16 }, lane));
  return ids;
}

// Every fiscalhub invoice is signed, with a distinct invoice number that the sandbox holds, and
// the sandbox holds exactly N invoices of this taxpayer, none a duplicate of a POS number.
async function verify(c, uid) {
  const k = await counts(c);
  assert.deepEqual(k, { signed: N, failed: 0, pending: 0 });
  const ours = new Set();
  for (let page = 1; ours.size < N; page++) {
    const r = (await c.get(`/api/orgs/${c.org}/fiscal-invoices?page=${page}&page_size=200`)).json;
    assert.ok(r.invoices.length > 0, 'the list ended early');
    for (const x of r.invoices) ours.add(x.invoice_number);
  }
  assert.equal(ours.size, N, 'distinct invoice numbers');
  const theirs = await sb.control('GET', `/vsdc/control/invoices?uid=${uid}&limit=10000`);
  assert.equal(theirs.total, N, 'fiscal invoices at the V-SDC for this taxpayer');
  for (const x of theirs.invoices) assert.ok(ours.has(x.invoice_number), `${x.invoice_number} unknown to fiscalhub`);
  const stats = await sb.control('GET', '/vsdc/control/stats');
  const dups = stats.duplicate_pos_invoice_numbers.filter((d) => d.uid === uid);
  assert.deepEqual(dups, [], 'no POS invoice number with more than one fiscal invoice');
  return stats;
}

async function run(name, killAt) {
  const cert = await issueCert(sb);
  let srv = await startServer({ env: { ...ENV, FISCALHUB_TAXCORE_CA_FILE: sb.caFile } });
  const store = { DATABASE_URL: srv.env.DATABASE_URL, FISCALHUB_MASTER_KEY_FILE: join(srv.dir, 'master.key') };
  const started = Date.now();
  try {
    const c = await signup(srv.url, name);
    const uid = await uploadCert(c, cert);
    const before = await sb.control('GET', '/vsdc/control/stats');
    await sb.control('PUT', '/vsdc/control/faults', { ...FAULTS, seed: killAt ? 7 : 3 });
    await submitAll(c, uid, `${name}-${process.pid}`);
    if (killAt) {
      await waitFor(async () => (await counts(c)).signed >= killAt, { timeoutMs: 120000, what: `${killAt} signed` });
      const r = await srv.stop('SIGKILL');
      assert.equal(r.signal, 'SIGKILL');
      srv = await startServer({ env: { ...ENV, ...store, FISCALHUB_TAXCORE_CA_FILE: sb.caFile } });
      c.base = srv.url;
    }
    await waitFor(async () => {
      const k = await counts(c);
      return k.signed + k.failed === N;
    }, { timeoutMs: 300000, everyMs: 500, what: `all ${N} invoices settled` });
    const stats = await verify(c, uid);
    const f = (s, key) => s[key] - before[key];
    for (const key of ['faults_error_5xx', 'faults_timeout', 'faults_reset', 'faults_lost_response', 'faults_cut_response'])
      assert.ok(f(stats, key) > 0, `${key} injected`);
    console.log(`# ${name}: ${N} signed in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
      `posts ${f(stats, 'posts_received')}, gets ${f(stats, 'gets_received')}, ` +
      `faults 5xx ${f(stats, 'faults_error_5xx')} timeout ${f(stats, 'faults_timeout')} ` +
      `reset ${f(stats, 'faults_reset')} lost ${f(stats, 'faults_lost_response')} cut ${f(stats, 'faults_cut_response')}`);
  } finally {
    await sb.control('PUT', '/vsdc/control/faults', {});
    await srv.stop();
  }
}

test(`${N} invoices under 30% faults (lost responses included): each signed exactly once`, async () => {
  await run('faults', 0);
});

test(`${N} invoices, fiscalhub killed with SIGKILL in the middle and restarted: the same result`, async () => {
  await run('killed', Math.floor(N * 0.3));
});
