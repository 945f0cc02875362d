// footprint.mjs - benchmark 4: fiscalhub's resident memory, and the work of a scheduler tick.
//
//   node bench/footprint.mjs     (env: BENCH_INVOICES 2000 for the load part, FH_BIN build/bench)
//
// Memory (VmRSS and VmHWM from /proc/<pid>/status) of `fiscalhub serve` (4 workers):
//   - idle, empty store;
//   - idle, with 10,000 Xero integrations scheduled for polling (none due yet);
//   - during a polling round in which all 10,000 are due (the scheduler fires xero.poll, which
//     queues 10,000 xero.sync jobs that the workers then run);
//   - during benchmark 2's load (end-to-end fiscalization through the public API).
// The integrations are written straight into the store by bench/tick_bench.c (`seed`), as the
// OAuth callback leaves them but without tokens, instead of 10,000 consents.
//
// Tick work: bench/tick_bench.c (`tick`) under callgrind counts the instructions of one
// scheduler tick plus the xero.poll job it fires, with 1,000 and with 10,000 integrations, when
// 100 are due and when all are due, and of an idle tick. Instruction counts are exact and repeat
// on a busy machine. The work must follow the due integrations, not the total: with 100 due,
// 1k and 10k must cost about the same; with all due, 10k about ten times 1k (not a hundred).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../tests/lib/server.mjs';
import { BIN, OUT, appendResult, log, machine, mib, need, procMem, sampleMem, sleep } from './lib/common.mjs';
import { startWorld, addCertificates } from './lib/world.mjs';
import { fiscalhubRound } from './fiscalize.mjs';

const N_LOAD = Number(process.env.BENCH_INVOICES || 2000);
const TICK = join(BIN, 'bench/fh-bench-tick');
const SIZES = [1000, 10000];
const FEW = 100;
const ENV = { FISCALHUB_WORKERS: '4', FISCALHUB_LOG_LEVEL: 'warn' };

function seed(db, n) {
  execFileSync(TICK, ['seed', String(n)], { env: { ...process.env, DATABASE_URL: db }, encoding: 'utf8' });
}

const sqlite = (db, q) => execFileSync(need('sqlite3'), [db, q], { encoding: 'utf8' }).trim();

async function idleRss(srv, settleMs = 3000) {
  await sleep(settleMs);
  return procMem(srv.proc.pid);
}

async function memory() {
  const out = {};
  let srv = await startServer({ bin: BIN, env: ENV });
  out.empty = await idleRss(srv);
  await srv.stop();

  const db = join(mkdtempSync(join(tmpdir(), 'fh-bench-fp-')), 'fiscalhub.db');
  seed(db, 10000);
  srv = await startServer({ bin: BIN, database: db, env: ENV });
  try {
    out.scheduled = await idleRss(srv);
    // a polling round with every integration due
    const mem = sampleMem(srv.proc.pid, 100);
    sqlite(db, "UPDATE integrations SET last_sync_at = 0 WHERE type = 'xero'; UPDATE schedules SET next_run_at = 0 WHERE name = 'xero.poll';");
    const t0 = Date.now();
    let queued = 0;
    while (Date.now() - t0 < 60000) {
      await sleep(500);
      queued = Number(sqlite(db, "SELECT count(*) FROM jobs WHERE kind = 'xero.sync'"));
      const open = Number(sqlite(db, "SELECT count(*) FROM jobs WHERE kind = 'xero.sync' AND state IN ('ready', 'running')"));
      if (queued >= 10000 && open === 0) break;
    }
    out.polling = { ...mem.stop(), queued, seconds: (Date.now() - t0) / 1000 };
  } finally {
    await srv.stop();
  }

  const w = await startWorld({ workers: 4 });
  try {
    await addCertificates(w, 4);
    const f = await fiscalhubRound(w, 'fp', N_LOAD);
    out.load = { ...f.rss, rate: f.rate };
  } finally {
    await w.stop();
  }
  return out;
}

