// The crash and fault run of bench/crash_fault.mjs (benchmark 5) in a small size: 300 invoices,
// half through Xero webhooks and half through the public API, while fiscalhub is killed with
// SIGKILL at least 5 times and the V-SDC, Xero and the webhook receiver inject faults. Every
// invoice must end with exactly one fiscal invoice, signed once at the V-SDC, and its
// invoice.fiscalized event delivered (bench/lib/crash.mjs says what is checked and how).
// Sizes: FH_CRASH_XERO, FH_CRASH_API, FH_CRASH_KILLS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { crashFaultRun } from '../../bench/lib/crash.mjs';

const XERO = Number(process.env.FH_CRASH_XERO || 150);
const API = Number(process.env.FH_CRASH_API || 150);
const KILLS = Number(process.env.FH_CRASH_KILLS || 5);

test(`${XERO + API} invoices through webhooks and the API, ${KILLS} SIGKILLs and injected faults: each fiscalized once, every event delivered`, async (t) => {
  const r = await crashFaultRun({
    xero: XERO, api: API, kills: KILLS, tenants: 2, apiCerts: 2, gapMs: [300, 1500], settleMs: 120000,
    database: process.env.FH_DATABASE || 'sqlite', log: (...a) => t.diagnostic(a.join(' ')),
  });
  t.diagnostic(`kills ${r.kills}, V-SDC faults ${JSON.stringify(r.faults.vsdc)}, Xero faults ${JSON.stringify(r.faults.xero)}, ` +
    `API retries ${r.apiRetries}, event repeats ${r.verify.eventRepeats}, times ${JSON.stringify(r.seconds)}`);
  for (const f of r.logFiles) {
    assert.doesNotMatch(readFileSync(f, 'utf8'), /AddressSanitizer|LeakSanitizer|runtime error:/, 'sanitizer report in ' + f);
  }
  assert.ok(r.kills >= KILLS, `${r.kills} kills`);
  assert.deepEqual(r.problems, []);
  assert.equal(r.verify.fiscalInvoices, XERO + API);
  assert.equal(r.verify.vsdcInvoices, XERO + API);
  assert.equal(r.verify.eventsDelivered, XERO + API);
});
