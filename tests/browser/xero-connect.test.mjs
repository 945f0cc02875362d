// Connecting Xero end to end in the browser, through the Xero emulator's
// consent page. This file starts its own fiscalhub-sandbox (the V-SDC and the
// Xero emulator, tests/lib/sandbox.mjs) and its own fiscalhub pointed at it
// (FISCALHUB_SANDBOX_URL: the Xero settings default to the sandbox's demo
// app; FISCALHUB_TAXCORE_CA_FILE: the sandbox's V-SDC CA), rather than the
// server of FH_BASE_URL. The demo app's redirect URI is set to this
// fiscalhub's /oauth/xero/callback through the sandbox's control API, and a
// Xero user with two organisations of its own is created there.
//
// 1. Create Integration → Connect Xero: no certificate yet, so one issued by
//    the sandbox (`issue-cert`) is uploaded in the flow; the trigger and the
//    earlier invoices to read (the last 7 days) are chosen; Connect goes to
//    Xero's consent page (log in, pick the organisation, Allow access) and
//    back to Integrations, where the row is Active (UID, Xero icon, created
//    date, status); an invoice approved in Xero before the consent is signed
//    on POS Invoices. Its line's 20 % tax is not mapped, so the V-SDC taxed it
//    at label A's 9 %: the list marks it "VAT differs", its details give both
//    amounts, and the row warns, until the tax mapping is saved through the
//    warning's Check tax mapping. Test Connection reports the organisation;
//    Change settings (trigger, attachments) persists; Remove asks first, the row disappears and the
//    connection is gone at Xero.
// 2. Cancel on the consent page: the error notice offers Resume, the setup is
//    under Pending; Resume, then allowing two organisations leads to the
//    tenant choice page; Continue makes the integration Active.
// 3. A connection removed at Xero's side: Test Connection says so, the row
//    turns Inactive with the reason and a primary Reconnect, which restores
//    it on the same UID.
// 4. Roles: a member may only test the connection; a viewer may do nothing.
// axe-core: no serious or critical violations on the Create Integration page,
// the certificate and Connect Xero dialogs, the tenant choice page, and the
// Integrations page with rows, pending setups and notices.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSandbox } from '../lib/sandbox.mjs';
import { startServer, storeQuery } from '../lib/server.mjs';
import {
  apiGet,
  apiSend,
  assertNoCspViolations,
  launch,
  logIn,
  integrationOf,
  noSerious,
  openPage,
  PASSWORD,
  pointXeroDemoApp,
  signUp,
  uniqueEmail,
  uploadIssuedCert,
} from './helpers.mjs';

const XERO_PASSWORD = 'xero-sandbox-pw';
const ORG_A = 'Kafana Dva d.o.o.';
const ORG_B = 'Pekara Tri d.o.o.';

let sb;
let srv;
let browser;
let xeroUser; // { email, orgs: [{ tenant_id, name }] }
let owner; // { context, page, org, certUid, uid }

const control = (method, path, body) => sb.controlOk(method, path, body);

before(async () => {
  sb = await startSandbox();
  srv = await startServer({
    env: {
      FISCALHUB_SANDBOX_URL: sb.url,
      FISCALHUB_TAXCORE_CA_FILE: sb.caFile,
      FISCALHUB_JOB_BACKOFF_MS: '20',
      FISCALHUB_JOB_BACKOFF_MAX_MS: '500',
      FISCALHUB_LOGIN_MAX_FAILURES: '1000',
      // no webhooks from the demo app here: invoices made in Xero during a test come by polling
      FISCALHUB_XERO_POLL_SECONDS: '2',
    },
  });
  // The sandbox's demo app (fiscalhub's default Xero client) sends consents
  // back to this fiscalhub.
  await pointXeroDemoApp(control, srv.url);
  // A Xero user with two organisations.
  const orgs = [];
  // ORG_A has a 19 % rate, the same as the sandbox V-SDC's label Ж, for the tax mapping.
  const rates = [
    { Name: 'Tax on Sales 20%', TaxType: 'TAX001', Rate: 20 },
    { Name: 'Sales 19%', TaxType: 'OUTPUT19', Rate: 19 },
    { Name: 'Tax Exempt', TaxType: 'NONE', Rate: 0 },
  ];
  orgs.push(await control('POST', '/xero/control/orgs', { name: ORG_A, tax_rates: rates }));
  orgs.push(await control('POST', '/xero/control/orgs', { name: ORG_B }));
  const email = `xero-${Date.now()}@example.com`;
  await control('POST', '/xero/control/users', { email, password: XERO_PASSWORD, orgs: orgs.map((o) => o.tenant_id) });
  xeroUser = { email, orgs };
  browser = await launch();
});

after(async () => {
  await owner?.context.close();
  await browser?.close();
  await srv?.stop();
  await sb?.stop();
});

const row = (page, uid) => page.locator(`tbody[data-uid="${uid}"]`);

