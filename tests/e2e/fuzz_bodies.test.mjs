// fuzz_bodies.test.mjs - bodies mutated from valid ones, sent to the endpoints that parse the
// most: submissions (public API and portal), refunds and copies, integration settings, webhook
// endpoints, certificates. One mutation each (a field removed, retyped, emptied, made huge, odd
// numbers and texts, unknown fields, long arrays, deep nesting), and raw damage (truncated,
// bytes changed, invalid UTF-8). A fixed seed (FH_FUZZ_SEED to change it) makes a failure repeat.
// Every answer is a success or a 4xx error JSON, never a 5xx; the server (ASan in make test) stays
// up and its log holds no sanitizer report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startSandbox, issueCert, uploadCert, invoice, startFiscalServer } from '../lib/fiscal.mjs';
import { ApiClient, createCustom, createKey, createWebhook } from '../lib/custom.mjs';
import { signup } from '../lib/server.mjs';

const SEED = Number(process.env.FH_FUZZ_SEED || 20261123);
const PER_ENDPOINT = Number(process.env.FH_FUZZ_CASES || 300);

// xorshift32: the same sequence for the same seed.
function rng(seed) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 0x100000000;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (a) => a[Math.floor(next() * a.length)] };
}

const deep = (n) => (n === 0 ? 1 : [deep(n - 1)]);
const ODD = [
  null, true, false, 0, -1, 1.5, 1e308, -1e-308, '', ' ', 'x'.repeat(5000), 'x'.repeat(70000),
  '0', '-0', '-1', '1.', '.5', '+1', '1,5', '0x10', ' 1', '1 ', '1e3', '1e999', 'NaN', 'Infinity',
  '99999999999999999999.99', '100000000000', '0.00001', '1.23456', '٣', '１', '😀', 'a\u0000b',
  'line\nbreak', '\u202e', '<script>', "'; DROP TABLE fiscal_invoices; --", '%s%n', [], {}, [null],
  [''], [{}], deep(40), { a: { b: { c: 1 } } },
];

// Every path (array of keys) to a value in v.
function paths(v, at = []) {
  const out = [at];
  if (v && typeof v === 'object') for (const k of Object.keys(v)) out.push(...paths(v[k], [...at, k]));
  return out;
}

