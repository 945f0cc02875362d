// The TaxCore V-SDC emulator of fiscalhub-sandbox over real mTLS: certificates, PAC, signing,
// counters, idempotent RequestIds, validation codes, fault injection, keep-alive, revocation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { createHash, verify as verifySignature, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, issueCert, sandboxBinary } from '../lib/sandbox.mjs';

let sb;
let cert;
let signerPem;
before(async () => {
  sb = await startSandbox();
  cert = await sb.issueCert({ name: 'Test Shop d.o.o.', tin: '106884584' });
  signerPem = (await sb.control('GET', '/vsdc/control/signer.pem')).text;
});
after(async () => {
  const r = await sb.stop();
  assert.equal(r.code, 0, `sandbox exited with ${r.code ?? r.signal}; log: ${sb.logFile}`);
});

// One HTTPS request to the V-SDC. Resolves with the answer, rejects on a transport error.
function vsdc(c, { method = 'GET', path, body, pac = c?.pac, rid, headers = {}, agent = false, tlsOptions = {} } = {}) {
  return new Promise((resolve, reject) => {
    const h = { accept: 'application/json', ...headers };
    if (pac) h.PAC = pac;
    if (rid) h.RequestId = rid;
    let payload;
    if (body !== undefined) {
      payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      h['content-type'] = 'application/json';
      h['content-length'] = payload.length;
    }
    const req = https.request(
      { host: '127.0.0.1', port: sb.vsdcPort, method, path, headers: h, ca: sb.caPem, agent, ...tlsOptions,
        ...(c ? { pfx: c.pfx, passphrase: c.password } : {}) },
      (res) => {
        const chunks = [];
        res.on('data', (d) => chunks.push(d));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json = null;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            json = null;
          }
          resolve({ status: res.statusCode, headers: res.headers, text, json, reused: req.reusedSocket });
        });
      },
    );
    req.on('error', reject);
    req.setTimeout(20000, () => req.destroy(new Error('client timeout')));
    req.end(payload);
  });
}

let seq = 0;
function invoice(extra = {}) {
  seq += 1;
  return {
    invoiceType: 'Normal', transactionType: 'Sale', cashier: 'Ana', invoiceNumber: `POS-${process.pid}-${seq}`,
    payment: [{ amount: 150.0, paymentType: 'Cash' }],
    items: [
      { gtin: '12345678', name: 'Cable', quantity: 1, unitPrice: 100.87, labels: ['A'], totalAmount: 100.87 },
      { name: 'Lamp', quantity: 2, unitPrice: 24.5, labels: ['Ж', 'F'], totalAmount: 49.0 },
    ],
    ...extra,
  };
}
const rid = (tag) => `${tag}${process.pid}${Date.now()}${++seq}`.slice(0, 32);
const post = (c, body, o = {}) => vsdc(c, { method: 'POST', path: '/api/v3/invoices', body, ...o });
const stats = async () => (await sb.control('GET', '/vsdc/control/stats')).json;
const faults = async (cfg) => assert.equal((await sb.control('PUT', '/vsdc/control/faults', cfg)).status, 200);

function decodeBlob(url) {
  const b = Buffer.from(decodeURIComponent(url.split('?vl=')[1]), 'base64');
  const n = b[43];
  return {
    raw: b, n, version: b[0], requestedBy: b.subarray(1, 9).toString(), signedBy: b.subarray(9, 17).toString(),
    totalCounter: b.readUInt32LE(17), ttc: b.readUInt32LE(21), amount: b.readBigUInt64LE(25),
    ms: Number(b.readBigUInt64BE(33)), invoiceType: b[41], transactionType: b[42],
    buyerId: b.subarray(44, 44 + n).toString(), internal: b.subarray(44 + n, 300 + n),
    signature: b.subarray(300 + n, 556 + n), md5: b.subarray(556 + n),
  };
}

