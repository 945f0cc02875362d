// log-audit.mjs - reads every fiscalhub log a test run left (server-*.log in the directory given,
// written at level info by tests/lib/server.mjs) and fails for anything shaped like a secret:
// API key secrets, signing secrets, Stripe keys, Authorization headers, session cookies, OAuth
// tokens, secret JSON fields, PKCS#12 files, the suites' passwords. Prints TAP, one test per kind,
// with file and line of each find (the find itself shortened, so the report leaks nothing whole).
//
//   node tests/lib/log-audit.mjs <dir>
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const KINDS = [
  ['API key secrets', /cs_[A-Za-z0-9_-]{43}/, 'cs_' + 'k'.repeat(43)],
  ['webhook signing secrets', /whsec_[A-Za-z0-9_-]{16,}/, 'whsec_fhsandbox_demo_webhook_secret'],
  ['Stripe secret keys', /\b[sr]k_(?:test|live)_[A-Za-z0-9_]{8,}/, 'sk_test_fhsandbox_demo_secret_key'],
  ['Authorization headers', /\b(?:Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{16,}/, 'authorization: Basic Y2tfYWJjOmNzX2RlZg=='],
  ['session cookies', /fh_session=[A-Za-z0-9_-]{16,}/, 'cookie fh_session=AbCdEfGhIjKlMnOpQrStUv'],
  ['OAuth tokens (JWT, Zoho)', /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+|1000\.[0-9a-f]{32}\.[0-9a-f]{32}/,
    'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig'],
  ['secret JSON fields with a value', /"(?:password|new_password|current_password|client_secret|refresh_token|access_token|id_token|pfx_base64|pac|signing_secret|webhook_secret|code_verifier)"\s*:\s*"[^"]+"/i,
    '{"client_secret":"x"}'],
  ['PKCS#12 or DER in base64', /MII[A-Za-z0-9+/]{60,}/, 'MII' + 'A'.repeat(60)],
  ['passwords the suites use', /correct horse battery staple|long enough password|another long password|Secret-Passphrase/,
    'password correct horse battery staple'],
];

function audit(dir) {
  const files = readdirSync(dir).filter((f) => /^server-.*\.log$/.test(f)).sort();
  const texts = files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]);
  const tests = [];
  tests.push(['the logs were written at level info', texts.some(([, t]) => t.includes('"event":"request"')) ? [] :
    [`none of ${files.length} logs holds a request line`]]);
  for (const [name, re, sample] of KINDS) {
    const finds = re.test(sample) ? [] : [`the pattern misses its own sample ${sample.slice(0, 12)}…`];
    for (const [f, text] of texts) {
      text.split('\n').forEach((line, i) => {
        const m = re.exec(line);
        if (m) finds.push(`${f}:${i + 1}: ${m[0].slice(0, 10)}… (${m[0].length} characters)`);
      });
    }
    tests.push([`no ${name} in ${files.length} fiscalhub logs`, finds]);
  }
  return tests;
}

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node tests/lib/log-audit.mjs <dir>');
  process.exit(2);
}
const tests = audit(dir);
console.log('TAP version 13');
console.log(`1..${tests.length}`);
let bad = 0;
tests.forEach(([name, finds], i) => {
  console.log(`${finds.length ? 'not ok' : 'ok'} ${i + 1} - ${name}`);
  if (finds.length) {
    bad++;
    for (const f of finds.slice(0, 20)) console.log(`    ${f}`);
    if (finds.length > 20) console.log(`    … and ${finds.length - 20} more`);
  }
});
process.exit(bad ? 1 : 0);
