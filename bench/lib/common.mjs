// common.mjs - what every benchmark shares: the build to measure, the machine and commit it ran
// on, /proc memory readings, wrk and nginx, and appending a result to bench/RESULTS.md.
//
// Every benchmark measures its baseline in the same run and reports a ratio, because the machine
// is shared (2 cores, other builds): absolute numbers move with the load, ratios much less. The
// load average is recorded with every result so a reader can tell a quiet run from a busy one.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../tests/lib/server.mjs';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
// The build measured: FH_BIN, else build/bench (release with assertions, `make bench` makes it).
export const BIN = process.env.FH_BIN || join(ROOT, 'build/bench');
process.env.FH_BIN = BIN; // tests/lib/*.mjs start the servers of this build
export const BIN_LABEL = BIN.startsWith(ROOT + '/') ? BIN.slice(ROOT.length + 1) : BIN;
export const RESULTS = process.env.FH_BENCH_RESULTS || join(ROOT, 'bench/RESULTS.md');
export const OUT = process.env.FH_OUT || mkdtempSync(join(tmpdir(), 'fh-bench-'));
mkdirSync(OUT, { recursive: true });
process.env.FH_OUT = OUT; // the servers' logs (tests/lib/server.mjs, sandbox.mjs) go there too

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function log(...a) {
  console.log('#', ...a);
}

// { cpu, cores, load: [1, 5, 15 min] } of this machine now.
export function machine() {
  let cpu = cpus()[0]?.model || 'unknown';
  try {
    const m = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch { /* not Linux */ }
  return { cpu, cores: cpus().length, load: loadavg().map((x) => Number(x.toFixed(2))) };
}

// The commit measured: FH_BENCH_COMMIT when the build comes from elsewhere (e.g. a clean checkout
// while others edit this tree), else this tree's HEAD, marked when src/ or sandbox/ differ.
export function commit() {
  if (process.env.FH_BENCH_COMMIT) return process.env.FH_BENCH_COMMIT;
  try {
    const c = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no', '--', 'src', 'include', 'sandbox'],
      { encoding: 'utf8' }).trim();
    return dirty ? `${c}+local changes in src/sandbox` : c;
  } catch {
    return 'unknown';
  }
}

// VmRSS and VmHWM of a process in KiB (null when it is gone).
export function procMem(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? NaN);
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

export const mib = (kb) => (kb / 1024).toFixed(1);

// CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (clock ticks of
// 1/100 s on Linux); null when it is gone.
// Bytes a process has written through write(2)/pwrite(2) (/proc/<pid>/io wchar), or null.
export function procWritten(pid) {
  try {
    const m = /^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export function procCpu(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

// Samples VmRSS of pid every ms; stop() returns { max, last } in KiB.
export function sampleMem(pid, everyMs = 200) {
  let max = 0;
  let last = 0;
  const t = setInterval(() => {
    const m = procMem(pid);
    if (m) {
      last = m.rss;
      if (m.rss > max) max = m.rss;
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(t);
      const m = procMem(pid);
      if (m) {
        last = m.rss;
        max = Math.max(max, m.rss);
      }
      return { max, last, hwm: m?.hwm };
    },
  };
}

// With BENCH_PERF=1: `perf record -e cpu-clock` (a software clock: hardware counters are not
// available on every machine) with DWARF call graphs on pid until stop(); the report goes to
// OUT/perf-<name>.txt. Returns null when BENCH_PERF is not set.
export function perfRecord(pid, name) {
  if (!process.env.BENCH_PERF) return null;
  const data = join(OUT, `perf-${name}.data`);
  const p = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '--call-graph', 'dwarf,16384', '-p', String(pid), '-o', data],
    { stdio: 'ignore' });
  const exited = new Promise((r) => p.on('exit', r));
  return {
    async stop() {
      p.kill('SIGINT');
      await exited;
      const txt = join(OUT, `perf-${name}.txt`);
      const rep = execFileSync('perf', ['report', '-i', data, '--children', '--sort', 'symbol', '-g', 'none', '--stdio'],
        { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
      writeFileSync(txt, rep);
      log(`perf report of ${name}: ${txt}`);
      return txt;
    },
  };
}

function which(cmd) {
  for (const d of (process.env.PATH || '').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (d && existsSync(join(d, cmd))) return join(d, cmd);
  }
  return null;
}

export function need(cmd) {
  const p = which(cmd);
  if (!p) throw new Error(`${cmd} not found: run scripts/install-deps.sh bench (or make bench)`);
  return p;
}

// Runs wrk and parses its report: { rps, requests, p50, p99 (ms), non2xx, errors, text }.
export function wrk(url, { threads = 2, conns = 32, seconds = 10, script } = {}) {
  const args = ['-t', String(threads), '-c', String(conns), '-d', `${seconds}s`, '--latency', '--timeout', '10s'];
  if (script) args.push('-s', script);
  args.push(url);
  const text = execFileSync(need('wrk'), args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  const ms = (v, unit) => Number(v) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? NaN);
  const pct = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(text);
    return m ? ms(m[1], m[2]) : NaN;
  };
  const num = (re) => Number(re.exec(text)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in/),
    p50: pct(50),
    p99: pct(99),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    errors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    text,
  };
}

// nginx from Debian serving a static 200 for every request on a free port, from a config in a
// temp directory (pid, logs and temp files there too; access log off like fiscalhub's request
// log at level warn). Returns { url, stop() }.
export async function startNginx({ workers = 'auto' } = {}) {
  const exe = need('nginx');
  const dir = mkdtempSync(join(tmpdir(), 'fh-bench-nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_body_buffer_size 64k;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port};
    location / { return 200; }
  }
}
`);
  const proc = spawn(exe, ['-c', conf, '-p', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => proc.on('exit', r));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`nginx exited: ${err}`);
    try {
      if ((await fetch(url + '/')).status === 200) break;
    } catch { /* not yet */ }
    if (i > 200) throw new Error('nginx did not start');
    await sleep(25);
  }
  return {
    url,
    pid: proc.pid,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGQUIT');
      await exited;
    },
  };
}

const fmt = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1)) : String(v));

// Appends one result to bench/RESULTS.md: a heading, the machine, then rows [what, value, note].
export function appendResult(title, { rows, verdict, notes = [], started }) {
  const m = machine();
  const lines = [
    '',
    `### ${title} — ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    `commit ${commit()} · ${m.cpu}, ${m.cores} cores · load ${started ? started.join(' / ') + ' at start, ' : ''}` +
      `${m.load.join(' / ')} at end (1/5/15 min)`,
    '',
    '| measure | value | note |',
    '| --- | --- | --- |',
    ...rows.map(([k, v, n]) => `| ${k} | ${fmt(v)} | ${n || ''} |`),
    '',
  ];
  if (verdict) lines.push(`**${verdict}**`, '');
  for (const n of notes) lines.push(`- ${n}`);
  if (notes.length) lines.push('');
  if (!existsSync(RESULTS)) writeFileSync(RESULTS, '# Benchmark results\n\nAppended by the scripts of bench/ (see bench/README.md); newest last.\n');
  appendFileSync(RESULTS, lines.join('\n'));
  console.log(lines.join('\n'));
}

export function ratio(a, b) {
  return b > 0 ? a / b : NaN;
}
