// Roles per organization: the API enforces the permission table of docs/api/portal.md and tells
// the portal which actions each user may take.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, Client, signup, uniqueEmail } from '../lib/server.mjs';

let srv, owner;
const users = {};
const PW = 'long enough password';

before(async () => {
  srv = await startServer();
  owner = await signup(srv.url, 'roles');
  for (const role of ['admin', 'member', 'viewer']) {
    const email = uniqueEmail(role);
    const r = await owner.post(`/api/orgs/${owner.org}/members`, { email, role, name: role, password: PW });
    assert.equal(r.status, 201, r.text);
    const c = new Client(srv.url);
    const l = await c.post('/api/auth/login', { email, password: PW });
    assert.equal(l.status, 200);
    c.userId = r.json.user_id;
    users[role] = c;
  }
});
after(async () => { await srv.stop(); });

test('each role is told its permissions', async () => {
  const expect = {
    viewer: ['integrations.view'],
    member: ['integrations.view', 'integrations.operate'],
    admin: ['integrations.view', 'integrations.operate', 'integrations.manage', 'members.manage'],
  };
  for (const [role, perms] of Object.entries(expect)) {
    const me = (await users[role].get('/api/me')).json;
    assert.equal(me.orgs[0].role, role);
    assert.deepEqual(me.orgs[0].permissions, perms);
    const org = (await users[role].get(`/api/orgs/${owner.org}`)).json;
    assert.deepEqual(org.permissions, perms);
  }
});

test('viewers and members may read but not manage members', async () => {
  for (const role of ['viewer', 'member']) {
    const c = users[role];
    assert.equal((await c.get(`/api/orgs/${owner.org}/members`)).status, 200);
    assert.equal((await c.get(`/api/orgs/${owner.org}/integrations`)).status, 200);
    const r = await c.post(`/api/orgs/${owner.org}/members`, { email: uniqueEmail(), role: 'viewer', name: 'x', password: PW });
    assert.equal(r.status, 403);
    assert.equal(r.json.code, 3003);
    assert.match(r.json.detail, new RegExp(role));
    assert.equal((await c.del(`/api/orgs/${owner.org}/members/${users.viewer.userId}`)).status, 403);
  }
  assert.equal((await owner.get(`/api/orgs/${owner.org}/members`)).json.members.length, 4);
});

test('only owners rename the organization', async () => {
  for (const role of ['viewer', 'member', 'admin']) {
    const r = await users[role].patch(`/api/orgs/${owner.org}`, { name: 'By ' + role });
    assert.equal(r.status, 403, role);
  }
  assert.equal((await owner.get(`/api/orgs/${owner.org}`)).json.name, 'Co roles');
  assert.equal((await owner.patch(`/api/orgs/${owner.org}`, { name: 'Renamed' })).status, 200);
});

test('admins manage members but cannot grant or remove owners', async () => {
  const admin = users.admin;
  let r = await admin.post(`/api/orgs/${owner.org}/members`, { email: uniqueEmail(), role: 'owner', name: 'x', password: PW });
  assert.equal(r.status, 403);
  r = await admin.del(`/api/orgs/${owner.org}/members/${owner.me.user.id}`);
  assert.equal(r.status, 403);
  const email = uniqueEmail('temp');
  r = await admin.post(`/api/orgs/${owner.org}/members`, { email, role: 'viewer', name: 'Temp', password: PW });
  assert.equal(r.status, 201);
  r = await admin.post(`/api/orgs/${owner.org}/members`, { email, role: 'member' });
  assert.equal(r.status, 409);
  assert.equal(r.json.code, 3008);
  const id = (await admin.get(`/api/orgs/${owner.org}/members`)).json.members.find((m) => m.email === email).user_id;
  assert.equal((await admin.del(`/api/orgs/${owner.org}/members/${id}`)).status, 204);
  assert.equal((await admin.del(`/api/orgs/${owner.org}/members/${id}`)).status, 404);
});

