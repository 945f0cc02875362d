// fiscalhub on a PostgreSQL server of its own (scripts/pg-test.sh) that is restarted under it:
// every connection fiscalhub holds is closed, and the requests that come next are answered as
// if nothing happened (a read that meets a lost connection runs again on a new one; a
// transaction is run again), and invoices submitted before and after are signed, once each.
// Runs in both e2e passes: the store is this file's own server either way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signup, freePort } from '../lib/server.mjs';
import { startSandbox, startFiscalServer, issueCert, uploadCert, invoice, settled } from '../lib/fiscal.mjs';

const PG_TEST = join(dirname(fileURLToPath(import.meta.url)), '../../scripts/pg-test.sh');
let pgDir, sb, srv;

before(async () => {
  pgDir = join(tmpdir(), `fh-pgr-${process.pid}-${Date.now()}`); // pg-test.sh makes it, for its user
  const url = execFileSync(PG_TEST, ['start', pgDir, String(await freePort())], { encoding: 'utf8' }).trim();
  sb = await startSandbox();
  srv = await startFiscalServer(sb, {}, { database: url });
});
after(async () => {
  await srv?.stop();
  await sb?.stop();
  if (pgDir) execFileSync(PG_TEST, ['stop', pgDir]);
});

test('a PostgreSQL restart under a running fiscalhub goes unnoticed by its users', async () => {
  const c = await signup(srv.url, 'pg-restart');
  const uid = await uploadCert(c, await issueCert(sb));
  let n = 0;
  const submit = () => c.post(`/api/orgs/${c.org}/fiscal-invoices`,
    { certificate_uid: uid, source_id: `pgr-${process.pid}-${++n}`, invoice: invoice({ pos_invoice_number: `PGR-${n}` }) });
  const first = await submit();
  assert.equal(first.status, 202, first.text);
  assert.equal((await settled(c, first.json.id)).status, 'signed');

  execFileSync(PG_TEST, ['restart', pgDir]);

  // every HTTP thread's connection is gone: the next requests still succeed
  for (let i = 0; i < 8; i++) {
    const me = await c.get('/api/me');
    assert.equal(me.status, 200, me.text);
  }
  const ready = await fetch(srv.url + '/readyz');
  assert.equal(ready.status, 200);
  const later = [];
  for (let i = 0; i < 4; i++) {
    const r = await submit();
    assert.equal(r.status, 202, r.text);
    later.push(r.json.id);
  }
  assert.equal((await c.get(`/api/orgs/${c.org}/fiscal-invoices?status=signed`)).status, 200);
  for (const id of later) assert.equal((await settled(c, id)).status, 'signed');
  const stats = await sb.control('GET', '/vsdc/control/stats');
  assert.equal(stats.duplicate_pos_invoice_numbers.length, 0);
  const mine = stats.posts_by_request_id.filter((p) => p.invoice_number);
  assert.ok(mine.length >= 5);
});
