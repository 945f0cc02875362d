// xero_writeback.test.mjs - the Xero write-back against the sandbox's Xero emulator when Xero
// carried a write out but its answer was lost (the emulator's lost_response fault) and the retry
// comes after Xero's Idempotency-Key window (idempotency_s 0 here): the retry reads the
// document's history and attachments first, so there is exactly one history note and, with
// attach_qr, exactly one fiscal-<number>.gif, the GIF of the V-SDC's verificationQRCode (also on
// a credit note), with attach_journal exactly one fiscal-<number>.txt, the V-SDC's journal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  startXeroWorld, xeroUser, account, connectXero, fiscalInvoices, xeroInvoice, notes, waitFor, sleep, stopXeroWorld,
} from '../lib/xero.mjs';
import { storeExec, storeQuery } from '../lib/server.mjs';

let w;

before(async () => {
  w = await startXeroWorld();
  // every retry of a write comes after Xero's Idempotency-Key window: no replay saves us
  await w.ctl('PUT', '/xero/control/settings', { idempotency_s: 0 });
});

after(() => stopXeroWorld(w));

const calls = async () => (await w.ctl('GET', '/xero/control/stats')).calls;

// Connects a new organisation with the trigger approval; returns { c, uid, tenant }.
async function connected(tag, settings = {}) {
  const c = await account(w, tag);
  const u = await xeroUser(w, 1);
  const uid = await connectXero(w, c, u, { settings: { trigger: 'approval', ...settings } });
  return { c, uid, tenant: u.orgs[0].tenant_id };
}

async function signed(c, uid, sourceRef) {
  return waitFor(async () => (await fiscalInvoices(c, uid)).find((x) => x.source_ref === sourceRef && x.status === 'signed'),
    { what: `the fiscal invoice of ${sourceRef}` });
}

// Waits until the write of route was retried (a second PUT, or the GET a fixed retry makes first),
// then a little longer for anything the retry would still write.
async function retried(before, put, get) {
  await waitFor(async () => {
    const now = await calls();
    return (now[put] ?? 0) - (before[put] ?? 0) >= 2 || (now[get] ?? 0) - (before[get] ?? 0) >= 1;
  }, { what: `a retry of ${put}` });
  await sleep(1000);
}

async function qrGif(invoiceNumber) {
  const v = await w.ctl('GET', `/vsdc/control/invoices/${encodeURIComponent(invoiceNumber)}`);
  assert.ok(v.result.verificationQRCode, 'the V-SDC answered a QR code');
  return Buffer.from(v.result.verificationQRCode, 'base64');
}

// An invoice approved in a new organisation (settings of its integration) while the answer of
// its first write to a path containing lostPath is lost, and retried when it was:
// { c, uid, tenant, inv, f (the fiscal invoice) }.
async function lostOnce(tag, settings, lostPath, put, get, moreFaults = {}) {
  const { c, uid, tenant } = await connected(tag, settings);
  const before = await calls();
  await w.ctl('PUT', '/xero/control/faults', { lost_response: { count: 1, path: lostPath }, ...moreFaults });
  try {
    const inv = await xeroInvoice(w, tenant);
    await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
    const f = await signed(c, uid, inv.InvoiceNumber);
    await retried(before, put, get);
    assert.equal((await w.ctl('GET', '/xero/control/faults')).lost_response.count, 0, 'an answer was lost');
    return { c, uid, tenant, inv, f };
  } finally {
    await w.ctl('PUT', '/xero/control/faults', {});
  }
}

async function attachment(invoiceId, name) {
  const r = await fetch(`${w.sb.url}/xero/control/invoices/${invoiceId}/attachments/${encodeURIComponent(name)}`);
  assert.equal(r.status, 200, `${name} on ${invoiceId}`);
  return Buffer.from(await r.arrayBuffer());
}

test('a history note whose answer was lost after Xero wrote it is written once', async () => {
  const { inv, f } = await lostOnce('xwb-note', {}, '/History', 'PUT /Invoices/{id}/History', 'GET /Invoices/{id}/History');
  const n = await notes(w, inv.InvoiceID);
  assert.equal(n.length, 1, `one note, not ${n.length}`);
  assert.ok(n[0].Details.includes(`fiscal invoice ${f.invoice_number}.`), n[0].Details);
});

