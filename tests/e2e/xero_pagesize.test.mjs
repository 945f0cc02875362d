// xero_pagesize.test.mjs - FISCALHUB_XERO_PAGE_SIZE: a backfill asks Xero for pages of that size,
// so 2,500 invoices at 1,000 a page cost three page calls instead of 25.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startXeroWorld, xeroUser, account, connectXero, integration, waitFor, sleep, stopXeroWorld } from '../lib/xero.mjs';

let w;

before(async () => {
  w = await startXeroWorld({ env: { FISCALHUB_XERO_PAGE_SIZE: '1000' } });
});

after(() => stopXeroWorld(w));

test('a backfill with FISCALHUB_XERO_PAGE_SIZE=1000 reads 2,500 invoices in three pages', async () => {
  const c = await account(w, 'xero-pagesize');
  const u = await xeroUser(w, 1);
  const tenant = u.orgs[0].tenant_id;
  const bulk = await w.ctl('POST', `/xero/control/orgs/${tenant}/invoices/bulk`, { count: 2500, status: 'DRAFT' });
  assert.equal(bulk.created, 2500);
  await sleep(1100); // If-Modified-Since counts whole seconds
  const s0 = await w.ctl('GET', '/xero/control/stats');
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval', backfill_days: 1 } });
  const i = await waitFor(async () => {
    const x = await integration(c, uid);
    return x.backfill.state === 'done' && x;
  }, { what: 'the backfill', timeoutMs: 60000, everyMs: 200 });
  assert.equal(i.backfill.done, 2500);
  assert.equal(i.backfill.total, 2500);
  const s1 = await w.ctl('GET', '/xero/control/stats');
  const pages = (s1.calls['GET /Invoices'] || 0) - (s0.calls['GET /Invoices'] || 0);
  assert.equal(pages, 3);
});
