// tax_check.test.mjs - the tax check: once an invoice is signed, the V-SDC's tax total (its
// taxItems) is compared with the one the source document states (Xero's TotalTax, a submission's
// source_tax_total), so a tax fiscalized with the wrong label is reported on the invoice and on
// its integration instead of going unnoticed. A Xero line at 20 % without a mapping goes to the
// sandbox V-SDC as label A (9 %); mapped to a 20 % label, the totals agree and the integration's
// warning, counted since the mapping changed, is gone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startXeroWorld, xeroUser, account, connectXero, integration, fiscalInvoices, notes, waitFor, stopXeroWorld,
} from '../lib/xero.mjs';
import { invoice, settled } from '../lib/fiscal.mjs';
import { ApiClient, createCustom, createKey } from '../lib/custom.mjs';
import { storeQuery } from '../lib/server.mjs';

let w;
before(async () => { w = await startXeroWorld(); });
after(async () => { await stopXeroWorld(w); });

const details = async (c, id) => (await c.get(`/api/orgs/${c.org}/fiscal-invoices/${id}`)).json;

async function signedOf(c, uid, number) {
  const f = await waitFor(async () => (await fiscalInvoices(c, uid)).find((x) => x.source_ref === number && x.status === 'signed'),
    { timeoutMs: 30000, what: `${number} signed` });
  return details(c, f.id);
}

test('Xero: an unmapped 20 % tax signed as A 9 % is reported until the mapping changes', async () => {
  const c = await account(w, 'taxcheck');
  const u = await xeroUser(w, 1);
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval' } });
  const tenant = u.orgs[0].tenant_id;
  const line = { Description: 'Service', Quantity: 1, UnitAmount: 100, AccountCode: '200', TaxType: 'TAX001' };
  const first = await w.ctl('POST', `/xero/control/orgs/${tenant}/invoices`,
    { Type: 'ACCREC', Contact: { Name: 'Buyer' }, Status: 'AUTHORISED', LineItems: [line] });
  assert.equal(first.TotalTax, 20);
  const d1 = await signedOf(c, uid, first.InvoiceNumber);
  assert.deepEqual(d1.invoice.items.map((i) => [i.total, i.labels]), [['120', ['A']]]);
  assert.equal(d1.tax_mismatch, true);
  assert.equal(d1.source_tax_total, '20');
  assert.equal(d1.vsdc_tax_total, '9.9083'); // 120 x 9 / 109, the V-SDC's taxItems
  assert.deepEqual(d1.tax_items.map((t) => [t.label, t.amount]), [['A', '9.9083']]);
  const listed = (await fiscalInvoices(c, uid)).find((x) => x.id === d1.id);
  assert.equal(listed.tax_mismatch, true);
  // the note written back to Xero says so too, where the accountant reads it
  const [note] = await waitFor(async () => { const n = await notes(w, first.InvoiceID); return n.length && n; }, { what: 'the note' });
  assert.ok(note.Details.startsWith(`Fiscalized by fiscalhub: fiscal invoice ${d1.invoice_number}. Verify: `), note.Details);
  assert.ok(note.Details.endsWith(' VAT differs: the V-SDC computed 9.9083, this document states 20; check the tax mapping in fiscalhub.'), note.Details);

  const warned = await integration(c, uid);
  assert.deepEqual(warned.tax_mismatches, {
    count: 1,
    last: { id: d1.id, source_ref: first.InvoiceNumber, source_tax_total: '20', vsdc_tax_total: '9.9083', signed_at: d1.signed_at },
  });

  // a V-SDC that defines a 20 % label, and the tax mapped to it
  const saved = (await w.sb.control('GET', '/vsdc/control/tax-groups')).json;
  const group = { validFrom: '2024-01-01T00:00:00Z', groupId: 9, taxCategories: [
    { name: 'VAT', categoryType: 'TaxOnNet', orderId: 1, taxRates: [{ rate: 9, label: 'A' }, { rate: 20, label: 'Ђ' }] }] };
  assert.equal((await w.sb.control('PUT', '/vsdc/control/tax-groups', [...saved, group])).status, 200);
  try {
    // a change of something else keeps the warning
    let p = await c.patch(`/api/orgs/${c.org}/integrations/${uid}`, { settings: { attach_qr: false } });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.json.tax_mismatches.count, 1);
    p = await c.patch(`/api/orgs/${c.org}/integrations/${uid}`, { settings: { tax_mapping: { TAX001: 'Ђ' } } });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.json.tax_mismatches, null, 'counted since the mapping changed');

    const second = await w.ctl('POST', `/xero/control/orgs/${tenant}/invoices`,
      { Type: 'ACCREC', Contact: { Name: 'Buyer' }, Status: 'AUTHORISED', LineItems: [line, { ...line, UnitAmount: 33.33 }] });
    const d2 = await signedOf(c, uid, second.InvoiceNumber);
    assert.deepEqual(d2.invoice.items.map((i) => i.labels), [['Ђ'], ['Ђ']]);
    assert.equal(d2.source_tax_total, '26.67'); // 20.00 + 6.67 (Xero rounds each line)
    assert.equal(d2.vsdc_tax_total, '26.6667'); // (120.00 + 40.00) x 20 / 120: within a cent per item
    assert.equal(d2.tax_mismatch, false);
    const [note2] = await waitFor(async () => { const n = await notes(w, second.InvoiceID); return n.length && n; }, { what: 'the second note' });
    assert.doesNotMatch(note2.Details, /VAT differs/);
    assert.equal((await integration(c, uid)).tax_mismatches, null);
    // the first invoice stays as it was signed
    assert.equal((await details(c, d1.id)).tax_mismatch, true);
    // the list (and its CSV) filtered to the invoices the check flagged: the ones to look at
    const list = async (q) => c.get(`/api/orgs/${c.org}/fiscal-invoices?integration=${uid}${q}`);
    let l = await list('&tax_mismatch=true');
    assert.deepEqual([l.json.total, l.json.invoices.map((x) => x.id)], [1, [d1.id]]);
    l = await list('&tax_mismatch=false');
    assert.equal(l.json.total, 2);
    l = await list('&tax_mismatch=yes');
    assert.equal(l.status, 400);
    assert.equal(l.json.code, 1011);
    assert.match(l.json.detail, /tax_mismatch/);
    const csv = await c.get(`/api/orgs/${c.org}/fiscal-invoices?tax_mismatch=true&format=csv`);
    assert.equal(csv.status, 200);
    const lines = csv.text.trim().split('\r\n');
    assert.deepEqual([lines.length, lines[1].split(',')[0]], [2, String(d1.id)]);
    // the store: only the mismatch is in the partial index's rows
    const rows = storeQuery(w.srv, `SELECT COUNT(*) AS n FROM fiscal_invoices WHERE tax_mismatch = 1 AND integration_id =
      (SELECT id FROM integrations WHERE uid = '${uid}')`);
    assert.equal(Number(rows[0].n), 1);
  } finally {
    assert.equal((await w.sb.control('PUT', '/vsdc/control/tax-groups', saved)).status, 200);
  }
});