test('a history note whose answer was lost, and whose look for it was answered cut short, is still written once', async () => {
  const { inv, f } = await lostOnce('xwb-cut', {}, '/History', 'PUT /Invoices/{id}/History', 'GET /Invoices/{id}/History',
    { cut_response: { count: 1, path: '/History' } });
  assert.equal((await w.ctl('GET', '/xero/control/faults')).cut_response.count, 0, 'the look was cut');
  await sleep(1000);
  const n = await notes(w, inv.InvoiceID);
  assert.equal(n.length, 1, `one note, not ${n.length}: an unread answer is not an absent note`);
  assert.ok(n[0].Details.includes(`fiscal invoice ${f.invoice_number}.`), n[0].Details);
});

test('attach_qr: one fiscal-<number>.gif, the V-SDC\'s QR, although the upload\'s answer was lost; credit notes too', async () => {
  const { c, uid, tenant, inv, f } = await lostOnce('xwb-qr', { attach_qr: true }, '/Attachments/',
    'PUT /Invoices/{id}/Attachments/{name}', 'GET /Invoices/{id}/Attachments');
  const name = `fiscal-${f.invoice_number}.gif`;
  const list = (await w.ctl('GET', `/xero/control/invoices/${inv.InvoiceID}/attachments`)).Attachments;
  assert.deepEqual(list.map((a) => [a.FileName, a.MimeType]), [[name, 'image/gif']]);
  const gif = await attachment(inv.InvoiceID, name);
  assert.equal(gif.subarray(0, 4).toString('latin1'), 'GIF8');
  assert.deepEqual(gif, await qrGif(f.invoice_number), 'the bytes are the V-SDC\'s verificationQRCode');
  const uploads = (await w.ctl('GET', `/xero/control/invoices/${inv.InvoiceID}/history?changes=Attached%20a%20file`)).HistoryRecords;
  assert.equal(uploads.length, 1, `uploaded once, not ${uploads.length} times`);
  assert.equal((await notes(w, inv.InvoiceID)).length, 1, 'the note was not written again either');
  // a credit note's QR goes on the credit note
  const inv2 = await xeroInvoice(w, tenant);
  await w.ctl('POST', `/xero/control/invoices/${inv2.InvoiceID}/approve`);
  const f2 = await signed(c, uid, inv2.InvoiceNumber);
  const cn = await w.ctl('POST', `/xero/control/invoices/${inv2.InvoiceID}/credit-notes`, { Amount: 10 });
  const cnId = (cn.CreditNote || cn).CreditNoteID;
  const refund = await signed(c, uid, (cn.CreditNote || cn).CreditNoteNumber);
  assert.notEqual(refund.id, f2.id);
  const doc = await waitFor(async () => {
    const d = await w.ctl('GET', `/xero/control/credit-notes/${cnId}`);
    return d.Attachments.length && d;
  }, { what: 'the credit note\'s QR' });
  assert.deepEqual(doc.Attachments.map((a) => a.FileName), [`fiscal-${refund.invoice_number}.gif`]);
  const sha = createHash('sha256').update(await qrGif(refund.invoice_number)).digest('hex');
  assert.equal(doc.Attachments[0].sha256, sha, 'the bytes are the refund\'s QR code');
  assert.equal(doc.HistoryRecords.filter((h) => h.Changes === 'Note').length, 1, 'one note on the credit note');
});

