// Backups and restores (README "Backups"): `fiscalhub admin backup` copies a running SQLite store;
// a store restored from it forgets what was signed after the backup, so the first start on it
// looks up every fiscal invoice at the V-SDC before posting it, and an invoice the source sends
// again gets its earlier fiscal number instead of a second fiscal invoice. On PostgreSQL the
// command points at pg_dump, and `fiscalhub admin restored` begins the same recovery by hand.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { signup, storeQuery } from '../lib/server.mjs';
import { startSandbox, issueCert, uploadCert, invoice, settled, startFiscalServer } from '../lib/fiscal.mjs';

const SQLITE = (process.env.FH_DATABASE || 'sqlite') === 'sqlite';
let sb;
before(async () => { sb = await startSandbox(); });
after(async () => { await sb?.stop(); });

async function submit(c, uid, source) {
  const r = await c.post(`/api/orgs/${c.org}/fiscal-invoices`, {
    certificate_uid: uid, source_id: source, invoice: invoice({ pos_invoice_number: source }),
  });
  assert.equal(r.status, 202, r.text);
  return r.json;
}

async function signedNumber(c, id) {
  const d = await settled(c, id);
  assert.equal(d.status, 'signed', d.last_error);
  return d.invoice_number;
}

function adminFails(srv, args) {
  try {
    srv.admin(args);
  } catch (e) {
    return { status: e.status, stderr: String(e.stderr) };
  }
  assert.fail(`admin ${args.join(' ')} succeeded`);
}

const postsOf = (stats, rid) => stats.posts_by_request_id.filter((p) => p.request_id === rid).reduce((n, p) => n + p.posts, 0);

test('a restored backup asks the V-SDC first: an invoice signed after the backup keeps its one fiscal invoice', { skip: !SQLITE && 'a SQLite store' }, async () => {
  const cert = await issueCert(sb);
  let srv = await startFiscalServer(sb);
  const env = { DATABASE_URL: srv.env.DATABASE_URL, FISCALHUB_MASTER_KEY_FILE: srv.env.FISCALHUB_MASTER_KEY_FILE };
  const store = { dir: srv.dir, env }; // the store's home, also for the server restarted on it
  try {
    const c = await signup(srv.url, 'backup');
    const uid = await uploadCert(c, cert);
    const tag = `bk-${process.pid}`;
    const a = await submit(c, uid, `${tag}-a`);
    const numberA = await signedNumber(c, a.id);

    // taken while the server runs; the file did not exist, and is not overwritten
    const file = join(srv.dir, 'backup.db');
    const out = srv.admin(['backup', file]);
    assert.match(out, /backup of .* taken at .*backup\.db \(\d+ bytes\)/);
    assert.match(out, /master key/);
    assert.ok(statSync(file).size > 0);
    assert.ok(!existsSync(`${file}.partial`), 'no partial file left');
    const size = statSync(file).size;
    const again = adminFails(srv, ['backup', file]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already exists/);
    assert.equal(statSync(file).size, size, 'the existing backup is untouched');
    const none = adminFails(srv, ['backup']);
    assert.match(none.stderr, /give the file/);

    // signed after the backup was taken: the restored store will not know it
    const b = await submit(c, uid, `${tag}-b`);
    const numberB = await signedNumber(c, b.id);
    await srv.stop();

    // restore: the backup in place of the store, its WAL and shared memory gone
    for (const s of ['-wal', '-shm']) rmSync(env.DATABASE_URL + s, { force: true });
    copyFileSync(file, env.DATABASE_URL);
    const before = await sb.control('GET', '/vsdc/control/stats');
    srv = await startFiscalServer(sb, env);
    c.base = srv.url; // the session is in the backup too
    await new Promise((r) => setTimeout(r, 200));
    const log = readFileSync(srv.logFile, 'utf8');
    assert.match(log, /"event":"restore".*restored from a backup taken at/);
    assert.deepEqual(storeQuery(store, "SELECT key FROM store_state WHERE key = 'backup_taken_at'"), [], 'the mark is consumed');

    // what the backup held is there; b is not, and comes again from its source
    const list = (await c.get(`/api/orgs/${c.org}/fiscal-invoices?page_size=50`)).json;
    assert.deepEqual(list.invoices.map((x) => x.invoice_number), [numberA]);
    const b2 = await submit(c, uid, `${tag}-b`);
    assert.equal(b2.request_id, b.request_id, 'the same RequestId: derived from the source');
    assert.equal(await signedNumber(c, b2.id), numberB, 'the fiscal invoice signed before the restore');
    const stats = await sb.control('GET', '/vsdc/control/stats');
    assert.equal(postsOf(stats, b.request_id), 1, 'posted once, before the backup was restored');
    assert.equal(stats.gets_received - before.gets_received, 1, 'looked up once');
    const at = await sb.control('GET', `/vsdc/control/invoices?uid=${uid}&limit=100`);
    assert.equal(at.total, 2, 'two fiscal invoices at the V-SDC for two sales');

    // the recovery lasts: a new invoice is looked up too; `restored --days 0` ends it
    const cNew = await submit(c, uid, `${tag}-c`);
    await signedNumber(c, cNew.id);
    const s2 = await sb.control('GET', '/vsdc/control/stats');
    assert.equal(s2.gets_received - stats.gets_received, 1, 'asked first during the recovery');
    assert.match(srv.admin(['restored', '--days', '0']), /recovery ended/);
    const d = await submit(c, uid, `${tag}-d`);
    await signedNumber(c, d.id);
    const s3 = await sb.control('GET', '/vsdc/control/stats');
    assert.equal(s3.gets_received - s2.gets_received, 0, 'posted at once after the recovery');
  } finally {
    await srv.stop();
  }
});