test('roles change: admins move members between viewer, member and admin; only owners give or take owner; the last owner keeps it', async () => {
  const o = await signup(srv.url, 'rolechange');
  const add = async (role) => {
    const email = uniqueEmail(role);
    const r = await o.post(`/api/orgs/${o.org}/members`, { email, role, name: role, password: PW });
    assert.equal(r.status, 201, r.text);
    const c = new Client(srv.url);
    assert.equal((await c.post('/api/auth/login', { email, password: PW })).status, 200);
    c.userId = r.json.user_id;
    return c;
  };
  const m = await add('member');
  const v = await add('viewer');
  const roleOf = async (id) => (await o.get(`/api/orgs/${o.org}/members`)).json.members.find((x) => x.user_id === id).role;
  const path = (id) => `/api/orgs/${o.org}/members/${id}`;

  let r = await o.patch(path(m.userId), { role: 'admin' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { user_id: m.userId, email: r.json.email, name: 'member', role: 'admin' });
  assert.ok((await m.get('/api/me')).json.orgs[0].permissions.includes('members.manage'), 'at once');
  assert.equal((await m.patch(path(v.userId), { role: 'member' })).json.role, 'member');
  assert.equal((await v.patch(path(v.userId), { role: 'admin' })).status, 403, 'members do not manage members');

  for (const [who, target, role] of [[m, v.userId, 'owner'], [m, o.me.user.id, 'admin']]) {
    r = await who.patch(path(target), { role });
    assert.equal(r.status, 403);
    assert.equal(r.json.code, 3003);
    assert.match(r.json.detail, /owner role/);
  }
  r = await o.patch(path(o.me.user.id), { role: 'admin' });
  assert.equal(r.status, 409);
  assert.equal(r.json.code, 3009);
  for (const [body, id, field] of [[{ role: 'boss' }, m.userId, /role/], [{}, m.userId, /role/], [{ role: 'admin' }, 'abc', /user_id/]]) {
    r = await o.patch(path(id), body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(r.json.detail, field);
  }
  r = await o.req('PATCH', path(m.userId), '{"role":', { raw: true, headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 400);
  const stranger = await signup(srv.url, 'stranger');
  r = await o.patch(path(stranger.me.user.id), { role: 'viewer' });
  assert.equal(r.status, 404, 'a user of another tenant is not a member');
  assert.equal((await stranger.patch(`/api/orgs/${o.org}/members/${m.userId}`, { role: 'viewer' })).status, 404);
  // nothing refused was written
  assert.equal(await roleOf(m.userId), 'admin');
  assert.equal(await roleOf(v.userId), 'member');
  assert.equal(await roleOf(o.me.user.id), 'owner');

  assert.equal((await o.patch(path(m.userId), { role: 'owner' })).status, 200);
  r = await o.patch(path(o.me.user.id), { role: 'admin' });
  assert.equal(r.status, 200, 'no longer the last owner');
  assert.ok(!(await o.get('/api/me')).json.orgs[0].permissions.includes('billing.manage'));
  assert.equal((await m.patch(path(o.me.user.id), { role: 'owner' })).status, 200, 'an owner gives it back');
});

test('the last owner cannot be removed; with a second owner it can', async () => {
  let r = await owner.del(`/api/orgs/${owner.org}/members/${owner.me.user.id}`);
  assert.equal(r.status, 409);
  assert.equal(r.json.code, 3009);
  const email = uniqueEmail('owner2');
  r = await owner.post(`/api/orgs/${owner.org}/members`, { email, role: 'owner', name: 'Second', password: PW });
  assert.equal(r.status, 201);
  r = await owner.del(`/api/orgs/${owner.org}/members/${owner.me.user.id}`);
  assert.equal(r.status, 204);
  // The former owner has lost access: the org is now "not found" for them.
  assert.equal((await owner.get(`/api/orgs/${owner.org}`)).status, 404);
});

test('a removed member loses access at once', async () => {
  const v = users.viewer;
  const r = await users.admin.del(`/api/orgs/${owner.org}/members/${v.userId}`);
  assert.equal(r.status, 204);
  assert.equal((await v.get(`/api/orgs/${owner.org}/members`)).status, 404);
  assert.equal((await v.get('/api/me')).json.orgs.length, 0);
});

test('an owner creates another organization in the tenant; non-owners cannot', async () => {
  const o = await signup(srv.url, 'multi');
  const r = await o.post('/api/orgs', { name: 'Second branch' });
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.code, /^OR-[2-9A-HJ-NP-Z]{6}$/);
  assert.equal(r.json.role, 'owner');
  const me = (await o.get('/api/me')).json;
  assert.deepEqual(me.orgs.map((x) => x.code), [o.org, r.json.code]);
  assert.equal((await o.get(`/api/orgs/${r.json.code}`)).json.tenant_code, me.tenant.code);
  // A member of the first organization does not see the new one.
  const email = uniqueEmail('m2');
  await o.post(`/api/orgs/${o.org}/members`, { email, role: 'admin', name: 'A', password: PW });
  const a = new Client(srv.url);
  await a.post('/api/auth/login', { email, password: PW });
  assert.equal((await a.get(`/api/orgs/${r.json.code}`)).status, 404);
  const denied = await a.post('/api/orgs', { name: 'Rogue' });
  assert.equal(denied.status, 403);
  assert.equal(denied.json.code, 3003);
  assert.equal((await o.get('/api/me')).json.orgs.length, 2);
});

test('the same new member added many times at once: one user, one 201, the others 409', async () => {
  const boss = await signup(srv.url, 'twice-owner');
  for (let round = 0; round < 5; round++) { // the requests race for the user's row
    const email = uniqueEmail('twice');
    const all = await Promise.all(Array.from({ length: 24 }, () =>
      boss.post(`/api/orgs/${boss.org}/members`, { email, role: 'viewer', name: 'Twice', password: PW })));
    const statuses = all.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, ...Array(23).fill(409)], all.map((r) => r.text).join('\n'));
    for (const r of all.filter((x) => x.status === 409)) assert.equal(r.json.code, 3008);
    const members = (await boss.get(`/api/orgs/${boss.org}/members`)).json.members;
    assert.equal(members.filter((m) => m.email === email).length, 1);
  }
});
