// fiscalize.mjs - benchmark 2: end-to-end fiscalization. Invoices per second from the accepted
// API request (POST /api/v1/invoices with an API key) to the V-SDC's result stored in
// fiscalhub's SQLite store, against the sandbox's V-SDC emulator (mutual TLS, PAC, real signing).
// Baseline in the same run: bench/vsdc_client.c, which only POSTs the same V-SDC requests (the
// bodies fiscalhub sent, as the emulator recorded them) over one kept-alive mTLS connection per
// certificate, PFX from memory like fiscalhub. Target: fiscalhub >= 0.8 x the baseline.
//
//   node bench/fiscalize.mjs     (env: BENCH_INVOICES 2000 per round, BENCH_CERTS 4, BENCH_WORKERS
//                                 4, BENCH_ROUNDS 2, FH_BIN build/bench)
//
// Rounds alternate fiscalhub, baseline, fiscalhub, baseline, ... with the emulator reset in
// between (invoices and counters forgotten, certificates kept), so both sign the same number of
// fresh invoices on the same certificates. Each round checks: every invoice signed, the emulator
// created exactly that many with no duplicate POS number, and TLS handshakes per certificate at
// most the number of workers (fiscalhub) or exactly one (baseline): connections are reused.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, BIN_LABEL, OUT, appendResult, log, machine, ratio, sampleMem, mib, procCpu, perfRecord } from './lib/common.mjs';
import { startWorld, addCertificates, submit, sql, waitSettled, vsdcStats } from './lib/world.mjs';

const N = Number(process.env.BENCH_INVOICES || 2000);
const CERTS = Number(process.env.BENCH_CERTS || 4);
const WORKERS = Number(process.env.BENCH_WORKERS || 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 2);
const TARGET = 0.8;

// One fiscalhub round: N invoices submitted and signed. Returns { rate, seconds, ... }.
export async function fiscalhubRound(w, tag, n = N) {
  const before = await vsdcStats(w);
  const mem = sampleMem(w.srv.proc.pid, 100);
  const cpu0 = [procCpu(w.srv.proc.pid), procCpu(w.sb.proc.pid)];
  const perf = tag === 'r0' ? perfRecord(w.srv.proc.pid, 'fiscalhub-round') : null;
  const { t0 } = await submit(w, n, tag);
  const accepted = Date.now();
  const k = await waitSettled(w, n + (w.settled || 0), 600000, 100);
  const rss = mem.stop();
  await perf?.stop();
  const cpu = [procCpu(w.srv.proc.pid) - cpu0[0], procCpu(w.sb.proc.pid) - cpu0[1]];
  w.settled = (w.settled || 0) + n;
  if (k.failed || k.on_hold) throw new Error(`round ${tag}: ${JSON.stringify(k)}`);
  const [[last, first, count]] = sql(w, `SELECT max(signed_at), min(created_at), count(*) FROM fiscal_invoices WHERE source_key LIKE '%${tag}-%' AND status = 'signed'`);
  if (Number(count) !== n) throw new Error(`round ${tag}: ${count} of ${n} signed`);
  const s = await vsdcStats(w);
  const created = s.invoices_created - before.invoices_created;
  const dups = s.duplicate_pos_invoice_numbers.length;
  const hs = w.certs.map((c) => (s.tls_handshakes_by_uid[c.uid] || 0) - (before.tls_handshakes_by_uid?.[c.uid] || 0));
  if (created !== n || dups) throw new Error(`round ${tag}: the V-SDC created ${created} of ${n}, ${dups} duplicates`);
  const seconds = (Number(last) - t0) / 1000;
  return {
    rate: n / seconds, seconds, acceptSeconds: (accepted - t0) / 1000, firstCreated: Number(first) - t0,
    handshakes: hs, posts: s.posts_received - before.posts_received, rss,
    cpuMsPerInvoice: { fiscalhub: (cpu[0] * 1000) / n, sandbox: (cpu[1] * 1000) / n },
  };
}

// The requests the emulator received in the last fiscalhub round, per certificate, in order:
// [{ requestId, body }].
async function recordedRequests(w) {
  const per = [];
  for (const c of w.certs) {
    const list = [];
    for (let off = 0; ; off += 1000) {
      const r = await w.sb.control('GET', `/vsdc/control/invoices?uid=${c.uid}&offset=${off}&limit=1000`);
      list.push(...r.json.invoices);
      if (list.length >= r.json.total) break;
    }
    const reqs = [];
    for (const inv of list) {
      const one = await w.sb.control('GET', `/vsdc/control/invoices/${encodeURIComponent(inv.invoice_number)}`);
      reqs.push({ requestId: inv.request_id, body: JSON.stringify(one.json.request) });
    }
    per.push(reqs);
  }
  return per;
}