// Instructions of the measured parts, per dump name ("poll", "idle"), summed over rounds.
function callgrind(db, due, rounds = 1) {
  const base = join(OUT, `callgrind-${Date.now()}`);
  execFileSync(need('valgrind'), ['--tool=callgrind', '--collect-atstart=no', `--callgrind-out-file=${base}`, TICK, 'tick', String(due), String(rounds)],
    { env: { ...process.env, DATABASE_URL: db }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const res = {};
  const dir = OUT;
  for (const f of readdirSync(dir).filter((x) => x.startsWith(base.slice(dir.length + 1) + '.'))) {
    const t = readFileSync(join(dir, f), 'utf8');
    const name = /desc: Trigger: Client Request: (\w+)/.exec(t)?.[1];
    const total = Number(/^totals: (\d+)/m.exec(t)?.[1] || 0);
    if (name) res[name] = (res[name] || 0) + total / rounds;
  }
  return res;
}

// Native wall time of the same, median of `rounds` (noisy on a shared machine; for scale only).
function timing(db, due, rounds = 3) {
  const out = execFileSync(TICK, ['tick', String(due), String(rounds)], { env: { ...process.env, DATABASE_URL: db }, encoding: 'utf8' });
  const xs = out.trim().split('\n').map((l) => JSON.parse(l));
  const med = (k) => xs.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { pollMs: med('poll_us') / 1000, idleMs: med('idle_us') / 1000 };
}

function ticks() {
  const out = {};
  for (const n of SIZES) {
    const db = join(mkdtempSync(join(tmpdir(), 'fh-bench-tick-')), 'tick.db');
    seed(db, n);
    const few = callgrind(db, FEW);
    const all = callgrind(db, n);
    out[n] = { few: few.poll, all: all.poll, idle: few.idle, fewMs: timing(db, FEW).pollMs, allMs: timing(db, n, 1).pollMs };
    // the plan of the poll's query (one per tier) as src/connectors/common/jobs.c writes it
    out[n].plan = sqlite(db, "EXPLAIN QUERY PLAN SELECT id FROM integrations WHERE type = 'xero' AND status = 'active' AND sync_tier = 'trial' AND COALESCE(last_sync_at, 0) <= 5 AND (sync_mode IS NULL OR sync_mode <> 'webhook' OR COALESCE(last_sync_at, 0) <= 9)").replace(/^QUERY PLAN\s*/, '');
    log(`tick with ${n} integrations: ${JSON.stringify(out[n])}`);
  }
  return out;
}

async function main() {
  const started = machine().load;
  const t = ticks();
  const m = await memory();
  const M = (x) => `${mib(x.rss ?? x.max)} MiB (VmHWM ${mib(x.hwm)} MiB)`;
  const Mi = (x) => `${(x / 1e6).toFixed(2)} M`;
  const [a, b] = SIZES;
  const fewGrowth = t[b].few / t[a].few;
  const allGrowth = t[b].all / t[a].all;
  const ok = fewGrowth < 1.5 && allGrowth < 15;
  appendResult('4. Footprint: memory, and scheduler work per tick', {
    started,
    rows: [
      ['RSS idle, empty store', M(m.empty), 'serve, 4 workers, 3 s after start'],
      ['RSS idle, 10,000 integrations scheduled for polling', M(m.scheduled), 'none due'],
      ['RSS during a polling round, all 10,000 due (max)', M(m.polling), `${m.polling.queued} xero.sync jobs run in ${m.polling.seconds.toFixed(1)} s`],
      [`RSS during benchmark 2's load (max)`, M(m.load), `${N_LOAD} invoices at ${m.load.rate.toFixed(0)}/s`],
      [`tick + poll job, ${FEW} due, ${a} / ${b} integrations (instructions)`, `${Mi(t[a].few)} / ${Mi(t[b].few)}`, `×${fewGrowth.toFixed(2)} for 10× the integrations (wall ${t[a].fewMs.toFixed(1)} / ${t[b].fewMs.toFixed(1)} ms)`],
      [`tick + poll job, all due, ${a} / ${b} integrations (instructions)`, `${Mi(t[a].all)} / ${Mi(t[b].all)}`, `×${allGrowth.toFixed(2)} for 10× the due jobs (wall ${t[a].allMs.toFixed(0)} / ${t[b].allMs.toFixed(0)} ms)`],
      [`idle tick, ${a} / ${b} integrations (instructions)`, `${t[a].idle} / ${t[b].idle}`, 'nothing due'],
      ['poll query plan (10k)', t[b].plan.replace(/\n/g, ' ').replace(/\|/g, '/'), ''],
    ],
    verdict: ok ? 'tick work follows the due jobs, not the integrations' : 'tick work grows with the integrations, not only with the due jobs',
    notes: ['instructions counted by callgrind around fh_scheduler_tick + fh_xero_job_poll (claim and complete included), per round; bench/tick_bench.c'],
  });
  return ok ? 0 : 1;
}

process.exit(await main());