test('mTLS: no client certificate or a foreign one fails the TLS handshake', async () => {
  await assert.rejects(vsdc(null, { path: '/api/v3/attention' }));
  const otherData = mkdtempSync(join(tmpdir(), 'fh-foreign-ca-'));
  const foreign = await issueCert(sandboxBinary(), otherData, join(otherData, 'out'), {});
  await assert.rejects(vsdc(foreign, { path: '/api/v3/attention' }));
  const expired = await sb.issueCert({ expired: true });
  await assert.rejects(vsdc(expired, { path: '/api/v3/attention' }));
  const ok = await vsdc(cert, { path: '/api/v3/attention' });
  assert.equal(ok.status, 200);
});

test('issue-cert writes a PKCS#12 with the TaxCore extensions and the CA chain, and the error cases', async () => {
  assert.match(cert.uid, /^[0-9A-Z]{8}$/);
  assert.match(cert.password, /^[0-9A-Z]{8}$/);
  assert.match(cert.pac, /^[0-9A-Z]{6}$/);
  const der = tls.createSecureContext({ pfx: cert.pfx, passphrase: cert.password }).context.getCertificate();
  const x = new X509Certificate(der);
  assert.match(x.subject, new RegExp(`serialNumber=${cert.uid}`));
  assert.match(x.subject, /CN=Test Shop d\.o\.o\./);
  const oid = (z) => Buffer.from(`2b0601040183862005080${z}`, 'hex'); // 1.3.6.1.4.1.49952.5.8.z
  for (const z of [5, 6, 7]) assert.ok(der.includes(oid(z)), `OID 1.3.6.1.4.1.49952.5.8.${z}`);
  assert.ok(der.includes(Buffer.from(sb.vsdcUrl)) && der.includes(Buffer.from('106884584')));
  assert.ok(x.checkIssued(new X509Certificate(sb.caPem)) === false); // issued by the ICA, not the root
  const noExt = await sb.issueCert({ noTaxcoreExt: true });
  const der2 = tls.createSecureContext({ pfx: noExt.pfx, passphrase: noExt.password }).context.getCertificate();
  assert.ok(!der2.includes(oid(7)));
  const mismatch = await sb.issueCert({ keyMismatch: true });
  assert.throws(() => tls.createSecureContext({ pfx: mismatch.pfx, passphrase: mismatch.password }));
  const legacy = await sb.issueCert({ legacy: true });
  assert.ok(legacy.pfx.includes(Buffer.from('2a864886f70d010c0106', 'hex')), 'RC2 certificate safe');
  assert.ok(legacy.pfx.includes(Buffer.from('2a864886f70d010c0103', 'hex')), '3DES key bag');
  assert.ok(!cert.pfx.includes(Buffer.from('2a864886f70d010c0106', 'hex')));
  const list = (await sb.control('GET', '/vsdc/control/taxpayers')).json.taxpayers;
  const me = list.find((t) => t.uid === cert.uid);
  assert.equal(me.tin, '106884584');
  assert.equal(me.pac, undefined, 'the listing never shows PACs');
});

test('PAC: missing or wrong PAC is 401 with a message naming the PAC', async () => {
  for (const pac of [null, 'WRONG1']) {
    const r = await post(cert, invoice(), { pac });
    assert.equal(r.status, 401);
    assert.match(r.text, /PAC/);
  }
  assert.equal((await vsdc(cert, { path: '/api/v3/invoices/nothing', pac: 'WRONG1' })).status, 401);
});

test('status and environment parameters', async () => {
  const s = await vsdc(cert, { path: '/api/v3/status' });
  assert.equal(s.status, 200);
  assert.equal(s.json.uid, cert.uid);
  assert.equal(s.json.currentTaxRates.groupId, 5);
  const vat = s.json.currentTaxRates.taxCategories.find((c) => c.name === 'VAT');
  assert.deepEqual(vat.taxRates.map((r) => [r.label, r.rate]), [['A', 9], ['B', 0], ['Ж', 19]]);
  assert.ok(s.json.allTaxRates.some((g) => g.groupId === 1));
  const e = await vsdc(cert, { path: '/api/v3/environment-parameters' });
  assert.equal(e.status, 200);
  assert.equal(e.json.endpoints.vsdc, sb.vsdcUrl);
  assert.match(e.json.endpoints.root, /\/vsdc\/v\/\?vl=$/);
  assert.deepEqual(e.json.supportedLanguages, ['en-US', 'sr-Cyrl-RS']);
});

