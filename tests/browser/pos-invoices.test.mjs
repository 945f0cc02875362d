// POS Invoices against a real fiscalization: this file starts its own
// fiscalhub-sandbox (the TaxCore V-SDC emulator) and its own fiscalhub that
// trusts the sandbox's CA (FISCALHUB_TAXCORE_CA_FILE), rather than the server
// of FH_BASE_URL. A certificate issued by the sandbox (`issue-cert`) is
// uploaded through the Upload Certificate dialog; invoices are submitted with
// POST /api/orgs/{org}/fiscal-invoices from the page (session + CSRF), as an
// integration would; the page then shows them: filters, paging, and the
// details dialog with the journal (verbatim, monospace) and the QR image, the
// verification and source links, and Retry for a failed invoice.
// axe-core: no serious or critical violations on the page and the dialog.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { invoice } from '../lib/fiscal.mjs';
import { pdfLines, pdfQrCodes, wordLines } from '../lib/pdf.mjs';
import { startSandbox } from '../lib/sandbox.mjs';
import { startServer, storeQuery } from '../lib/server.mjs';
import {
  apiGet,
  apiSend,
  assertNoCspViolations,
  launch,
  logIn,
  noSerious,
  openPage,
  PASSWORD,
  signUp,
  uniqueEmail,
} from './helpers.mjs';

let sb;
let srv;
let browser;
let owner; // { context, page, org, certUid, signed, failed }

before(async () => {
  sb = await startSandbox();
  srv = await startServer({
    env: {
      FISCALHUB_TAXCORE_CA_FILE: sb.caFile,
      FISCALHUB_JOB_BACKOFF_MS: '20',
      FISCALHUB_JOB_BACKOFF_MAX_MS: '500',
      FISCALHUB_LOGIN_MAX_FAILURES: '1000',
    },
  });
  browser = await launch();
});
after(async () => {
  await owner?.context.close();
  await browser?.close();
  await srv?.stop();
  await sb?.stop();
});

async function submit(page, org, body) {
  const r = await apiSend(page, 'POST', `/api/orgs/${org}/fiscal-invoices`, body);
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return r.body.id;
}

