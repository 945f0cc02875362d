// crash.mjs - the crash and fault run (benchmark 5, and its small size in make test:
// tests/e2e/crash_fault.test.mjs). Invoices reach fiscalhub two ways at once - signed webhooks
// from the sandbox's Xero emulator (invoices created AUTHORISED in several organisations, each
// connected through the real consent flow with its own certificate, trigger "approval") and the
// public API (POST /api/v1/invoices with API keys, retried by the client until answered) -
// while fiscalhub is killed with SIGKILL at random moments and restarted on the same store and
// port, and the emulators inject faults: the V-SDC answers 5xx, holds, resets and loses answers
// after signing or cuts them short; Xero answers 5xx, resets, times out, is slow and cuts answers
// short; the webhook receiver fails
// requests. Every certificate has a Custom / Webhook integration pointing at its own receiver
// hook, so every fiscalized invoice becomes an outgoing invoice.fiscalized event.
//
// Afterwards, with the faults off, the run waits for everything to settle and checks:
//   - fiscalhub: exactly one fiscal invoice per Xero invoice (per organisation, the invoice
//     numbers, all distinct) and per API source_id, all signed, none failed, pending or on hold;
//   - the V-SDC: per certificate exactly as many fiscal invoices as fiscalhub has, the same
//     invoice numbers, and no POS invoice number signed twice (its duplicate report);
//   - the receiver's view deduplicated by event id: one invoice.fiscalized event, with a valid
//     signature, for every fiscal invoice of the certificate (repeats are allowed: at least once).
// The result lists every problem found; ok is true when there is none.
import { randomBytes } from 'node:crypto';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { signup } from '../../tests/lib/server.mjs';
import { startSandbox } from '../../tests/lib/sandbox.mjs';
import { consent, callback } from '../../tests/lib/xero.mjs';
import { createCustom, createKey, createWebhook, ApiClient, receiver } from '../../tests/lib/custom.mjs';
import { invoice } from '../../tests/lib/fiscal.mjs';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rand = (a, b) => a + Math.floor(Math.random() * (b - a + 1));
const SCALE = 600; // a Xero minute lasts 0.1 s, its webhook retry interval 1.5 s

// A free port below the kernel's ephemeral range: fiscalhub must get the same port back after
// every kill, and a port from the ephemeral range may meanwhile become the local end of some
// client connection (this process makes thousands), which blocks binding it.
async function stablePort() {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch { /* not Linux: the usual default */ }
  const lo = Math.max(1024, low - 12000);
  for (;;) {
    const port = rand(lo, low - 1);
    const ok = await new Promise((res) => {
      const s = createServer();
      s.once('error', () => res(false));
      s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
    });
    if (ok) return port;
  }
}

// A new database on the PostgreSQL server of url (as tests/lib/server.mjs makes one per server),
// so no other suite's rows or jobs meet this run's; returns its URL.
function freshPgDatabase(url, run) {
  const name = `fh_crash_${run}_${process.pid}`;
  const r = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `CREATE DATABASE ${name}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot create database ${name}: ${r.stderr}`);
  const u = new URL(url);
  u.pathname = '/' + name;
  return u.toString();
}

// Starts `fiscalhub serve` with env (its port and store fixed there) and waits for /readyz;
// like tests/lib/server.mjs's startServer, but on the given port every time.
async function serveAt(bin, env, logDir, n) {
  const url = `http://127.0.0.1:${env.FISCALHUB_PORT}`;
  const fullEnv = { ...process.env, FISCALHUB_WEB_DIR: join(ROOT, 'web/dist'), FISCALHUB_PWHASH: 'fast', FISCALHUB_LOG_LEVEL: 'warn', ...env };
  const logFile = join(logDir, `server-${env.FISCALHUB_PORT}-${n}.log`);
  const log = createWriteStream(logFile);
  const proc = spawn(join(bin, 'fiscalhub'), ['serve'], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.pipe(log, { end: false });
  proc.stderr.pipe(log, { end: false });
  const exited = new Promise((res) => proc.on('exit', (code, signal) => res({ code, signal })));
  const deadline = Date.now() + 30000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`fiscalhub exited with ${proc.exitCode} before ready; log: ${logFile}`);
    try {
      if ((await fetch(url + '/readyz')).status === 200) break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`fiscalhub not ready in 30 s; log: ${logFile}`);
    }
    await sleep(25);
  }
  return {
    url, proc, logFile,
    admin: (args) => execFileSync(join(bin, 'fiscalhub'), ['admin', ...args], { env: fullEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const r = await exited;
      log.end();
      return r;
    },
  };
}