test('a valid invoice is signed with every field of the spec, verifiable from its URL', async () => {
  const r = await post(cert, invoice({ buyerId: '10:106884584' }), { rid: rid('v') });
  assert.equal(r.status, 200, r.text);
  const j = r.json;
  assert.equal(j.requestedBy, cert.uid);
  assert.match(j.signedBy, /^[0-9A-Z]{8}$/);
  assert.equal(j.invoiceNumber, `${j.requestedBy}-${j.signedBy}-${j.totalCounter}`);
  assert.equal(j.invoiceCounter, `${j.transactionTypeCounter}/${j.totalCounter}NS`);
  assert.equal(j.invoiceCounterExtension, 'NS');
  assert.deepEqual(j.taxItems, [
    { categoryType: 0, label: 'A', amount: 8.3287, rate: 9, categoryName: 'VAT' },
    { categoryType: 0, label: 'F', amount: 4.1462, rate: 11, categoryName: 'ECAL' },
    { categoryType: 0, label: 'Ж', amount: 7.1615, rate: 19, categoryName: 'VAT' },
  ]);
  assert.equal(j.totalAmount, 149.87);
  assert.equal(j.taxGroupRevision, 5);
  assert.equal(j.messages, 'Success');
  assert.equal(j.tin, '106884584');
  assert.equal(j.businessName, 'Test Shop d.o.o.');
  assert.match(j.sdcDateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/);
  assert.match(j.verificationQRCode, /^R0lGODlh/);
  const lines = j.journal.split('\r\n');
  assert.equal(lines[0], '============ FISCAL INVOICE ============');
  assert.ok(lines.filter(Boolean).every((l) => [...l].length === 40));
  assert.equal(Buffer.from(j.encryptedInternalData, 'base64').length, 256);
  assert.equal(Buffer.from(j.signature, 'base64').length, 256);
  const b = decodeBlob(j.verificationUrl);
  assert.ok(j.verificationUrl.startsWith(`${sb.url}/vsdc/v/?vl=`));
  assert.equal(b.version, 3);
  assert.equal(b.raw.length, 44 + b.n + 512 + 16);
  assert.deepEqual(b.md5, createHash('md5').update(b.raw.subarray(0, 556 + b.n)).digest());
  assert.equal(b.requestedBy, j.requestedBy);
  assert.equal(b.signedBy, j.signedBy);
  assert.equal(b.totalCounter, j.totalCounter);
  assert.equal(b.ttc, j.transactionTypeCounter);
  assert.equal(b.amount, 1498700n);
  assert.equal(b.ms, Date.parse(j.sdcDateTime));
  assert.equal(b.buyerId, '10:106884584');
  assert.equal(b.internal.toString('base64'), j.encryptedInternalData);
  assert.equal(b.signature.toString('base64'), j.signature);
  assert.ok(verifySignature('sha256', b.raw.subarray(0, 300 + b.n), signerPem, b.signature), 'signature');
  const page = await fetch(j.verificationUrl, { headers: { accept: 'application/json' } });
  const v = await page.json();
  assert.equal(v.isValid, true);
  assert.equal(v.invoiceResult.invoiceNumber, j.invoiceNumber);
  assert.equal(v.journal, j.journal);
  const omit = await post(cert, invoice({ options: { omitQRCodeGen: '1', omitTextualRepresentation: '1' } }));
  assert.equal(omit.json.verificationQRCode, null);
  assert.equal(omit.json.journal, null);
});