test('APIs: source_tax_total is checked once signed; bad values are refused and store nothing', async () => {
  const c = await account(w, 'taxcheck-api');
  const inv = invoice({ payments: [{ method: 'cash', amount: '120.00' }],
    items: [{ name: 'Cable', quantity: '1', unit_price: '120.00', labels: ['A'], total: '120.00' }] });
  const submit = (sourceId, extra) => c.post(`/api/orgs/${c.org}/fiscal-invoices`,
    { certificate_uid: c.certUid, source_id: sourceId, invoice: inv, ...extra });

  let r = await submit('TC-1', { source_tax_total: '9.91' }); // rounded to cents by its source
  assert.equal(r.status, 202, r.text);
  const ok = await settled(c, r.json.id);
  assert.equal(ok.status, 'signed');
  assert.deepEqual([ok.tax_mismatch, ok.source_tax_total, ok.vsdc_tax_total], [false, '9.91', '9.9083']);

  r = await submit('TC-2', { source_tax_total: '20.00' });
  assert.equal(r.status, 202, r.text);
  const bad = await settled(c, r.json.id);
  assert.deepEqual([bad.tax_mismatch, bad.source_tax_total, bad.vsdc_tax_total], [true, '20', '9.9083']);

  r = await submit('TC-3');
  const none = await settled(c, r.json.id);
  assert.deepEqual([none.tax_mismatch, none.source_tax_total, none.vsdc_tax_total], [false, null, null]);

  const count = async () => (await c.get(`/api/orgs/${c.org}/fiscal-invoices`)).json.total;
  const before = await count();
  for (const [v, code] of [['-1', 1003], ['1.23456', 1003], ['abc', 1003], ['1e3', 1003], [5, 1002]]) {
    r = await submit('TC-BAD', { source_tax_total: v });
    assert.equal(r.status, 400, `${JSON.stringify(v)}: ${r.text}`);
    assert.equal(r.json.code, code, r.text);
    assert.match(r.json.detail, /source_tax_total/);
  }
  assert.equal(await count(), before, 'nothing stored');

  // the public API: the same field, and the invoice as the API and its events show it
  const uid = await createCustom(c, c.certUid);
  const api = new ApiClient(w.srv.url, await createKey(c, uid));
  r = await api.post('/api/v1/invoices', { source_id: 'TC-V1', source_tax_total: '20.00', invoice: inv });
  assert.equal(r.status, 202, r.text);
  assert.equal(r.json.source_tax_total, '20');
  const v1 = await api.settled(r.json.id);
  assert.deepEqual([v1.tax_mismatch, v1.source_tax_total, v1.vsdc_tax_total], [true, '20', '9.9083']);
  r = await api.post('/api/v1/invoices', { source_id: 'TC-V1B', source_tax_total: 20, invoice: inv });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.code, 1002);
  // the custom integration's warning counts it too
  assert.equal((await integration(c, uid)).tax_mismatches.count, 1);
  // the public list, filtered to the flagged invoices: the one stating 20, not the others
  r = await api.post('/api/v1/invoices', { source_id: 'TC-V1C', source_tax_total: '9.91', invoice: inv });
  assert.equal((await api.settled(r.json.id)).tax_mismatch, false);
  const flagged = await api.get('/api/v1/invoices?tax_mismatch=true');
  assert.deepEqual(flagged.json.invoices.map((i) => i.source_id), ['TC-V1']);
  assert.equal((await api.get('/api/v1/invoices?tax_mismatch=false')).json.invoices.length, 2);
  const badFilter = await api.get('/api/v1/invoices?tax_mismatch=1');
  assert.deepEqual([badFilter.status, badFilter.json.code], [400, 1011]);
});
