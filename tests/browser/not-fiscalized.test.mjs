// Partner documents fiscalhub cannot fiscalize, shown on the integration's
// row. This file starts its own fiscalhub-sandbox (the V-SDC and the Xero
// emulator, tests/lib/sandbox.mjs) and its own fiscalhub pointed at it, as
// xero-connect.test.mjs does, and connects Xero through the consent page with
// the trigger "When the invoice is approved". Invoices come by polling (every
// 2 s; the demo app sends no webhooks here).
//
// 1. An invoice approved in Xero with a line of a negative amount: the row
//    gets a "Not fiscalized" badge and a warning (how many, the invoice's
//    number with the reason and when, where to correct it; no actions).
// 2. Ten more such invoices: eleven in all, the latest ten listed and "Showing
//    the latest 10."
// 3. The first invoice's lines corrected in Xero: it is signed and leaves the
//    list; the others voided in Xero: the warning and the badge are gone.
// axe-core: no serious or critical violations on Integrations with the warning.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startSandbox } from '../lib/sandbox.mjs';
import { startServer } from '../lib/server.mjs';
import {
  apiGet,
  apiSend,
  assertNoCspViolations,
  launch,
  noSerious,
  openPage,
  pointXeroDemoApp,
  signUp,
  uniqueEmail,
} from './helpers.mjs';

const XERO_PASSWORD = 'xero-sandbox-pw';
const ORG = 'Bistro Četiri d.o.o.';
// Label A of the sandbox V-SDC is 9 %, the default label: no tax mapping needed.
const TAX = 'OUTPUT9';

let sb;
let srv;
let browser;
let xeroUser; // { email, tenant }

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
  const org = await control('POST', '/xero/control/orgs', {
    name: ORG,
    tax_rates: [{ Name: 'VAT 9%', TaxType: TAX, Rate: 9 }],
  });
  const email = `xero-nf-${Date.now()}@example.com`;
  await control('POST', '/xero/control/users', { email, password: XERO_PASSWORD, orgs: [org.tenant_id] });
  xeroUser = { email, tenant: org.tenant_id };
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  await sb?.stop();
});

const row = (page, uid) => page.locator(`tbody[data-uid="${uid}"]`);

async function integration(page, org, uid) {
  const r = await apiGet(page, `/api/orgs/${org}/integrations`);
  assert.equal(r.status, 200);
  return r.body.integrations.find((i) => i.uid === uid) ?? null;
}

/** Reloads Integrations until `done()` holds (polls come every 2 s); on failure says what the API says. */
async function reloadUntil(page, done, what, { org, uid }, ms = 30000) {
  for (const deadline = Date.now() + ms; ; ) {
    await page.reload();
    // the row, not only the page: its warning comes with it, from the same answer
    await row(page, uid).getByText('Active', { exact: true }).waitFor();
    if (await done()) return;
    if (Date.now() > deadline) assert.fail(`${what}: ${JSON.stringify((await integration(page, org, uid))?.not_fiscalized)}`);
    await sleep(500);
  }
}

