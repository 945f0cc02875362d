// Health, readiness, metrics, static portal files, unknown routes, graceful shutdown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { startServer, signup } from '../lib/server.mjs';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

test('healthz and readyz answer 200 with a request id', async () => {
  const h = await fetch(srv.url + '/healthz');
  assert.equal(h.status, 200);
  assert.deepEqual(await h.json(), { status: 'ok' });
  assert.match(h.headers.get('x-request-id'), /^[A-Za-z0-9_-]{16}$/);
  const r = await fetch(srv.url + '/readyz');
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.equal(body.status, 'ready');
  assert.equal(body.store_full_since, null, 'the store has room (tests/e2e/store_full.test.mjs fills one)');
  assert.equal(body.store, (process.env.FH_DATABASE || 'sqlite').startsWith('postgres') ? 'postgresql' : 'sqlite');
});

test('metrics count requests by route and status, and show queue depth and job outcomes', async () => {
  await signup(srv.url, 'metrics');
  await fetch(srv.url + '/api/me'); // 401
  const m = await (await fetch(srv.url + '/metrics')).text();
  assert.match(m, /fiscalhub_http_requests_total\{route="POST \/api\/auth\/signup",status="201"\} [1-9]/);
  assert.match(m, /fiscalhub_http_requests_total\{route="GET \/api\/me",status="401"\} [1-9]/);
  assert.match(m, /fiscalhub_http_request_duration_ms_bucket\{route="POST \/api\/auth\/signup",le="\+Inf"\} [1-9]/);
  assert.match(m, /fiscalhub_jobs_queue_depth\{state="ready"\} \d+/);
  assert.match(m, /fiscalhub_jobs_outcomes_total\{outcome="done"\} \d+/);
  assert.match(m, /^fiscalhub_store_full 0$/m);
});

test('the portal is served with a strict CSP, hashed assets are immutable, client routes fall back to index.html', async () => {
  const idx = await fetch(srv.url + '/');
  assert.equal(idx.status, 200);
  assert.match(idx.headers.get('content-type'), /^text\/html/);
  const csp = idx.headers.get('content-security-policy');
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(idx.headers.get('cache-control'), 'no-cache');
  const html = await idx.text();
  assert.match(html, /<div id="app"|<div id="root"/);

  const spa = await fetch(srv.url + '/integrations/new');
  assert.equal(spa.status, 200);
  assert.equal(await spa.text(), html);

  const assets = readdirSync(join(ROOT, 'web/dist/assets'));
  const js = assets.find((f) => f.endsWith('.js'));
  const a = await fetch(srv.url + '/assets/' + js);
  assert.equal(a.status, 200);
  assert.match(a.headers.get('content-type'), /^text\/javascript/);
  assert.equal(a.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(await a.text(), readFileSync(join(ROOT, 'web/dist/assets', js), 'utf8'));

  const missing = await fetch(srv.url + '/assets/nope-123.js');
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).code, 2000);
});

test('path traversal never leaves the web directory', async () => {
  for (const p of ['/..%2f..%2fetc%2fpasswd', '/assets/../../meson.build', '/.git/config', '/%2e%2e/meson.build']) {
    const r = await fetch(srv.url + p);
    const body = await r.text();
    assert.doesNotMatch(body, /root:|project\(|\[core\]/, p);
  }
});

test('unknown API paths and wrong methods get error JSON', async () => {
  const r = await fetch(srv.url + '/api/nope');
  assert.equal(r.status, 404);
  const j = await r.json();
  assert.equal(j.code, 2000);
  assert.ok(j.hint && j.detail);
  const m = await fetch(srv.url + '/api/me', { method: 'DELETE' });
  assert.equal(m.status, 405);
  assert.equal((await m.json()).code, 2001);
});

test('docs/errors.md is generated from the registry and up to date', () => {
  const bin = process.env.FH_BIN || join(ROOT, 'build/release');
  const out = spawnSync(join(bin, 'fh-errdoc'), { encoding: 'utf8' });
  assert.equal(out.status, 0);
  assert.equal(out.stdout, readFileSync(join(ROOT, 'docs/errors.md'), 'utf8'), 'run make docs');
});

test('SIGTERM lets an in-flight request finish, then the process exits 0', async () => {
  const s2 = await startServer();
  // A request whose body arrives slowly is in flight when the signal comes.
  const body = JSON.stringify({ email: 'slow@example.com', password: 'x' });
  const { request } = await import('node:http');
  const reply = new Promise((res, rej) => {
    const req = request(s2.url + '/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (r) => {
      let t = '';
      r.on('data', (d) => { t += d; });
      r.on('end', () => res({ status: r.statusCode, text: t }));
    });
    req.on('error', rej);
    req.write(body.slice(0, 10));
    setTimeout(() => req.end(body.slice(10)), 600);
  });
  await new Promise((r) => setTimeout(r, 200));
  s2.proc.kill('SIGTERM');
  const r = await reply;
  assert.equal(r.status, 401, r.text);
  const ex = await s2.exited;
  assert.equal(ex.code, 0);
});