// One mutation of a deep copy of base: { body (a string), what }.
function mutate(base, r) {
  const v = structuredClone(base);
  const all = paths(v).filter((p) => p.length > 0);
  const p = r.pick(all);
  const parent = p.slice(0, -1).reduce((o, k) => o[k], v);
  const key = p[p.length - 1];
  const kind = r.int(8);
  let what;
  if (kind === 0) {
    if (Array.isArray(parent)) parent.splice(key, 1); else delete parent[key];
    what = `removed ${p.join('.')}`;
  } else if (kind === 1 && Array.isArray(parent[key])) {
    const n = r.pick([0, 2, 50, 300, 1001]);
    parent[key] = Array.from({ length: n }, () => structuredClone(parent[key][0] ?? 'x'));
    what = `${p.join('.')} with ${n} elements`;
  } else if (kind === 2) {
    (Array.isArray(parent) ? v : parent)[r.pick(['unknown', 'extra_field', '__proto__x'])] = 1;
    what = `an unknown field next to ${p.join('.')}`;
  } else {
    const odd = structuredClone(r.pick(ODD));
    parent[key] = odd;
    what = `${p.join('.')} = ${JSON.stringify(odd)?.slice(0, 40)}`;
  }
  let body = JSON.stringify(v);
  if (r.int(10) === 0) { // raw damage on top
    const at = r.int(body.length);
    const raw = r.int(3);
    if (raw === 0) body = body.slice(0, at);
    else if (raw === 1) body = body.slice(0, at) + r.pick(['"', '\\', '}', ']', ',', '\u0001']) + body.slice(at);
    else body = Buffer.concat([Buffer.from(body.slice(0, at)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(body.slice(at))]);
    what += ' + raw damage';
  }
  return { body, what };
}

let sb, srv, owner, api, cert, custom, hook, signedId, n = 0;
before(async () => {
  sb = await startSandbox();
  srv = await startFiscalServer(sb, { FISCALHUB_API_RATE_BURST: '100000', FISCALHUB_API_RATE_PER_MINUTE: '100000' });
  owner = await signup(srv.url, 'fuzz');
  cert = await issueCert(sb);
  const certUid = await uploadCert(owner, cert);
  cert.uid = certUid;
  custom = await createCustom(owner, certUid);
  api = new ApiClient(srv.url, await createKey(owner, custom, 'fuzz'));
  hook = (await createWebhook(owner, certUid, 'http://127.0.0.1:9/hook', { events: ['invoice.failed'] })).uid;
  const sub = await api.post('/api/v1/invoices', { invoice: invoice({ pos_invoice_number: 'FZ-0' }), source_id: 'fz-0' });
  signedId = (await api.settled(sub.json.id)).id;
});
after(async () => {
  await srv?.stop();
  await sb?.stop();
});

const sid = () => `fz-${process.pid}-${++n}`;
const endpoints = () => [
  ['POST /api/v1/invoices', (b) => api.req('POST', '/api/v1/invoices', b),
    { invoice: invoice({ pos_invoice_number: 'FZ', buyer_id: '10:123456789' }), source_id: sid(), source_ref: 'R', source_url: 'https://erp.example.com/1', source_tax_total: '8.33' }],
  ['POST /api/v1/invoices/{id}/refund', (b) => api.req('POST', `/api/v1/invoices/${signedId}/refund`, b),
    { items: invoice().items, payments: invoice().payments, cashier: 'Ana', pos_invoice_number: 'FZ-R', source_id: sid() }],
  ['POST /api/v1/invoices/{id}/copy', (b) => api.req('POST', `/api/v1/invoices/${signedId}/copy`, b), { source_id: sid() }],
  ['POST /api/orgs/{org}/fiscal-invoices', (b) => owner.req('POST', `/api/orgs/${owner.org}/fiscal-invoices`, b, { raw: true }),
    { certificate_uid: cert.uid, source_id: sid(), source_ref: 'R', source_tax_total: '1', invoice: invoice({ pos_invoice_number: 'FZ-P' }) }],
  ['PUT /api/orgs/{org}/integrations/{uid}/webhook', (b) => owner.req('PUT', `/api/orgs/${owner.org}/integrations/${hook}/webhook`, b, { raw: true }),
    { url: 'http://127.0.0.1:9/other', events: ['invoice.fiscalized', 'invoice.failed'], headers: { 'X-Tenant': 'a' } }],
  ['PATCH /api/orgs/{org}/integrations/{uid}', (b) => owner.req('PATCH', `/api/orgs/${owner.org}/integrations/${hook}`, b, { raw: true }),
    { settings: { url: 'http://127.0.0.1:9/hook', events: ['invoice.failed'] } }],
  ['POST /api/orgs/{org}/certificates', (b) => owner.req('POST', `/api/orgs/${owner.org}/certificates`, b, { raw: true }),
    { pfx_base64: cert.pfx_base64, password: cert.password, pac: cert.pac }],
];

const NAMES = endpoints.toString().match(/\['(?:POST|PUT|PATCH) [^']+'/g).map((x) => x.slice(2, -1));

for (const [index, name] of NAMES.entries()) {
  test(`${name}: ${PER_ENDPOINT} mutated bodies, never a 5xx, every error JSON`, async (t) => {
    const r = rng(SEED + index);
    const seen = new Map();
    for (let i = 0; i < PER_ENDPOINT; i++) {
      const [nm, call, valid] = endpoints()[index]; // a new source_id each time
      assert.equal(nm, name);
      const { body, what } = mutate(valid, r);
      const res = await call(body);
      const where = `${name} case ${i} (${what}; FH_FUZZ_SEED=${SEED})`;
      assert.ok(res.status < 500, `${where}: ${res.status} ${res.text.slice(0, 300)}`);
      if (res.status >= 400) {
        assert.equal(typeof res.json?.code, 'number', `${where}: ${res.text.slice(0, 300)}`);
        assert.equal(typeof res.json.hint, 'string', where);
        assert.ok(res.json.detail, where);
      }
      seen.set(res.status, (seen.get(res.status) || 0) + 1);
    }
    t.diagnostic(`answers: ${JSON.stringify(Object.fromEntries([...seen].sort()))}`);
    // the mutations reach past the first check: refusals and acceptances (for the certificate,
    // the conflict of one already uploaded) both occur
    assert.ok([...seen.keys()].some((s) => s >= 400), `${name}: ${JSON.stringify([...seen])}`);
    assert.ok(seen.size >= 2, `${name}: only ${JSON.stringify([...seen])}`);
  });
}

test('the server is up and its log holds no sanitizer report', async () => {
  assert.equal((await fetch(`${srv.url}/healthz`)).status, 200);
  const log = readFileSync(srv.logFile, 'utf8');
  assert.doesNotMatch(log, /AddressSanitizer|LeakSanitizer|runtime error:/);
});
