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
// axe-core: no serious or critical violations on the sandbox's certificate
// pages.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSandbox } from '../lib/sandbox.mjs';
import { startServer } from '../lib/server.mjs';
import { apiGet, describeViolations, launch, openPage, seriousViolations, signUp, uniqueEmail } from './helpers.mjs';

const DEMO_ORG = 'Demo Company (RS)';

let sb;
let srv;
let browser;

const control = (method, path, body) => sb.controlOk(method, path, body);

before(async () => {
  sb = await startSandbox();
  srv = await startServer({ env: { FISCALHUB_SANDBOX_URL: sb.url, FISCALHUB_TAXCORE_CA_FILE: sb.caFile } });
  // As scripts/run.sh does: the demo Xero app sends consents back to this fiscalhub.
  const info = await control('GET', '/xero/control/info');
  const demo = info.apps.find((a) => a.client_id === 'D3A0D3A0D3A0D3A0D3A0D3A0D3A00001');
  assert.ok(demo, 'the sandbox has its demo Xero app');
  await control('PUT', `/xero/control/apps/${demo.client_id}`, { redirect_uris: [`${srv.url}/oauth/xero/callback`] });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  await sb?.stop();
});

async function noSerious(page, label) {
  const v = await seriousViolations(page);
  assert.equal(v.length, 0, `${label}: serious/critical axe violations:\n${describeViolations(v)}`);
}

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
  } finally {
    await context.close();
  }
});