/** Polls the details until the invoice is no longer pending; returns them. */
async function settled(page, org, id, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await apiGet(page, `/api/orgs/${org}/fiscal-invoices/${id}`);
    if (r.status === 200 && r.body.status !== 'pending') return r.body;
    if (Date.now() > deadline) throw new Error(`invoice ${id} still pending: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function openPosInvoices(page) {
  await page.getByRole('link', { name: 'POS Invoices' }).click();
  await page.getByRole('heading', { level: 1, name: 'POS Invoices' }).waitFor();
  await page.getByRole('status').filter({ hasText: 'Loading' }).waitFor({ state: 'detached' });
}

const rows = (page) => page.getByRole('table', { name: 'Fiscal invoices' }).locator('tbody tr');

test('a sandbox certificate is uploaded and a fiscalized invoice shows its journal and QR', async () => {
  const { context, page } = await openPage(browser, { baseURL: srv.url });
  owner = { context, page };
  await signUp(page, { email: uniqueEmail('pos'), company: 'POS d.o.o.' });
  const org = (await apiGet(page, '/api/me')).body.orgs[0].code;
  owner.org = org;

  // The certificate the sandbox issued, uploaded through the dialog.
  const cert = await sb.issueCert({ name: 'Prodavnica Test d.o.o.' });
  await page.getByRole('link', { name: 'Certificates' }).click();
  await page.getByRole('heading', { name: 'No certificates yet' }).waitFor();
  await page.getByRole('button', { name: 'Upload Certificate' }).click();
  const upload = page.getByRole('dialog', { name: 'Upload Certificate' });
  await upload.getByLabel('Certificate file (PFX)').setInputFiles(cert.pfxPath);
  await upload.getByLabel('Password').fill(cert.password.trim());
  await upload.getByLabel('PAC').fill(cert.pac.trim());
  await upload.getByRole('button', { name: 'Upload', exact: true }).click();
  await upload.waitFor({ state: 'detached' });
  const certRow = page.locator(`tr[data-uid="${cert.uid}"]`);
  await certRow.getByText('Active', { exact: true }).waitFor();
  owner.certUid = cert.uid;

  // One invoice the V-SDC signs, one it refuses (a tax label it does not define).
  const signedId = await submit(page, org, {
    certificate_uid: cert.uid,
    source_id: `ok-${Date.now()}`,
    source_ref: 'INV-0042',
    source_url: 'https://erp.example.com/invoices/42',
    invoice: invoice({ pos_invoice_number: 'POS-42' }),
  });
  const failedId = await submit(page, org, {
    certificate_uid: cert.uid,
    source_id: `bad-${Date.now()}`,
    source_ref: 'INV-0043',
    invoice: invoice({ items: [{ name: 'Gadget', quantity: '1', unit_price: '5', labels: ['Q'], total: '5' }] }),
  });
  const signed = await settled(page, org, signedId);
  const failed = await settled(page, org, failedId);
  assert.equal(signed.status, 'signed', signed.last_error);
  assert.equal(failed.status, 'failed');
  owner.signed = signed;
  owner.failed = failed;

  await openPosInvoices(page);
  await rows(page).first().waitFor();
  assert.equal(await rows(page).count(), 2);
  const signedRow = page.locator(`tr[data-id="${signedId}"]`);
  assert.match(await signedRow.innerText(), new RegExp(signed.invoice_number));
  assert.match(await signedRow.innerText(), /INV-0042/);
  assert.match(await signedRow.innerText(), /100\.87/);
  await signedRow.getByText('Signed', { exact: true }).waitFor();
  await page.locator(`tr[data-id="${failedId}"]`).getByText('Failed', { exact: true }).waitFor();
  await noSerious(page, 'POS Invoices');

  // Details of the signed invoice.
  const details = page.getByRole('button', { name: `Details of invoice ${signed.invoice_number}` });
  await details.click();
  const dialog = page.getByRole('dialog', { name: `Invoice ${signed.invoice_number}` });
  await dialog.waitFor();
  const journal = dialog.getByTestId('journal');
  await journal.waitFor();
  assert.match(signed.journal, /\r\n/, 'the V-SDC journal has CRLF line breaks');
  const shown = await journal.textContent();
  assert.equal(shown, signed.journal.replace(/\r\n/g, '\n'), 'the journal is shown verbatim');
  assert.match(shown, /FISCAL INVOICE/);
  const style = await journal.evaluate((el) => {
    const s = getComputedStyle(el);
    return { whiteSpace: s.whiteSpace, font: s.fontFamily };
  });
  assert.ok(shown.split('\n').every((line) => line.length <= 40), 'a 40-column journal');
  assert.equal(style.whiteSpace, 'pre');
  assert.match(style.font, /mono/i);

  const qr = dialog.getByTestId('qr');
  await qr.waitFor();
  await page.waitForFunction((el) => el.complete, await qr.elementHandle());
  assert.ok((await qr.evaluate((el) => el.naturalWidth)) > 0, 'the QR image loaded');
  assert.match((await qr.getAttribute('src')) ?? '', /^data:image\/gif;base64,R0lGOD/);
  assert.equal(await dialog.getByTestId('verification-url').getAttribute('href'), signed.verification_url);
  // the receipt as a PDF, to print: with the session's cookie, the journal and the QR code
  const pdfLink = dialog.getByTestId('receipt-pdf');
  assert.equal(await pdfLink.getAttribute('href'), `/api/orgs/${org}/fiscal-invoices/${signedId}/receipt`);
  const pdf = await page.request.get(await pdfLink.getAttribute('href'));
  assert.equal(pdf.status(), 200);
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  const pdfBytes = await pdf.body();
  assert.deepEqual(pdfLines(pdfBytes), wordLines(signed.journal), 'the PDF reads as the journal');
  assert.deepEqual(pdfQrCodes(pdfBytes), [signed.verification_url]);
  const source = dialog.getByTestId('source-link');
  assert.equal(await source.getAttribute('href'), 'https://erp.example.com/invoices/42');
  assert.equal((await source.innerText()).trim(), 'View source invoice', 'no integration: a neutral label');
  assert.equal((await dialog.getByTestId('invoice-number').innerText()).trim(), signed.invoice_number);
  assert.equal((await dialog.getByTestId('invoice-total').innerText()).trim(), '100.87');
  const taxRow = dialog.getByRole('table').first().locator('tbody tr').first();
  assert.match(await taxRow.innerText(), /A/);
  assert.match(await taxRow.innerText(), /8\.3287/);
  await dialog.getByText('Normal · Sale').waitFor();
  await noSerious(page, 'details dialog (signed)');

  await dialog.getByRole('button', { name: 'Close', exact: true }).last().click();
  await dialog.waitFor({ state: 'detached' });
  assert.equal(
    await page.evaluate(() => document.activeElement?.getAttribute('aria-label')),
    `Details of invoice ${signed.invoice_number}`,
    'focus returns to the Details button',
  );

  // Details of the failed invoice: its last error, what waits for it, and Retry. A Xero credit
  // note waiting for this invoice is recorded as the connector records it (tests/e2e/xero.test.mjs
  // covers the connector's side).
  storeQuery(srv, `INSERT INTO fiscal_waits (org_id, waiting_key, original_key, ref, since)
    SELECT org_id, 'xero:t:CN:1', source_key, 'CN-0042', ${Date.now()} FROM fiscal_invoices WHERE id = ${failedId}`);
  await page.getByRole('button', { name: 'Details of invoice INV-0043' }).click();
  const failedDialog = page.getByRole('dialog', { name: 'Invoice INV-0043' });
  await failedDialog.getByTestId('last-error').waitFor();
  assert.equal(await failedDialog.getByTestId('receipt-pdf').count(), 0, 'no receipt before it is signed');
  assert.match(await failedDialog.getByTestId('last-error').innerText(), /tax label that is not defined/);
  assert.match(await failedDialog.getByTestId('refunds-waiting').innerText(),
    /A credit note waits for this invoice: CN-0042\. .*retrying it lets them through too/);
  await noSerious(page, 'details dialog (failed)');
  const retry = failedDialog.getByRole('button', { name: 'Retry' });
  assert.ok(await retry.isEnabled(), 'an owner may retry');
  await retry.click();
  // The label is still unknown to the V-SDC: the invoice goes pending (the dialog
  // follows it), then fails again after a second attempt.
  const deadline = Date.now() + 30000;
  let again;
  for (;;) {
    again = (await apiGet(page, `/api/orgs/${org}/fiscal-invoices/${failedId}`)).body;
    if (again.attempts === 2 && again.status !== 'pending') break;
    assert.ok(Date.now() < deadline, `the retry did not settle: ${JSON.stringify(again)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(again.status, 'failed');
  await failedDialog.getByTestId('last-error').waitFor();
  assert.equal(await failedDialog.getByTestId('receipt-pdf').count(), 0, 'no receipt before it is signed');
  await failedDialog.getByText('Failed', { exact: true }).waitFor();
  assert.equal(await failedDialog.getByRole('alert').count(), 0, 'the retry itself was accepted');
  await page.keyboard.press('Escape');
  await failedDialog.waitFor({ state: 'detached' });
  assertNoCspViolations(page);
});

test('filters, paging, and a viewer cannot retry', async () => {
  assert.ok(owner?.signed, 'the first test fiscalized invoices');
  const { page, org } = owner;

  // Status filter, kept in the address across a reload.
  await page.getByLabel('Status').selectOption('failed');
  await page.waitForURL('**/pos/invoices?status=failed');
  await page.locator(`tr[data-id="${owner.signed.id}"]`).waitFor({ state: 'detached' });
  await page.locator(`tr[data-id="${owner.failed.id}"]`).waitFor(); // the list may be reloading
  assert.equal(await rows(page).count(), 1);

  // Export CSV: a file of the invoices the filters select
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  assert.match(download.suggestedFilename(), new RegExp(`^fiscal-invoices-${org}-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
  const csv = readFileSync(await download.path(), 'utf8').split('\r\n');
  assert.equal(csv[0].split(',')[0], 'id');
  assert.deepEqual(csv.slice(1).map((l) => l.split(',').slice(0, 3).filter((_, i) => i !== 1)), [[String(owner.failed.id), 'failed'], ['']]);

  // Retry all: every failed invoice that matches is sent again (this one is refused again).
  await page.getByRole('button', { name: 'Retry all 1' }).click();
  await page.getByTestId('retry-all-done').filter({ hasText: '1 invoice is sent to the V-SDC again.' }).waitFor();
  await noSerious(page, 'POS Invoices after Retry all');
  const deadline = Date.now() + 30000;
  let again;
  for (;;) {
    again = (await apiGet(page, `/api/orgs/${org}/fiscal-invoices/${owner.failed.id}`)).body;
    if (again.attempts === 3 && again.status !== 'pending') break;
    assert.ok(Date.now() < deadline, `the retry did not settle: ${JSON.stringify(again)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(again.status, 'failed');
  await page.reload();
  await page.locator(`tr[data-id="${owner.failed.id}"]`).waitFor();
  assert.equal(await page.getByLabel('Status').inputValue(), 'failed');
  assert.equal(await rows(page).count(), 1);
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await page.locator(`tr[data-id="${owner.signed.id}"]`).waitFor();
  assert.equal(await rows(page).count(), 2);

  // Date range (UTC days): today shows both, tomorrow none; an inverted range is refused.
  const today = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86400e3).toISOString().slice(0, 10);
  await page.getByLabel('From').fill(today);
  await page.getByLabel('To').fill(today);
  await page.waitForURL(`**/pos/invoices?from=${today}&to=${today}`);
  await page.getByTestId('pager-summary').filter({ hasText: 'Showing 1–2 of 2' }).waitFor();
  await page.getByLabel('From').fill(tomorrow);
  await page.getByText('The "To" date is before the "From" date.').waitFor();
  assert.equal(await page.getByLabel('To').getAttribute('aria-invalid'), 'true');
  await page.getByLabel('To').fill(tomorrow);
  await page.getByRole('heading', { name: 'No invoices match these filters' }).waitFor();
  await noSerious(page, 'POS Invoices with no match');
  await page.getByRole('button', { name: 'Clear filters' }).first().click();
  await page.getByTestId('pager-summary').filter({ hasText: 'Showing 1–2 of 2' }).waitFor();

  // Paging: 50 a page, newest first.
  const ids = await page.evaluate(
    async ({ org, uid }) => {
      const { csrf_token: csrf } = await (await fetch('/api/me')).json();
      const out = [];
      for (let i = 0; i < 50; i++) {
        const res = await fetch(`/api/orgs/${org}/fiscal-invoices`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
          body: JSON.stringify({
            certificate_uid: uid,
            source_id: `page-${i}-${Date.now()}`,
            source_ref: `BULK-${i}`,
            invoice: {
              invoice_type: 'normal',
              transaction_type: 'sale',
              payments: [{ method: 'card', amount: '10.00' }],
              items: [{ name: 'Item', quantity: '1', unit_price: '10.00', labels: ['A'], total: '10.00' }],
            },
          }),
        });
        out.push((await res.json()).id);
      }
      return out;
    },
    { org, uid: owner.certUid },
  );
  assert.equal(ids.length, 50);
  await page.reload();
  await page.getByTestId('pager-summary').filter({ hasText: 'Showing 1–50 of 52' }).waitFor();
  assert.equal(await rows(page).count(), 50);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.waitForURL('**/pos/invoices?page=2');
  await page.getByTestId('pager-summary').filter({ hasText: 'Showing 51–52 of 52' }).waitFor();
  assert.equal(await rows(page).count(), 2);
  await page.locator(`tr[data-id="${owner.signed.id}"]`).waitFor(); // the oldest two
  assert.ok(await page.getByRole('button', { name: 'Next' }).isDisabled());
  await page.getByRole('button', { name: 'Previous' }).click();
  await page.getByTestId('pager-summary').filter({ hasText: 'Showing 1–50 of 52' }).waitFor();

  // A viewer reads invoices but cannot retry.
  const viewerEmail = uniqueEmail('posviewer');
  const added = await apiSend(page, 'POST', `/api/orgs/${org}/members`, {
    email: viewerEmail,
    role: 'viewer',
    name: 'Vera Viewer',
    password: PASSWORD,
  });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const viewer = await openPage(browser, { baseURL: srv.url });
  try {
    await logIn(viewer.page, viewerEmail);
    await viewer.page.waitForURL('**/integrations');
    await viewer.page.goto('/pos/invoices?status=failed');
    assert.ok(await viewer.page.getByRole('button', { name: 'Retry all 1' }).isDisabled(), 'nor retry all');
    await viewer.page.getByRole('button', { name: 'Details of invoice INV-0043' }).click();
    const d = viewer.page.getByRole('dialog', { name: 'Invoice INV-0043' });
    await d.getByTestId('last-error').waitFor();
    const retry = d.getByRole('button', { name: 'Retry' });
    assert.ok(await retry.isDisabled(), 'a viewer cannot retry');
    await d.getByText('Only members, admins and owners of this organization can retry invoices.').waitFor();
    await noSerious(viewer.page, 'details dialog as a viewer');
    assertNoCspViolations(viewer.page);
  } finally {
    await viewer.context.close();
  }
  assertNoCspViolations(page);
});

test('a Custom Integration\'s invoice with other VAT than its software stated is flagged, without a tax mapping to offer', async () => {
  const { page, org, certUid } = owner;
  const created = await apiSend(page, 'POST', `/api/orgs/${org}/integrations`, { type: 'custom', certificate_uid: certUid });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const uid = created.body.uid;
  const key = await apiSend(page, 'POST', `/api/orgs/${org}/integrations/${uid}/api-keys`, { label: 'till' });
  assert.equal(key.status, 201, JSON.stringify(key.body));
  const auth = 'Basic ' + Buffer.from(`${key.body.client_id}:${key.body.client_secret}`).toString('base64');
  // 120.00 with label A (9 %: 9.9083 of VAT) while the till's own total says 20.00
  const inv = invoice({ payments: [{ method: 'cash', amount: '120.00' }],
    items: [{ name: 'Cable', quantity: '1', unit_price: '120.00', labels: ['A'], total: '120.00' }] });
  const r = await fetch(`${srv.url}/api/v1/invoices`, {
    method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify({ source_id: 'TILL-7', source_ref: 'TILL-7', source_tax_total: '20.00', invoice: inv }),
  });
  const text = await r.text();
  assert.equal(r.status, 202, text);
  const d = await settled(page, org, JSON.parse(text).id);
  assert.deepEqual([d.status, d.tax_mismatch, d.source_tax_total, d.vsdc_tax_total], ['signed', true, '20', '9.9083']);

  await page.getByRole('link', { name: 'Integrations' }).click();
  const warning = page.getByTestId('tax-mismatch');
  await warning.waitFor();
  assert.equal(await warning.locator('.alert-message').innerText(),
    '1 invoice signed with VAT that differs from the tax total your software stated (last: TILL-7, stated 20.00, '
    + 'V-SDC 9.9083). Check the tax labels your software sends.');
  assert.equal(await warning.getByRole('button').count(), 0, 'no tax mapping to open for a Custom Integration');
  await noSerious(page, 'Integrations with a VAT warning');

  // "Show the invoices": POS Invoices filtered to this integration's invoices whose VAT differs
  await warning.getByRole('link', { name: `Show the invoices of ${uid} whose VAT differs` }).click();
  await page.getByRole('heading', { level: 1, name: 'POS Invoices' }).waitFor();
  await page.waitForURL((u) => u.searchParams.get('tax_mismatch') === 'true' && u.searchParams.get('integration') === uid);
  assert.equal(await page.locator('#filter-vat').inputValue(), 'differs');
  const rows = page.getByRole('table', { name: 'Fiscal invoices' }).locator('tbody tr');
  for (const deadline = Date.now() + 10000; (await rows.count()) !== 1 || !(await rows.first().innerText()).includes(d.invoice_number); ) {
    assert.ok(Date.now() < deadline, `rows: ${JSON.stringify(await rows.allInnerTexts())}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  // the same filter chosen by hand on the whole list keeps only that invoice too
  await page.locator('#filter-integration').selectOption('');
  await page.waitForURL((u) => u.searchParams.get('tax_mismatch') === 'true' && !u.searchParams.has('integration'));
  await page.getByTestId('pager-summary').filter({ hasText: 'Showing 1–1 of 1' }).waitFor();
  await page.getByRole('button', { name: `Details of invoice ${d.invoice_number}` }).click();
  const dialog = page.getByRole('dialog', { name: `Invoice ${d.invoice_number}` });
  const note = dialog.getByTestId('tax-mismatch');
  await note.waitFor();
  assert.equal(await note.locator('.alert-message').innerText(),
    'VAT differs from the source: the V-SDC computed 9.9083, the source document states 20.00.');
  await note.getByText('An item probably carries the wrong V-SDC label.', { exact: false }).waitFor();
  await dialog.getByRole('button', { name: 'Close' }).first().click();
  assertNoCspViolations(page);
});
