// sandbox.mjs - starts a real fiscalhub-sandbox for a test run: its own temp data directory
// (sandbox CA and certificate registry), free HTTP and V-SDC ports; waits until /readyz answers
// (the V-SDC listener is up before the HTTP port opens). Also issues V-SDC client certificates
// with `fiscalhub-sandbox issue-cert` and talks to the control API.
//
//   const sb = await startSandbox();            // { url, vsdcUrl, caPem, dataDir, ... }
//   const cert = await sb.issueCert();          // { uid, pfx, password, pac, pfxPath }
//   await sb.control('PUT', '/vsdc/control/faults', { next: ['lost_response'] });  // {status, json, text}
//   const info = await sb.controlOk('GET', '/vsdc/control/info');  // the JSON, or it throws
//   await sb.stop();                            // { code, signal }
import { spawn, execFile } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './server.mjs';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);

// The sandbox binary of a build directory (meson puts it under sandbox/).
export function sandboxBinary(bin = process.env.FH_BIN || join(ROOT, 'build/release')) {
  for (const p of [join(bin, 'sandbox/fiscalhub-sandbox'), join(bin, 'fiscalhub-sandbox')]) {
    if (existsSync(p)) return p;
  }
  throw new Error(`no fiscalhub-sandbox under ${bin}`);
}

async function waitReady(url, proc, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`fiscalhub-sandbox exited with ${proc.exitCode} before ready`);
    try {
      const r = await fetch(url + '/readyz');
      if (r.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url}/readyz not ready within ${timeoutMs} ms`);
}

function run(exe, args, env) {
  return new Promise((res, rej) => {
    execFile(exe, args, { env }, (err, stdout, stderr) => {
      if (err) rej(new Error(`${exe} ${args.join(' ')} failed: ${stderr || err.message}`));
      else res(stdout);
    });
  });
}

// Issues a client certificate into dir with `issue-cert`; opts: uid, tin, name, location,
// address, district, vsdcUrl, apiUrl, days, expired, legacy, noTaxcoreExt, keyMismatch.
export async function issueCert(exe, dataDir, dir, opts = {}, env = process.env) {
  const args = ['issue-cert', '--data-dir', dataDir, '--out', dir];
  const str = { uid: '--uid', tin: '--tin', name: '--name', location: '--location', address: '--address',
    district: '--district', vsdcUrl: '--vsdc-url', apiUrl: '--api-url', days: '--days' };
  const flags = { expired: '--expired', legacy: '--legacy', noTaxcoreExt: '--no-taxcore-ext', keyMismatch: '--key-mismatch' };
  for (const [k, f] of Object.entries(str)) if (opts[k] !== undefined) args.push(f, String(opts[k]));
  for (const [k, f] of Object.entries(flags)) if (opts[k]) args.push(f);
  const uid = (await run(exe, args, env)).trim();
  const pfxPath = join(dir, `${uid}.pfx`);
  return {
    uid,
    pfxPath,
    pfx: readFileSync(pfxPath),
    password: readFileSync(join(dir, `${uid}.password`), 'utf8'),
    pac: readFileSync(join(dir, `${uid}.pac`), 'utf8'),
  };
}

// Options: bin (build dir), dataDir (reuse one, e.g. to test restarts), env, args (extra flags).
export async function startSandbox(opts = {}) {
  const exe = sandboxBinary(opts.bin);
  const dir = mkdtempSync(join(tmpdir(), 'fh-sandbox-'));
  const dataDir = opts.dataDir || join(dir, 'data');
  const port = await freePort();
  const vsdcPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const vsdcUrl = `https://127.0.0.1:${vsdcPort}`;
  const env = {
    ...process.env,
    FISCALHUB_SANDBOX_PORT: String(port),
    FISCALHUB_SANDBOX_VSDC_PORT: String(vsdcPort),
    FISCALHUB_SANDBOX_DATA_DIR: dataDir,
    FISCALHUB_LOG_LEVEL: 'warn',
    ...(opts.env || {}),
  };
  const logFile = join(process.env.FH_OUT || dir, `sandbox-${port}.log`);
  const log = createWriteStream(logFile);
  const proc = spawn(exe, ['serve', ...(opts.args || [])], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.pipe(log, { end: false });
  proc.stderr.pipe(log, { end: false });
  // 'close', not 'exit': the log is ended only once the output pipes are drained
  const exited = new Promise((res) => proc.on('close', (code, signal) => res({ code, signal })));
  await waitReady(url, proc);
  const caFile = join(dataDir, 'vsdc/ca.pem');
  let seq = 0;
  return {
    url,
    port,
    vsdcUrl,
    vsdcPort,
    dir,
    dataDir,
    caFile,
    caPem: readFileSync(caFile),
    proc,
    logFile,
    exited,
    issueCert(o = {}) {
      seq += 1;
      return issueCert(exe, dataDir, join(dir, `certs-${seq}`), { vsdcUrl, ...o }, env);
    },
    async control(method, path, body) {
      const r = await fetch(url + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      let json = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      return { status: r.status, json, text };
    },
    // control, for calls that must succeed: the JSON of a 2xx answer, else an error naming it.
    async controlOk(method, path, body) {
      const r = await this.control(method, path, body);
      if (r.status < 200 || r.status >= 300) throw new Error(`sandbox ${method} ${path}: ${r.status} ${r.text}`);
      return r.json;
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const r = await exited;
      log.end();
      return r;
    },
  };
}
