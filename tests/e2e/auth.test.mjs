// Sign-up, log-in, log-out, sessions, cookies, CSRF, origin check, rate limiting, secrets in logs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, Client, signup, uniqueEmail } from '../lib/server.mjs';

let srv;
before(async () => { srv = await startServer({ env: { FISCALHUB_LOGIN_MAX_FAILURES: '3' } }); });
after(async () => { await srv.stop(); });

test('sign-up creates user, tenant and organization with codes, and a session cookie', async () => {
  const c = new Client(srv.url);
  const email = uniqueEmail('Ana').replace('ana', 'ANA');
  const r = await c.post('/api/auth/signup', { email, password: 'correct horse battery', name: 'Ana', company: 'Acme d.o.o.' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.user.email, email.toLowerCase());
  assert.match(r.json.tenant.code, /^TN-[2-9A-HJ-NP-Z]{6}$/);
  assert.equal(r.json.tenant.name, 'Acme d.o.o.');
  assert.equal(r.json.orgs.length, 1);
  assert.match(r.json.orgs[0].code, /^OR-[2-9A-HJ-NP-Z]{6}$/);
  assert.equal(r.json.orgs[0].role, 'owner');
  assert.ok(r.json.orgs[0].permissions.includes('billing.manage'));
  const cookie = r.headers.get('set-cookie');
  assert.match(cookie, /^fh_session=[A-Za-z0-9_-]{43};/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  assert.doesNotMatch(cookie, /Secure/, 'plain http must not set Secure');
  const me = await c.get('/api/me');
  assert.equal(me.status, 200);
  assert.equal(me.json.tenant.code, r.json.tenant.code);
  assert.equal(me.json.csrf_token, r.json.csrf_token);
});

test('the same email cannot sign up twice (any case), and nothing extra is created', async () => {
  const a = await signup(srv.url, 'dup');
  const c = new Client(srv.url);
  const r = await c.post('/api/auth/signup', { email: a.email.toUpperCase(), password: 'another long password', name: 'X', company: 'Y' });
  assert.equal(r.status, 409);
  assert.equal(r.json.code, 3005);
  assert.equal(c.cookie, '');
  // The original password still works; the second one does not.
  const l = await new Client(srv.url).post('/api/auth/login', { email: a.email, password: 'another long password' });
  assert.equal(l.status, 401);
});

test('weak passwords and bad emails are refused with the field named', async () => {
  const c = new Client(srv.url);
  let r = await c.post('/api/auth/signup', { email: uniqueEmail(), password: 'short', name: 'A', company: 'B' });
  assert.equal(r.status, 400);
  assert.equal(r.json.code, 3006);
  r = await c.post('/api/auth/signup', { email: 'not-an-email', password: 'long enough password', name: 'A', company: 'B' });
  assert.equal(r.status, 400);
  assert.match(r.json.detail, /email/);
});

test('log out ends the session; log in starts a new one', async () => {
  const c = await signup(srv.url, 'cycle');
  const old = c.cookie;
  let r = await c.post('/api/auth/logout');
  assert.equal(r.status, 204);
  assert.match(r.headers.get('set-cookie'), /fh_session=;.*Max-Age=0/);
  // The old token is dead even if a client keeps sending it.
  const stale = new Client(srv.url);
  stale.cookie = old;
  assert.equal((await stale.get('/api/me')).status, 401);
  r = await c.post('/api/auth/login', { email: c.email.toUpperCase(), password: c.password });
  assert.equal(r.status, 200, r.text);
  assert.notEqual(c.cookie, old);
  assert.equal((await c.get('/api/me')).status, 200);
});

test('state-changing requests need the session CSRF token', async () => {
  const c = await signup(srv.url, 'csrf');
  let r = await c.patch(`/api/orgs/${c.org}`, { name: 'Renamed' }, { csrf: false });
  assert.equal(r.status, 403);
  assert.equal(r.json.code, 3002);
  r = await c.patch(`/api/orgs/${c.org}`, { name: 'Renamed' }, { csrf: false, headers: { 'x-csrf-token': 'wrong' } });
  assert.equal(r.status, 403);
  assert.equal((await c.get(`/api/orgs/${c.org}`)).json.name, 'Co csrf', 'nothing written');
  r = await c.post('/api/auth/logout', undefined, { csrf: false });
  assert.equal(r.status, 403);
  assert.equal((await c.get('/api/me')).status, 200, 'session survives a forged logout');
  r = await c.patch(`/api/orgs/${c.org}`, { name: 'Renamed' });
  assert.equal(r.status, 200);
  assert.equal(r.json.name, 'Renamed');
});

test('sign-up and log-in from another origin are refused', async () => {
  const c = new Client(srv.url);
  const r = await c.post('/api/auth/signup', { email: uniqueEmail(), password: 'long enough password', name: 'A', company: 'B' },
    { headers: { origin: 'https://evil.example' } });
  assert.equal(r.status, 403);
  assert.equal(r.json.code, 3007);
  const ok = await c.post('/api/auth/signup', { email: uniqueEmail(), password: 'long enough password', name: 'A', company: 'B' },
    { headers: { origin: srv.url } });
  assert.equal(ok.status, 201);
});

test('a state-changing request with a session from another origin is refused, whatever its token; reads are not', async () => {
  const c = await signup(srv.url, 'origin');
  const name = (await c.get(`/api/orgs/${c.org}`)).json.name;
  // (the scheme is not compared: behind a TLS proxy the browser's https origin reaches us over http)
  for (const origin of ['https://evil.example', 'null', `${srv.url}.evil.example`, `${srv.url}:1`]) {
    const r = await c.patch(`/api/orgs/${c.org}`, { name: 'Forged' }, { headers: { origin } });
    assert.deepEqual([r.status, r.json.code], [403, 3007], `${origin}: ${r.text}`);
    assert.equal(r.json.detail, `Origin ${origin} is not this server`);
    const out = await c.post('/api/auth/logout', undefined, { headers: { origin } });
    assert.equal(out.status, 403, origin);
  }
  assert.equal((await c.get(`/api/orgs/${c.org}`)).json.name, name, 'nothing changed');
  assert.equal((await c.get('/api/me', { headers: { origin: 'https://evil.example' } })).status, 200, 'a read is answered');
  const same = await c.patch(`/api/orgs/${c.org}`, { name: 'Renamed here' }, { headers: { origin: srv.url } });
  assert.equal(same.status, 200, same.text);
  assert.equal((await c.patch(`/api/orgs/${c.org}`, { name: 'No origin sent' })).status, 200);
});

test('log-in is rate limited per email after repeated failures, even with the right password', async () => {
  const a = await signup(srv.url, 'rate');
  const c = new Client(srv.url);
  for (let i = 0; i < 3; i++) {
    const r = await c.post('/api/auth/login', { email: a.email, password: 'wrong password ' + i });
    assert.equal(r.status, 401);
    assert.equal(r.json.code, 3001);
  }
  const r = await c.post('/api/auth/login', { email: a.email, password: a.password });
  assert.equal(r.status, 429);
  assert.equal(r.json.code, 3004);
  // Another account is not affected.
  const b = await signup(srv.url, 'rate-other');
  assert.equal((await new Client(srv.url).post('/api/auth/login', { email: b.email, password: b.password })).status, 200);
});

test('unknown emails and wrong passwords get the same answer', async () => {
  const a = await signup(srv.url, 'enum');
  const c = new Client(srv.url);
  const r1 = await c.post('/api/auth/login', { email: uniqueEmail('nobody'), password: 'whatever pw' });
  const r2 = await c.post('/api/auth/login', { email: a.email, password: 'whatever pw' });
  assert.equal(r1.status, 401);
  assert.deepEqual(r1.json, r2.json);
});

test('passwords, session tokens and CSRF tokens never appear in the logs', async () => {
  const c = await signup(srv.url, 'secret', { password: 'Sup3r-Secret-Passphrase' });
  await c.post('/api/auth/login', { email: c.email, password: 'Sup3r-Secret-Passphrase' });
  await c.post('/api/auth/login', { email: c.email, password: 'Wrong-Secret-Passphrase' });
  await new Promise((r) => setTimeout(r, 100));
  const log = readFileSync(srv.logFile, 'utf8');
  assert.doesNotMatch(log, /Secret-Passphrase/);
  assert.ok(!log.includes(c.cookie.split('=')[1]));
  assert.ok(!log.includes(c.csrf));
});

test('a user changes their password: the current one is checked, the other sessions end, this one stays', async () => {
  const c = await signup(srv.url, 'pwchange');
  const other = new Client(srv.url);
  assert.equal((await other.post('/api/auth/login', { email: c.email, password: c.password })).status, 200);
  const next = 'Fresh-Passphrase-' + process.pid;
  let r = await c.post('/api/me/password', { current_password: 'not the password', new_password: next });
  assert.equal(r.status, 403);
  assert.equal(r.json.code, 3011);
  assert.match(r.json.detail, /current_password/);
  r = await c.post('/api/me/password', { current_password: c.password, new_password: 'short' });
  assert.equal(r.status, 400);
  assert.equal(r.json.code, 3006);
  assert.match(r.json.detail, /new_password/);
  r = await c.post('/api/me/password', { current_password: c.password });
  assert.equal(r.status, 400);
  assert.match(r.json.detail, /new_password/);
  r = await c.post('/api/me/password', { current_password: c.password, new_password: next }, { csrf: false });
  assert.equal(r.status, 403);
  assert.equal(r.json.code, 3002);
  // nothing changed so far: the old password still logs in
  assert.equal((await new Client(srv.url).post('/api/auth/login', { email: c.email, password: c.password })).status, 200);

  r = await c.post('/api/me/password', { current_password: c.password, new_password: next });
  assert.equal(r.status, 204, r.text);
  assert.equal((await c.get('/api/me')).status, 200);
  assert.equal((await other.get('/api/me')).status, 401);
  assert.equal((await new Client(srv.url).post('/api/auth/login', { email: c.email, password: c.password })).status, 401);
  assert.equal((await new Client(srv.url).post('/api/auth/login', { email: c.email, password: next })).status, 200);
  await new Promise((done) => setTimeout(done, 100));
  assert.ok(!readFileSync(srv.logFile, 'utf8').includes(next), 'the new password is not logged');
});

test('wrong current passwords count toward the log-in limit', async () => {
  const c = await signup(srv.url, 'pwguess');
  for (let i = 0; i < 3; i++) {
    const r = await c.post('/api/me/password', { current_password: 'guess number ' + i, new_password: 'Whatever-New-1' });
    assert.equal(r.status, 403);
  }
  const r = await c.post('/api/me/password', { current_password: c.password, new_password: 'Whatever-New-1' });
  assert.equal(r.status, 429);
  assert.equal(r.json.code, 3004);
  assert.equal((await new Client(srv.url).post('/api/auth/login', { email: c.email, password: c.password })).status, 429);
});

test('an operator resets a forgotten password with fiscalhub admin reset-password', async () => {
  const c = await signup(srv.url, 'forgot');
  const out = srv.admin(['reset-password', c.email.toUpperCase()]).trim();
  assert.match(out, /^[A-Za-z0-9_-]{20,}$/);
  assert.equal((await c.get('/api/me')).status, 401, 'their sessions end');
  assert.equal((await new Client(srv.url).post('/api/auth/login', { email: c.email, password: c.password })).status, 401);
  assert.equal((await new Client(srv.url).post('/api/auth/login', { email: c.email, password: out })).status, 200);
  assert.throws(() => srv.admin(['reset-password', uniqueEmail('nobody')]), (e) => e.status === 1 && /no user with the email/.test(e.stderr));
  assert.throws(() => srv.admin(['reset-password']), (e) => e.status === 2);
  await new Promise((done) => setTimeout(done, 100));
  assert.ok(!readFileSync(srv.logFile, 'utf8').includes(out), 'the new password is not logged');
});

test('behind https (FISCALHUB_PUBLIC_URL=https://...) the session cookie is Secure', async () => {
  const s2 = await startServer({ env: { FISCALHUB_PUBLIC_URL: 'https://fiscalhub.example' } });
  try {
    const r = await new Client(s2.url).post('/api/auth/signup', { email: uniqueEmail('tls'), password: 'long enough password', name: 'T', company: 'T' });
    assert.equal(r.status, 201);
    assert.match(r.headers.get('set-cookie'), /; Secure/);
    assert.match(r.headers.get('set-cookie'), /HttpOnly/);
  } finally {
    await s2.stop();
  }
});
