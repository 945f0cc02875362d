// crash_fault.mjs - benchmark 5: the crash and fault run at full size (bench/lib/crash.mjs says
// what it does and checks). Exits non-zero when any invoice is lost, doubled, unsigned or its
// event undelivered.
//
//   node bench/crash_fault.mjs     (env: BENCH_CRASH_XERO 5000, BENCH_CRASH_API 5000,
//                                   BENCH_CRASH_KILLS 20, BENCH_CRASH_DATABASE sqlite, FH_BIN)
import { BIN, appendResult, log, machine } from './lib/common.mjs';
import { crashFaultRun } from './lib/crash.mjs';

const XERO = Number(process.env.BENCH_CRASH_XERO || 5000);
const API = Number(process.env.BENCH_CRASH_API || 5000);
const KILLS = Number(process.env.BENCH_CRASH_KILLS || 20);
const started = machine().load;
// a certificate per 1,000 invoices or so: the receiver keeps 2,000 requests per hook
const certs = (n) => Math.max(2, Math.ceil(n / 1000));
const r = await crashFaultRun({
  xero: XERO, api: API, kills: KILLS, tenants: certs(XERO), apiCerts: certs(API), bin: BIN,
  database: process.env.BENCH_CRASH_DATABASE || 'sqlite', settleMs: 900000, notesWaitMs: 120000, log,
});
const ms = [...r.restartMs].sort((a, b) => a - b);
appendResult('5. Crash and fault run (SIGKILL + injected faults)', {
  started,
  rows: [
    ['invoices', `${r.expected}`, `${XERO} through Xero webhooks, ${API} through the public API`],
    ['SIGKILLs of fiscalhub', r.kills, `restart to ready: median ${ms[Math.floor(ms.length / 2)]} ms`],
    ['fiscal invoices in fiscalhub / at the V-SDC', `${r.verify.fiscalInvoices} / ${r.verify.vsdcInvoices}`, `V-SDC POSTs ${r.verify.vsdcPosts}`],
    ['signed / failed / pending / on hold', `${r.settled.signed} / ${r.settled.failed} / ${r.settled.pending} / ${r.settled.on_hold}`, ''],
    ['invoice.fiscalized events delivered (distinct)', r.verify.eventsDelivered, `repeats seen by the receiver: ${r.verify.eventRepeats}`],
    ['V-SDC faults injected', Object.entries(r.faults.vsdc).map(([k, v]) => `${k} ${v}`).join(', '), ''],
    ['Xero faults injected', JSON.stringify(r.faults.xero).replace(/[{}"]/g, '').replace(/,/g, ', '), `429s: ${Object.values(r.faults.xeroRateLimited || {}).reduce((a, b) => a + b, 0)}`],
    ['write-back notes added at Xero', r.faults.notesAdded, `for ${XERO} Xero invoices (not a criterion: see bench/README.md); ` +
      `${r.faults.notesAtSettle} when the rest had settled, ` +
      (r.faults.notesSeconds === null ? 'not all within 120 s after' : r.faults.notesSeconds === 0 ? 'all of them' : `all ${r.faults.notesSeconds.toFixed(0)} s after`)],
    ['API submissions retried', r.apiRetries, 'while fiscalhub was down'],
    ['time: setup / load+kills / settle', `${r.seconds.setup.toFixed(0)} / ${r.seconds.load.toFixed(0)} / ${r.seconds.settle.toFixed(0)} s`, ''],
  ],
  verdict: r.ok ? 'nothing lost, nothing doubled, every event delivered' : `FAILED: ${r.problems.length} problem(s)`,
  notes: r.problems,
});
process.exit(r.ok ? 0 : 1);
