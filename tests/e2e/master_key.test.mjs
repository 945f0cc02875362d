// Master key rotation (README "Master key rotation"): a new key from `fiscalhub admin
// new-master-key`; a server given the new key alone refuses to start, since it opens none of the
// store's secrets; with the old key named as retired everything goes on (the certificate signs,
// the webhook's secret and headers are used), `fiscalhub admin reseal` seals the secrets again
// while it runs, and afterwards the new key alone is enough.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, signup, storeQuery } from '../lib/server.mjs';
import { startSandbox, issueCert, uploadCert, invoice, settled, startFiscalServer, waitFor } from '../lib/fiscal.mjs';
import { createWebhook, receiver, verifySignature } from '../lib/custom.mjs';
import { issueKeys, validateKey } from '../lib/billing.mjs';

const BIN = join(process.env.FH_BIN || 'build/release', 'fiscalhub');
let sb;
before(async () => { sb = await startSandbox(); });
after(async () => { await sb?.stop(); });

let seq = 0;
const sid = (tag) => `${tag}-${process.pid}-${++seq}`;

// Submits an invoice through the portal API; it must be signed, and its event must reach the
// receiver hook with a valid signature and the custom header (the webhook's sealed secrets).
async function signsAndDelivers(c, cert, hook, secret) {
  const r = await c.post(`/api/orgs/${c.org}/fiscal-invoices`, {
    certificate_uid: cert, source_id: sid('s'), invoice: invoice({ pos_invoice_number: sid('P') }),
  });
  assert.equal(r.status, 202, r.text);
  const d = await settled(c, r.json.id);
  assert.equal(d.status, 'signed', d.last_error);
  const [got] = await receiver.events(sb, hook, (e) => e.type === 'invoice.fiscalized' && e.data.invoice.id === d.id);
  assert.ok(verifySignature(secret, got.headers['fiscalhub-signature'], got.body), 'signed with the endpoint secret');
  assert.equal(got.headers.authorization, 'Bearer rotate-1');
}

function run(args, env) {
  return spawnSync(BIN, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30000 });
}

test('a master key rotation: the retired key keeps secrets open, reseal moves them, then the old key goes', async () => {
  let srv = await startFiscalServer(sb);
  const store = { DATABASE_URL: srv.env.DATABASE_URL };
  const home = { dir: srv.dir, env: srv.env }; // where the store is, for storeQuery after restarts
  const oldKey = srv.env.FISCALHUB_MASTER_KEY_FILE;
  const newKey = join(srv.dir, 'master-2.key');
  try {
    const c = await signup(srv.url, 'rotate');
    const cert = await uploadCert(c, await issueCert(sb));
    const hook = sid('rotate');
    const wh = await createWebhook(c, cert, receiver.url(sb, hook), { headers: [{ name: 'Authorization', value: 'Bearer rotate-1' }] });
    await receiver.configure(sb, hook, { secret: wh.secret });
    const [activation] = issueKeys(srv, { tier: 'growth', seats: 2, months: 1 });
    await signsAndDelivers(c, cert, hook, wh.secret);
    const sealed = () => storeQuery(home, `SELECT c.pfx_sealed, c.password_sealed, w.secret_sealed, w.headers_sealed
      FROM certificates c JOIN webhook_endpoints w ON w.org_id = c.org_id WHERE c.uid = '${cert}'`)[0];
    const before = sealed();
    await srv.stop();

    // a new key file, mode 0600; an existing file is never overwritten
    const made = run(['admin', 'new-master-key', newKey]);
    assert.equal(made.status, 0, made.stderr);
    assert.match(made.stdout, /wrote a new master key to .*master-2\.key/);
    assert.equal(statSync(newKey).mode & 0o777, 0o600);
    const text = readFileSync(newKey, 'utf8');
    assert.match(text, /^[0-9a-f]{64}\n$/);
    assert.notEqual(text, readFileSync(oldKey, 'utf8'));
    const again = run(['admin', 'new-master-key', newKey]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /never overwritten/);
    assert.equal(readFileSync(newKey, 'utf8'), text);

    // the new key alone opens nothing the store holds: the server refuses to start
    const alone = run(['serve'], { ...srv.env, FISCALHUB_MASTER_KEY_FILE: newKey, FISCALHUB_PORT: String(await freePort()) });
    assert.equal(alone.status, 1, alone.stdout + alone.stderr);
    assert.match(alone.stdout + alone.stderr, /opens none of the store's secrets.*FISCALHUB_RETIRED_MASTER_KEY_FILES/);
    // a retired key file that is the current key is refused
    const same = run(['admin', 'tenants'], { ...srv.env, FISCALHUB_RETIRED_MASTER_KEY_FILES: oldKey });
    assert.equal(same.status, 1);
    assert.match(same.stdout + same.stderr, /holds the current master key/);

    // the old key retired: the old secrets open, the log asks for a reseal
    const rotated = { ...store, FISCALHUB_MASTER_KEY_FILE: newKey, FISCALHUB_RETIRED_MASTER_KEY_FILES: oldKey };
    srv = await startFiscalServer(sb, rotated);
    c.base = srv.url; // the same session, on the server restarted on the store
    await waitFor(() => /retired master key remain: run `fiscalhub admin reseal`/.test(readFileSync(srv.logFile, 'utf8')),
      { what: 'the warning in the log' });
    await signsAndDelivers(c, cert, hook, wh.secret);
    assert.equal((await validateKey(c, activation)).status, 200, 'a key issued before the rotation');

    // resealed while the server runs
    const out = srv.admin(['reseal']);
    const n = Number(out.match(/sealed again under the current master key: (\d+)/)[1]);
    assert.ok(n >= 4, out); // the PFX, its password, the webhook's secret and headers
    assert.match(out, /opening under no key given: 0/);
    assert.match(out, /Activation keys issued before the rotation/);
    const after = sealed();
    for (const k of Object.keys(before)) assert.notEqual(after[k], before[k], `${k} sealed again`);
    assert.match(srv.admin(['reseal']), /sealed again under the current master key: 0; already under it: [1-9]/);
    await signsAndDelivers(c, cert, hook, wh.secret);
    await srv.stop();

    // the new key alone now
    const newOnly = { ...store, FISCALHUB_MASTER_KEY_FILE: newKey };
    srv = await startFiscalServer(sb, newOnly);
    c.base = srv.url;
    assert.doesNotMatch(readFileSync(srv.logFile, 'utf8'), /retired master key remain/);
    await signsAndDelivers(c, cert, hook, wh.secret);
    const none = run(['admin', 'reseal'], { ...srv.env });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /no retired master key given/);
  } finally {
    await srv.stop();
  }
});
