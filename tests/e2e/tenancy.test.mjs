// Tenant isolation: every org-scoped endpoint, called with another tenant's organization code or
// user ids, answers 404 exactly like a nonexistent one, and writes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signup, uniqueEmail } from '../lib/server.mjs';

let srv, a, b;
before(async () => {
  srv = await startServer();
  a = await signup(srv.url, 'tenant-a');
  b = await signup(srv.url, 'tenant-b');
});
after(async () => { await srv.stop(); });

async function stateOf(c) {
  return JSON.stringify({
    org: (await c.get(`/api/orgs/${c.org}`)).json,
    members: (await c.get(`/api/orgs/${c.org}/members`)).json,
    integrations: (await c.get(`/api/orgs/${c.org}/integrations`)).json,
  });
}

test('every org endpoint answers 404 for another tenant\'s organization, like a missing one', async () => {
  const beforeA = await stateOf(a);
  const aUser = a.me.user.id;
  const calls = (org) => [
    ['GET', `/api/orgs/${org}`],
    ['PATCH', `/api/orgs/${org}`, { name: 'Hijacked' }],
    ['GET', `/api/orgs/${org}/members`],
    ['POST', `/api/orgs/${org}/members`, { email: b.email, role: 'owner' }],
    ['DELETE', `/api/orgs/${org}/members/${aUser}`],
    ['GET', `/api/orgs/${org}/integrations`],
  ];
  const real = calls(a.org);
  const fake = calls('OR-ZZZZZZ');
  for (let i = 0; i < real.length; i++) {
    const [m, p, body] = real[i];
    const r = await b.req(m, p, body);
    assert.equal(r.status, 404, `${m} ${p}: ${r.text}`);
    assert.equal(r.json.code, 2000);
    const [fm, fp, fbody] = fake[i];
    const f = await b.req(fm, fp, fbody);
    assert.equal(f.status, 404);
    assert.equal(r.json.hint, f.json.hint);
  }
  assert.equal(await stateOf(a), beforeA, 'tenant A unchanged');
});

test('a user of another tenant cannot be added as a member, and is not revealed', async () => {
  const r = await a.post(`/api/orgs/${a.org}/members`, { email: b.email, role: 'viewer' });
  assert.equal(r.status, 409);
  assert.equal(r.json.code, 3005);
  const members = (await a.get(`/api/orgs/${a.org}/members`)).json.members;
  assert.equal(members.length, 1);
  assert.equal((await b.get('/api/me')).json.orgs.length, 1);
});

test('deleting another tenant\'s user id through one\'s own org is 404 and changes nothing', async () => {
  const r = await a.del(`/api/orgs/${a.org}/members/${b.me.user.id}`);
  assert.equal(r.status, 404);
  assert.equal((await b.get(`/api/orgs/${b.org}/members`)).json.members.length, 1);
});

test('/api/me shows only the caller\'s own tenant and organizations', async () => {
  const me = (await b.get('/api/me')).json;
  assert.equal(me.orgs.length, 1);
  assert.equal(me.orgs[0].code, b.org);
  assert.notEqual(me.tenant.code, a.me.tenant.code);
  assert.ok(!JSON.stringify(me).includes(a.org));
});

test('a member added with a new email belongs to the inviting tenant', async () => {
  const email = uniqueEmail('invited');
  const r = await a.post(`/api/orgs/${a.org}/members`, { email, role: 'viewer', name: 'Vi', password: 'long enough password' });
  assert.equal(r.status, 201, r.text);
  const { Client } = await import('../lib/server.mjs');
  const v = new Client(srv.url);
  const l = await v.post('/api/auth/login', { email, password: 'long enough password' });
  assert.equal(l.status, 200);
  assert.equal(l.json.tenant.code, a.me.tenant.code);
  assert.deepEqual(l.json.orgs.map((o) => o.code), [a.org]);
});