test('counters: totalCounter for all, transactionTypeCounter per type pair, extensions by type', async () => {
  const c = await sb.issueCert();
  const a = (await post(c, invoice())).json;
  const b = (await post(c, invoice())).json;
  assert.equal(a.totalCounter, 1);
  assert.equal(b.totalCounter, 2);
  assert.equal(b.invoiceCounter, '2/2NS');
  const t = (await post(c, invoice({ invoiceType: 3 }))).json;
  assert.equal(t.invoiceCounter, '1/3TS');
  assert.match(t.journal, /^===== THIS IS NOT A FISCAL RECEIPT =====\r\n/);
  const ref = { referentDocumentNumber: a.invoiceNumber, referentDocumentDT: a.sdcDateTime };
  const rf = (await post(c, invoice({ transactionType: 'refund', ...ref }))).json;
  assert.equal(rf.invoiceCounter, '1/4NR');
  assert.equal(rf.totalAmount, 149.87);
  assert.match(rf.journal, /Total refund: +-149\.87/);
  const cp = (await post(c, invoice({ invoiceType: 'COPY', ...ref }))).json;
  assert.equal(cp.invoiceCounter, '1/5CS');
  const sr = await post(c, invoice(), { headers: { 'accept-language': 'sr-Cyrl-RS' } });
  assert.equal(sr.json.invoiceCounter, '3/6ПП');
  assert.equal(sr.json.messages, 'Успешно');
  assert.match(sr.json.journal, /^============ ФИСКАЛНИ РАЧУН ============\r\n/);
  assert.equal((await post(cert, invoice())).json.requestedBy, cert.uid); // other UIDs count apart
});

test('GET by RequestId returns the stored result; unknown is 404', async () => {
  const id = rid('g');
  const r = await post(cert, invoice(), { rid: id });
  const g = await vsdc(cert, { path: `/api/v3/invoices/${id}` });
  assert.equal(g.status, 200);
  assert.equal(g.text, r.text);
  assert.equal((await vsdc(cert, { path: '/api/v3/invoices/unknown123' })).status, 404);
  const other = await sb.issueCert();
  assert.equal((await vsdc(other, { path: `/api/v3/invoices/${id}` })).status, 404, 'RequestIds are per UID');
});

test('a repeated RequestId returns the stored result and creates nothing; stats expose duplicates', async () => {
  const id = rid('d');
  const body = invoice();
  const before = (await stats()).invoices_created;
  const [a, b] = await Promise.all([post(cert, body, { rid: id }), post(cert, body, { rid: id })]);
  const c = await post(cert, body, { rid: id });
  assert.equal(a.status, 200);
  assert.equal(b.text, a.text);
  assert.equal(c.text, a.text);
  let s = await stats();
  assert.equal(s.invoices_created, before + 1);
  const entry = s.duplicate_request_ids.find((e) => e.request_id === id);
  assert.equal(entry.posts, 3);
  assert.equal(entry.invoice_number, a.json.invoiceNumber);
  assert.ok(!s.duplicate_pos_invoice_numbers.some((e) => e.pos_invoice_number === body.invoiceNumber));
  // the same POS document under a new RequestId is a second fiscal invoice: reported
  await post(cert, body, { rid: rid('d2') });
  s = await stats();
  const dup = s.duplicate_pos_invoice_numbers.find((e) => e.pos_invoice_number === body.invoiceNumber);
  assert.equal(dup.fiscal_invoice_numbers.length, 2);
  const list = (await sb.control('GET', `/vsdc/control/invoices?uid=${cert.uid}&limit=10000`)).json;
  assert.equal(list.invoices.filter((i) => i.request_id === id).length, 1);
  const one = await sb.control('GET', `/vsdc/control/invoices/${a.json.invoiceNumber}`);
  assert.equal(one.json.result.invoiceNumber, a.json.invoiceNumber);
  assert.equal(one.json.request.invoiceNumber, body.invoiceNumber);
});

test('validation: 400 with modelState and TaxCore codes', async () => {
  const codes = async (body, o) => {
    const r = await post(cert, body, o);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.message, 'Bad Request');
    return Object.fromEntries(r.json.modelState.map((m) => [m.property, m.errors[0]]));
  };
  const { items, ...noItems } = invoice();
  assert.equal(items.length, 2);
  assert.deepEqual(await codes(noItems), { items: '2800' });
  assert.deepEqual(await codes(invoice({ invoiceType: 'Receipt' })), { invoiceType: '2805' });
  assert.deepEqual(await codes(invoice({ transactionType: 1 })), { referentDocumentNumber: '2800' });
  assert.deepEqual(await codes(invoice({ invoiceType: 2, referentDocumentNumber: 'not-a-number' })),
    { referentDocumentNumber: '2806' });
  assert.deepEqual(await codes(invoice({ items: [] })), { items: '2807' });
  assert.deepEqual(await codes(invoice({ items: [{ name: 'X', quantity: 1, unitPrice: 1, labels: ['Q'], totalAmount: 1 }] })),
    { 'items[0].labels': '2310' });
  assert.deepEqual(await codes(invoice({ cashier: 'x'.repeat(51) })), { cashier: '2801' });
  assert.deepEqual(await codes(invoice(), { rid: 'x'.repeat(33) }), { requestId: '2801' });
  assert.deepEqual(await codes('{not json'), { request: '2806' });
  const ok = await post(cert, { ...invoice(), UnknownField: 1, INVOICETYPE: 'normal' });
  assert.equal(ok.status, 200, 'unknown properties ignored, names case-insensitive');
});

