// with-server.mjs - runs a command with a fiscalhub server started for it; the command gets
// FH_BASE_URL. Usage: node tests/lib/with-server.mjs <command> [args...]
import { spawn } from 'node:child_process';
import { startServer } from './server.mjs';

const srv = await startServer();
const child = spawn(process.argv[2], process.argv.slice(3), {
  stdio: 'inherit',
  env: { ...process.env, FH_BASE_URL: srv.url },
});
const code = await new Promise((res) => child.on('exit', (c) => res(c ?? 1)));
const r = await srv.stop();
if (r.code !== 0) console.log(`# server exited with ${r.code ?? r.signal}; log: ${srv.logFile}`);
process.exit(code !== 0 ? code : r.code === 0 ? 0 : 1);
