// Integrations → Certificates against the real server: the page and the
// Upload Certificate dialog (client-side checks before anything is sent, each
// server refusal shown with its hint and detail, a successful upload listed),
// Revoke with its confirm dialog, expiry in red, and the buttons of a viewer.
// axe-core: no serious or critical violations on the page and the dialogs.
// PFX files are made at test time with openssl (pfx.mjs).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  apiGet,
  apiSend,
  assertNoCspViolations,
  launch,
  logIn,
  noSerious,
  openPage,
  PASSWORD,
  requireServer,
  signUp,
  uniqueEmail,
} from './helpers.mjs';
import { PAC, PFX_PASSWORD, pfxMaker } from './pfx.mjs';

let browser;
let pfx;
before(async () => {
  await requireServer();
  browser = await launch();
  pfx = pfxMaker();
});
after(async () => {
  await browser?.close();
  pfx?.dispose();
});

const file = (name, buffer) => ({ name, mimeType: 'application/x-pkcs12', buffer });

function uploadDialog(page) {
  return page.getByRole('dialog', { name: 'Upload Certificate' });
}

async function submitUpload(page, { upload, password = PFX_PASSWORD, pac = PAC }) {
  const dialog = uploadDialog(page);
  if (upload) await dialog.getByLabel('Certificate file (PFX)').setInputFiles(upload);
  await dialog.getByLabel('Password').fill(password);
  await dialog.getByLabel('PAC').fill(pac);
  await dialog.getByRole('button', { name: 'Upload', exact: true }).click();
}

async function openCertificates(page) {
  await page.getByRole('link', { name: 'Certificates' }).click();
  await page.waitForURL('**/integrations/certificates');
  await page.getByRole('heading', { level: 1, name: 'Certificates' }).waitFor();
  await page.getByRole('status').filter({ hasText: 'Loading' }).waitFor({ state: 'detached' });
}

test('upload: checks before sending, each refusal explained, then listed', async () => {
  const { context, page } = await openPage(browser);
  try {
    await signUp(page, { email: uniqueEmail('certs'), company: 'Certs d.o.o.' });
    const org = (await apiGet(page, '/api/me')).body.orgs[0].code;
    const posts = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/certificates')) posts.push(r.url());
    });

    await openCertificates(page);
    assert.equal(await page.getByRole('link', { name: 'Certificates' }).getAttribute('aria-current'), 'page');
    await page.getByRole('heading', { name: 'No certificates yet' }).waitFor();
    await noSerious(page, 'certificates (empty)');

    await page.getByRole('button', { name: 'Upload Certificate' }).click();
    const dialog = uploadDialog(page);
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'cert-file', 'focus starts on the file input');
    await noSerious(page, 'upload dialog');

    // Nothing chosen, no PAC: two messages, nothing sent, focus on the file input.
    await dialog.getByRole('button', { name: 'Upload', exact: true }).click();
    await dialog.getByText('Choose the PFX file TaxCore issued (.pfx or .p12).').waitFor();
    await dialog.getByText('Enter the PAC delivered with the certificate.').waitFor();
    assert.equal(await dialog.getByLabel('Certificate file (PFX)').getAttribute('aria-invalid'), 'true');
    await noSerious(page, 'upload dialog with validation errors');

    // Too large, and a PAC that is not 6 letters or digits.
    await submitUpload(page, { upload: file('big.pfx', randomBytes(65 * 1024)), pac: 'AB-12' });
    await dialog.getByText(/This file is 65 KiB; a certificate file is at most 64 KiB/).waitFor();
    await dialog.getByText('The PAC is exactly 6 letters or digits.').waitFor();
    assert.equal(posts.length, 0, 'client-side checks send nothing');

    // The server's refusals: hint + detail in an alert inside the dialog.
    const good = pfx.make();
    await submitUpload(page, { upload: file('taxpayer.pfx', good.buffer), password: 'wrongpass' });
    const alert = dialog.getByRole('alert');
    await alert.locator('.alert-message').filter({ hasText: 'The password does not open the PFX file' }).waitFor();
    assert.ok((await alert.locator('.alert-detail').count()) <= 1);
    assert.equal(await dialog.getByLabel('Password').getAttribute('aria-invalid'), 'true', 'the password is marked');
    assert.equal(posts.length, 1);
    await noSerious(page, 'upload dialog with a server error');

    await submitUpload(page, { upload: file('notes.pfx', randomBytes(2048)) });
    await alert.locator('.alert-message').filter({ hasText: 'not a readable PKCS#12' }).waitFor();
    assert.equal(await dialog.getByLabel('Certificate file (PFX)').getAttribute('aria-invalid'), 'true');

    // Escape closes the dialog; the list is still empty.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: 'No certificates yet' }).waitFor();

    // A good upload closes the dialog, confirms and lists the certificate.
    await page.getByRole('button', { name: 'Upload Certificate' }).click();
    await submitUpload(page, { upload: file('taxpayer.pfx', good.buffer) });
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: `Certificate ${good.uid} (${good.taxpayer}) uploaded.` }).waitFor();
    const row = page.locator(`tr[data-uid="${good.uid}"]`);
    await row.waitFor();
    const cells = (await row.locator('td').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    assert.equal(cells[0], good.uid);
    assert.equal(cells[1], `${good.taxpayer} TIN 104356789`);
    assert.equal(cells[2], `${good.location} Kneza Milosa 1, Beograd, RS`);
    assert.equal(cells[4], 'Active');
    assert.equal(await row.getByTestId('cert-expiry').getAttribute('class'), null, 'a valid expiry is not red');
    const listed = (await apiGet(page, `/api/orgs/${org}/certificates`)).body.certificates;
    assert.equal(listed.length, 1);
    assert.equal(await row.getByTestId('cert-expiry').getAttribute('datetime'), listed[0].expires_at);

    // The same certificate again: already uploaded.
    await page.getByRole('button', { name: 'Upload Certificate' }).click();
    await submitUpload(page, { upload: file('taxpayer.pfx', good.buffer) });
    await alert.locator('.alert-message').filter({ hasText: 'already uploaded to this organization' }).waitFor();
    assert.match(await alert.locator('.alert-detail').innerText(), new RegExp(good.uid), 'the detail names the UID');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });

    await noSerious(page, 'certificates (one row)');
    assertNoCspViolations(page);
  } finally {
    await context.close();
  }
});

