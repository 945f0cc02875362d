// Licensing: activation keys (every refusal with its own code, Validate read-only, Activate once
// even under concurrent attempts, extend / replace), `fiscalhub admin keys issue`, and the trial
// plan. Seats and holds: billing_limits.test.mjs; Stripe: billing_stripe.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signup, Client, uniqueEmail } from '../lib/server.mjs';
import { TRIAL, KEY_RE, checkChar, madeUpKey, typo, issueKeys, billing, validateKey, activateKey } from '../lib/billing.mjs';

let srv, owner;

before(async () => {
  srv = await startServer({ env: { ...TRIAL } });
  owner = await signup(srv.url, 'keys');
});
after(async () => {
  await srv?.stop();
});

test('a new organization is on the free trial: 1 connection, 50 invoices, no expiry', async () => {
  const r = await billing(owner);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.source, 'trial');
  assert.equal(r.json.plan.tier, 'trial');
  assert.equal(r.json.plan.trial, true);
  assert.equal(r.json.plan.seats, 1);
  assert.equal(r.json.invoice_limit, 50);
  assert.equal(r.json.expires_at, null);
  assert.equal(r.json.key, null);
  assert.deepEqual(r.json.tiers.map((t) => t.tier), ['starter', 'growth', 'scale']);
  assert.deepEqual(r.json.tiers.map((t) => t.sync.mode), ['polling', 'near_realtime', 'realtime']);
  const u = (await owner.get(`/api/orgs/${owner.org}/integrations`)).json.usage;
  assert.deepEqual([u.trial, u.connection_limit, u.invoice_limit, u.expires_at], [true, 1, 50, null]);
});

test('admin keys issue prints N well-formed keys that validate', async () => {
  const keys = issueKeys(srv, { tier: 'growth', seats: 3, months: 12, count: 5 });
  assert.equal(keys.length, 5);
  assert.equal(new Set(keys).size, 5);
  for (const k of keys) {
    assert.match(k, KEY_RE);
    const body = k.slice(4).replace(/-/g, '');
    assert.equal(body[11], checkChar(body.slice(0, 11)), 'the last character checks the others');
    const v = await validateKey(owner, k);
    assert.equal(v.status, 200, v.text);
    assert.equal(v.json.tier, 'growth');
  }
  assert.throws(() => issueKeys(srv, { tier: 'platinum' }), /status 2|Command failed/);
});

test('each key refusal has its own code, and Validate changes nothing', async () => {
  const [k] = issueKeys(srv, { tier: 'growth', seats: 3, months: 12 });
  const cases = [
    ['hello', 400, 9012],
    ['INT-ABCD-EFGH', 400, 9012],
    [typo(k), 400, 9000],
    [k.slice(0, 5) + k[6] + k[5] + k.slice(7), 400, 9000], // two characters swapped
    [k.replace(/[2-9]/, 'O'), 400, 9000], // a letter that never appears in keys
    ['POS-7KQ2-MX4P-9RTA', 400, 9004],
    ['pos-7kq2-mx4p-9rta', 400, 9004],
    [madeUpKey(), 404, 9001],
  ];
  for (const [key, status, code] of cases) {
    if (key === k) continue; // a swap of two equal characters is no typo
    for (const call of [validateKey, activateKey]) {
      const r = await call(owner, key);
      assert.equal(r.status, status, `${key}: ${r.text}`);
      assert.equal(r.json.code, code, `${key}: ${r.text}`);
      assert.ok(r.json.hint.length > 20 && r.json.detail, r.text);
    }
  }
  // lower case and spaces are fine; Validate reviews the key and leaves the plan alone
  const v = await validateKey(owner, ` ${k.toLowerCase().replace(/-/g, ' ')} `);
  assert.equal(v.status, 200, v.text);
  assert.equal(v.json.product, 'integrations');
  assert.deepEqual([v.json.tier, v.json.tier_name, v.json.seats, v.json.months], ['growth', 'Growth', 3, 12]);
  assert.equal(v.json.effect, 'starts');
  assert.equal(v.json.key, `INT-****-****-${k.slice(-4)}`);
  assert.ok(!v.text.includes(k.slice(4, 8)), 'the key is never echoed in full');
  assert.equal((await billing(owner)).json.source, 'trial');
});

