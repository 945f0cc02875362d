// world.mjs - a fiscalhub and a fiscalhub-sandbox for the benchmarks: an account on a paid plan
// (a Scale activation key issued with `fiscalhub admin keys issue`, so no trial limit holds
// invoices), taxpayer certificates issued by the sandbox's V-SDC, one Custom Integration with an
// API key per certificate, and helpers to submit invoices through the public API and read the
// store.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, signup } from '../../tests/lib/server.mjs';
import { startSandbox } from '../../tests/lib/sandbox.mjs';
import { createCustom, createKey, ApiClient } from '../../tests/lib/custom.mjs';
import { invoice } from '../../tests/lib/fiscal.mjs';
import { BIN, need, sleep } from './common.mjs';

// Starts the sandbox and fiscalhub. opts: workers (every one of them may fiscalize: no
// workers reserved for fiscalization besides them), env (extra fiscalhub settings), sandboxArgs,
// database ('sqlite' or a postgres URL). Returns the world; stop() ends both.
export async function startWorld({ workers = 4, env = {}, sandboxArgs = [], database = 'sqlite' } = {}) {
  const sb = await startSandbox({ bin: BIN, args: sandboxArgs });
  const fhEnv = {
    FISCALHUB_TAXCORE_CA_FILE: sb.caFile,
    FISCALHUB_SANDBOX_URL: sb.url,
    FISCALHUB_WORKERS: String(workers),
    FISCALHUB_FISCAL_WORKERS: '0',
    FISCALHUB_API_RATE_BURST: '100000',
    FISCALHUB_API_RATE_PER_MINUTE: '1000000',
    FISCALHUB_LOG_LEVEL: 'warn',
    ...env,
  };
  let srv = null;
  try {
    srv = await startServer({ bin: BIN, database, env: fhEnv });
    const w = { sb, srv, env: fhEnv, database, certs: [], db: database === 'sqlite' ? join(srv.dir, 'fiscalhub.db') : null };
    w.stop = async () => {
      const r = await w.srv.stop();
      await sb.stop();
      return r;
    };
    w.c = await signup(srv.url, 'bench');
    await activatePlan(w);
    return w;
  } catch (e) {
    await srv?.stop();
    await sb.stop();
    throw e;
  }
}

// A Scale plan from an activation key (docs/internals/billing.md); skipped on a build without
// licensing.
export async function activatePlan(w, seats = 50) {
  let key;
  try {
    key = w.srv.admin(['keys', 'issue', '--tier', 'scale', '--seats', String(seats), '--months', '12']).trim().split('\n')[0];
  } catch {
    return null;
  }
  const r = await w.c.post(`/api/orgs/${w.c.org}/billing/keys/activate`, { key });
  if (r.status !== 200) throw new Error(`activate ${key}: ${r.status} ${r.text}`);
  w.plan = 'scale';
  return key;
}

// Issues n certificates at the V-SDC, uploads them, and gives each a Custom Integration and an
// API key. Each: { uid, pfx, password, pac, integration, key, api }.
export async function addCertificates(w, n) {
  for (let i = 0; i < n; i++) {
    const cert = await w.sb.issueCert();
    const up = await w.c.post(`/api/orgs/${w.c.org}/certificates`,
      { pfx_base64: cert.pfx.toString('base64'), password: cert.password, pac: cert.pac });
    if (up.status !== 201) throw new Error(`certificate upload: ${up.status} ${up.text}`);
    cert.integration = await createCustom(w.c, up.json.uid);
    cert.key = await createKey(w.c, cert.integration, 'bench');
    cert.api = new ApiClient(w.srv.url, cert.key);
    w.certs.push(cert);
  }
  return w.certs;
}

// Submits n invoices through POST /api/v1/invoices, spread over the certificates, lanes at a
// time; source_id and POS number are `${tag}-${i}`. Returns { t0, ids }.
export async function submit(w, n, tag, { lanes = 16, certs = w.certs } = {}) {
  const ids = new Array(n);
  let next = 0;
  const t0 = Date.now();
  async function lane() {
    for (let i = next++; i < n; i = next++) {
      const cert = certs[i % certs.length];
      const body = { source_id: `${tag}-${i}`, invoice: invoice({ pos_invoice_number: `${tag}-${i}` }) };
      let r;
      for (let attempt = 0; ; attempt++) {
        try {
          r = await cert.api.post('/api/v1/invoices', body);
          if (r.status < 500) break;
        } catch (e) {
          if (attempt > 50) throw e;
        }
        if (attempt > 50) break;
        await sleep(100);
      }
      if (r.status !== 202 && r.status !== 200) throw new Error(`submit ${tag}-${i}: ${r.status} ${r.text}`);
      ids[i] = r.json.id;
    }
  }
  await Promise.all(Array.from({ length: lanes }, lane));
  return { t0, ids };
}

// One SQL query on the SQLite store (read-only next to the running server; WAL readers do not
// block it). Returns the rows as arrays of strings.
export function sql(w, q) {
  if (!w.db) throw new Error('sql() needs the SQLite store');
  const out = execFileSync(need('sqlite3'), ['-separator', '\t', w.db, q], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

// Fiscal invoice counts by status through the portal API (any store).
export async function statusCounts(w) {
  const n = async (s) => (await w.c.get(`/api/orgs/${w.c.org}/fiscal-invoices?status=${s}&page_size=1`)).json.total;
  return { signed: await n('signed'), failed: await n('failed'), pending: await n('pending'), on_hold: await n('on_hold') };
}

// Waits until signed + failed reach want; returns the counts. On SQLite it counts with the
// sqlite3 CLI, so polling costs fiscalhub nothing (through the API it showed in its profile).
export async function waitSettled(w, want, timeoutMs = 600000, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (w.db) {
      const [[done]] = sql(w, "SELECT count(*) FROM fiscal_invoices WHERE status IN ('signed', 'failed')");
      if (Number(done) < want) {
        if (Date.now() > deadline) throw new Error(`timed out: ${done} of ${want} settled`);
        await sleep(everyMs);
        continue;
      }
    }
    const k = await statusCounts(w);
    if (k.signed + k.failed >= want) return k;
    if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(k)} of ${want}`);
    await sleep(everyMs);
  }
}

export async function vsdcStats(w) {
  const r = await w.sb.control('GET', '/vsdc/control/stats');
  if (r.status !== 200) throw new Error(`stats: ${r.status}`);
  return r.json;
}