export const FAULTS = {
  vsdc: { error_5xx: 0.05, timeout: 0.03, reset: 0.05, lost_response: 0.05, cut_response: 0.03, timeout_ms: 300, apply_to_get: true },
  xero: { error_5xx: 0.04, reset: 0.03, timeout: 0.01, slow: 0.03, cut: 0.02, timeout_ms: 600, slow_ms: 300 },
};

// opts: xero (invoices through webhooks), api (invoices through the API), kills, tenants (Xero
// organisations, one certificate each), apiCerts, bin, database ('sqlite' or a postgres URL),
// gapMs [min, max] between kills, settleMs, notesWaitMs (how long to wait after settling for a
// write-back note per Xero invoice: reported, not a criterion; 0: not waited for), log (a function).
export async function crashFaultRun(opts) {
  const o = { tenants: 4, apiCerts: 4, gapMs: [400, 2500], settleMs: 600000, log: () => {}, database: 'sqlite', ...opts };
  o.paceMs ??= o.kills * 1200; // the load arrives over about the time the kills take
  o.killUntil ??= 0.8; // and the kills go on until that share of the invoices is signed
  const bin = o.bin || process.env.FH_BIN || join(ROOT, 'build/release');
  const log = o.log;
  const run = randomBytes(3).toString('hex');
  const problems = [];
  const logFiles = [];
  const t0 = Date.now();
  const sb = await startSandbox({ bin, args: ['--xero-time-scale', String(SCALE)] });
  const ctl = async (method, path, body) => {
    const r = await sb.control(method, path, body);
    if (r.status >= 400) throw new Error(`sandbox ${method} ${path}: ${r.status} ${r.text}`);
    return r.json;
  };
  let srv = null;
  let aborted = false; // set when the run fails: the loops below stop, nothing is restarted
  const running = [];
  const stats = { kills: 0, restarts: 0, restartMs: [], apiRetries: 0 };
  try {
    // ---- the Xero app and fiscalhub, on a port and store that survive restarts ----
    await ctl('PUT', '/xero/control/settings', { access_lifetime_s: 86400 });
    const xeroApp = { client_id: 'FHCRASH' + randomBytes(10).toString('hex').toUpperCase(), secret: 'secret-' + randomBytes(12).toString('hex'), key: 'crash-key-' + randomBytes(8).toString('hex') };
    await ctl('POST', '/xero/control/apps', {
      name: 'fiscalhub crash run', client_id: xeroApp.client_id, client_secret: xeroApp.secret, redirect_uris: ['http://127.0.0.1:9/placeholder'],
    });
    const X = (await ctl('GET', '/xero/control/info')).base_urls;
    const dir = mkdtempSync(join(tmpdir(), 'fh-crash-'));
    const logDir = process.env.FH_OUT || dir;
    const port = await stablePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
      FISCALHUB_PORT: String(port),
      FISCALHUB_PUBLIC_URL: url,
      DATABASE_URL: o.database === 'sqlite' ? join(dir, 'fiscalhub.db') : freshPgDatabase(o.database, run),
      FISCALHUB_MASTER_KEY_FILE: join(dir, 'master.key'),
      FISCALHUB_SANDBOX_URL: sb.url,
      FISCALHUB_TAXCORE_CA_FILE: sb.caFile,
      FISCALHUB_TAXCORE_TIMEOUT_MS: '3000',
      FISCALHUB_XERO_CLIENT_ID: xeroApp.client_id,
      FISCALHUB_XERO_CLIENT_SECRET: xeroApp.secret,
      FISCALHUB_XERO_WEBHOOK_KEY: xeroApp.key,
      FISCALHUB_XERO_TIME_SCALE: String(SCALE),
      FISCALHUB_XERO_MINUTE_LIMIT: '1000',
      FISCALHUB_XERO_POLL_SECONDS: '3600', // no polling: webhooks and their retries must do it
      FISCALHUB_XERO_TIMEOUT_MS: '3000',
      FISCALHUB_WORKERS: '4',
      FISCALHUB_HTTP_THREADS: '8',
      FISCALHUB_JOB_BACKOFF_MS: '50',
      FISCALHUB_JOB_BACKOFF_MAX_MS: '1000',
      FISCALHUB_JOB_LEASE_SECONDS: '2',
      FISCALHUB_JOB_MAX_ATTEMPTS: '200',
      FISCALHUB_FISCAL_MAX_ATTEMPTS: '200',
      FISCALHUB_WEBHOOK_BACKOFF_MS: '100',
      FISCALHUB_WEBHOOK_BACKOFF_MAX_MS: '1000',
      FISCALHUB_WEBHOOK_TIMEOUT_MS: '3000',
      FISCALHUB_API_RATE_BURST: '100000',
      FISCALHUB_API_RATE_PER_MINUTE: '1000000',
      FISCALHUB_SHUTDOWN_GRACE_SECONDS: '2',
    };
    let starts = 0;
    const start = async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          const s = await serveAt(bin, env, logDir, ++starts);
          logFiles.push(s.logFile);
          return s;
        } catch (e) {
          if (attempt >= 20) throw e;
          await sleep(200); // the port may still be held for a moment
        }
      }
    };
    srv = await start();
    const c = await signup(url, `crash-${run}`);
    try {
      const key = srv.admin(['keys', 'issue', '--tier', 'scale', '--seats', '100', '--months', '12']).trim().split('\n')[0];
      const r = await c.post(`/api/orgs/${c.org}/billing/keys/activate`, { key });
      if (r.status !== 200) throw new Error(`activate: ${r.status} ${r.text}`);
    } catch (e) {
      log(`no activation key (${e.message.split('\n')[0]}); the trial allowance of the test settings applies`);
    }

    // ---- certificates, each with a receiver hook; Xero organisations; API keys ----
    const certs = [];
    for (let i = 0; i < o.tenants + o.apiCerts; i++) {
      const cert = await sb.issueCert();
      const up = await c.post(`/api/orgs/${c.org}/certificates`, { pfx_base64: cert.pfx.toString('base64'), password: cert.password, pac: cert.pac });
      if (up.status !== 201) throw new Error(`certificate upload: ${up.status} ${up.text}`);
      cert.certUid = up.json.uid;
      cert.hook = `crash-${run}-${i}`;
      const wh = await createWebhook(c, cert.certUid, receiver.url(sb, cert.hook), { events: ['invoice.fiscalized', 'invoice.failed'] });
      await ctl('PUT', `/receiver/control/hooks/${cert.hook}`, { secret: wh.secret, tolerance_s: 300 });
      certs.push(cert);
    }
    const xeroCerts = certs.slice(0, o.tenants);
    const apiCerts = certs.slice(o.tenants);
    const email = `crash-${run}@example.com`;
    const orgs = [];
    for (let i = 0; i < o.tenants; i++) orgs.push(await ctl('POST', '/xero/control/orgs', { name: `Crash Org ${run}-${i}` }));
    await ctl('POST', '/xero/control/users', { email, password: 'pw', orgs: orgs.map((x) => x.tenant_id) });
    const user = { email, password: 'pw' };
    const w = { ctl, X, srv: { url } };
    await ctl('PUT', `/xero/control/apps/${xeroApp.client_id}`, { redirect_uris: [url + '/oauth/xero/callback'] });
    for (let i = 0; i < o.tenants; i++) {
      await ctl('PUT', `/xero/control/orgs/${orgs[i].tenant_id}/limits`, { minute: 1000, day: 1000000 });
      const cr = await c.post(`/api/orgs/${c.org}/integrations`, { type: 'xero', certificate_uid: xeroCerts[i].certUid, settings: { trigger: 'approval' } });
      if (cr.status !== 201) throw new Error(`create xero integration: ${cr.status} ${cr.text}`);
      const st = await c.post(`/api/orgs/${c.org}/integrations/${cr.json.uid}/connect`);
      const loc = await consent(w, st.json.authorize_url, user, { orgs: [orgs[i]] });
      const cb = await callback(c, loc);
      if (cb.status !== 302 || !String(cb.location).includes('connected')) throw new Error(`consent callback: ${cb.status} ${cb.location}`);
      xeroCerts[i].tenant = orgs[i].tenant_id;
      xeroCerts[i].integration = cr.json.uid;
    }
    await ctl('PUT', `/xero/control/apps/${xeroApp.client_id}`, {
      webhook_url: url + '/webhooks/xero', webhook_key: xeroApp.key, webhook_categories: ['INVOICE'],
    });
    for (let i = 0; ; i++) {
      const s = await ctl('GET', `/xero/control/webhooks?client_id=${xeroApp.client_id}`);
      if (s.status === 'active') break;
      if (s.status !== 'itr_pending' || i > 200) throw new Error(`intent to receive: ${s.status}`);
      await sleep(100);
    }
    for (const cert of apiCerts) {
      cert.integration = await createCustom(c, cert.certUid);
      cert.api = new ApiClient(url, await createKey(c, cert.integration, 'crash'));
    }
    const vsdcBefore = await ctl('GET', '/vsdc/control/stats');
    const xeroBefore = await ctl('GET', '/xero/control/stats');
    log(`setup done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${o.tenants} Xero organisations, ${o.apiCerts} API certificates`);

    // ---- faults on, load, kills ----
    await ctl('PUT', '/vsdc/control/faults', { ...FAULTS.vsdc, seed: Date.now() % 100000 });
    await ctl('PUT', '/xero/control/faults', { ...FAULTS.xero, seed: Date.now() % 100000 });
    for (const cert of certs) await ctl('PUT', `/receiver/control/hooks/${cert.hook}`, { fail_count: 5 });
    const tLoad = Date.now();
    let loadDone = false;
    let killsDone = false;
    const expectedNumbers = xeroCerts.map(() => new Set());

    const xeroLoad = (async () => {
      // each organisation's share, created in about ten chunks spread over the kill phase
      const per = xeroCerts.map((_, i) => Math.floor(o.xero / o.tenants) + (i < o.xero % o.tenants ? 1 : 0));
      const left = [...per];
      while (left.some((n) => n > 0) && !aborted) {
        for (let i = 0; i < o.tenants; i++) {
          const count = Math.min(left[i], Math.max(1, Math.ceil(per[i] / 10)));
          if (count <= 0) continue;
          left[i] -= count;
          const b = await ctl('POST', `/xero/control/orgs/${xeroCerts[i].tenant}/invoices/bulk`, { count, status: 'AUTHORISED', events: true });
          const a = Number(b.first_number.slice(4));
          const z = Number(b.last_number.slice(4));
          for (let n = a; n <= z; n++) expectedNumbers[i].add(`INV-${String(n).padStart(4, '0')}`);
        }
        await sleep(o.paceMs ? rand(0, Math.ceil(o.paceMs / 5)) : rand(200, 800));
      }
    })();

    const apiIds = apiCerts.map(() => new Set());
    const apiLoad = (async () => {
      let next = 0;
      const lane = async () => {
        for (let i = next++; i < o.api && !aborted; i = next++) {
          const k = i % apiCerts.length;
          const sid = `crash-${run}-${i}`;
          const body = { source_id: sid, invoice: invoice({ pos_invoice_number: sid }) };
          for (; !aborted;) {
            let r = null;
            try {
              r = await apiCerts[k].api.post('/api/v1/invoices', body, { 'idempotency-key': sid });
            } catch { /* fiscalhub is down: try again */ }
            if (r && (r.status === 202 || r.status === 200)) break;
            if (r && r.status < 500 && r.status !== 429) throw new Error(`submit ${sid}: ${r.status} ${r.text}`);
            stats.apiRetries++;
            await sleep(100);
          }
          apiIds[k].add(sid);
          if (o.paceMs) await sleep(rand(0, Math.ceil((2 * o.paceMs * 8) / Math.max(1, o.api))));
        }
      };
      await Promise.all(Array.from({ length: 8 }, lane));
    })();

    const expected = o.xero + o.api;
    const count = async (st) => (await c.get(`/api/orgs/${c.org}/fiscal-invoices?status=${st}&page_size=1`)).json.total;
    const signedShare = async () => {
      try {
        return (await count('signed')) / expected;
      } catch {
        return 0;
      }
    };
    const killer = (async () => {
      while (!aborted && (stats.kills < o.kills || !loadDone || (stats.kills < 5 * o.kills && (await signedShare()) < o.killUntil))) {
        await sleep(rand(o.gapMs[0], o.gapMs[1]));
        const r = await srv.stop('SIGKILL');
        if (r.signal !== 'SIGKILL') problems.push(`fiscalhub ended with ${r.code ?? r.signal} before it was killed`);
        stats.kills++;
        const ts = Date.now();
        srv = await start();
        stats.restarts++;
        stats.restartMs.push(Date.now() - ts);
        if (stats.kills % 5 === 0) log(`${stats.kills} kills so far (${((Date.now() - tLoad) / 1000).toFixed(1)} s)`);
      }
    })();
    // receiver outages now and then
    const receiverFaults = (async () => {
      while (!killsDone && !aborted) {
        await sleep(rand(1000, 4000));
        const cert = certs[rand(0, certs.length - 1)];
        await ctl('PUT', `/receiver/control/hooks/${cert.hook}`, { fail_for_ms: rand(200, 1500) });
      }
    })();
    running.push(xeroLoad, apiLoad, killer, receiverFaults);
    for (const p of running) p.catch(() => {}); // awaited below; no unhandled rejection meanwhile
    await Promise.all([xeroLoad, apiLoad]);
    loadDone = true;
    log(`load submitted in ${((Date.now() - tLoad) / 1000).toFixed(1)} s (API retries ${stats.apiRetries})`);
    await killer;
    killsDone = true;
    await receiverFaults;
    const tKills = Date.now();
    log(`${stats.kills} kills in ${((tKills - tLoad) / 1000).toFixed(1)} s`);

    // ---- faults off; wait until everything settled ----
    await ctl('PUT', '/vsdc/control/faults', {});
    await ctl('PUT', '/xero/control/faults', {});
    for (const cert of certs) await ctl('PUT', `/receiver/control/hooks/${cert.hook}`, { fail_count: 0, fail_for_ms: 0 });
    // events the receiver accepted, less repeats (its counters, all hooks in one call)
    const hookAccepted = async () => {
      const h = await ctl('GET', '/receiver/control/hooks');
      const mine = new Set(certs.map((x) => x.hook));
      return h.hooks.filter((x) => mine.has(x.name)).reduce((a, x) => a + x.accepted - x.duplicates, 0);
    };
    let settled = null;
    const deadline = Date.now() + o.settleMs;
    for (;;) {
      const k = { signed: await count('signed'), failed: await count('failed'), pending: await count('pending'), on_hold: await count('on_hold') };
      const delivered = await hookAccepted();
      if (k.signed + k.failed >= expected && delivered >= k.signed + k.failed) {
        settled = { ...k, delivered };
        break;
      }
      if (Date.now() > deadline) {
        settled = { ...k, delivered, timedOut: true };
        problems.push(`not settled after ${o.settleMs / 1000} s: ${JSON.stringify(settled)}`);
        break;
      }
      await sleep(1000);
    }
    const tSettled = Date.now();
    log(`settled ${((tSettled - tKills) / 1000).toFixed(1)} s after the last kill: ${JSON.stringify(settled)}`);

    // ---- verification ----
    const notes = async () => ((await ctl('GET', '/xero/control/stats')).history?.notes_added || 0) - (xeroBefore.history?.notes_added || 0);
    const notesAtSettle = await notes();
    const verify = await verifyAll({ c, ctl, certs, xeroCerts, apiCerts, expectedNumbers, apiIds, expected, vsdcBefore, problems });
    let notesSeconds = notesAtSettle >= o.xero ? 0 : null;
    for (const until = Date.now() + (o.notesWaitMs || 0); notesSeconds === null && Date.now() < until; await sleep(500)) {
      if ((await notes()) >= o.xero) notesSeconds = (Date.now() - tSettled) / 1000;
    }
    const xeroAfter = await ctl('GET', '/xero/control/stats');
    const vsdcAfter = await ctl('GET', '/vsdc/control/stats');
    const d = (a, b, k) => (a[k] || 0) - (b[k] || 0);
    const faults = {
      vsdc: Object.fromEntries(['faults_error_5xx', 'faults_timeout', 'faults_reset', 'faults_lost_response', 'faults_cut_response'].map((k) => [k.slice(7), d(vsdcAfter, vsdcBefore, k)])),
      xero: xeroAfter.faults,
      xeroRateLimited: xeroAfter.rate_limited,
      webhooksToFiscalhub: xeroAfter.webhooks,
      notesAdded: (xeroAfter.history?.notes_added || 0) - (xeroBefore.history?.notes_added || 0),
      notesAtSettle,
      notesSeconds,
      xeroCalls: Object.fromEntries(Object.entries(xeroAfter.calls || {}).map(([k, v]) => [k, v - ((xeroBefore.calls || {})[k] || 0)])),
    };
    for (const k of ['faults_error_5xx', 'faults_reset', 'faults_lost_response']) {
      if (d(vsdcAfter, vsdcBefore, k) === 0) problems.push(`no V-SDC ${k} was injected (the run is too small to prove anything)`);
    }
    return {
      ok: problems.length === 0, problems, expected, kills: stats.kills, restartMs: stats.restartMs, apiRetries: stats.apiRetries,
      settled, verify, faults,
      seconds: { setup: (tLoad - t0) / 1000, load: (tKills - tLoad) / 1000, settle: (tSettled - tKills) / 1000 },
      logFiles,
    };
  } catch (e) {
    aborted = true;
    throw e;
  } finally {
    aborted = true;
    await Promise.allSettled(running); // the killer may be starting fiscalhub again
    if (srv) {
      const r = await srv.stop();
      if (r.code !== 0 && r.signal !== 'SIGKILL') problems.push(`fiscalhub exited with ${r.code ?? r.signal} at the end`);
    }
    await sb.stop();
  }
}

