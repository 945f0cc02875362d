// The OpenAPI 3.1 document of the public API (docs/api/openapi.json) against the running server:
// the server serves exactly the file; every documented operation is exercised with its success
// and error answers; every answer must be documented for its operation and status, match its
// schema (tests/lib/jsonschema.mjs) and carry its required headers; and at the end every
// documented (operation, status) pair must have been seen, so the document cannot promise an
// answer the server never gives.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { signup } from '../lib/server.mjs';
import { startSandbox, issueCert, uploadCert, invoice, startFiscalServer } from '../lib/fiscal.mjs';
import { createCustom, createKey } from '../lib/custom.mjs';
import { validate } from '../lib/jsonschema.mjs';
import { pdfLines, pdfQrCodes, wordLines } from '../lib/pdf.mjs';

const DOC_PATH = new URL('../../docs/api/openapi.json', import.meta.url);
const doc = JSON.parse(readFileSync(DOC_PATH, 'utf8'));
const BURST = 60;

// operationId -> { method, path, op }
const ops = new Map();
for (const [path, item] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(item)) ops.set(op.operationId, { method: method.toUpperCase(), path, op });
}
const seen = new Map([...ops.keys()].map((k) => [k, new Set()]));

let sb, srv, c, cert, key, otherKey;
let seq = 0;
const sid = (tag) => `${tag}-${process.pid}-${++seq}`;

before(async () => {
  sb = await startSandbox();
  srv = await startFiscalServer(sb, {
    FISCALHUB_WORKERS: '4',
    FISCALHUB_API_RATE_BURST: String(BURST),
    FISCALHUB_API_RATE_PER_MINUTE: '600',
  });
  c = await signup(srv.url, 'openapi');
  cert = await uploadCert(c, await issueCert(sb));
  const integ = await createCustom(c, cert);
  key = await createKey(c, integ);
  otherKey = await createKey(c, await createCustom(c, cert));
});
after(async () => {
  await srv?.stop();
  await sb?.stop();
});

const deref = (x) => (x && x.$ref ? deref(x.$ref.slice(2).split('/').reduce((n, p) => n[p], doc)) : x);