test('revoke asks first; expired certificates show red; a viewer cannot upload or revoke', async () => {
  const owner = await openPage(browser);
  try {
    const { page } = owner;
    await signUp(page, { email: uniqueEmail('revoke'), company: 'Revoke d.o.o.' });
    const org = (await apiGet(page, '/api/me')).body.orgs[0].code;

    const keep = pfx.make();
    const gone = pfx.make();
    const soon = pfx.make({ end: Date.now() + 4000 });
    for (const c of [keep, gone, soon]) {
      const r = await apiSend(page, 'POST', `/api/orgs/${org}/certificates`, {
        pfx_base64: c.buffer.toString('base64'),
        password: PFX_PASSWORD,
        pac: PAC,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }

    await openCertificates(page);
    const goneRow = page.locator(`tr[data-uid="${gone.uid}"]`);
    await goneRow.getByRole('button', { name: `Revoke certificate ${gone.uid}` }).click();
    const confirm = page.getByRole('dialog', { name: `Revoke certificate ${gone.uid}?` });
    await confirm.waitFor();
    await confirm.getByText('Revoking is final.', { exact: false }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Cancel', 'focus starts on Cancel');
    await noSerious(page, 'revoke dialog');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    assert.equal((await goneRow.locator('td').nth(4).innerText()).trim(), 'Active', 'cancel changes nothing');

    await goneRow.getByRole('button', { name: `Revoke certificate ${gone.uid}` }).click();
    await confirm.getByRole('button', { name: 'Revoke certificate' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: `Certificate ${gone.uid} revoked.` }).waitFor();
    await goneRow.getByText('Revoked', { exact: true }).waitFor();
    assert.equal(await goneRow.getByRole('button').count(), 0, 'a revoked certificate has no Revoke');
    const after = (await apiGet(page, `/api/orgs/${org}/certificates`)).body.certificates;
    assert.equal(after.find((c) => c.uid === gone.uid).status, 'revoked');
    assert.equal(after.find((c) => c.uid === keep.uid).status, 'active');

    // Past its notAfter, a certificate reads Expired, its date in red.
    const wait = soon.notAfter + 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await page.reload();
    const soonRow = page.locator(`tr[data-uid="${soon.uid}"]`);
    await soonRow.getByText('Expired', { exact: true }).waitFor();
    assert.match((await soonRow.getByTestId('cert-expiry').getAttribute('class')) ?? '', /text-danger/);
    const color = await soonRow.getByTestId('cert-expiry').evaluate((el) => getComputedStyle(el).color);
    assert.equal(color, 'rgb(180, 35, 24)', 'the expiry is red');
    await noSerious(page, 'certificates (active, revoked, expired)');
    assertNoCspViolations(page);

    // A viewer sees the list, but Upload and Revoke are disabled with the reason.
    const viewerEmail = uniqueEmail('certviewer');
    const added = await apiSend(page, 'POST', `/api/orgs/${org}/members`, {
      email: viewerEmail,
      role: 'viewer',
      name: 'Vera Viewer',
      password: PASSWORD,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const viewer = await openPage(browser);
    try {
      await logIn(viewer.page, viewerEmail);
      await viewer.page.waitForURL('**/integrations');
      await openCertificates(viewer.page);
      await viewer.page.locator(`tr[data-uid="${keep.uid}"]`).waitFor();
      const upload = viewer.page.getByRole('button', { name: 'Upload Certificate' });
      assert.ok(await upload.isDisabled(), 'a viewer cannot upload');
      assert.match((await upload.getAttribute('title')) ?? '', /admins and owners/);
      await viewer.page.getByText('Your role here is viewer.', { exact: false }).waitFor();
      const revoke = viewer.page.getByRole('button', { name: `Revoke certificate ${keep.uid}` });
      assert.ok(await revoke.isDisabled(), 'a viewer cannot revoke');
      await noSerious(viewer.page, 'certificates as a viewer');
      assertNoCspViolations(viewer.page);
    } finally {
      await viewer.context.close();
    }
  } finally {
    await owner.context.close();
  }
});