// Lists every fiscal invoice of the organization through the portal API.
async function allInvoices(c) {
  const out = [];
  for (let page = 1; ; page++) {
    const r = await c.get(`/api/orgs/${c.org}/fiscal-invoices?page=${page}&page_size=200`);
    if (r.status !== 200) throw new Error(`list: ${r.status}`);
    out.push(...r.json.invoices);
    if (r.json.invoices.length < 200) return out;
  }
}

async function verifyAll({ c, ctl, certs, xeroCerts, apiCerts, expectedNumbers, apiIds, expected, vsdcBefore, problems }) {
  const inv = await allInvoices(c);
  const byCert = new Map(certs.map((x) => [x.certUid, []]));
  for (const x of inv) byCert.get(x.certificate_uid)?.push(x);
  if (inv.length !== expected) problems.push(`fiscalhub holds ${inv.length} fiscal invoices, expected ${expected}`);
  const notSigned = inv.filter((x) => x.status !== 'signed');
  if (notSigned.length) problems.push(`${notSigned.length} fiscal invoices not signed, e.g. ${JSON.stringify(notSigned[0]).slice(0, 300)}`);
  // exactly one fiscal invoice per Xero invoice
  xeroCerts.forEach((cert, i) => {
    const mine = byCert.get(cert.certUid);
    const refs = mine.map((x) => x.source_ref);
    const distinct = new Set(refs);
    if (distinct.size !== refs.length) problems.push(`organisation ${i}: ${refs.length - distinct.size} Xero invoices with more than one fiscal invoice`);
    const missing = [...expectedNumbers[i]].filter((n) => !distinct.has(n));
    if (missing.length) problems.push(`organisation ${i}: ${missing.length} Xero invoices never fiscalized, e.g. ${missing.slice(0, 5).join(', ')}`);
    if (distinct.size !== expectedNumbers[i].size) problems.push(`organisation ${i}: ${distinct.size} fiscalized of ${expectedNumbers[i].size}`);
  });
  // exactly one per API source_id (the public API shows the caller's source_id)
  for (const [k, cert] of apiCerts.entries()) {
    const sids = [];
    for (let cursor = null; ;) {
      const r = await cert.api.get(`/api/v1/invoices?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      if (r.status !== 200) throw new Error(`v1 list: ${r.status} ${r.text}`);
      sids.push(...r.json.invoices.map((x) => x.source_id));
      cursor = r.json.next_cursor;
      if (!cursor) break;
    }
    if (sids.length !== byCert.get(cert.certUid).length) problems.push(`API certificate ${k}: the public API lists ${sids.length} invoices, the portal ${byCert.get(cert.certUid).length}`);
    const distinct = new Set(sids);
    if (distinct.size !== sids.length) problems.push(`API certificate ${k}: a source_id with more than one fiscal invoice`);
    const missing = [...apiIds[k]].filter((s) => !distinct.has(s));
    if (missing.length) problems.push(`API certificate ${k}: ${missing.length} accepted submissions without a fiscal invoice`);
  }
  // the V-SDC: per certificate the same invoices, no duplicates
  const stats = await ctl('GET', '/vsdc/control/stats');
  const uids = new Set();
  let vsdcTotal = 0;
  for (const cert of certs) {
    uids.add(cert.uid);
    const theirs = await ctl('GET', `/vsdc/control/invoices?uid=${cert.uid}&limit=10000`);
    vsdcTotal += theirs.total;
    const ours = new Set(byCert.get(cert.certUid).map((x) => x.invoice_number));
    if (theirs.total !== ours.size) problems.push(`certificate ${cert.uid}: the V-SDC signed ${theirs.total}, fiscalhub holds ${ours.size}`);
    const unknown = theirs.invoices.filter((x) => !ours.has(x.invoice_number));
    if (unknown.length) problems.push(`certificate ${cert.uid}: ${unknown.length} V-SDC invoices unknown to fiscalhub`);
  }
  const dups = stats.duplicate_pos_invoice_numbers.filter((x) => uids.has(x.uid));
  if (dups.length) problems.push(`the V-SDC signed ${dups.length} POS invoice numbers more than once, e.g. ${JSON.stringify(dups[0])}`);
  // the receiver: every fiscal invoice's event, deduplicated by event id
  let events = 0;
  let repeats = 0;
  for (const cert of certs) {
    const h = await ctl('GET', `/receiver/control/hooks/${cert.hook}`);
    const ids = new Map();
    for (const r of h.requests) {
      if (r.outcome !== 'accepted') continue;
      const ev = JSON.parse(r.body);
      if (ev.type !== 'invoice.fiscalized') continue;
      if (r.signature_valid !== true) problems.push(`hook ${cert.hook}: event ${ev.id} accepted without a valid signature`);
      ids.set(ev.id, ev.data.invoice.id);
    }
    if (h.requests.length >= 2000) problems.push(`hook ${cert.hook}: the receiver's record ring is full; use more certificates`);
    repeats += h.duplicates;
    const got = new Set(ids.values());
    const mine = byCert.get(cert.certUid);
    const missing = mine.filter((x) => !got.has(x.id));
    if (missing.length) problems.push(`hook ${cert.hook}: ${missing.length} fiscalized invoices without a delivered event, e.g. ${missing[0].id}`);
    if (ids.size !== got.size) problems.push(`hook ${cert.hook}: two events for one invoice`);
    events += ids.size;
  }
  return { fiscalInvoices: inv.length, vsdcInvoices: vsdcTotal, vsdcPosts: stats.posts_received - vsdcBefore.posts_received, eventsDelivered: events, eventRepeats: repeats };
}