test('fault lost_response: the invoice is signed and stored, the answer never arrives', async () => {
  const id = rid('l');
  const before = await stats();
  await faults({ next: ['lost_response'] });
  await assert.rejects(post(cert, invoice(), { rid: id }));
  const g = await vsdc(cert, { path: `/api/v3/invoices/${id}` });
  assert.equal(g.status, 200);
  const again = await post(cert, invoice(), { rid: id });
  assert.equal(again.text, g.text);
  const s = await stats();
  assert.equal(s.invoices_created, before.invoices_created + 1);
  assert.equal(s.faults_lost_response, before.faults_lost_response + 1);
});

test('faults reset, timeout and error_5xx sign nothing', async () => {
  const before = (await stats()).invoices_created;
  await faults({ next: ['reset', 'timeout', 'error_5xx'], timeout_ms: 300, status_5xx: 503 });
  const idReset = rid('r');
  await assert.rejects(post(cert, invoice(), { rid: idReset }), (e) => e.code === 'ECONNRESET');
  const t0 = Date.now();
  await assert.rejects(post(cert, invoice(), { rid: rid('t') }));
  assert.ok(Date.now() - t0 >= 250, 'the connection was held before closing');
  const e = await post(cert, invoice(), { rid: rid('e') });
  assert.equal(e.status, 503);
  assert.equal(e.json.message, 'An error has occurred.');
  assert.equal((await vsdc(cert, { path: `/api/v3/invoices/${idReset}` })).status, 404);
  assert.equal((await stats()).invoices_created, before);
  assert.equal((await post(cert, invoice(), { rid: idReset })).status, 200, 'faults are used up');
});

test('fault scope: `next` with a uid is taken only by that certificate\'s POSTs', async () => {
  const a = await sb.issueCert();
  const b = await sb.issueCert();
  const put = await sb.control('PUT', '/vsdc/control/faults', { next: ['error_5xx'], uid: a.uid });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.json.uid, a.uid);
  const other = await post(b, invoice(), { rid: rid('b') });
  assert.equal(other.status, 200, 'another certificate is signed as if next were empty');
  assert.equal(other.json.requestedBy, b.uid);
  const left = (await sb.control('GET', '/vsdc/control/faults')).json;
  assert.deepEqual(left.next, ['error_5xx'], 'the fault is still queued for A');
  assert.equal(left.uid, a.uid);
  const mine = await post(a, invoice(), { rid: rid('a') });
  assert.equal(mine.status, 500);
  assert.equal(mine.json.message, 'An error has occurred.');
  assert.deepEqual((await sb.control('GET', '/vsdc/control/faults')).json.next, []);
  assert.equal((await post(a, invoice())).status, 200, 'the fault is used up');
  for (const uid of [12345678, 'abc', 'ABCD1234X', '']) {
    const bad = await sb.control('PUT', '/vsdc/control/faults', { next: ['error_5xx'], uid });
    assert.equal(bad.status, 400, `uid ${JSON.stringify(uid)}`);
    assert.match(bad.json.detail, /^uid must be/);
  }
  assert.equal((await sb.control('GET', '/vsdc/control/faults')).json.uid, a.uid, 'a refused PUT changes nothing');
  await faults({});
  assert.equal((await sb.control('GET', '/vsdc/control/faults')).json.uid, null, '{} clears the scope');
});