test('on PostgreSQL the backup names pg_dump; `admin restored` makes unsigned invoices ask first', async () => {
  const cert = await issueCert(sb);
  const srv = await startFiscalServer(sb);
  try {
    if (!SQLITE) {
      const r = adminFails(srv, ['backup', join(srv.dir, 'x.db')]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /pg_dump.*fiscalhub admin restored/);
      assert.ok(!existsSync(join(srv.dir, 'x.db')));
    }
    const bad = adminFails(srv, ['restored', '--days', 'x']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--days takes 0 to 3650/);

    const c = await signup(srv.url, 'restored');
    const uid = await uploadCert(c, cert);
    // a refused invoice (unknown label) stays failed; after `restored` a user retry asks first
    const r = await c.post(`/api/orgs/${c.org}/fiscal-invoices`, {
      certificate_uid: uid, source_id: `rs-${process.pid}`,
      invoice: invoice({ items: [{ name: 'Gadget', quantity: '1', unit_price: '5', labels: ['Q'], total: '5' }] }),
    });
    assert.equal(r.status, 202, r.text);
    assert.equal((await settled(c, r.json.id)).status, 'failed');
    const out = srv.admin(['restored', '--days', '2']);
    assert.match(out, /recovery until .*: 1 fiscal invoices not signed in the store/);
    assert.deepEqual(storeQuery(srv, `SELECT uncertain FROM fiscal_invoices WHERE id = ${r.json.id}`), [{ uncertain: 1 }]);
    const until = storeQuery(srv, "SELECT value FROM store_state WHERE key = 'recovery_until'")[0].value;
    const days = (Number(until) - Date.now()) / 86400000;
    assert.ok(days > 1.99 && days <= 2, `recovery of two days (${days})`);
    const before = await sb.control('GET', '/vsdc/control/stats');
    const s = await submit(c, uid, `rs2-${process.pid}`);
    await signedNumber(c, s.id);
    const stats = await sb.control('GET', '/vsdc/control/stats');
    assert.equal(stats.gets_received - before.gets_received, 1, 'a new invoice is looked up first');
    assert.equal(postsOf(stats, s.request_id), 1);
  } finally {
    await srv.stop();
  }
});
