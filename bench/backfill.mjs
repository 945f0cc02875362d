// backfill.mjs - benchmark 3: the first backfill of 10,000 invoices from the sandbox's Xero
// emulator under a scaled-down per-minute limit. Reports, from the emulator's statistics:
//   page calls (GET /Invoices + GET /CreditNotes) vs. the minimum paging
//   requires (10,000 / 100 invoice pages + 1 credit-note page)             target <= 1.05
//   wall time vs. the rate-limit bound of all the tenant's calls           target <= 1.1
//   429 answers received                                                   target 0
//
//   node bench/backfill.mjs     (env: BENCH_XERO_INVOICES 10000, BENCH_XERO_MINUTE 10 calls a
//                                (scaled) minute, FH_BIN build/bench)
//
// Time runs 30x faster in both the emulator and fiscalhub's governor (tests/lib/xero.mjs: a Xero
// minute lasts 2 s). A sync pages the invoices, then the credit notes (none here: one empty
// page). The rate-limit bound is the least time the limit allows for the calls the tenant made
// (all endpoints, as the emulator counted them): with C calls and L per window of W, the last
// window can start no earlier than (ceil(C / L) - 1) * W after the first call; the bound counts
// only that (the last window's own calls are free), so the ratio is conservative. fiscalhub's
// clock starts at the consent (the callback that queues the backfill) and stops at the last page
// read, the credit notes' (last_sync_at).
// The invoices are AUTHORISED and the integration fiscalizes on payment, so the pages are mapped
// and checked against the trigger but nothing is signed: what is measured is the paging.
import { SCALE, startXeroWorld, xeroUser, account, connectXero, integration, waitFor, sleep } from '../tests/lib/xero.mjs';
import { appendResult, log, machine } from './lib/common.mjs';

const N = Number(process.env.BENCH_XERO_INVOICES || 10000);
const L = Number(process.env.BENCH_XERO_MINUTE || 10);
const PAGE = 100;
const WINDOW_MS = 60000 / SCALE;
const TARGETS = { calls: 1.05, time: 1.1, limited: 0 };

async function main() {
  const started = machine().load;
  const w = await startXeroWorld({ env: { FISCALHUB_XERO_MINUTE_LIMIT: String(L), FISCALHUB_LOG_LEVEL: 'warn' } });
  let res;
  try {
    const c = await account(w, 'bench-backfill');
    const u = await xeroUser(w, 1);
    const tenant = u.orgs[0].tenant_id;
    await w.ctl('PUT', `/xero/control/orgs/${tenant}/limits`, { minute: L });
    const bulk = await w.ctl('POST', `/xero/control/orgs/${tenant}/invoices/bulk`, { count: N, status: 'AUTHORISED' });
    if (bulk.created !== N) throw new Error(`bulk: ${JSON.stringify(bulk)}`);
    await sleep(1100); // If-Modified-Since counts whole seconds
    // wait for a fresh minute window of the tenant (no call yet: its first call opens one)
    const s0 = await w.ctl('GET', '/xero/control/stats');
    const t0 = Date.now();
    const uid = await connectXero(w, c, u, { settings: { trigger: 'payment', backfill_days: 1 } });
    const i = await waitFor(async () => {
      const x = await integration(c, uid);
      return x.backfill.state === 'done' && x;
    }, { what: 'the backfill', timeoutMs: 600000, everyMs: 250 });
    const t1 = Date.parse(i.last_sync_at);
    const s1 = await w.ctl('GET', '/xero/control/stats');
    const d = (k) => (s1.calls[k] || 0) - (s0.calls[k] || 0);
    const invoicePages = d('GET /Invoices');
    const creditPages = d('GET /CreditNotes');
    const pages = invoicePages + creditPages;
    const limited = (s1.tenants[tenant]?.rate_limited || 0) - (s0.tenants[tenant]?.rate_limited || 0);
    const accounting = (s1.tenants[tenant]?.calls || 0) - (s0.tenants[tenant]?.calls || 0);
    const minCalls = Math.ceil(N / PAGE) + 1; // the invoice pages and one (empty) credit-note page
    const boundMs = (Math.ceil(Math.max(accounting, pages) / L) - 1) * WINDOW_MS; // all the calls made
    if (i.backfill.done !== N || i.backfill.total !== N) throw new Error(`backfill read ${i.backfill.done} of ${N}`);
    res = { pages, invoicePages, creditPages, limited, accounting, minCalls, boundMs, wallMs: t1 - t0, total: (s1.total_calls || 0) - (s0.total_calls || 0) };
    log(JSON.stringify(res));
  } finally {
    await w.stop();
  }
  const callRatio = res.pages / res.minCalls;
  const timeRatio = res.wallMs / res.boundMs;
  const ok = callRatio <= TARGETS.calls && timeRatio <= TARGETS.time && res.limited === TARGETS.limited;
  appendResult('3. Rate-limited backfill (Xero emulator, 30× time scale)', {
    started,
    rows: [
      ['invoices backfilled', N, `pages of ${PAGE}`],
      ['page calls (GET /Invoices + GET /CreditNotes) / minimum paging', `${res.invoicePages} + ${res.creditPages} = ${res.pages} / ${res.minCalls} = ${callRatio.toFixed(3)}`, `target ≤ ${TARGETS.calls}`],
      ['calls of the tenant (all endpoints)', res.accounting, 'as the emulator counted them; the bound below uses these'],
      ['wall time / rate-limit bound', `${(res.wallMs / 1000).toFixed(2)} s / ${(res.boundMs / 1000).toFixed(2)} s = ${timeRatio.toFixed(3)}`,
        `target ≤ ${TARGETS.time}; ${L} calls per ${WINDOW_MS / 1000} s window`],
      ['429 answers received', res.limited, 'target 0'],
    ],
    verdict: ok ? 'targets met' : 'target missed',
    notes: [`minimum paging = ${N} / ${PAGE} invoice pages + 1 credit-note page; bound = (ceil(${res.accounting} / ${L}) − 1) × ${WINDOW_MS / 1000} s; wall = consent callback → last page read (the integration's last_sync_at)`],
  });
  return ok ? 0 : 1;
}

process.exit(await main());