test('Activate starts the plan; the same key again is refused as used', async () => {
  const c = await signup(srv.url, 'activate');
  const [k] = issueKeys(srv, { tier: 'growth', seats: 3, months: 12 });
  const before = Date.now();
  const r = await activateKey(c, k);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.effect, 'starts');
  const b = r.json.billing;
  assert.deepEqual([b.source, b.plan.tier, b.plan.seats, b.invoice_limit, b.key], ['key', 'growth', 3, 5000, `INT-****-****-${k.slice(-4)}`]);
  const start = Date.parse(b.starts_at), end = Date.parse(b.expires_at);
  assert.ok(start >= before - 1000 && start <= Date.now() + 1000, 'the plan starts at activation');
  const days = (end - start) / 86400000;
  assert.ok(days >= 365 && days <= 366, `12 months: ${days} days`);
  const u = (await c.get(`/api/orgs/${c.org}/integrations`)).json.usage;
  assert.deepEqual([u.trial, u.connection_limit, u.invoice_limit, u.expires_at], [false, 3, 5000, b.expires_at]);
  for (const who of [c, owner]) {
    const again = await activateKey(who, k);
    assert.equal(again.status, 409, again.text);
    assert.equal(again.json.code, 9002);
    const v = await validateKey(who, k);
    assert.equal(v.json.code, 9002);
  }
  assert.match((await activateKey(c, k)).json.detail, /by this organization/);
});

test('concurrent activations of one key: exactly one wins', async () => {
  const [k] = issueKeys(srv, { tier: 'scale', seats: 2, months: 1 });
  const orgs = [];
  for (let i = 0; i < 4; i++) orgs.push(await signup(srv.url, `race${i}`));
  const attempts = [];
  for (let round = 0; round < 3; round++) for (const c of orgs) attempts.push(activateKey(c, k));
  const rs = await Promise.all(attempts);
  const won = rs.filter((r) => r.status === 200);
  assert.equal(won.length, 1, rs.map((r) => r.status).join(','));
  for (const r of rs) if (r.status !== 200) assert.equal(r.json.code, 9002, r.text);
  const plans = await Promise.all(orgs.map((c) => billing(c)));
  assert.equal(plans.filter((p) => p.json.plan.tier === 'scale').length, 1, 'one organization got the plan');
  assert.equal(plans.filter((p) => p.json.source === 'trial').length, 3);
});

test('a second key of the same plan extends it; another plan replaces it without losing time', async () => {
  const c = await signup(srv.url, 'extend');
  const [k1, k2] = issueKeys(srv, { tier: 'starter', seats: 2, months: 1, count: 2 });
  const [k3] = issueKeys(srv, { tier: 'growth', seats: 5, months: 1 });
  const first = (await activateKey(c, k1)).json.billing;
  const v = await validateKey(c, k2);
  assert.equal(v.json.effect, 'extends');
  assert.equal(v.json.starts_at, first.starts_at);
  const second = (await activateKey(c, k2)).json.billing;
  assert.equal(second.starts_at, first.starts_at);
  const gained = (Date.parse(second.expires_at) - Date.parse(first.expires_at)) / 86400000;
  assert.ok(gained >= 28 && gained <= 31, `one more month: ${gained} days`);
  const r = await activateKey(c, k3);
  assert.equal(r.json.effect, 'replaces');
  assert.deepEqual([r.json.billing.plan.tier, r.json.billing.plan.seats], ['growth', 5]);
  assert.equal(r.json.billing.expires_at, second.expires_at, 'the later expiry is kept');
});

test('only an owner activates keys', async () => {
  const c = await signup(srv.url, 'roles');
  const email = uniqueEmail('admin');
  const add = await c.post(`/api/orgs/${c.org}/members`, { email, role: 'admin', name: 'Admin', password: 'correct horse battery staple' });
  assert.equal(add.status, 201, add.text);
  const admin = new Client(srv.url);
  assert.equal((await admin.post('/api/auth/login', { email, password: 'correct horse battery staple' })).status, 200);
  admin.org = c.org;
  const [k] = issueKeys(srv, {});
  const r = await activateKey(admin, k);
  assert.equal(r.status, 403, r.text);
  assert.equal((await billing(admin)).status, 200, 'anyone in the organization sees the plan');
  assert.equal((await validateKey(c, k)).status, 200, 'the key is still unused');
});
