// Partner documents fiscalhub cannot fiscalize, shown on the integration's
// row. This file starts its own fiscalhub-sandbox (the V-SDC and the Xero
// emulator, tests/lib/sandbox.mjs) and its own fiscalhub pointed at it, as
// xero-connect.test.mjs does, and connects Xero through the consent page with
// the trigger "When the invoice is approved". Invoices come by polling (every
// 2 s; the demo app sends no webhooks here).
//
// 1. An invoice approved in Xero with a line of a negative amount: the row
//    gets a "Not fiscalized" badge and a warning (how many, the invoice's
//    number - a link to it in Xero, opening a new tab - with the reason and
//    when, where to correct it, and Look again).
// 2. Ten more such invoices: eleven in all, the latest ten listed and "Showing
//    the latest 10."; Look again queues all eleven and says so.
// 3. The first invoice's lines corrected in Xero: it is signed and leaves the
//    list; the others voided in Xero: the warning and the badge are gone.
// 4. A credit note of a signed invoice with a negative line: listed as a
//    credit note, without a link (Xero credit notes have no page URL).
// A second test revokes the integration's certificate: an invoice is refused
// for it; Look again (disabled with the reason for a viewer) says it looks at
// the one document again and the list follows without a reload; a new
// certificate chosen in Change certificate signs the invoice and the warning
// goes.
// axe-core: no serious or critical violations on Integrations with the warning.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSandbox } from '../lib/sandbox.mjs';
import { startServer } from '../lib/server.mjs';
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
const ORG = 'Bistro Četiri d.o.o.';
// Label A of the sandbox V-SDC is 9 %, the default label: no tax mapping needed.
const TAX = 'OUTPUT9';

let sb;
let srv;
let browser;
let xeroUser; // { email, tenant }: the first test's

const control = (method, path, body) => sb.controlOk(method, path, body);
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

before(async () => {
  sb = await startSandbox();
  srv = await startServer({
    env: {
      FISCALHUB_SANDBOX_URL: sb.url,
      FISCALHUB_TAXCORE_CA_FILE: sb.caFile,
      FISCALHUB_JOB_BACKOFF_MS: '20',
      FISCALHUB_JOB_BACKOFF_MAX_MS: '500',
      FISCALHUB_LOGIN_MAX_FAILURES: '1000',
      FISCALHUB_XERO_POLL_SECONDS: '2',
    },
  });
  await pointXeroDemoApp(control, srv.url);
  xeroUser = await xeroAccount('xero-nf');
  browser = await launch();
});

/** A Xero organisation named ORG (its own, so tests do not share invoices) and a user of it. */
async function xeroAccount(tag) {
  const org = await control('POST', '/xero/control/orgs', {
    name: ORG,
    tax_rates: [{ Name: 'VAT 9%', TaxType: TAX, Rate: 9 }],
  });
  const email = `${tag}-${Date.now()}@example.com`;
  await control('POST', '/xero/control/users', { email, password: XERO_PASSWORD, orgs: [org.tenant_id] });
  return { email, tenant: org.tenant_id };
}

/** A certificate of the sandbox, uploaded to the organization; its uid. */
async function uploadCert(page, org) {
  return uploadIssuedCert(page, org, await sb.issueCert({ name: 'Bistro Četiri d.o.o.', location: 'Beograd' }));
}

