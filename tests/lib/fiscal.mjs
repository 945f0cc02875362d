// fiscal.mjs - helpers of the fiscalization suites: a real fiscalhub-sandbox (V-SDC over HTTPS
// with client certificates), certificates issued by it and uploaded through the certificates API,
// canonical invoices, and polling.
import { spawn } from 'node:child_process';
import { mkdtempSync, createWriteStream } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, startServer } from './server.mjs';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A fiscalhub that trusts sandbox sb's V-SDC and retries jobs quickly (backoff 20..500 ms); env
// adds or overrides settings, opts goes to startServer (database, args).
export function startFiscalServer(sb, env = {}, opts = {}) {
  return startServer({
    ...opts,
    env: { FISCALHUB_TAXCORE_CA_FILE: sb.caFile, FISCALHUB_JOB_BACKOFF_MS: '20', FISCALHUB_JOB_BACKOFF_MAX_MS: '500', ...env },
  });
}

// Starts fiscalhub-sandbox on free ports with its own data dir. Returns { url, vsdcUrl, caFile,
// control(method, path, body), stop() }.
export async function startSandbox(opts = {}) {
  const bin = opts.bin || process.env.FH_BIN || join(ROOT, 'build/release');
  const dir = opts.dir || mkdtempSync(join(tmpdir(), 'fh-sandbox-'));
  const port = await freePort();
  const vsdcPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = createWriteStream(join(process.env.FH_OUT || dir, `sandbox-${port}.log`));
  const proc = spawn(join(bin, 'sandbox/fiscalhub-sandbox'),
    ['serve', '--port', String(port), '--data-dir', join(dir, 'data'), '--vsdc-port', String(vsdcPort)],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.pipe(log, { end: false });
  proc.stderr.pipe(log, { end: false });
  // 'close', not 'exit': the log is ended only once the output pipes are drained
  const exited = new Promise((res) => proc.on('close', (code, signal) => res({ code, signal })));
  const deadline = Date.now() + 20000;
  let info = null;
  while (!info) {
    if (proc.exitCode !== null) throw new Error(`fiscalhub-sandbox exited with ${proc.exitCode}`);
    if (Date.now() > deadline) throw new Error('fiscalhub-sandbox did not start');
    try {
      const r = await fetch(`${url}/vsdc/control/info`);
      if (r.status === 200) info = await r.json();
    } catch { /* not yet */ }
    if (!info) await sleep(50);
  }
  async function control(method, path, body) {
    const r = await fetch(url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    if (r.status >= 400) throw new Error(`sandbox ${method} ${path}: ${r.status} ${text}`);
    return json;
  }
  return {
    url, vsdcUrl: info.vsdc_url, caFile: info.ca_file, dir, control,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
      log.end();
    },
  };
}

// Issues a taxpayer certificate at the sandbox: { uid, pac, password, pfx_base64 }.
export function issueCert(sb, opts = {}) {
  return sb.control('POST', '/vsdc/control/certificates', opts);
}

// Uploads it to the organization of client c through the certificates API; returns the UID.
export async function uploadCert(c, cert) {
  const r = await c.post(`/api/orgs/${c.org}/certificates`,
    { pfx_base64: cert.pfx_base64, password: cert.password, pac: cert.pac });
  if (r.status !== 201) throw new Error(`certificate upload: ${r.status} ${r.text}`);
  return r.json.uid;
}

// A canonical invoice: one item 100.87 with label A, paid in cash; fields overridable.
export function invoice(over = {}) {
  return {
    invoice_type: 'normal',
    transaction_type: 'sale',
    cashier: 'Ana',
    pos_invoice_number: 'POS-1',
    payments: [{ method: 'cash', amount: '100.87' }],
    items: [{ gtin: '12345678', name: 'Cable', quantity: '1', unit_price: '100.87', labels: ['A'], total: '100.87' }],
    ...over,
  };
}

// Polls fn until it returns a truthy value (returned) or the time runs out (throws).
export async function waitFor(fn, { timeoutMs = 30000, everyMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

// Waits until the invoice leaves 'pending'; returns its details.
export async function settled(c, id, timeoutMs = 30000) {
  return waitFor(async () => {
    const r = await c.get(`/api/orgs/${c.org}/fiscal-invoices/${id}`);
    return r.status === 200 && r.json.status !== 'pending' ? r.json : null;
  }, { timeoutMs, what: `invoice ${id} to settle` });
}

// GET path at the V-SDC with the certificate (mutual TLS), trusting the sandbox CA; returns
// { status, text } with the body exactly as sent.
export function vsdcGet(sb, cert, path, caPem) {
  return new Promise((res, rej) => {
    const u = new URL(sb.vsdcUrl + path);
    const req = request({
      host: u.hostname, port: u.port, path: u.pathname, method: 'GET',
      pfx: Buffer.from(cert.pfx_base64, 'base64'), passphrase: cert.password, ca: caPem,
      headers: { PAC: cert.pac, Accept: 'application/json' },
    }, (r) => {
      const chunks = [];
      r.on('data', (d) => chunks.push(d));
      r.on('end', () => res({ status: r.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', rej);
    req.end();
  });
}