test('attach_journal: one fiscal-<number>.txt, the V-SDC\'s journal, next to the QR, although its upload\'s answer was lost', async () => {
  const { inv, f } = await lostOnce('xwb-journal', { attach_qr: true, attach_journal: true }, '.txt',
    'PUT /Invoices/{id}/Attachments/{name}', 'GET /Invoices/{id}/Attachments');
  const gif = `fiscal-${f.invoice_number}.gif`, txt = `fiscal-${f.invoice_number}.txt`;
  const list = await waitFor(async () => {
    const l = (await w.ctl('GET', `/xero/control/invoices/${inv.InvoiceID}/attachments`)).Attachments;
    return l.length === 2 && l;
  }, { what: 'the QR and the journal' });
  assert.deepEqual(list.map((a) => [a.FileName, a.MimeType]).sort(), [[gif, 'image/gif'], [txt, 'text/plain']]);
  const v = await w.ctl('GET', `/vsdc/control/invoices/${encodeURIComponent(f.invoice_number)}`);
  assert.ok(v.result.journal.length > 100, 'the V-SDC answered a journal');
  assert.equal((await attachment(inv.InvoiceID, txt)).toString('utf8'), v.result.journal, 'the text is the V-SDC\'s journal');
  await sleep(1000);
  const uploads = (await w.ctl('GET', `/xero/control/invoices/${inv.InvoiceID}/history?changes=Attached%20a%20file`)).HistoryRecords;
  assert.equal(uploads.length, 2, `two uploads (QR, journal), not ${uploads.length}`);
  assert.equal((await notes(w, inv.InvoiceID)).length, 1, 'one note');
});

test('a write-back waiting for a slow signature is woken by it: the note follows the signature at once', async () => {
  const { c, uid, tenant } = await connected('wb-wake');
  // the V-SDC answers after 8 s; the write-back starts waiting as soon as the invoice is queued
  await w.ctl('PUT', '/vsdc/control/faults', { latency_ms: 8000 });
  try {
    const inv = await xeroInvoice(w, tenant);
    await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
    const f = await waitFor(async () => (await fiscalInvoices(c, uid)).find((x) => x.source_ref === inv.InvoiceNumber && x.status === 'signed'),
      { what: 'the signature', everyMs: 50 });
    await waitFor(async () => (await notes(w, inv.InvoiceID)).length === 1, { what: 'the note', everyMs: 50 });
    const lag = Date.now() - Date.parse(f.signed_at);
    assert.ok(lag < 2000, `the note came ${lag} ms after the signature`);
  } finally {
    await w.ctl('PUT', '/vsdc/control/faults', {});
  }
});

