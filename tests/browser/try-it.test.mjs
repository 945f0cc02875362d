// The README's "Try it" walk-through, in the browser, against the sandbox's
// demo data: this file starts its own fiscalhub-sandbox and its own fiscalhub
// pointed at it (as `make run` does), then does what a first-time user does.
//
// 1. The sandbox's home page links to "Issue a test certificate"; the form
//    issues one and shows its UID, password and PAC with the PFX as a
//    download. A business name over 100 characters is refused with 400 and
//    the reason, and no certificate is issued.
// 2. Sign up; Create Integration → Connect Xero; the downloaded PFX is
//    uploaded with that password and PAC; trigger "When the invoice is
//    approved", earlier invoices "Changed in the last day"; Xero's consent as
//    the sandbox's demo user (demo@example.com / sandbox) for "Demo Company
//    (RS)"; back on Integrations the row is Active.
// 3. POS Invoices lists the demo organisation's two approved invoices, signed
//    by the sandbox's V-SDC under that certificate; its draft is not there.
//    Their 20 % and 10 % taxes went out as the default label A (9 %), so both
//    say "VAT differs", and so does the integration.
// 4. "Check tax mapping" offers the labels of the same rate that make run's
//    tax groups (scripts/demo-tax-groups.json) give the V-SDC, Ђ 20 % and
//    Е 10 %; saved, the warning is gone and an invoice approved afterwards (the
//    README's curl) is signed with Е and the VAT of its source.
// axe-core: no serious or critical violations on the sandbox's certificate
// pages.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSandbox } from '../lib/sandbox.mjs';
import { startServer } from '../lib/server.mjs';
import { apiGet, launch, noSerious, openPage, signUp, uniqueEmail } from './helpers.mjs';

const DEMO_ORG = 'Demo Company (RS)';

let sb;
let srv;
let browser;

const control = (method, path, body) => sb.controlOk(method, path, body);

before(async () => {
  // As scripts/run.sh does: the V-SDC's tax groups of the demo.
  sb = await startSandbox({ env: { FISCALHUB_SANDBOX_VSDC_TAX_GROUPS: new URL('../../scripts/demo-tax-groups.json', import.meta.url).pathname } });
  srv = await startServer({ env: { FISCALHUB_SANDBOX_URL: sb.url, FISCALHUB_TAXCORE_CA_FILE: sb.caFile } });
  const info = await control('GET', '/xero/control/info');
  const demo = info.apps.find((a) => a.client_id === 'D3A0D3A0D3A0D3A0D3A0D3A0D3A00001');
  assert.ok(demo, 'the sandbox has its demo Xero app');
  // As scripts/run.sh does: the demo Xero app sends consents back to this fiscalhub, and its
  // webhooks (signed with the demo key, fiscalhub's default) once intent to receive passed.
  await control('PUT', `/xero/control/apps/${demo.client_id}`,
    { redirect_uris: [`${srv.url}/oauth/xero/callback`], webhook_url: `${srv.url}/webhooks/xero`, webhook_key: 'sandbox-demo-webhook-key' });
  await control('POST', `/xero/control/apps/${demo.client_id}/itr`, {});
  for (const deadline = Date.now() + 10000; ; ) {
    const hook = await control('GET', `/xero/control/webhooks?client_id=${demo.client_id}`);
    if (hook.status !== 'itr_pending') {
      assert.equal(hook.status, 'active', JSON.stringify(hook));
      break;
    }
    assert.ok(Date.now() < deadline, 'intent to receive');
    await new Promise((res) => setTimeout(res, 100));
  }
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  await sb?.stop();
});