test('fault probabilities follow the seed deterministically', async () => {
  const pattern = async () => {
    await faults({ error_5xx: 0.5, seed: 7 });
    const out = [];
    for (let i = 0; i < 12; i++) out.push((await post(cert, invoice())).status);
    return out.join(',');
  };
  const a = await pattern();
  const b = await pattern();
  assert.equal(a, b);
  assert.match(a, /500/);
  assert.match(a, /200/);
  await faults({});
});

test('keep-alive: many requests over one TLS connection; stats count the handshakes per UID', async () => {
  const c = await sb.issueCert();
  const before = await stats();
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const res = [];
  for (let i = 0; i < 6; i++) {
    const path = i % 2 ? '/api/v3/status' : '/api/v3/invoices';
    res.push(await vsdc(c, { method: i % 2 ? 'GET' : 'POST', path, body: i % 2 ? undefined : invoice(), agent }));
  }
  agent.destroy();
  assert.deepEqual(res.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
  assert.deepEqual(res.map((r) => r.reused), [false, true, true, true, true, true]);
  await vsdc(c, { path: '/api/v3/attention' }); // no agent: a connection of its own
  const s = await stats();
  assert.equal(s.tls_handshakes_by_uid[c.uid], 2, 'one handshake per connection');
  assert.equal(s.tls_handshakes - before.tls_handshakes, 2);
  assert.ok(s.tls_resumed >= 0);
});

test('concurrency: parallel POSTs on several connections number one UID without gaps', async () => {
  const c = await sb.issueCert();
  const agent = new https.Agent({ keepAlive: true, maxSockets: 8 });
  const rs = await Promise.all(Array.from({ length: 40 }, () => post(c, invoice(), { agent })));
  agent.destroy();
  assert.ok(rs.every((r) => r.status === 200));
  assert.deepEqual(rs.map((r) => r.json.totalCounter).sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i + 1));
});

test('revocation: a revoked certificate gets 403 HTML, restoring it lets it in again', async () => {
  const c = await sb.issueCert();
  assert.equal((await sb.control('POST', `/vsdc/control/taxpayers/${c.uid}/revoke`)).status, 200);
  const r = await vsdc(c, { path: '/api/v3/status' });
  assert.equal(r.status, 403);
  assert.match(r.text, /^<!DOCTYPE html/);
  assert.match(r.text, /<h3>[^<]*revoked[^<]*<\/h3>/);
  await sb.control('POST', `/vsdc/control/taxpayers/${c.uid}/unrevoke`);
  assert.equal((await vsdc(c, { path: '/api/v3/status' })).status, 200);
  assert.equal((await sb.control('POST', '/vsdc/control/taxpayers/NOSUCHID/revoke')).status, 404);
});

test('tax groups can be replaced: the newest valid group signs, /status shows it', async () => {
  const saved = (await sb.control('GET', '/vsdc/control/tax-groups')).json;
  const group = { validFrom: '2024-01-01T00:00:00Z', groupId: 9, taxCategories: [
    { name: 'VAT', categoryType: 'TaxOnNet', orderId: 1, taxRates: [{ rate: 20, label: 'Ђ' }, { rate: 10, label: 'Е' }] }] };
  assert.equal((await sb.control('PUT', '/vsdc/control/tax-groups', [...saved, group])).status, 200);
  try {
    const r = await post(cert, invoice({ items: [{ name: 'X', quantity: 1, unitPrice: 349.9, labels: ['Ђ'], totalAmount: 349.9 }] }));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.taxGroupRevision, 9);
    assert.deepEqual(r.json.taxItems, [{ categoryType: 0, label: 'Ђ', amount: 58.3167, rate: 20, categoryName: 'VAT' }]);
    assert.equal((await vsdc(cert, { path: '/api/v3/status' })).json.currentTaxRates.groupId, 9);
    assert.equal((await post(cert, invoice())).status, 400, 'label A is not in group 9');
    assert.equal((await sb.control('PUT', '/vsdc/control/tax-groups', [{ groupId: 1 }])).status, 400);
  } finally {
    assert.equal((await sb.control('PUT', '/vsdc/control/tax-groups', saved)).status, 200);
  }
});