// The baseline: the recorded requests again, after a reset, by the C client.
async function baselineRound(w, per, r) {
  await w.sb.control('POST', '/vsdc/control/reset');
  const dir = join(OUT, `baseline-${r}`);
  mkdirSync(dir, { recursive: true });
  w.certs.forEach((c, i) => {
    writeFileSync(join(dir, `${i}.pfx`), c.pfx);
    writeFileSync(join(dir, `${i}.password`), c.password);
    writeFileSync(join(dir, `${i}.pac`), c.pac);
    writeFileSync(join(dir, `${i}.jobs`), per[i].map((q) => `${q.requestId}\t${q.body}\n`).join(''));
  });
  const n = per.reduce((a, x) => a + x.length, 0);
  const out = execFileSync(join(BIN, 'bench/fh-bench-vsdc-client'), [w.sb.vsdcUrl, w.sb.caFile, dir, String(w.certs.length)],
    { encoding: 'utf8' });
  const res = JSON.parse(out);
  const s = await vsdcStats(w);
  if (res.ok !== n || s.invoices_created !== n || s.duplicate_pos_invoice_numbers.length) {
    throw new Error(`baseline: ${JSON.stringify(res)}, created ${s.invoices_created} of ${n}`);
  }
  await w.sb.control('POST', '/vsdc/control/reset');
  return { rate: n / res.seconds, seconds: res.seconds, connects: res.connects, handshakes: w.certs.map((c) => s.tls_handshakes_by_uid[c.uid] || 0) };
}

async function main() {
  const started = machine().load;
  const w = await startWorld({ workers: WORKERS });
  const fh = [];
  const base = [];
  try {
    await addCertificates(w, CERTS);
    await fiscalhubRound(w, 'warm', 100 * CERTS); // handles, caches, tables warm
    await w.sb.control('POST', '/vsdc/control/reset');
    for (let r = 0; r < ROUNDS; r++) {
      const f = await fiscalhubRound(w, `r${r}`);
      log(`fiscalhub round ${r + 1}: ${N} invoices in ${f.seconds.toFixed(2)} s = ${f.rate.toFixed(1)}/s ` +
        `(all accepted after ${f.acceptSeconds.toFixed(2)} s), ${f.posts} POSTs, TLS handshakes per certificate ${f.handshakes.join(',')}, ` +
        `RSS max ${mib(f.rss.max)} MiB, CPU ms/invoice fiscalhub ${f.cpuMsPerInvoice.fiscalhub.toFixed(2)} sandbox ${f.cpuMsPerInvoice.sandbox.toFixed(2)}`);
      if (f.handshakes.some((h) => h > WORKERS)) throw new Error(`more TLS handshakes than workers for one certificate: ${f.handshakes}`);
      fh.push(f);
      const per = await recordedRequests(w);
      const b = await baselineRound(w, per, r);
      log(`baseline round ${r + 1}: ${N} invoices in ${b.seconds.toFixed(2)} s = ${b.rate.toFixed(1)}/s, ` +
        `connections ${b.connects}, TLS handshakes per certificate ${b.handshakes.join(',')}`);
      if (b.handshakes.some((h) => h !== 1)) throw new Error(`baseline did not keep one connection per certificate: ${b.handshakes}`);
      base.push(b);
    }
  } finally {
    await w.stop();
  }
  const best = (xs) => xs.reduce((a, b) => (b.rate > a.rate ? b : a));
  const f = best(fh);
  const b = best(base);
  const r = ratio(f.rate, b.rate);
  appendResult('2. End-to-end fiscalization (API request → V-SDC → stored result)', {
    started,
    rows: [
      [`fiscalhub invoices/s (best of ${ROUNDS})`, f.rate, `rounds: ${fh.map((x) => x.rate.toFixed(1)).join(', ')}`],
      [`baseline C client invoices/s (best of ${ROUNDS})`, b.rate, `rounds: ${base.map((x) => x.rate.toFixed(1)).join(', ')}`],
      ['ratio fiscalhub / baseline', r.toFixed(3), `target ≥ ${TARGET}`],
      ['TLS handshakes per certificate, fiscalhub', f.handshakes.join(', '), `${N} invoices on ${CERTS} certificates, ${WORKERS} workers (at most one connection per worker and certificate)`],
      ['TLS handshakes per certificate, baseline', b.handshakes.join(', '), 'one kept-alive connection each'],
      ['fiscalhub RSS during the round (max)', `${mib(f.rss.max)} MiB`, `VmHWM ${mib(f.rss.hwm)} MiB`],
    ],
    verdict: r >= TARGET ? `target met (${r.toFixed(2)} ≥ ${TARGET})` : `target missed (${r.toFixed(2)} < ${TARGET})`,
    notes: [`${N} invoices a round (one item, cash), ${CERTS} certificates, ${ROUNDS} rounds each, alternating; fiscalhub ${BIN_LABEL} on SQLite, ${WORKERS} workers, 16 client lanes on the public API; rate = invoices / (last signed_at − first request sent)`],
  });
  return r >= TARGET ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(await main());
