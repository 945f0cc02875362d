// server.mjs - starts a real fiscalhub (and optionally fiscalhub-sandbox) for a test run:
// its own temp directory, store, master key and port; waits until /readyz answers.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function waitReady(url, proc, path = '/readyz', timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode} before ready`);
    try {
      const r = await fetch(url + path);
      if (r.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url}${path} not ready within ${timeoutMs} ms`);
}

// On PostgreSQL every server gets a database of its own (created through psql on the test
// server, whose role may create databases), so one suite's background jobs never meet another
// suite's rows. A restart on the same store passes env.DATABASE_URL (srv.env.DATABASE_URL) or
// an explicit opts.database.
function freshPgDatabase(base, port) {
  const name = `fh_e2e_${port}_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const r = spawnSync('psql', [base, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `CREATE DATABASE ${name}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot create database ${name}: ${r.stderr}`);
  const u = new URL(base);
  u.pathname = '/' + name;
  return u.toString();
}

// Options: bin (build dir), database ('sqlite' or a postgres:// URL), env (extra variables),
// args (extra flags). Returns { url, port, dir, proc, logFile, stop(signal) }.
export async function startServer(opts = {}) {
  const bin = opts.bin || process.env.FH_BIN || join(ROOT, 'build/release');
  const dir = mkdtempSync(join(tmpdir(), 'fh-e2e-'));
  const port = await freePort();
  let db = opts.database || process.env.FH_DATABASE || 'sqlite';
  if (db !== 'sqlite' && !opts.database && !(opts.env && opts.env.DATABASE_URL)) db = freshPgDatabase(db, port);
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    FISCALHUB_PORT: String(port),
    FISCALHUB_PUBLIC_URL: url,
    DATABASE_URL: db === 'sqlite' ? join(dir, 'fiscalhub.db') : db,
    FISCALHUB_MASTER_KEY_FILE: join(dir, 'master.key'),
    FISCALHUB_WEB_DIR: join(ROOT, 'web/dist'),
    FISCALHUB_PWHASH: 'fast',
    // info, so that tests/lib/log-audit.mjs reads every line a deployment logs by default
    FISCALHUB_LOG_LEVEL: 'info',
    // Suites about other features are not limited by the free trial (1 connection, 50 invoices
    // a month): a generous trial allowance, which the licensing suites set back to 1 / 50
    // (tests/e2e/billing_*.test.mjs, docs/internals/billing.md).
    FISCALHUB_TRIAL_CONNECTIONS: '100',
    FISCALHUB_TRIAL_INVOICES: '1000000',
    ...(opts.env || {}),
  };
  const logFile = join(process.env.FH_OUT || dir, `server-${port}.log`);
  const log = createWriteStream(logFile);
  const proc = spawn(join(bin, 'fiscalhub'), ['serve', ...(opts.args || [])], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const admin = (args) => execFileSync(join(bin, 'fiscalhub'), ['admin', ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.pipe(log, { end: false });
  proc.stderr.pipe(log, { end: false });
  await waitReady(url, proc);
  // 'close', not 'exit': the log is ended only once the output pipes are drained
  const exited = new Promise((res) => proc.on('close', (code, signal) => res({ code, signal })));
  return {
    url,
    port,
    dir,
    proc,
    logFile,
    exited,
    env,
    admin, // runs `fiscalhub admin <args>` on this server's store and master key; returns stdout
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const r = await exited;
      log.end();
      return r;
    },
  };
}

// A small JSON client with a cookie jar and the CSRF header, like the portal.
// sqlite3 waits up to 10 s for the server's write lock instead of failing with "database is
// locked" at once (the CLI has no busy timeout of its own).
const SQLITE_WAIT = ['-cmd', '.timeout 10000'];

// Reads rows straight from a server's store: sqlite3 on its SQLite file, psql on PostgreSQL.
export function storeQuery(srv, sql) {
  const db = join(srv.dir, 'fiscalhub.db');
  if (existsSync(db)) return JSON.parse(execFileSync('sqlite3', [...SQLITE_WAIT, '-json', db, sql]).toString() || '[]');
  const out = execFileSync('psql', [srv.env.DATABASE_URL, '-At', '-c', `SELECT coalesce(json_agg(t), '[]') FROM (${sql}) t`]);
  return JSON.parse(out.toString());
}

// Runs statements on a server's store (sqlite3, or psql in one transaction).
export function storeExec(srv, sql) {
  const db = join(srv.dir, 'fiscalhub.db');
  if (existsSync(db)) execFileSync('sqlite3', [...SQLITE_WAIT, db, sql]);
  else execFileSync('psql', [srv.env.DATABASE_URL, '-q', '-v', 'ON_ERROR_STOP=1', '-1', '-c', sql]);
}

export class Client {
  constructor(base) {
    this.base = base;
    this.cookie = '';
    this.csrf = '';
  }
  async req(method, path, body, { headers = {}, raw = false, csrf = true } = {}) {
    const h = { ...headers };
    if (this.cookie) h.cookie = this.cookie;
    if (csrf && this.csrf && method !== 'GET') h['x-csrf-token'] = this.csrf;
    let payload;
    if (body !== undefined) {
      payload = raw ? body : JSON.stringify(body);
      if (!('content-type' in h)) h['content-type'] = 'application/json';
    }
    const r = await fetch(this.base + path, { method, headers: h, body: payload });
    const set = r.headers.get('set-cookie');
    if (set) {
      const m = /fh_session=([^;]*)/.exec(set);
      if (m) this.cookie = m[1] ? `fh_session=${m[1]}` : '';
    }
    const bytes = Buffer.from(await r.arrayBuffer());
    const text = bytes.toString('utf8');
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (json && json.csrf_token) this.csrf = json.csrf_token;
    return { status: r.status, json, text, bytes, headers: r.headers };
  }
  get(p, o) { return this.req('GET', p, undefined, o); }
  post(p, b, o) { return this.req('POST', p, b, o); }
  patch(p, b, o) { return this.req('PATCH', p, b, o); }
  del(p, o) { return this.req('DELETE', p, undefined, o); }
}

let seq = 0;
export function uniqueEmail(tag = 'user') {
  seq += 1;
  return `${tag}-${process.pid}-${Date.now()}-${seq}@example.com`;
}

export async function signup(base, tag = 'owner', extra = {}) {
  const c = new Client(base);
  const email = uniqueEmail(tag);
  const password = 'correct horse battery staple';
  const r = await c.post('/api/auth/signup', { email, password, name: 'Test ' + tag, company: 'Co ' + tag, ...extra });
  if (r.status !== 201) throw new Error(`signup failed: ${r.status} ${r.text}`);
  c.me = r.json;
  c.email = email;
  c.password = password;
  c.org = r.json.orgs[0].code;
  return c;
}