/** On the sandbox's consent pages: log in (when asked), tick organisations, then Allow access or Cancel. */
async function consent(page, { orgs, action = 'Allow access' }) {
  await page.waitForURL((u) => u.href.startsWith(sb.url));
  const email = page.getByLabel('Email address');
  if (await email.isVisible().catch(() => false)) {
    await email.fill(xeroUser.email);
    await page.getByLabel('Password').fill(XERO_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
  }
  await page.getByRole('button', { name: 'Allow access' }).waitFor();
  for (const name of orgs) await page.getByLabel(name).check();
  await page.getByRole('button', { name: action, exact: true }).click();
}

async function openIntegrations(page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Integrations', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
  await page.getByRole('status').filter({ hasText: 'Loading' }).waitFor({ state: 'detached' });
}

test('Xero connects through the sandbox consent page; Test Connection, Change settings and Remove', async () => {
  const { context, page } = await openPage(browser, { baseURL: srv.url });
  owner = { context, page };
  await signUp(page, { email: uniqueEmail('xero'), company: 'Kafana Dva d.o.o.' });
  const org = (await apiGet(page, '/api/me')).body.orgs[0].code;
  owner.org = org;

  // Create Integration: Xero is live (Zoho Books: zoho-connect.test.mjs; Custom / Webhook and
  // Custom Integration: api-keys.test.mjs).
  await page.getByRole('button', { name: 'Create Integration' }).click();
  await page.waitForURL('**/integrations/new');
  await page.getByRole('heading', { level: 1, name: 'Create Integration' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Coming soon' }).count(), 0);
  assert.match(await page.locator('main').innerText(), /connect to Kafana Dva d\.o\.o\.\n/, 'one full stop after the company name');
  const connectXero = page.getByRole('button', { name: 'Connect Xero' });
  assert.ok(await connectXero.isEnabled());
  await noSerious(page, 'Create Integration');
  await page.screenshot({ path: '/tmp/fh-xero-new.png', fullPage: true });

  // Step 1: no certificate yet; upload one the sandbox issued.
  await connectXero.click();
  const choose = page.getByRole('dialog', { name: 'Choose a certificate' });
  await choose.getByText('has no active certificate yet').waitFor();
  assert.ok(await choose.getByRole('button', { name: 'Next' }).isDisabled());
  await noSerious(page, 'Choose a certificate (none yet)');
  await choose.getByRole('button', { name: 'Upload a new certificate' }).click();
  const cert = await sb.issueCert({ name: 'Kafana Dva d.o.o.', location: 'Beograd' });
  owner.certUid = cert.uid;
  const upload = page.getByRole('dialog', { name: 'Upload Certificate' });
  await upload.getByLabel('Certificate file (PFX)').setInputFiles(cert.pfxPath);
  await upload.getByLabel('Password').fill(cert.password.trim());
  await upload.getByLabel('PAC').fill(cert.pac.trim());
  await upload.getByRole('button', { name: 'Upload', exact: true }).click();

  // Step 2: the Connect Xero dialog with the trigger (payment by default).
  const dialog = page.getByRole('dialog', { name: 'Connect Xero' });
  await dialog.waitFor();
  await dialog.getByText(cert.uid).waitFor();
  const payment = dialog.getByRole('radio', { name: 'When a payment is added' });
  const approval = dialog.getByRole('radio', { name: 'When the invoice is approved' });
  assert.ok(await payment.isChecked(), 'the default trigger is "when a payment is added"');
  assert.match(
    (await payment.getAttribute('aria-describedby')) ?? '',
    /connect-xero-payment-description/,
    'each trigger is explained',
  );
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'connect-xero-payment', 'focus on the trigger');
  await approval.check();
  // Earlier invoices: none by default; the last 7 days chosen, so an invoice approved in Xero
  // before the consent is read by the first sync and fiscalized.
  const backfill = dialog.getByLabel('Earlier invoices');
  assert.equal(await backfill.inputValue(), '0', 'by default the first sync reads no earlier invoices');
  assert.match(
    await dialog.locator(`#${await backfill.getAttribute('aria-describedby')}`).innerText(),
    /no other system has fiscalized them/,
    'the choice warns about invoices fiscalized elsewhere',
  );
  await backfill.selectOption({ label: 'Changed in the last 7 days' });
  const earlier = await control('POST', `/xero/control/orgs/${xeroUser.orgs[0].tenant_id}/invoices`, {
    Type: 'ACCREC',
    Contact: { Name: 'Kafeterija d.o.o.' },
    Status: 'AUTHORISED',
    LineItems: [{ Description: 'Espresso machine service', Quantity: 1, UnitAmount: 1200, AccountCode: '200', TaxType: 'TAX001' }],
  });
  await noSerious(page, 'Connect Xero dialog');
  await page.screenshot({ path: '/tmp/fh-xero-connect-dialog.png' });
  await dialog.getByRole('button', { name: 'Connect', exact: true }).click();

  // Xero's consent: log in, pick one organisation, Allow access.
  await page.waitForURL((u) => u.href.startsWith(sb.url));
  await page.screenshot({ path: '/tmp/fh-xero-consent-login.png' });
  await consent(page, { orgs: [ORG_A] });

  // Back on Integrations: the notice, the address cleaned, the row Active.
  await page.waitForURL((u) => u.href.startsWith(srv.url) && u.pathname === '/integrations');
  const note = page.getByRole('status').filter({ hasText: 'Xero is connected' });
  await note.waitFor();
  assert.equal(new URL(page.url()).search, '', 'the consent result is removed from the address');
  const list = (await apiGet(page, `/api/orgs/${org}/integrations`)).body;
  assert.equal(list.integrations.length, 1, JSON.stringify(list));
  assert.equal(list.pending.length, 0);
  const it = list.integrations[0];
  owner.uid = it.uid;
  assert.equal(it.status, 'active');
  assert.equal(it.type, 'xero');
  assert.equal(it.certificate_uid, cert.uid);
  assert.equal(it.settings.trigger, 'approval');
  assert.equal(it.settings.backfill_days, 7);
  assert.equal(it.tenant_name, ORG_A);
  assert.match(await note.innerText(), new RegExp(it.uid));

  const r = row(page, it.uid);
  await r.waitFor();
  await r.getByText('Active', { exact: true }).waitFor();
  assert.equal(await r.locator('code.uid').innerText(), it.uid);
  assert.equal(await r.locator('svg.type-icon--xero').count(), 1, 'the Xero icon');
  await r.getByText('Xero', { exact: true }).waitFor();
  const created = r.locator(`time[datetime="${it.created_at}"]`);
  assert.match(await created.innerText(), /\d{1,2} \w{3} \d{4}/, 'the created date');
  await r.getByTestId('tenant').filter({ hasText: ORG_A }).waitFor();
  await r.getByTestId('trigger').filter({ hasText: 'When the invoice is approved' }).waitFor();
  await noSerious(page, 'Integrations with an active Xero row');
  await page.screenshot({ path: '/tmp/fh-xero-integrations.png', fullPage: true });

  // The invoice approved before the consent is on POS Invoices, signed.
  await page.getByRole('link', { name: 'POS Invoices' }).click();
  await page.getByRole('heading', { level: 1, name: 'POS Invoices' }).waitFor();
  const earlierRow = page
    .getByRole('table', { name: 'Fiscal invoices' })
    .locator('tbody tr')
    .filter({ hasText: earlier.InvoiceNumber });
  for (const deadline = Date.now() + 20000; ; ) {
    if ((await earlierRow.count()) === 1 && /Signed/.test(await earlierRow.innerText())) break;
    assert.ok(Date.now() < deadline, `${earlier.InvoiceNumber} is not signed on POS Invoices`);
    await new Promise((res) => setTimeout(res, 500));
    await page.reload();
  }
  // Its details say the result was written back to Xero (the note is there).
  const details = page.getByRole('dialog', { name: /^Invoice / });
  const writeback = details.getByTestId('writeback');
  for (const deadline = Date.now() + 20000; ; ) {
    await earlierRow.getByRole('button', { name: 'Details' }).click();
    await writeback.waitFor();
    if (/Yes, to Xero/.test(await writeback.innerText())) break;
    assert.ok(Date.now() < deadline, `written back: ${await writeback.innerText()}`);
    await details.getByRole('button', { name: 'Close' }).last().click();
    await new Promise((res) => setTimeout(res, 500));
  }
  await details.getByRole('button', { name: 'Close' }).last().click();
  const history = async () =>
    (await control('GET', `/xero/control/invoices/${earlier.InvoiceID}/history?changes=Note`)).HistoryRecords.length;
  assert.equal(await history(), 1);
  // A write-back that gave up (its job dead, as after a refusal) shows why and offers Retry
  // write-back; the retry finds the note already there and writes no second one.
  storeQuery(srv, `UPDATE jobs SET state = 'dead', last_error = 'Xero refused the history note (HTTP 400): The document is locked.' WHERE id = (SELECT writeback_job FROM fiscal_invoices WHERE source_ref = '${earlier.InvoiceNumber}')`);
  await earlierRow.getByRole('button', { name: 'Details' }).click();
  await writeback.getByText('Failed: Xero refused the history note (HTTP 400): The document is locked.').waitFor();
  await noSerious(page, 'Invoice details with a failed write-back');
  await writeback.getByRole('button', { name: 'Retry write-back' }).click();
  await writeback.getByText(/Yes, to Xero/).waitFor({ timeout: 20000 });
  await details.getByRole('button', { name: 'Close' }).last().click();
  assert.equal(await history(), 1, 'the retry wrote no second note');

  // Its line carries Xero's TAX001 (20 %), which the tax mapping does not map yet ("Not set: every
  // line takes label A"), so the V-SDC took label A's 9 % of the 1,440.00 the customer pays:
  // 118.8991 where Xero states 240.00. The list marks the invoice, its details say by how much.
  const fiscal = (await apiGet(page, `/api/orgs/${org}/fiscal-invoices?integration=${it.uid}`)).body.invoices;
  const earlierFiscal = fiscal.find((i) => i.source_ref === earlier.InvoiceNumber);
  assert.equal(earlierFiscal?.tax_mismatch, true, JSON.stringify(fiscal));
  const earlierDetails = (await apiGet(page, `/api/orgs/${org}/fiscal-invoices/${earlierFiscal.id}`)).body;
  assert.equal(earlierDetails.tax_mismatch, true);
  assert.equal(earlierDetails.source_tax_total, '240'); // the API drops trailing zeros; the portal shows 240.00
  assert.equal(earlierDetails.vsdc_tax_total, '118.8991');
  await page.reload();
  const vatBadge = earlierRow.getByTestId('tax-mismatch-badge');
  await vatBadge.waitFor();
  assert.equal(await vatBadge.textContent(), 'VAT differs from the source document');
  assert.equal(await page.getByTestId('tax-mismatch-badge').count(), 1, 'only that invoice is marked');
  await noSerious(page, 'POS Invoices with VAT that differs from the source');
  await page.screenshot({ path: '/tmp/fh-xero-vat-badge.png' });
  await earlierRow.getByRole('button', { name: 'Details' }).click();
  const vatNote = details.getByTestId('tax-mismatch');
  await vatNote.waitFor();
  assert.equal(await vatNote.getAttribute('role'), 'note');
  assert.equal(
    await vatNote.locator('.alert-message').innerText(),
    'VAT differs from the source: the V-SDC computed 118.8991, the Xero invoice states 240.00.',
  );
  assert.match(await vatNote.innerText(), /tax mapping probably gives one of its taxes the wrong V-SDC label/);
  assert.match(await vatNote.innerText(), /A signed invoice stays as it is: to correct it, refund it and fiscalize it again\./);
  await noSerious(page, 'Invoice details with VAT that differs from the source');
  await page.screenshot({ path: '/tmp/fh-xero-vat-differs.png' });
  await details.getByRole('button', { name: 'Close' }).last().click();
  await openIntegrations(page);

  // The row warns too: how many, the last one and both amounts, and what to do.
  const mismatch = row(page, it.uid).getByTestId('tax-mismatch');
  const mismatchText = `1 invoice signed with VAT that differs from Xero’s (last: ${earlier.InvoiceNumber}, Xero 240.00, V-SDC 118.8991). Check the tax mapping.`;
  await mismatch.waitFor();
  assert.equal(await mismatch.locator('.alert-message').innerText(), mismatchText);
  await row(page, it.uid).getByText('VAT differs', { exact: true }).waitFor();
  const counted = (await integrationOf(page, org, it.uid)).tax_mismatches;
  assert.deepEqual(
    { ...counted, last: { ...counted.last, signed_at: typeof counted.last.signed_at } },
    {
      count: 1,
      last: { id: earlierFiscal.id, source_ref: earlier.InvoiceNumber, source_tax_total: '240', vsdc_tax_total: '118.8991', signed_at: 'string' },
    },
  );
  await noSerious(page, 'Integrations with VAT that differs from Xero');
  await page.screenshot({ path: '/tmp/fh-xero-vat-warning.png', fullPage: true });

  // Test Connection: one read-only call to Xero, the answer under the buttons.
  await r.getByRole('button', { name: 'Test Connection' }).click();
  const status = r.getByRole('status').filter({ hasText: 'Connected to the Xero organisation' });
  await status.waitFor();
  assert.match(await status.innerText(), new RegExp(ORG_A));
  assert.equal(await r.getByRole('alert').count(), 0);

  // Change settings: the trigger's radio group and the write-back's attachments, saved, shown,
  // kept after a reload.
  assert.equal(await r.getByTestId('write-back').innerText(), 'Write-back\nHistory note');
  await r.getByRole('button', { name: 'Change settings' }).click();
  const change = page.getByRole('dialog', { name: `Change settings of ${it.uid}` });
  await change.waitFor();
  assert.ok(await change.getByRole('radio', { name: 'When the invoice is approved' }).isChecked());
  // a name that ends with a full stop ("d.o.o.") does not get a second one
  assert.match(await change.innerText(), new RegExp(`Xero organisation ${ORG_A.replaceAll('.', '\\.')} The new trigger`));
  const qrBox = change.getByRole('checkbox', { name: 'The QR code' });
  const journalBox = change.getByRole('checkbox', { name: 'The fiscal receipt (journal)' });
  assert.equal(await qrBox.isChecked(), false);
  assert.equal(await journalBox.isChecked(), false);
  await change.getByRole('radio', { name: 'When a payment is added' }).check();
  await journalBox.check();
  await noSerious(page, 'Change settings dialog');
  await change.getByRole('button', { name: 'Save' }).click();
  await change.waitFor({ state: 'detached' });
  await page.getByRole('status').filter({ hasText: 'now fiscalizes when a payment is added' }).waitFor();
  await r.getByTestId('trigger').filter({ hasText: 'When a payment is added' }).waitFor();
  await r.getByTestId('write-back').filter({ hasText: 'History note, fiscal receipt attached' }).waitFor();
  const saved = (await integrationOf(page, org, it.uid)).settings;
  assert.equal(saved.trigger, 'payment');
  assert.equal(saved.attach_journal, true);
  assert.equal(saved.attach_qr, undefined, 'only what changed is sent');
  await page.reload();
  await row(page, it.uid).getByTestId('trigger').filter({ hasText: 'When a payment is added' }).waitFor();
  // the boxes open as saved; the QR too, with the trigger unchanged: the note says "saved"
  await row(page, it.uid).getByRole('button', { name: 'Change settings' }).click();
  const again = page.getByRole('dialog', { name: `Change settings of ${it.uid}` });
  assert.ok(await again.getByRole('checkbox', { name: 'The fiscal receipt (journal)' }).isChecked());
  await again.getByRole('checkbox', { name: 'The QR code' }).check();
  await again.getByRole('button', { name: 'Save' }).click();
  await again.waitFor({ state: 'detached' });
  await page.getByRole('status').filter({ hasText: `The settings of integration ${it.uid} were saved.` }).waitFor();
  await row(page, it.uid).getByTestId('write-back').filter({ hasText: 'History note, QR code and fiscal receipt attached' }).waitFor();
  assert.equal((await integrationOf(page, org, it.uid)).settings.attach_qr, true);

  // Tax mapping, opened from the VAT warning (a new trigger changed no tax mapping, so it is still
  // there): Xero's rates against the certificate's V-SDC labels; the 19 % rate is offered the
  // V-SDC's 19 % label; saved, the mapping is in the settings.
  const taxFact = row(page, it.uid).getByTestId('tax-mapping');
  assert.equal(await taxFact.innerText(), 'Tax mapping\nNot set: every line takes label A');
  assert.equal(await mismatch.locator('.alert-message').innerText(), mismatchText);
  await mismatch.getByRole('button', { name: 'Check tax mapping' }).click();
  const taxes = page.getByRole('dialog', { name: `Tax mapping of ${it.uid}` });
  const table = taxes.getByRole('table', { name: 'Xero taxes' });
  await table.waitFor();
  assert.deepEqual(await table.locator('tbody th').allInnerTexts(), ['Tax on Sales 20%', 'Sales 19%', 'Tax Exempt']);
  const same = taxes.getByLabel('Sales 19%');
  assert.equal(await same.inputValue(), 'Ж', 'the one label of the same rate is offered');
  await taxes.getByText('Same rate; not saved yet').waitFor();
  const twenty = taxes.getByLabel('Tax on Sales 20%');
  assert.equal(await twenty.inputValue(), '', 'no V-SDC label has 20 %: the default label');
  const offered = await twenty.locator('option').allInnerTexts();
  assert.ok(offered.includes('Default label (A)'), offered.join(' | '));
  assert.ok(offered.includes('A · VAT 9 %'), offered.join(' | '));
  assert.ok(offered.includes('P · PBL 0.5 per unit'), offered.join(' | '));
  assert.equal(await taxes.getByLabel('Tax Exempt').inputValue(), '', 'several labels of 0 %: none is offered');
  // a tax left at a label of another rate says so, on its row (and is described by it)
  const rowHint = (name) => table.locator('tbody tr').filter({ has: page.getByRole('rowheader', { name }) }).locator('.field-hint--warning');
  assert.equal(await rowHint('Tax on Sales 20%').innerText(), 'Label A is 9 %, not 20 %: the receipt’s VAT would differ');
  assert.equal(await rowHint('Tax Exempt').innerText(), 'Label A is 9 %, not 0 %: the receipt’s VAT would differ');
  assert.equal(await rowHint('Sales 19%').count(), 0, 'the same rate: no warning');
  assert.match(await twenty.getAttribute('aria-describedby'), /-rate$/);
  await taxes.getByLabel('Tax Exempt').selectOption('B');
  assert.equal(await rowHint('Tax Exempt').count(), 0, 'B is 0 %: the warning is gone');
  await taxes.getByLabel('Default label').selectOption('A');
  await noSerious(page, 'Tax mapping dialog');
  await page.screenshot({ path: '/tmp/fh-xero-tax-mapping.png' });
  await taxes.getByRole('button', { name: 'Save' }).click();
  await taxes.waitFor({ state: 'detached' });
  await page.getByRole('status').filter({ hasText: `The tax mapping of integration ${it.uid} was saved` }).waitFor();
  const mapped = (await integrationOf(page, org, it.uid)).settings;
  assert.deepEqual(mapped.tax_mapping, { OUTPUT19: 'Ж', NONE: 'B' });
  assert.equal(mapped.default_label, 'A');
  await taxFact.getByText('2 taxes mapped, others A').waitFor();
  // A new tax mapping: no invoice signed under it differs yet, so the warning is gone.
  await mismatch.waitFor({ state: 'detached' });
  assert.equal((await integrationOf(page, org, it.uid)).tax_mismatches, null);
  await page.reload();
  await taxFact.getByText('2 taxes mapped, others A').waitFor();
  assert.equal(await mismatch.count(), 0, 'no VAT warning after a reload');
  assert.equal(await row(page, it.uid).getByText('VAT differs').count(), 0, 'no VAT badge after a reload');
  // opened again: the saved choices, no suggestion left
  await row(page, it.uid).getByRole('button', { name: 'Tax mapping' }).click();
  await table.waitFor();
  assert.equal(await taxes.getByLabel('Sales 19%').inputValue(), 'Ж');
  assert.equal(await taxes.getByLabel('Tax Exempt').inputValue(), 'B');
  assert.equal(await taxes.getByText('Same rate; not saved yet').count(), 0);
  await taxes.getByRole('button', { name: 'Cancel' }).click();
  await taxes.waitFor({ state: 'detached' });

  // The certificate on the row; Change certificate to a renewal that expires in 10 days: the row
  // then says so, with what to do.
  const certFact = row(page, it.uid).getByTestId('certificate');
  assert.match(await certFact.innerText(), new RegExp(`${cert.uid} · expires \\d{1,2} \\w{3} \\d{4}`));
  const renewal = await sb.issueCert({ name: 'Kafana Dva d.o.o.', location: 'Beograd', days: 10 });
  assert.equal(await uploadIssuedCert(page, org, renewal), renewal.uid);
  await row(page, it.uid).getByRole('button', { name: 'Change certificate' }).click();
  const recert = page.getByRole('dialog', { name: `Change certificate of ${it.uid}` });
  await recert.getByRole('radio', { name: /\(current\)/ }).waitFor();
  assert.ok(await recert.getByRole('radio', { name: /\(current\)/ }).isChecked());
  assert.ok(await recert.getByRole('button', { name: 'Save' }).isDisabled(), 'nothing to save yet');
  await recert.locator(`#change-cert-${renewal.uid}`).check();
  await noSerious(page, 'Change certificate dialog');
  await recert.getByRole('button', { name: 'Save' }).click();
  await recert.waitFor({ state: 'detached' });
  await page.getByRole('status').filter({ hasText: `now signs the invoices it receives with certificate ${renewal.uid}` }).waitFor();
  assert.equal((await integrationOf(page, org, it.uid)).certificate_uid, renewal.uid);
  await certFact.getByText(renewal.uid).waitFor();
  assert.match(await certFact.innerText(), /expires on .* \(in (9|10) days\): upload its successor and use Change certificate/);
  assert.match((await certFact.getAttribute('class')) ?? '', /row-fact--problem/);
  // back to the first certificate; the renewal is revoked, so the next test finds one active
  const back = await apiSend(page, 'PATCH', `/api/orgs/${org}/integrations/${it.uid}`, { certificate_uid: cert.uid });
  assert.equal(back.status, 200, JSON.stringify(back.body));
  assert.equal((await apiSend(page, 'POST', `/api/orgs/${org}/certificates/${renewal.uid}/revoke`)).status, 200);
  await page.reload();
  await certFact.getByText(cert.uid).waitFor();

  // A failed fiscalization shows on the row and leads to POS Invoices filtered to it: a label the
  // V-SDC does not define (only the API lets one be set) makes the V-SDC refuse the invoice.
  const q = await apiSend(page, 'PATCH', `/api/orgs/${org}/integrations/${it.uid}`, { settings: { tax_mapping: { TAX001: 'Q' } } });
  assert.equal(q.status, 200, JSON.stringify(q.body));
  const refused = await control('POST', `/xero/control/orgs/${xeroUser.orgs[0].tenant_id}/invoices`, {
    Type: 'ACCREC',
    Contact: { Name: 'Kafeterija d.o.o.' },
    Status: 'AUTHORISED',
    LineItems: [{ Description: 'Coffee beans', Quantity: 1, UnitAmount: 800, AccountCode: '200', TaxType: 'TAX001' }],
  });
  await control('POST', `/xero/control/invoices/${refused.InvoiceID}/payments`, {});
  const failedBadge = row(page, it.uid).getByRole('link', { name: '1 invoice failed' });
  for (const deadline = Date.now() + 20000; ; ) {
    await page.reload();
    if ((await failedBadge.count()) === 1) break;
    assert.ok(Date.now() < deadline, 'the failed invoice is counted on the row');
    await new Promise((res) => setTimeout(res, 500));
  }
  await failedBadge.click();
  await page.getByRole('heading', { level: 1, name: 'POS Invoices' }).waitFor();
  assert.equal(new URL(page.url()).search, `?status=failed&integration=${it.uid}`);
  const failedRows = page.getByRole('table', { name: 'Fiscal invoices' }).locator('tbody tr');
  await failedRows.first().waitFor();
  assert.equal(await failedRows.count(), 1);
  assert.match(await failedRows.first().innerText(), new RegExp(`${refused.InvoiceNumber}[\\s\\S]*Failed`));
  await openIntegrations(page);

  // Remove: a confirm dialog that says what happens; Cancel keeps the row.
  await row(page, it.uid).getByRole('button', { name: 'Remove' }).click();
  const confirm = page.getByRole('dialog', { name: `Remove integration ${it.uid}?` });
  await confirm.waitFor();
  const text = await confirm.innerText();
  assert.match(text, /Syncing stops/);
  assert.match(text, /revoked/);
  assert.match(text, /stay in POS Invoices/);
  await noSerious(page, 'Remove confirm dialog');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await confirm.waitFor({ state: 'detached' });
  assert.equal((await integrationOf(page, org, it.uid)).status, 'active', 'Cancel removes nothing');
  await row(page, it.uid).getByRole('button', { name: 'Remove' }).click();
  await confirm.getByRole('button', { name: 'Remove integration' }).click();
  await confirm.waitFor({ state: 'detached' });
  await row(page, it.uid).waitFor({ state: 'detached' });
  await page.getByRole('status').filter({ hasText: `Integration ${it.uid} was removed.` }).waitFor();
  await page.getByRole('heading', { name: 'No integrations yet' }).waitFor();
  assert.equal(await integrationOf(page, org, it.uid), null);

  // The connection is revoked at Xero (a job does it, shortly after).
  const deadline = Date.now() + 15000;
  for (;;) {
    const live = await control('GET', `/xero/control/connections?tenant_id=${xeroUser.orgs[0].tenant_id}`);
    if (live.length === 0) break;
    assert.ok(Date.now() < deadline, `the Xero connection is still there: ${JSON.stringify(live)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
  assertNoCspViolations(page);
});

test('Cancel at Xero leaves a Pending setup; Resume with two organisations leads to the tenant choice', async () => {
  assert.ok(owner?.certUid, 'the first test uploaded a certificate');
  const { page, org } = owner;

  await page.goto('/integrations/new');
  await page.getByRole('button', { name: 'Connect Xero' }).click();
  const choose = page.getByRole('dialog', { name: 'Choose a certificate' });
  const certRadio = choose.getByRole('radio', { name: /Kafana Dva d\.o\.o\./ });
  await certRadio.waitFor();
  assert.ok(await certRadio.isChecked(), 'the only active certificate is preselected');
  await noSerious(page, 'Choose a certificate (one active)');
  await page.screenshot({ path: '/tmp/fh-xero-choose-cert.png' });
  await choose.getByRole('button', { name: 'Next' }).click();
  const dialog = page.getByRole('dialog', { name: 'Connect Xero' });
  await dialog.getByRole('button', { name: 'Connect', exact: true }).click();

  // Cancel on Xero's consent page.
  await consent(page, { orgs: [], action: 'Cancel' });
  await page.waitForURL((u) => u.href.startsWith(srv.url) && u.pathname === '/integrations');
  const notice = page.getByTestId('consent-error');
  await notice.getByRole('alert').waitFor();
  assert.match(await notice.innerText(), /Xero was not connected/);
  assert.match(await notice.innerText(), /Cancel/);
  const pending = (await apiGet(page, `/api/orgs/${org}/integrations`)).body.pending;
  assert.equal(pending.length, 1, JSON.stringify(pending));
  const uid = pending[0].uid;
  assert.equal(pending[0].status, 'pending');
  const item = page.locator(`.pending-item[data-uid="${uid}"]`);
  await item.waitFor();
  assert.match(await item.innerText(), /Waiting for Xero’s consent/);
  assert.ok(await item.getByRole('button', { name: 'Resume' }).isEnabled());
  await noSerious(page, 'Integrations with a consent error and a pending setup');
  await page.screenshot({ path: '/tmp/fh-xero-pending.png', fullPage: true });

  // Resume from the notice; allow both organisations.
  await notice.getByRole('button', { name: 'Resume' }).click();
  await consent(page, { orgs: [ORG_A, ORG_B] });
  await page.waitForURL(`**/integrations/${uid}/tenant`);
  await page.getByRole('heading', { level: 1, name: 'Choose the Xero organisation' }).waitFor();
  const a = page.getByRole('radio', { name: ORG_A });
  const b = page.getByRole('radio', { name: ORG_B });
  await a.waitFor();
  await b.waitFor();
  assert.ok(!(await a.isChecked()) && !(await b.isChecked()), 'nothing is chosen for the user');
  await noSerious(page, 'Tenant choice');
  await page.screenshot({ path: '/tmp/fh-xero-tenant.png', fullPage: true });
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText('Choose one of the organisations.').waitFor();
  await b.check();
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.waitForURL((u) => u.pathname === '/integrations');
  await page.getByRole('status').filter({ hasText: `integration ${uid} is Active` }).waitFor();
  const r = row(page, uid);
  await r.getByText('Active', { exact: true }).waitFor();
  await r.getByTestId('tenant').filter({ hasText: ORG_B }).waitFor();
  assert.equal(await page.locator('.pending-item').count(), 0, 'no longer pending');
  const it = await integrationOf(page, org, uid);
  assert.equal(it.status, 'active');
  assert.equal(it.tenant_name, ORG_B);
  owner.uid = uid;
  assertNoCspViolations(page);
});

test('a connection removed in Xero turns the row Inactive with the reason; Reconnect restores it on the same UID', async () => {
  assert.ok(owner?.uid, 'the second test connected an integration');
  const { page, org, uid } = owner;
  const tenant = xeroUser.orgs[1].tenant_id;

  // Xero's side: the user disconnects the app from the organisation.
  const conns = await control('GET', `/xero/control/connections?tenant_id=${tenant}`);
  assert.equal(conns.length, 1, `one connection to ${ORG_B}: ${JSON.stringify(conns)}`);
  const conn = conns[0];
  await control('DELETE', `/xero/control/connections/${conn.id}`);

  await openIntegrations(page);
  const r = row(page, uid);
  await r.getByRole('button', { name: 'Test Connection' }).click();
  const alert = r.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /reconnect/i);
  await r.getByText('Inactive', { exact: true }).waitFor();
  await r.getByTestId('status-reason').waitFor();
  assert.match(await r.getByTestId('status-reason').innerText(), /reconnect/i);
  const reconnect = r.getByRole('button', { name: 'Reconnect' });
  assert.match((await reconnect.getAttribute('class')) ?? '', /btn--primary/, 'Reconnect is the primary action');
  await noSerious(page, 'Integrations with an inactive row');
  await page.screenshot({ path: '/tmp/fh-xero-inactive.png', fullPage: true });

  await reconnect.click();
  await consent(page, { orgs: [ORG_B] });
  await page.waitForURL((u) => u.href.startsWith(srv.url) && u.pathname === '/integrations');
  await page.getByRole('status').filter({ hasText: `integration ${uid} is Active` }).waitFor();
  await row(page, uid).getByText('Active', { exact: true }).waitFor();
  const it = await integrationOf(page, org, uid);
  assert.equal(it.status, 'active');
  assert.equal(it.status_reason, null);
  assert.equal(it.tenant_name, ORG_B);
  const all = (await apiGet(page, `/api/orgs/${org}/integrations`)).body;
  assert.equal(all.integrations.length, 1, 'the same integration, not a new one');

  // Xero failing (every Accounting call 500) while the integration polls: a "Sync failed" badge
  // and the reason with its time; gone once a poll completes again.
  await control('PUT', '/xero/control/faults', { error_5xx: 1 });
  const why = row(page, uid).getByTestId('sync-error');
  try {
    for (const deadline = Date.now() + 20000; ; ) {
      await page.reload();
      if ((await why.count()) === 1) break;
      assert.ok(Date.now() < deadline, 'the failing sync shows on the row');
      await new Promise((res) => setTimeout(res, 300));
    }
    assert.match(await why.innerText(), /Xero did not answer usefully \(HTTP 500, server error\) since .*fiscalhub keeps trying/s);
    await row(page, uid).getByText('Sync failed', { exact: true }).first().waitFor();
    await row(page, uid).getByText('Active', { exact: true }).waitFor();
    await noSerious(page, 'Integrations with a failing sync');
    await page.screenshot({ path: '/tmp/fh-xero-sync-failed.png', fullPage: true });
  } finally {
    await control('PUT', '/xero/control/faults', {});
  }
  for (const deadline = Date.now() + 20000; ; ) {
    await page.reload();
    await row(page, uid).getByText('Active', { exact: true }).waitFor();
    if ((await why.count()) === 0) break;
    assert.ok(Date.now() < deadline, 'a completed poll clears the failure');
    await new Promise((res) => setTimeout(res, 300));
  }
  assertNoCspViolations(page);
});

test('row actions follow the role: a member may test only, a viewer may do nothing', async () => {
  assert.ok(owner?.uid, 'an integration is connected');
  const { page, org, uid } = owner;
  const { csrf_token: csrf } = (await apiGet(page, '/api/me')).body;
  const people = {};
  for (const role of ['member', 'viewer']) {
    const email = uniqueEmail(`xero-${role}`);
    const r = await page.evaluate(
      async ({ org, csrf, body }) => {
        const res = await fetch(`/api/orgs/${org}/members`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
          body: JSON.stringify(body),
        });
        return res.status;
      },
      { org, csrf, body: { email, role, name: `A ${role}`, password: PASSWORD } },
    );
    assert.equal(r, 201, `adding a ${role}`);
    people[role] = email;
  }

  for (const [role, canTest] of [
    ['member', true],
    ['viewer', false],
  ]) {
    const { context, page: p } = await openPage(browser, { baseURL: srv.url });
    try {
      await logIn(p, people[role]);
      await p.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
      const r = row(p, uid);
      await r.waitFor();
      for (const name of ['Reconnect', 'Change settings', 'Remove']) {
        const b = r.getByRole('button', { name });
        assert.ok(await b.isDisabled(), `${role}: ${name} is disabled`);
        assert.match((await b.getAttribute('title')) ?? '', /admins and owners/);
      }
      const t = r.getByRole('button', { name: 'Test Connection' });
      assert.equal(await t.isEnabled(), canTest, `${role}: Test Connection`);
      if (canTest) {
        await t.click();
        await r.getByRole('status').filter({ hasText: 'Connected to the Xero organisation' }).waitFor();
      }
      await p.goto('/integrations/new');
      const connect = p.getByRole('button', { name: 'Connect Xero' });
      assert.ok(await connect.isDisabled(), `${role}: Connect Xero is disabled`);
      await p.locator('li[data-type="xero"]').getByText(`Your role here is ${role}.`).waitFor();
      assertNoCspViolations(p);
    } finally {
      await context.close();
    }
  }
});