test('a write-back Xero refuses shows as failed on the invoice; a retry from the portal API completes it once', async () => {
  const { c, uid, tenant } = await connected('xwb-fail', { attach_qr: true });
  // no attachment fits: Xero answers 400 to the QR upload, which cannot succeed by repeating
  await w.ctl('PUT', '/xero/control/settings', { max_attachments: 0 });
  try {
    const inv = await xeroInvoice(w, tenant);
    await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
    const f = await signed(c, uid, inv.InvoiceNumber);
    const path = `/api/orgs/${c.org}/fiscal-invoices/${f.id}`;
    const failed = await waitFor(async () => {
      const d = (await c.get(path)).json;
      return d.writeback?.state === 'failed' && d.writeback;
    }, { what: 'the failed write-back' });
    assert.match(failed.error, /maximum number of attachments/);
    assert.match(failed.at, /^\d{4}-\d{2}-\d{2}T/);
    assert.equal((await notes(w, inv.InvoiceID)).length, 1, 'the note was written before the upload failed');
    // bad requests: not failed, another organization's invoice, an invoice without a write-back
    const done = await connected('xwb-fail-ok');
    const other = await xeroInvoice(w, done.tenant);
    await w.ctl('POST', `/xero/control/invoices/${other.InvoiceID}/approve`);
    const g = await signed(done.c, done.uid, other.InvoiceNumber);
    const finished = await waitFor(async () => {
      const d = (await done.c.get(`/api/orgs/${done.c.org}/fiscal-invoices/${g.id}`)).json;
      return d.writeback?.state === 'done' && d.writeback;
    }, { what: 'the other invoice written back' });
    assert.equal(finished.error, null);
    const notFailed = await done.c.post(`/api/orgs/${done.c.org}/fiscal-invoices/${g.id}/writeback/retry`);
    assert.equal(notFailed.status, 409);
    assert.equal(notFailed.json.code, 6006);
    // a week on, the sweep deletes the done job: the invoice still says when it was written back
    const job = storeQuery(w.srv, `SELECT writeback_job FROM fiscal_invoices WHERE id = ${g.id}`)[0].writeback_job;
    storeExec(w.srv, `UPDATE jobs SET updated_at = updated_at - ${8 * 86400000} WHERE id = ${job};
      UPDATE schedules SET next_run_at = 0 WHERE name = 'maintenance.sweep';`);
    await waitFor(() => storeQuery(w.srv, `SELECT id FROM jobs WHERE id = ${job}`).length === 0, { what: 'the sweep' });
    const pruned = (await done.c.get(`/api/orgs/${done.c.org}/fiscal-invoices/${g.id}`)).json.writeback;
    assert.equal(pruned.state, 'done');
    assert.equal(pruned.error, null);
    assert.ok(Math.abs(Date.parse(pruned.at) - Date.parse(finished.at)) < 5000, `${pruned.at} against ${finished.at}`);
    assert.equal((await done.c.post(`/api/orgs/${done.c.org}/fiscal-invoices/${g.id}/writeback/retry`)).status, 409);
    assert.equal((await done.c.post(`/api/orgs/${done.c.org}/fiscal-invoices/${f.id}/writeback/retry`)).status, 404);
    assert.equal((await c.post(`/api/orgs/${c.org}/fiscal-invoices/abc/writeback/retry`)).status, 400);
    // Xero takes attachments again: the retry adds the QR, not a second note
    await w.ctl('PUT', '/xero/control/settings', { max_attachments: 10 });
    const r = await c.post(`${path}/writeback/retry`);
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(r.json.writeback, { state: 'pending' });
    const written = await waitFor(async () => {
      const d = (await c.get(path)).json;
      return d.writeback?.state === 'done' && d.writeback;
    }, { what: 'the retried write-back' });
    assert.equal(written.error, null);
    const list = (await w.ctl('GET', `/xero/control/invoices/${inv.InvoiceID}/attachments`)).Attachments;
    assert.deepEqual(list.map((a) => a.FileName), [`fiscal-${f.invoice_number}.gif`]);
    assert.equal((await notes(w, inv.InvoiceID)).length, 1, 'still one note');
  } finally {
    await w.ctl('PUT', '/xero/control/settings', { max_attachments: 10 });
  }
});

// After a restore (README "Backups") the store may hold a write-back as it stood before it ran,
// though Xero has the note: during the recovery its run reads the history first, as a retry does.
test('after a restore, a write-back done after the backup runs again and finds its note: still one', async () => {
  const { c, uid, tenant } = await connected('xwb-restore');
  const inv = await xeroInvoice(w, tenant);
  await w.ctl('POST', `/xero/control/invoices/${inv.InvoiceID}/approve`);
  const f = await signed(c, uid, inv.InvoiceNumber);
  const path = `/api/orgs/${c.org}/fiscal-invoices/${f.id}`;
  await waitFor(async () => (await c.get(path)).json.writeback?.state === 'done', { what: 'the write-back' });
  assert.equal((await notes(w, inv.InvoiceID)).length, 1);
  assert.match(w.srv.admin(['restored', '--days', '1']), /recovery until/);
  try {
    // the job as the backup held it: not yet run
    const before = await calls();
    storeExec(w.srv, `UPDATE jobs SET state = 'ready', attempts = 0, last_error = NULL, lease_until = NULL, run_at = 0
      WHERE id = (SELECT writeback_job FROM fiscal_invoices WHERE id = ${f.id})`);
    await waitFor(async () => ((await calls())['GET /Invoices/{id}/History'] ?? 0) > (before['GET /Invoices/{id}/History'] ?? 0),
      { what: 'the history read first' });
    await waitFor(async () => (await c.get(path)).json.writeback?.state === 'done', { what: 'the write-back again' });
    assert.equal((await notes(w, inv.InvoiceID)).length, 1, 'still one note');
    assert.equal((await calls())['PUT /Invoices/{id}/History'] - (before['PUT /Invoices/{id}/History'] ?? 0), 0, 'nothing written');
  } finally {
    w.srv.admin(['restored', '--days', '0']);
  }
});