test('control: bad fault settings are refused; reset clears invoices and counters', async () => {
  assert.equal((await sb.control('PUT', '/vsdc/control/faults', { error_5xx: 0.7, reset: 0.7 })).status, 400);
  assert.equal((await sb.control('PUT', '/vsdc/control/faults', { next: ['explode'] })).status, 400);
  const info = (await sb.control('GET', '/vsdc/control/info')).json;
  assert.equal(info.vsdc_url, sb.vsdcUrl);
  assert.equal(info.ca_file, sb.caFile);
  assert.equal((await sb.control('GET', '/vsdc/control/ca.pem')).text, sb.caPem.toString());
  assert.equal((await sb.control('POST', '/vsdc/control/reset')).status, 200);
  const s = await stats();
  assert.equal(s.invoices_created, 0);
  assert.deepEqual(s.posts_by_request_id, []);
  assert.equal((await post(cert, invoice())).json.totalCounter, 1);
});

test('control: POST /vsdc/control/certificates issues one, with the V-SDC URL asked for; bad fields are 400', async () => {
  const plain = await sb.control('POST', '/vsdc/control/certificates', {});
  assert.equal(plain.status, 201, plain.text);
  assert.match(plain.json.uid, /^[A-Z0-9]{8}$/);
  assert.equal(plain.json.vsdc_url, sb.vsdcUrl);
  assert.ok(Buffer.from(plain.json.pfx_base64, 'base64').length > 1000);
  const away = await sb.control('POST', '/vsdc/control/certificates', { vsdc_url: 'https://127.0.0.1:9', name: 'Elsewhere d.o.o.' });
  assert.equal(away.status, 201, away.text);
  assert.equal(away.json.vsdc_url, 'https://127.0.0.1:9');
  const listed = (await sb.control('GET', '/vsdc/control/taxpayers')).json.taxpayers.find((t) => t.uid === away.json.uid);
  assert.equal(listed?.name, 'Elsewhere d.o.o.');
  const bad = await sb.control('POST', '/vsdc/control/certificates', { name: 'x'.repeat(101) });
  assert.equal(bad.status, 400);
});