// Calls operationId with { params, query, body, headers, auth } (auth: a key, a header value, or
// null for none) and checks the answer against the document. Returns { status, json, text, headers }.
async function call(opId, { params = {}, query = {}, body, headers = {}, auth = key } = {}) {
  const { method, path, op } = ops.get(opId);
  const url = new URL(srv.url + path.replace(/\{(\w+)\}/g, (_, n) => encodeURIComponent(params[n])));
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const h = { ...headers };
  if (auth) h.authorization = typeof auth === 'string' ? auth : auth.auth;
  if (body !== undefined) h['content-type'] ??= 'application/json';
  const r = await fetch(url, { method, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const bytes = Buffer.from(await r.arrayBuffer());
  const media = (r.headers.get('content-type') || '').split(';')[0];
  const text = media === 'application/json' || !bytes.length ? bytes.toString('utf8') : '';
  const res = { status: r.status, text, bytes, headers: r.headers, json: text ? JSON.parse(text) : null };
  const documented = deref(op.responses[String(r.status)]);
  assert.ok(documented, `${opId} answered ${r.status}, which the document does not list: ${text.slice(0, 200)}`);
  const schema = documented.content?.[media]?.schema;
  assert.ok(schema, `${opId} ${r.status} answered ${media}, which the document does not list`);
  if (media === 'application/json') {
    const errors = validate(doc, schema, res.json);
    assert.deepEqual(errors, [], `${opId} ${r.status} does not match its schema: ${text.slice(0, 300)}`);
  } else {
    assert.ok(bytes.length > 0, `${opId} ${r.status} answered an empty ${media}`);
  }
  for (const [name, hdr] of Object.entries(documented.headers || {})) {
    if (hdr.required) assert.ok(r.headers.get(name), `${opId} ${r.status} lacks the ${name} header`);
  }
  seen.get(opId).add(String(r.status));
  return res;
}

// Spends a fresh key's burst (concurrently, faster than the refill), then calls opId until it
// answers 429 (a slow build may let the refill win a round).
async function limited(opId, args = {}) {
  const k = await createKey(c, (await c.get(`/api/orgs/${c.org}/integrations`)).json.integrations.find((i) => i.type === 'custom').uid);
  await Promise.all(Array.from({ length: BURST }, () => call('getMe', { auth: k })));
  for (let round = 0; round < 20; round++) {
    await Promise.all(Array.from({ length: 10 }, () => call('getMe', { auth: k })));
    const r = await call(opId, { ...args, auth: k });
    if (r.status === 429) {
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
      return;
    }
  }
  assert.fail(`${opId} never answered 429`);
}

async function settledVia(id) {
  for (let i = 0; i < 300; i++) {
    const r = await call('getInvoice', { params: { id } });
    if (r.json.status !== 'pending') return r.json;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`invoice ${id} did not settle`);
}

const newInvoice = () => ({ invoice: invoice({ pos_invoice_number: sid('POS') }) });

test('the document is OpenAPI 3.1 and the server serves exactly it', async () => {
  assert.equal(doc.openapi, '3.1.0');
  assert.equal(doc.components.securitySchemes.basicAuth.scheme, 'basic');
  const r = await call('getOpenApi', { auth: null });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, doc);
  for (const [id, { op }] of ops) {
    assert.ok(op.summary, `${id} has a summary`);
    for (const status of Object.keys(op.responses)) assert.ok(deref(op.responses[status]).description, `${id} ${status}`);
  }
});

test('getMe', async () => {
  assert.equal((await call('getMe')).status, 200);
  assert.equal((await call('getMe', { auth: null })).status, 401);
  await limited('getMe');
});

test('submitInvoice', async () => {
  const idem = { 'idempotency-key': sid('k') };
  const body = { ...newInvoice(), source_id: sid('S'), source_url: 'https://erp.example.com/1' };
  const first = await call('submitInvoice', { body, headers: idem });
  assert.equal(first.status, 202);
  const replay = await call('submitInvoice', { body, headers: idem });
  assert.equal(replay.status, 202);
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  const existing = await call('submitInvoice', { body: { ...body, source_ref: 'again' } });
  assert.equal(existing.status, 200);
  assert.equal((await call('submitInvoice', { body: newInvoice(), headers: idem })).status, 409);
  assert.equal((await call('submitInvoice', { body: { invoice: { ...invoice(), items: [] } } })).status, 400);
  const badKey = await call('submitInvoice', { body: newInvoice(), headers: { 'idempotency-key': 'k'.repeat(256) } });
  assert.equal(badKey.json.code, 8003);
  assert.equal((await call('submitInvoice', { body: newInvoice(), auth: null })).status, 401);
  await limited('submitInvoice', { body: newInvoice() });
});

test('getInvoice: pending, signed (with the fiscal result), bad id, other integration, missing', async () => {
  const id = (await call('submitInvoice', { body: newInvoice() })).json.id;
  const signed = await settledVia(id);
  assert.equal(signed.status, 'signed');
  assert.ok(signed.result.qr_gif_base64);
  assert.equal((await call('getInvoice', { params: { id: 'abc' } })).status, 400);
  assert.equal((await call('getInvoice', { params: { id }, auth: otherKey })).status, 404);
  assert.equal((await call('getInvoice', { params: { id: 987654321 } })).status, 404);
  assert.equal((await call('getInvoice', { params: { id }, auth: null })).status, 401);
  await limited('getInvoice', { params: { id } });
});

test('listInvoices', async () => {
  await call('submitInvoice', { body: newInvoice() });
  await call('submitInvoice', { body: newInvoice() });
  const p1 = await call('listInvoices', { query: { limit: 1 } });
  assert.equal(p1.status, 200);
  assert.ok(p1.json.next_cursor);
  const p2 = await call('listInvoices', { query: { limit: 1, cursor: p1.json.next_cursor, status: 'pending' } });
  assert.equal(p2.status, 200);
  assert.equal((await call('listInvoices', { query: { invoice_type: 'bill' } })).status, 400);
  assert.equal((await call('listInvoices', { auth: null })).status, 401);
  await limited('listInvoices');
});

for (const [opId, extra] of [['refundInvoice', { cashier: 'Desk' }], ['copyInvoice', { cashier: 'Desk' }]]) {
  test(opId, async () => {
    const orig = await settledVia((await call('submitInvoice', { body: newInvoice() })).json.id);
    const source = sid('D');
    const made = await call(opId, { params: { id: orig.id }, body: { ...extra, source_id: source } });
    assert.equal(made.status, 202);
    assert.equal(made.json.invoice.referent_document_number, orig.invoice_number);
    assert.equal((await call(opId, { params: { id: orig.id }, body: { source_id: source } })).status, 200);
    assert.equal((await call(opId, { params: { id: orig.id }, body: { unknown: 1 } })).status, 400);
    // an invoice that is not signed whatever the timing: the V-SDC refuses its tax label (2310)
    const q = [{ name: 'X', quantity: '1', unit_price: '5', labels: ['Q'], total: '5' }];
    const unsigned = await settledVia((await call('submitInvoice', { body: { invoice: invoice({ pos_invoice_number: sid('POS'), items: q }) } })).json.id);
    assert.equal(unsigned.status, 'failed');
    const refused = await call(opId, { params: { id: unsigned.id }, body: {} });
    assert.equal(refused.status, 409);
    assert.equal((await call(opId, { params: { id: orig.id }, body: {}, auth: otherKey })).status, 404);
    assert.equal((await call(opId, { params: { id: orig.id }, body: {}, auth: null })).status, 401);
    await limited(opId, { params: { id: orig.id }, body: {} });
  });
}

test('getInvoiceReceipt: the PDF of a signed invoice; pending or failed 409, bad id, other integration, missing', async () => {
  const signed = await settledVia((await call('submitInvoice', { body: newInvoice() })).json.id);
  assert.equal(signed.status, 'signed');
  const r = await call('getInvoiceReceipt', { params: { id: signed.id } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/pdf');
  assert.equal(r.headers.get('content-disposition'), `inline; filename="fiscal-${signed.invoice_number}.pdf"`);
  assert.equal(r.bytes.subarray(0, 5).toString(), '%PDF-');
  assert.deepEqual(pdfLines(r.bytes), wordLines(signed.result.journal), 'the receipt reads as the journal');
  assert.deepEqual(pdfQrCodes(r.bytes), [signed.verification_url]);
  const q = [{ name: 'X', quantity: '1', unit_price: '5', labels: ['Q'], total: '5' }];
  const failed = await settledVia((await call('submitInvoice', { body: { invoice: invoice({ pos_invoice_number: sid('POS'), items: q }) } })).json.id);
  assert.equal(failed.status, 'failed');
  const refused = await call('getInvoiceReceipt', { params: { id: failed.id } });
  assert.deepEqual([refused.status, refused.json.code], [409, 6007]);
  assert.match(refused.json.detail, /is failed, not signed/);
  assert.equal((await call('getInvoiceReceipt', { params: { id: 'abc' } })).status, 400);
  assert.equal((await call('getInvoiceReceipt', { params: { id: signed.id }, auth: otherKey })).status, 404);
  assert.equal((await call('getInvoiceReceipt', { params: { id: 987654321 } })).status, 404);
  assert.equal((await call('getInvoiceReceipt', { params: { id: signed.id }, auth: null })).status, 401);
  await limited('getInvoiceReceipt', { params: { id: signed.id } });
});

test('every documented operation and answer was exercised', () => {
  const missing = [];
  for (const [id, { op }] of ops) {
    for (const status of Object.keys(op.responses)) if (!seen.get(id).has(status)) missing.push(`${id} ${status}`);
  }
  assert.deepEqual(missing, []);
});
