// store_full.test.mjs - a store out of space (here SQLite at its FISCALHUB_SQLITE_MAX_MB limit,
// which fails writes as a full disk does): writes are answered 503 (5004) saying so, with
// Retry-After, and leave nothing behind; reads go on; /readyz and /metrics say since when; once
// space is freed the same server writes again without a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signup, storeQuery, storeExec, Client, uniqueEmail } from '../lib/server.mjs';

const PASSWORD = 'correct horse battery staple';
const ready = async (srv) => (await fetch(srv.url + '/readyz')).json();
const fullGauge = async (srv) => /^fiscalhub_store_full (\d)$/m.exec(await (await fetch(srv.url + '/metrics')).text())?.[1];

test('a full store: writes refused with 503 (5004) and nothing half-written, reads go on, writes again once space is freed', async (t) => {
  if ((process.env.FH_DATABASE || 'sqlite').startsWith('postgres')) {
    t.skip('the size limit is SQLite\'s (PRAGMA max_page_count); this run uses PostgreSQL');
    return;
  }
  const srv = await startServer({ env: { FISCALHUB_SQLITE_MAX_MB: '1' } });
  try {
    const owner = await signup(srv.url, 'full-owner');
    assert.deepEqual([(await ready(srv)).store_full_since, await fullGauge(srv)], [null, '0']);

    // accounts until the store has no room for the next one
    let refused;
    const fill = `fill-${process.pid}-${Date.now()}`;
    for (let i = 0; i < 3000 && !refused; i++) {
      const r = await new Client(srv.url).post('/api/auth/signup', {
        email: `${fill}-${i}@example.com`, password: PASSWORD, name: 'N'.repeat(100), company: 'C'.repeat(190),
      });
      if (r.status !== 201) refused = { r, email: `${fill}-${i}@example.com` };
    }
    assert.ok(refused, 'the 1 MiB store filled up');
    assert.equal(refused.r.status, 503, refused.r.text);
    assert.deepEqual(refused.r.json, {
      code: 5004,
      hint: "fiscalhub's disk is full: nothing of this request was saved. Try again once the operator has freed space (Retry-After).",
      detail: 'cannot create the account',
    });
    assert.equal(refused.r.headers.get('retry-after'), '60');
    assert.deepEqual(storeQuery(srv, `SELECT COUNT(*) AS n FROM users WHERE email = '${refused.email}'`), [{ n: 0 }], 'no user half-made');

    // while full: readiness says since when, the gauge is 1, reads answer, other writes are refused alike
    const r = await ready(srv);
    assert.equal(r.status, 'ready');
    assert.ok(Date.parse(r.store_full_since) <= Date.now(), JSON.stringify(r));
    assert.equal(await fullGauge(srv), '1');
    const me = await owner.get('/api/me');
    assert.equal(me.status, 200, me.text);
    // what the refused account undid left a little room: organizations until it is gone too
    let made = 0, org;
    for (; made < 500; made++) {
      org = await owner.post('/api/orgs', { name: `Company ${made} `.padEnd(190, 'x') });
      if (org.status !== 201) break;
    }
    assert.deepEqual([org.status, org.json?.code, org.json?.detail], [503, 5004, 'cannot create the organization'], org.text);
    assert.equal((await owner.get('/api/me')).json.orgs.length, me.json.orgs.length + made, 'no organization half-made');

    // space freed (the filler accounts deleted): the same server writes again, and says so
    // (foreign keys on: the sqlite3 shell leaves them off, and memberships left behind would
    // meet the ids SQLite gives the next rows)
    storeExec(srv, `PRAGMA foreign_keys = ON; DELETE FROM organizations WHERE id IN (SELECT org_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email LIKE '${fill}-%'); DELETE FROM users WHERE email LIKE '${fill}-%';`);
    await new Promise((res) => setTimeout(res, 1100)); // a commit a second after the last refusal clears it
    const again = await new Client(srv.url).post('/api/auth/signup', { email: uniqueEmail('full-after'), password: PASSWORD, name: 'After', company: 'After' });
    assert.equal(again.status, 201, again.text);
    assert.deepEqual([(await ready(srv)).store_full_since, await fullGauge(srv)], [null, '0']);
    assert.equal((await owner.post('/api/orgs', { name: 'Second company' })).status, 201);
  } finally {
    await srv.stop();
  }
});