test('a test certificate from the sandbox page, Xero connected as the demo user, its invoices signed', async () => {
  const { context, page } = await openPage(browser, { baseURL: srv.url });
  try {
    // 1. The certificate, from the sandbox's own page.
    await page.goto(sb.url);
    await page.getByRole('link', { name: 'issue a test certificate' }).click();
    await page.getByRole('heading', { level: 1, name: 'Issue a test certificate' }).waitFor();
    await noSerious(page, 'Issue a test certificate');
    await page.getByLabel('Business name').fill('Kafana Šar d.o.o.');
    await page.getByLabel('Location').fill('Prizren');
    await page.getByRole('button', { name: 'Issue certificate' }).click();
    await page.getByRole('heading', { level: 1, name: 'Test certificate issued' }).waitFor();
    await noSerious(page, 'Test certificate issued');
    const uid = await page.locator('#uid').innerText();
    const password = await page.locator('#password').innerText();
    const pac = await page.locator('#pac').innerText();
    assert.match(uid, /^[A-Z0-9]{8}$/);
    assert.match(password, /^[A-Z0-9]{8}$/);
    assert.match(pac, /^[A-Z0-9]{6}$/);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: `Download ${uid}.pfx` }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `${uid}.pfx`);
    const pfxPath = join(mkdtempSync(join(tmpdir(), 'fh-try-')), `${uid}.pfx`);
    await download.saveAs(pfxPath);
    assert.ok(readFileSync(pfxPath).length > 1000, 'the PFX was downloaded');
    const taxpayers = (await control('GET', '/vsdc/control/taxpayers')).taxpayers;
    const issued = taxpayers.find((t) => t.uid === uid);
    assert.equal(issued?.name, 'Kafana Šar d.o.o.');
    assert.equal(issued?.location, 'Prizren');

    // Bad input: refused with the reason, nothing issued.
    const bad = await fetch(`${sb.url}/vsdc/certificates/new`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'x'.repeat(101) }),
    });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /role="alert">No certificate was issued: .*name.*1\.\.100 characters/);
    assert.equal((await control('GET', '/vsdc/control/taxpayers')).taxpayers.length, taxpayers.length);

    // 2. Sign up and connect Xero with that certificate.
    await signUp(page, { email: uniqueEmail('try'), company: 'Kafana Šar d.o.o.' });
    const org = (await apiGet(page, '/api/me')).body.orgs[0].code;
    await page.getByRole('button', { name: 'Create Integration' }).click();
    await page.getByRole('button', { name: 'Connect Xero' }).click();
    await page.getByRole('dialog', { name: 'Choose a certificate' }).getByRole('button', { name: 'Upload a new certificate' }).click();
    const upload = page.getByRole('dialog', { name: 'Upload Certificate' });
    await upload.getByLabel('Certificate file (PFX)').setInputFiles(pfxPath);
    await upload.getByLabel('Password').fill(password);
    await upload.getByLabel('PAC').fill(pac);
    await upload.getByRole('button', { name: 'Upload', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Connect Xero' });
    await dialog.getByText(uid).waitFor();
    await dialog.getByRole('radio', { name: 'When the invoice is approved' }).check();
    await dialog.getByLabel('Earlier invoices').selectOption({ label: 'Changed in the last day' });
    await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.waitForURL((u) => u.href.startsWith(sb.url));
    await page.getByLabel('Email address').fill('demo@example.com');
    await page.getByLabel('Password').fill('sandbox');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel(DEMO_ORG).check();
    await page.getByRole('button', { name: 'Allow access', exact: true }).click();
    await page.waitForURL((u) => u.href.startsWith(srv.url) && u.pathname === '/integrations');
    await page.getByRole('status').filter({ hasText: 'Xero is connected' }).waitFor();
    const it = (await apiGet(page, `/api/orgs/${org}/integrations`)).body.integrations[0];
    assert.equal(it.status, 'active');
    assert.equal(it.tenant_name, DEMO_ORG);
    assert.equal(it.certificate_uid, uid);

    // 3. The demo organisation's approved invoices on POS Invoices, signed; not its draft.
    await page.getByRole('link', { name: 'POS Invoices' }).click();
    await page.getByRole('heading', { level: 1, name: 'POS Invoices' }).waitFor();
    const rows = page.getByRole('table', { name: 'Fiscal invoices' }).locator('tbody tr');
    for (const deadline = Date.now() + 30000; ; ) {
      const texts = await rows.allInnerTexts();
      if (texts.length === 2 && texts.every((t) => /Signed/.test(t))) break;
      assert.ok(Date.now() < deadline, `POS Invoices shows: ${JSON.stringify(texts)}`);
      await new Promise((res) => setTimeout(res, 500));
      await page.reload();
    }
    const signed = (await apiGet(page, `/api/orgs/${org}/fiscal-invoices`)).body;
    assert.equal(signed.total, 2, JSON.stringify(signed));
    assert.ok(signed.invoices.every((i) => i.status === 'signed' && i.certificate_uid === uid), JSON.stringify(signed));
    const vsdc = await control('GET', `/vsdc/control/invoices?uid=${uid}`);
    assert.equal(vsdc.total, 2, 'the V-SDC signed exactly the two approved invoices');
    assert.ok(signed.invoices.every((i) => i.tax_mismatch), 'A 9 % is not the demo taxes\' VAT');
    assert.equal(await page.getByTestId('tax-mismatch-badge').count(), 2);

    // 4. The tax mapping, from the integration's VAT warning: the labels of the same rate.
    await page.getByRole('link', { name: 'Integrations' }).click();
    const warning = page.getByTestId('tax-mismatch');
    await warning.waitFor();
    assert.match(await warning.locator('.alert-message').innerText(), /^2 invoices signed with VAT that differs from Xero’s/);
    await warning.getByRole('button', { name: 'Check tax mapping' }).click();
    const taxes = page.getByRole('dialog', { name: /^Tax mapping of / });
    await taxes.getByText('Same rate; not saved yet').first().waitFor();
    assert.equal(await taxes.getByLabel('Tax on Sales 20%').inputValue(), 'Ђ');
    assert.equal(await taxes.getByLabel('Tax on Sales 10%').inputValue(), 'Е');
    await taxes.getByRole('button', { name: 'Save' }).click();
    await taxes.waitFor({ state: 'detached' });
    await warning.waitFor({ state: 'detached' });
    // The README's curl: an invoice approved in the sandbox's Xero, signed with Е and its own VAT.
    const orgs = await control('GET', '/xero/control/orgs');
    const tenant = (orgs.orgs || orgs).find((o) => o.name === DEMO_ORG).tenant_id;
    const approved = await control('POST', `/xero/control/orgs/${tenant}/invoices`, {
      Type: 'ACCREC', Contact: { Name: 'Knjizara Plato' }, Status: 'AUTHORISED',
      LineItems: [{ Description: 'Books', Quantity: 2, UnitAmount: 950, AccountCode: '200', TaxType: 'TAX002' }],
    });
    let third;
    for (const deadline = Date.now() + 30000; ; ) {
      const list = (await apiGet(page, `/api/orgs/${org}/fiscal-invoices`)).body;
      third = list.invoices.find((i) => i.source_ref === approved.InvoiceNumber && i.status === 'signed');
      if (third) break;
      assert.ok(Date.now() < deadline, `not signed: ${JSON.stringify(list.invoices)}`);
      await new Promise((res) => setTimeout(res, 500));
    }
    const d = (await apiGet(page, `/api/orgs/${org}/fiscal-invoices/${third.id}`)).body;
    assert.deepEqual(d.invoice.items.map((i) => i.labels), [['Е']]);
    assert.deepEqual([d.tax_mismatch, d.source_tax_total, d.vsdc_tax_total], [false, '190', '190']);
  } finally {
    await context.close();
  }
});