/** Connect Xero as `user` (the only certificate), fiscalizing on approval; the integration's uid. */
async function connectXero(page, org, user) {
  await page.goto('/integrations/new');
  await page.getByRole('button', { name: 'Connect Xero' }).click();
  const choose = page.getByRole('dialog', { name: 'Choose a certificate' });
  await choose.getByRole('radio', { name: /Bistro Četiri d\.o\.o\./ }).waitFor();
  await choose.getByRole('button', { name: 'Next' }).click();
  const dialog = page.getByRole('dialog', { name: 'Connect Xero' });
  await dialog.getByRole('radio', { name: 'When the invoice is approved' }).check();
  await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.waitForURL((u) => u.href.startsWith(sb.url));
  await page.getByLabel('Email address').fill(user.email);
  await page.getByLabel('Password').fill(XERO_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Allow access' }).waitFor();
  await page.getByLabel(ORG).check();
  await page.getByRole('button', { name: 'Allow access' }).click();
  await page.waitForURL((u) => u.href.startsWith(srv.url) && u.pathname === '/integrations');
  await page.getByRole('status').filter({ hasText: 'Xero is connected' }).waitFor();
  const list = (await apiGet(page, `/api/orgs/${org}/integrations`)).body;
  assert.equal(list.integrations.length, 1, JSON.stringify(list));
  assert.equal(list.integrations[0].settings.trigger, 'approval');
  assert.equal(list.integrations[0].not_fiscalized, null, 'nothing to warn about yet');
  return list.integrations[0].uid;
}

after(async () => {
  await browser?.close();
  await srv?.stop();
  await sb?.stop();
});

const row = (page, uid) => page.locator(`tbody[data-uid="${uid}"]`);

/** Reloads Integrations until `done()` holds (polls come every 2 s); on failure says what the API says. */
async function reloadUntil(page, done, what, { org, uid }, ms = 30000) {
  for (const deadline = Date.now() + ms; ; ) {
    await page.reload();
    // the row, not only the page: its warning comes with it, from the same answer
    await row(page, uid).getByText('Active', { exact: true }).waitFor();
    if (await done()) return;
    if (Date.now() > deadline) assert.fail(`${what}: ${JSON.stringify((await integrationOf(page, org, uid))?.not_fiscalized)}`);
    await sleep(500);
  }
}

/** Waits until the integration's fiscal invoice of Xero number `ref` is signed; returns it. */
async function signedInvoice(page, org, uid, ref, ms = 20000) {
  for (const deadline = Date.now() + ms; ; ) {
    const signed = (await apiGet(page, `/api/orgs/${org}/fiscal-invoices?integration=${uid}`)).body.invoices.find(
      (i) => i.source_ref === ref,
    );
    if (signed?.status === 'signed') return signed;
    assert.ok(Date.now() < deadline, `${ref} is signed: ${JSON.stringify(signed)}`);
    await sleep(500);
  }
}

function invoice(lines, tenant = xeroUser.tenant) {
  return control('POST', `/xero/control/orgs/${tenant}/invoices`, {
    Type: 'ACCREC',
    Contact: { Name: 'Kafeterija d.o.o.' },
    Status: 'AUTHORISED',
    LineItems: lines,
  });
}

const line = (Description, UnitAmount) => ({ Description, Quantity: 1, UnitAmount, AccountCode: '200', TaxType: TAX });

test('a Xero invoice that cannot be fiscalized warns on the row until it is corrected or voided', async () => {
  const { context, page } = await openPage(browser, { baseURL: srv.url });
  try {
    await signUp(page, { email: uniqueEmail('xero-nf'), company: 'Bistro Četiri d.o.o.' });
    const org = (await apiGet(page, '/api/me')).body.orgs[0].code;
    await uploadCert(page, org);
    const uid = await connectXero(page, org, xeroUser);
    const r = row(page, uid);
    await r.getByText('Active', { exact: true }).waitFor();
    const warning = r.getByTestId('not-fiscalized');
    const badge = r.getByText('Not fiscalized', { exact: true });
    assert.equal(await warning.count(), 0);
    assert.equal(await badge.count(), 0);

    // 1. An approved invoice with a line of a negative amount (-5.00).
    const bad = await invoice([line('Lunch menu', 100), line('Loyalty discount', -5)]);
    await reloadUntil(page, async () => (await warning.count()) === 1, `${bad.InvoiceNumber} is not reported on the row`, { org, uid });
    const nf = (await integrationOf(page, org, uid)).not_fiscalized;
    assert.equal(nf.count, 1, JSON.stringify(nf));
    assert.equal(nf.recent.length, 1, JSON.stringify(nf));
    assert.equal(nf.recent[0].source_ref, bad.InvoiceNumber);
    assert.match(nf.recent[0].reason, /negative/);
    await badge.waitFor();
    assert.equal(await warning.getAttribute('role'), 'note');
    assert.equal(await warning.locator('.alert-message').innerText(), '1 document was not fiscalized by fiscalhub.');
    const entries = warning.getByRole('listitem');
    assert.equal(await entries.count(), 1);
    const entry = await entries.first().innerText();
    assert.ok(entry.startsWith(`${bad.InvoiceNumber}: ${nf.recent[0].reason} · `), entry);
    const seen = entries.first().locator(`time[datetime="${nf.recent[0].seen_at}"]`);
    assert.match(await seen.innerText(), /^\d{1,2} \w{3} \d{4}, \d{2}:\d{2}$/, 'when, to the minute');
    await warning.getByText('Where the reason lies in the document, correct it in Xero: fiscalhub looks at a document again whenever it changes.', { exact: true }).waitFor();
    assert.doesNotMatch(await warning.innerText(), /Showing the latest/);
    // The number links to the invoice in Xero, in a new tab.
    const href = `${sb.url}/xero/AccountsReceivable/View.aspx?InvoiceID=${bad.InvoiceID}`;
    assert.deepEqual([nf.recent[0].kind, nf.recent[0].source_url], ['invoice', href]);
    assert.equal(await warning.getByRole('link').count(), 1);
    const link = entries.first().getByRole('link', { name: `View ${bad.InvoiceNumber} in Xero`, exact: true });
    assert.equal(await link.innerText(), bad.InvoiceNumber);
    assert.equal(await link.getAttribute('href'), href);
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    const [tab] = await Promise.all([context.waitForEvent('page'), link.click()]);
    await tab.waitForURL(href); // the new tab goes to the invoice at Xero
    await tab.close();
    assert.equal(new URL(page.url()).pathname, '/integrations', 'the portal stays where it was');
    // Look again, for a cause outside the document, with when to use it.
    const lookAgain = warning.getByRole('button', { name: `Look again at the documents of ${uid}`, exact: true });
    assert.equal(await lookAgain.isEnabled(), true);
    assert.equal(await warning.getByRole('button').count(), 1);
    await warning
      .getByText('When the cause was outside the document, Look again tries it now; choosing another certificate does so by itself.', { exact: true })
      .waitFor();
    // The invoice is not on POS Invoices.
    const fiscal = (await apiGet(page, `/api/orgs/${org}/fiscal-invoices?integration=${uid}`)).body.invoices;
    assert.equal(fiscal.filter((i) => i.source_ref === bad.InvoiceNumber).length, 0, JSON.stringify(fiscal));
    await noSerious(page, 'Integrations with a document not fiscalized');
    await page.screenshot({ path: '/tmp/fh-not-fiscalized.png', fullPage: true });

    // 2. Ten more: the latest ten are listed, the first one is not.
    const more = [];
    for (let i = 0; i < 10; i++) more.push(await invoice([line(`Dinner ${i + 1}`, 200), line('Voucher', -20)]));
    const title = warning.locator('.alert-message');
    await reloadUntil(
      page,
      async () => (await warning.count()) === 1 && (await title.innerText()) === '11 documents were not fiscalized by fiscalhub.',
      'eleven documents are reported',
      { org, uid },
    );
    assert.equal(await entries.count(), 10);
    const listed = (await entries.allInnerTexts()).map((t) => t.slice(0, t.indexOf(':')));
    assert.deepEqual(new Set(listed), new Set(more.map((m) => m.InvoiceNumber)), 'the latest ten');
    await warning
      .getByText('Where the reason lies in a document, correct it in Xero: fiscalhub looks at a document again whenever it changes. Showing the latest 10.', { exact: true })
      .waitFor();
    await noSerious(page, 'Integrations with eleven documents not fiscalized');
    await page.screenshot({ path: '/tmp/fh-not-fiscalized-more.png', fullPage: true });
    // Look again: all eleven, also the one not listed.
    const [again] = await Promise.all([
      page.waitForResponse((res) => res.url().endsWith(`/integrations/${uid}/not-fiscalized/retry`)),
      lookAgain.click(),
    ]);
    assert.equal(again.status(), 202);
    assert.deepEqual(await again.json(), { queued: 11 });
    await warning.getByRole('status').getByText('fiscalhub is looking at 11 documents again.', { exact: true }).waitFor();
    await noSerious(page, 'Integrations after Look again');

    // 3. The first invoice corrected in Xero (the discount taken off the line's price): it is
    // signed, and the warning counts the other ten.
    await control('PUT', `/xero/control/invoices/${bad.InvoiceID}`, { LineItems: [line('Lunch menu', 95)] });
    await reloadUntil(
      page,
      async () => (await title.innerText()) === '10 documents were not fiscalized by fiscalhub.',
      `${bad.InvoiceNumber}, corrected, still counts`,
      { org, uid },
    );
    await warning.getByText('Where the reason lies in a document, correct it in Xero: fiscalhub looks at a document again whenever it changes.', { exact: true }).waitFor();
    await signedInvoice(page, org, uid, bad.InvoiceNumber);
    // The others voided in Xero: nothing left to fiscalize, no warning, no badge.
    for (const m of more) await control('POST', `/xero/control/invoices/${m.InvoiceID}/void`, {});
    await reloadUntil(page, async () => (await warning.count()) === 0, 'the voided invoices leave the warning', { org, uid });
    assert.equal(await badge.count(), 0, 'no badge either');
    assert.equal((await integrationOf(page, org, uid)).not_fiscalized, null);

    // 4. A credit note of a signed invoice, with a negative line: listed as a credit note, no link.
    const good = await invoice([line('Breakfast', 50)]);
    await signedInvoice(page, org, uid, good.InvoiceNumber);
    const { CreditNote: cn } = await control('POST', `/xero/control/invoices/${good.InvoiceID}/credit-notes`, {
      LineItems: [line('Refund', 20), line('Service fee', -5)],
    });
    await reloadUntil(page, async () => (await warning.count()) === 1, `credit note ${cn.CreditNoteNumber} is not reported`, { org, uid });
    const cnf = (await integrationOf(page, org, uid)).not_fiscalized;
    assert.deepEqual(
      [cnf.count, cnf.recent[0].source_ref, cnf.recent[0].kind, cnf.recent[0].source_url],
      [1, cn.CreditNoteNumber, 'credit_note', null],
      JSON.stringify(cnf),
    );
    const cnEntry = await entries.first().innerText();
    assert.ok(cnEntry.startsWith(`Credit note ${cn.CreditNoteNumber}: ${cnf.recent[0].reason} · `), cnEntry);
    assert.match(cnf.recent[0].reason, /^line 2 has a negative amount/);
    assert.equal(await warning.getByRole('link').count(), 0, 'Xero credit notes have no page URL');
    await noSerious(page, 'Integrations with a credit note not fiscalized');
    assertNoCspViolations(page);
  } finally {
    await context.close();
  }
});

const REVOKED =
  "the integration's certificate is revoked: choose a valid certificate for the integration, and fiscalhub tries its refused documents again";

test('a revoked certificate: Look again tries the invoice again, and a new certificate chosen in Change certificate signs it', async () => {
  const { context, page } = await openPage(browser, { baseURL: srv.url });
  const viewer = await openPage(browser, { baseURL: srv.url });
  try {
    const account = await xeroAccount('xero-revoked');
    await signUp(page, { email: uniqueEmail('xero-revoked'), company: 'Bistro Četiri d.o.o.' });
    const org = (await apiGet(page, '/api/me')).body.orgs[0].code;
    const first = await uploadCert(page, org);
    const uid = await connectXero(page, org, account);
    const r = row(page, uid);
    const warning = r.getByTestId('not-fiscalized');
    const entries = warning.getByRole('listitem');

    // The certificate revoked, then an invoice approved in Xero: refused for the certificate.
    const revoked = await apiSend(page, 'POST', `/api/orgs/${org}/certificates/${first}/revoke`);
    assert.deepEqual([revoked.status, revoked.body?.status], [200, 'revoked'], JSON.stringify(revoked.body));
    const inv = await invoice([line('Lunch menu', 100)], account.tenant);
    await reloadUntil(page, async () => (await warning.count()) === 1, `${inv.InvoiceNumber} is not reported`, { org, uid });
    const nf = (await integrationOf(page, org, uid)).not_fiscalized;
    assert.deepEqual([nf.count, nf.recent[0].source_ref, nf.recent[0].reason], [1, inv.InvoiceNumber, REVOKED], JSON.stringify(nf));
    const entry = await entries.first().innerText();
    assert.ok(entry.startsWith(`${inv.InvoiceNumber}: ${REVOKED} · `), entry);
    assert.equal(
      await entries.first().getByRole('link', { name: `View ${inv.InvoiceNumber} in Xero`, exact: true }).getAttribute('href'),
      `${sb.url}/xero/AccountsReceivable/View.aspx?InvoiceID=${inv.InvoiceID}`,
    );
    const time = entries.first().locator('time');
    assert.equal(await time.getAttribute('datetime'), nf.recent[0].seen_at);

    // Look again: one document; the list follows by itself (no reload): the entry's time is the new look's.
    await page.evaluate(() => {
      window.fhNotReloaded = true;
    });
    const lookAgain = warning.getByRole('button', { name: `Look again at the documents of ${uid}`, exact: true });
    const [again] = await Promise.all([
      page.waitForResponse((res) => res.url().endsWith(`/integrations/${uid}/not-fiscalized/retry`)),
      lookAgain.click(),
    ]);
    assert.deepEqual([again.status(), await again.json()], [202, { queued: 1 }]);
    const said = warning.getByRole('status');
    await said.getByText('fiscalhub is looking at 1 document again.', { exact: true }).waitFor();
    await noSerious(page, 'Integrations after Look again, certificate revoked');
    await page.screenshot({ path: '/tmp/fh-not-fiscalized-revoked.png', fullPage: true });
    for (const deadline = Date.now() + 25000; ; ) {
      const now = await time.getAttribute('datetime');
      if (now !== nf.recent[0].seen_at) break;
      assert.ok(Date.now() < deadline, `the list is read again after Look again: ${JSON.stringify((await integrationOf(page, org, uid)).not_fiscalized)}`);
      await sleep(300);
    }
    const again2 = await entries.first().innerText();
    assert.ok(again2.startsWith(`${inv.InvoiceNumber}: ${REVOKED} · `), `refused again: the certificate is still revoked: ${again2}`);
    assert.equal(await page.evaluate(() => window.fhNotReloaded), true, 'without a reload');

    // A viewer sees the warning, but Look again is not theirs to press.
    const viewerEmail = uniqueEmail('nf-viewer');
    const added = await apiSend(page, 'POST', `/api/orgs/${org}/members`, { email: viewerEmail, role: 'viewer', name: 'Vera Viewer', password: PASSWORD });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    await logIn(viewer.page, viewerEmail);
    await viewer.page.waitForURL('**/integrations');
    const viewerButton = row(viewer.page, uid)
      .getByTestId('not-fiscalized')
      .getByRole('button', { name: `Look again at the documents of ${uid}`, exact: true });
    await viewerButton.waitFor();
    assert.equal(await viewerButton.isDisabled(), true);
    assert.equal(await viewerButton.getAttribute('title'), 'Your role cannot ask fiscalhub to look at documents again in this organization.');
    await noSerious(viewer.page, 'Integrations of a viewer with a document not fiscalized');

    // A new certificate, chosen in Change certificate: the invoice is signed with it, the warning goes (no reload).
    const second = await uploadCert(page, org);
    await page.reload();
    await r.getByRole('button', { name: `Change certificate ${uid}`, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Change certificate of ${uid}` });
    assert.equal(
      (await dialog.getByTestId('change-certificate-again').textContent()).trim(),
      'fiscalhub then looks again at the 1 document it could not fiscalize.',
    );
    const choices = dialog.getByRole('radio');
    await choices.first().waitFor();
    assert.equal(await choices.count(), 1, 'only the new certificate is active');
    assert.equal(await choices.first().getAttribute('value'), second);
    await choices.first().check();
    await noSerious(page, 'Change certificate with a document not fiscalized');
    await page.evaluate(() => {
      window.fhNotReloaded = true;
    });
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page
      .getByRole('status')
      .getByText(
        `Integration ${uid} now signs the invoices it receives with certificate ${second}. fiscalhub is looking at its 1 document not fiscalized again.`,
        { exact: true },
      )
      .waitFor();
    await warning.waitFor({ state: 'detached', timeout: 25000 });
    assert.equal(await r.getByText('Not fiscalized', { exact: true }).count(), 0);
    assert.equal(await page.evaluate(() => window.fhNotReloaded), true, 'without a reload');
    const signed = await signedInvoice(page, org, uid, inv.InvoiceNumber);
    assert.equal(signed.certificate_uid, second);
    assert.equal((await integrationOf(page, org, uid)).not_fiscalized, null);
    assertNoCspViolations(page);
    assertNoCspViolations(viewer.page);
  } finally {
    await viewer.context.close();
    await context.close();
  }
});