test('control: a foreign certificate (another environment\'s CA) looks like ours but the handshake refuses it: unknown ca', async () => {
  const issue = async (body) => {
    const r = await sb.control('POST', '/vsdc/control/certificates', body);
    assert.equal(r.status, 201, r.text);
    return { ...r.json, pfx: Buffer.from(r.json.pfx_base64, 'base64') };
  };
  const f = await issue({ foreign: true, name: 'Elsewhere Shop d.o.o.', tin: '101010101' });
  const ours = await issue({});
  assert.match(f.uid, /^[0-9A-Z]{8}$/);
  assert.match(f.pac, /^[0-9A-Z]{6}$/);
  assert.equal(f.vsdc_url, sb.vsdcUrl);
  // the same subject, key usage and TaxCore extensions as ours, in the same kind of PKCS#12
  const leaf = (c) => tls.createSecureContext({ pfx: c.pfx, passphrase: c.password }).context.getCertificate();
  const der = leaf(f);
  const x = new X509Certificate(der);
  assert.match(x.subject, new RegExp(`serialNumber=${f.uid}`));
  assert.match(x.subject, /CN=Elsewhere Shop d\.o\.o\./);
  assert.equal(x.keyUsage?.join(), '1.3.6.1.5.5.7.3.2', 'EKU clientAuth');
  const oid = (z) => Buffer.from(`2b0601040183862005080${z}`, 'hex'); // 1.3.6.1.4.1.49952.5.8.z
  for (const z of [5, 6, 7]) assert.ok(der.includes(oid(z)), `OID 1.3.6.1.4.1.49952.5.8.${z}`);
  assert.ok(der.includes(Buffer.from(sb.vsdcUrl)) && der.includes(Buffer.from('101010101')));
  assert.ok(!f.pfx.includes(Buffer.from('2a864886f70d010c0106', 'hex')), 'AES like ours, not RC2');
  // ...issued by the other environment's ICA, kept next to ours, which the V-SDC does not trust
  const pem = (name) => new X509Certificate(readFileSync(join(sb.dataDir, 'vsdc', name)));
  const [foreignIca, foreignCa, ica] = [pem('foreign-ica.pem'), pem('foreign-ca.pem'), pem('ica.pem')];
  assert.match(x.issuer, /CN=fiscalhub sandbox TaxCore ICA \(another environment\)/);
  assert.ok(x.checkIssued(foreignIca) && x.verify(foreignIca.publicKey), 'signed by the foreign ICA');
  assert.ok(foreignIca.checkIssued(foreignCa) && foreignIca.verify(foreignCa.publicKey));
  assert.ok(!x.checkIssued(ica) && !x.verify(ica.publicKey), 'not by ours');
  assert.match(new X509Certificate(leaf(ours)).issuer, /CN=fiscalhub sandbox TaxCore ICA$/);
  assert.notEqual(foreignCa.fingerprint256, new X509Certificate(sb.caPem).fingerprint256);
  // the V-SDC refuses it in the handshake (TLS 1.3: read after the client's side of it; 1.2: in it)
  const unknownCa = (e) => /tlsv1 alert unknown ca.*SSL alert number 48/.test(e.message);
  const before = await stats();
  await assert.rejects(vsdc(f, { path: '/api/v3/attention' }), unknownCa);
  await assert.rejects(post(f, invoice(), { rid: rid('f') }), unknownCa);
  await assert.rejects(vsdc(f, { path: '/api/v3/attention', tlsOptions: { maxVersion: 'TLSv1.2' } }), unknownCa);
  assert.equal((await vsdc(ours, { path: '/api/v3/attention' })).status, 200);
  assert.equal((await post(ours, invoice())).status, 200, 'ours is served');
  const after = await stats();
  assert.equal(after.tls_handshakes_by_uid[f.uid], undefined, 'no handshake completed');
  assert.equal(after.posts_received, before.posts_received + 1, 'only our POST arrived');
  assert.equal((await sb.control('GET', `/vsdc/control/invoices?uid=${f.uid}`)).json.total, 0);
  // not a taxpayer of this V-SDC; a second one comes from the same foreign CA
  const listed = (await sb.control('GET', '/vsdc/control/taxpayers')).json.taxpayers.map((t) => t.uid);
  assert.ok(!listed.includes(f.uid) && listed.includes(ours.uid));
  const again = await issue({ foreign: true });
  assert.ok(new X509Certificate(leaf(again)).checkIssued(foreignIca));
  assert.equal(pem('foreign-ca.pem').fingerprint256, foreignCa.fingerprint256);
  assert.equal((await sb.control('POST', '/vsdc/control/certificates', { foreign: 'yes' })).status, 400);
});

test('make run\'s tax groups (scripts/demo-tax-groups.json) load, with labels of the demo taxes\' rates', async () => {
  const sb2 = await startSandbox({ env: { FISCALHUB_SANDBOX_VSDC_TAX_GROUPS: new URL('../../scripts/demo-tax-groups.json', import.meta.url).pathname } });
  try {
    const groups = (await sb2.control('GET', '/vsdc/control/tax-groups')).json;
    assert.equal(groups.length, 1);
    const vat = groups[0].taxCategories.find((c) => c.name === 'VAT');
    // the demo Xero and Zoho organisations tax at 20 % and 10 %; A stays fiscalhub's default label
    assert.deepEqual(vat.taxRates.map((r) => [r.label, r.rate]), [['A', 9], ['B', 0], ['Ж', 19], ['Ђ', 20], ['Е', 10]]);
  } finally {
    assert.equal((await sb2.stop()).code, 0);
  }
});

test('certificates stay valid across a restart on the same data directory', async () => {
  const sb2 = await startSandbox({ dataDir: sb.dataDir });
  try {
    const r = await new Promise((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port: sb2.vsdcPort, path: '/api/v3/attention', ca: sb2.caPem,
        pfx: cert.pfx, passphrase: cert.password, agent: false }, (res) => { res.resume(); resolve(res.statusCode); });
      req.on('error', reject);
      req.end();
    });
    assert.equal(r, 200);
    assert.deepEqual(sb2.caPem, sb.caPem);
  } finally {
    assert.equal((await sb2.stop()).code, 0);
  }
});