function invoice(lines) {
  return control('POST', `/xero/control/orgs/${xeroUser.tenant}/invoices`, {
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
    const cert = await sb.issueCert({ name: 'Bistro Četiri d.o.o.', location: 'Beograd' });
    const added = await apiSend(page, 'POST', `/api/orgs/${org}/certificates`, {
      pfx_base64: readFileSync(cert.pfxPath).toString('base64'),
      password: cert.password.trim(),
      pac: cert.pac.trim(),
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));

    // Connect Xero, fiscalizing on approval.
    await page.goto('/integrations/new');
    await page.getByRole('button', { name: 'Connect Xero' }).click();
    const choose = page.getByRole('dialog', { name: 'Choose a certificate' });
    await choose.getByRole('radio', { name: /Bistro Četiri d\.o\.o\./ }).waitFor();
    await choose.getByRole('button', { name: 'Next' }).click();
    const dialog = page.getByRole('dialog', { name: 'Connect Xero' });
    await dialog.getByRole('radio', { name: 'When the invoice is approved' }).check();
    await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.waitForURL((u) => u.href.startsWith(sb.url));
    await page.getByLabel('Email address').fill(xeroUser.email);
    await page.getByLabel('Password').fill(XERO_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Allow access' }).waitFor();
    await page.getByLabel(ORG).check();
    await page.getByRole('button', { name: 'Allow access' }).click();
    await page.waitForURL((u) => u.href.startsWith(srv.url) && u.pathname === '/integrations');
    await page.getByRole('status').filter({ hasText: 'Xero is connected' }).waitFor();
    const list = (await apiGet(page, `/api/orgs/${org}/integrations`)).body;
    assert.equal(list.integrations.length, 1, JSON.stringify(list));
    const uid = list.integrations[0].uid;
    assert.equal(list.integrations[0].settings.trigger, 'approval');
    assert.equal(list.integrations[0].not_fiscalized, null, 'nothing to warn about yet');
    const r = row(page, uid);
    await r.getByText('Active', { exact: true }).waitFor();
    const warning = r.getByTestId('not-fiscalized');
    const badge = r.getByText('Not fiscalized', { exact: true });
    assert.equal(await warning.count(), 0);
    assert.equal(await badge.count(), 0);

    // 1. An approved invoice with a line of a negative amount (-5.00).
    const bad = await invoice([line('Lunch menu', 100), line('Loyalty discount', -5)]);
    await reloadUntil(page, async () => (await warning.count()) === 1, `${bad.InvoiceNumber} is not reported on the row`, { org, uid });
    const nf = (await integration(page, org, uid)).not_fiscalized;
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
    await warning.getByText('Correct it in Xero: fiscalhub looks at a document again whenever it changes.', { exact: true }).waitFor();
    assert.doesNotMatch(await warning.innerText(), /Showing the latest/);
    assert.equal(await warning.getByRole('button').count(), 0, 'nothing to press: the fix is in Xero');
    assert.equal(await warning.getByRole('link').count(), 0);
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
      .getByText('Correct them in Xero: fiscalhub looks at a document again whenever it changes. Showing the latest 10.', { exact: true })
      .waitFor();
    await noSerious(page, 'Integrations with eleven documents not fiscalized');
    await page.screenshot({ path: '/tmp/fh-not-fiscalized-more.png', fullPage: true });

    // 3. The first invoice corrected in Xero (the discount taken off the line's price): it is
    // signed, and the warning counts the other ten.
    await control('PUT', `/xero/control/invoices/${bad.InvoiceID}`, { LineItems: [line('Lunch menu', 95)] });
    await reloadUntil(
      page,
      async () => (await title.innerText()) === '10 documents were not fiscalized by fiscalhub.',
      `${bad.InvoiceNumber}, corrected, still counts`,
      { org, uid },
    );
    await warning.getByText('Correct them in Xero: fiscalhub looks at a document again whenever it changes.', { exact: true }).waitFor();
    for (const deadline = Date.now() + 20000; ; ) {
      const signed = (await apiGet(page, `/api/orgs/${org}/fiscal-invoices?integration=${uid}`)).body.invoices.find(
        (i) => i.source_ref === bad.InvoiceNumber,
      );
      if (signed?.status === 'signed') break;
      assert.ok(Date.now() < deadline, `${bad.InvoiceNumber} is signed once corrected: ${JSON.stringify(signed)}`);
      await sleep(500);
    }
    // The others voided in Xero: nothing left to fiscalize, no warning, no badge.
    for (const m of more) await control('POST', `/xero/control/invoices/${m.InvoiceID}/void`, {});
    await reloadUntil(page, async () => (await warning.count()) === 0, 'the voided invoices leave the warning', { org, uid });
    assert.equal(await badge.count(), 0, 'no badge either');
    assert.equal((await integration(page, org, uid)).not_fiscalized, null);
    assertNoCspViolations(page);
  } finally {
    await context.close();
  }
});
