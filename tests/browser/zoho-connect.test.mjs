// Connecting Zoho Books end to end in the browser, through the Zoho emulator's
// consent page. This file starts its own fiscalhub-sandbox (the V-SDC and the
// Zoho emulator, tests/lib/sandbox.mjs; docs/internals/zoho-sandbox.md) and
// its own fiscalhub pointed at it (FISCALHUB_SANDBOX_URL: the Zoho settings
// default to the sandbox's demo client; FISCALHUB_TAXCORE_CA_FILE: the
// sandbox's V-SDC CA), rather than the server of FH_BASE_URL. The demo
// client's redirect URI is set to this fiscalhub's /oauth/zoho/callback
// through the sandbox's control API, and a Zoho user in the EU data center
// with one organization of its own is created there.
//
// 1. Create Integration → Connect Zoho Books: no certificate yet, so one
//    issued by the sandbox is uploaded in the flow; the Connect Zoho Books
//    dialog takes the data center (Europe), which invoices to fiscalize and
//    the earlier invoices the first sync reads (the last 30 days);
//    Connect goes to the EU accounts server's sign-in and consent pages (sign
//    in, pick the organization, Accept) and back to Integrations, where the
//    row is Active and the Zoho Books Webhook Setup panel shows the URL, the
//    secret (hidden until Show; Copy puts it on the clipboard) and the steps.
//    The URL and secret are "pasted into Zoho" (the sandbox's workflow rule),
//    an invoice made in Zoho sends a webhook, and the panel says webhooks
//    arrive. Rotate secret asks first and makes a new secret (back to
//    polling). Test Connection names the organization; Change settings
//    persists; Tax mapping lists Zoho's taxes and saves labels by tax_id;
//    Remove asks first, the row and the panel go and the token is revoked at
//    Zoho.
// 2. Reject on the consent page: the error notice, the setup under Pending;
//    Resume as the sandbox's demo user (two organizations) leads to the
//    organization choice page; Continue makes the integration Active.
// 3. A viewer sees the panel's URL and steps, not the secret, and cannot
//    rotate it.
// axe-core: no serious or critical violations on the Create Integration page,
// the Connect Zoho Books dialog, the Webhook Setup panel (and the page with
// it), the Rotate secret and Change settings dialogs and the organization
// choice page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSandbox } from '../lib/sandbox.mjs';
import { startServer } from '../lib/server.mjs';
import {
  apiGet,
  assertNoCspViolations,
  launch,
  logIn,
  integrationOf,
  noSerious,
  openPage,
  PASSWORD,
  signUp,
  uniqueEmail,
} from './helpers.mjs';

const DEMO_CLIENT = '1000.FISCALHUBSANDBOXDEMOCLIENT01';
const ZOHO_PASSWORD = 'zoho-sandbox-pw';
const ORG_NAME = 'Kafana Zoho d.o.o.';
const DEMO_ORGS = ['Demo Company (EU)', 'Demo Trading (EU)'];

let sb;
let srv;
let browser;
let zohoUser; // { email, org: { organization_id, name } }
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
    },
  });
  // The sandbox's demo client (fiscalhub's default Zoho client) sends consents back to this fiscalhub.
  await control('PUT', `/zoho/control/clients/${encodeURIComponent(DEMO_CLIENT)}`, {
    redirect_uris: [`${srv.url}/oauth/zoho/callback`],
  });
  // A Zoho user in the EU data center with one organization.
  const org = await control('POST', '/zoho/control/orgs', { name: ORG_NAME, dc: 'eu', plan: 'standard', utc_offset: '+0100' });
  const email = `zoho-${Date.now()}@example.com`;
  await control('POST', '/zoho/control/users', { email, password: ZOHO_PASSWORD, dc: 'eu', orgs: [org.organization_id] });
  zohoUser = { email, org };
  browser = await launch();
});

after(async () => {
  await owner?.context.close();
  await browser?.close();
  await srv?.stop();
  await sb?.stop();
});

const row = (page, uid) => page.locator(`tbody[data-uid="${uid}"]`);
const panel = (page, uid) => page.locator(`section.webhook-setup[data-uid="${uid}"]`);

async function waitFor(what, fn, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** On the sandbox's Zoho pages: sign in (when asked), pick an organization, then Accept or Reject. */
async function consent(page, { email, password, org, action = 'Accept' }) {
  await page.waitForURL((u) => u.href.startsWith(`${sb.url}/zoho/accounts/`));
  const emailField = page.getByLabel('Email address');
  if (await emailField.isVisible().catch(() => false)) {
    await emailField.fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await page.getByRole('button', { name: 'Accept' }).waitFor();
  if (org) await page.getByLabel(org).check();
  await page.getByRole('button', { name: action, exact: true }).click();
}

async function openIntegrations(page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Integrations', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
  await page.getByRole('status').filter({ hasText: 'Loading' }).waitFor({ state: 'detached' });
}

test('Zoho Books connects through the sandbox consent page; the Webhook Setup panel, Rotate secret, Test Connection, Change settings, Tax mapping and Remove', async () => {
  const { context, page } = await openPage(browser, { baseURL: srv.url, clipboard: true });
  owner = { context, page };
  await signUp(page, { email: uniqueEmail('zoho'), company: ORG_NAME });
  const org = (await apiGet(page, '/api/me')).body.orgs[0].code;
  owner.org = org;

  // Create Integration: the Zoho Books card is live.
  await page.getByRole('button', { name: 'Create Integration' }).click();
  await page.waitForURL('**/integrations/new');
  const card = page.locator('li[data-type="zoho_books"]');
  await card.getByRole('heading', { level: 2, name: 'Zoho Books' }).waitFor();
  const connectZoho = card.getByRole('button', { name: 'Connect Zoho Books' });
  assert.ok(await connectZoho.isEnabled());
  await noSerious(page, 'Create Integration');

  // Step 1: no certificate yet; upload one the sandbox issued.
  await connectZoho.click();
  const choose = page.getByRole('dialog', { name: 'Choose a certificate' });
  await choose.getByText('has no active certificate yet').waitFor();
  assert.match(await choose.innerText(), /every Zoho Books invoice/);
  await choose.getByRole('button', { name: 'Upload a new certificate' }).click();
  const cert = await sb.issueCert({ name: ORG_NAME, location: 'Novi Sad' });
  owner.certUid = cert.uid;
  const upload = page.getByRole('dialog', { name: 'Upload Certificate' });
  await upload.getByLabel('Certificate file (PFX)').setInputFiles(cert.pfxPath);
  await upload.getByLabel('Password').fill(cert.password.trim());
  await upload.getByLabel('PAC').fill(cert.pac.trim());
  await upload.getByRole('button', { name: 'Upload', exact: true }).click();

  // Step 2: the Connect Zoho Books dialog: data center and which invoices.
  const dialog = page.getByRole('dialog', { name: 'Connect Zoho Books' });
  await dialog.waitFor();
  await dialog.getByText(cert.uid).waitFor();
  const dc = dialog.getByLabel('Data center');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'connect-zoho-dc', 'focus on the data center');
  const regions = await dc.locator('option').allInnerTexts();
  for (const r of ['United States (zoho.com)', 'Europe (zoho.eu)', 'India (zoho.in)', 'Australia (zoho.com.au)', 'Japan (zoho.jp)', 'Canada (zohocloud.ca)'])
    assert.ok(regions.includes(r), `the data centers name ${r}: ${regions.join(', ')}`);
  const sent = dialog.getByRole('radio', { name: 'Every invoice that is sent' });
  const paid = dialog.getByRole('radio', { name: 'Invoices with a payment' });
  assert.ok(await sent.isChecked(), 'every sent invoice is the default');
  assert.match((await paid.getAttribute('aria-describedby')) ?? '', /connect-zoho-paid-description/, 'each choice is explained');
  await dc.selectOption({ label: 'Europe (zoho.eu)' });
  await paid.check();
  const backfill = dialog.getByLabel('Earlier invoices');
  assert.equal(await backfill.inputValue(), '0', 'by default the first sync reads no earlier invoices');
  await backfill.selectOption({ label: 'Changed in the last 30 days' });
  await noSerious(page, 'Connect Zoho Books dialog');
  await page.screenshot({ path: '/tmp/fh-zoho-connect-dialog.png' });
  await dialog.getByRole('button', { name: 'Connect', exact: true }).click();

  // Zoho's pages at the EU accounts server: sign in, pick the organization, Accept.
  await page.waitForURL((u) => u.href.startsWith(`${sb.url}/zoho/accounts/eu/`));
  await page.screenshot({ path: '/tmp/fh-zoho-consent-login.png' });
  await consent(page, { email: zohoUser.email, password: ZOHO_PASSWORD, org: ORG_NAME });

  // Back on Integrations: the notice, the address cleaned, the row Active.
  await page.waitForURL((u) => u.href.startsWith(srv.url) && u.pathname === '/integrations');
  const note = page.getByRole('status').filter({ hasText: 'Zoho Books is connected' });
  await note.waitFor();
  assert.equal(new URL(page.url()).search, '', 'the consent result is removed from the address');
  const list = (await apiGet(page, `/api/orgs/${org}/integrations`)).body;
  assert.equal(list.integrations.length, 1, JSON.stringify(list));
  assert.equal(list.pending.length, 0);
  const it = list.integrations[0];
  owner.uid = it.uid;
  assert.equal(it.status, 'active');
  assert.equal(it.type, 'zoho_books');
  assert.equal(it.certificate_uid, cert.uid);
  assert.equal(it.settings.data_center, 'eu');
  assert.equal(it.settings.fiscalize, 'paid');
  assert.equal(it.settings.backfill_days, 30);
  assert.equal(it.tenant_name, ORG_NAME);
  assert.match(await note.innerText(), new RegExp(it.uid));

  const r = row(page, it.uid);
  await r.getByText('Active', { exact: true }).waitFor();
  assert.equal(await r.locator('svg.type-icon--zoho').count(), 1, 'the Zoho icon');
  await r.getByText('Zoho Books', { exact: true }).waitFor();
  await r.getByTestId('tenant').filter({ hasText: ORG_NAME }).waitFor();
  await r.getByTestId('fiscalize').filter({ hasText: 'Invoices with a payment' }).waitFor();
  await r.getByTestId('data-center').filter({ hasText: 'Europe' }).waitFor();

  // The Zoho Books Webhook Setup panel under the table, open while no webhook arrives.
  const p = panel(page, it.uid);
  await p.getByRole('heading', { level: 2, name: 'Zoho Books Webhook Setup' }).waitFor();
  const hook = (await apiGet(page, `/api/orgs/${org}/integrations/${it.uid}/webhook`)).body;
  assert.ok(hook.url && hook.secret, JSON.stringify(hook));
  await p.getByTestId(`zoho-webhook-${it.uid}-url`).filter({ hasText: hook.url }).waitFor();
  await p.getByTestId('webhook-seen').filter({ hasText: 'No webhook received yet — fiscalhub polls every 6 minutes' }).waitFor();
  await p.getByTestId('last-polled').waitFor();
  const steps = await p.locator('ol.webhook-steps > li').allInnerTexts();
  assert.ok(steps.length >= 4, `the steps: ${steps.join(' | ')}`);
  const all = steps.join('\n');
  for (const w of [/Workflow Rules/, /Invoice/, /Created or Edited/i, /Webhook/, /POST/, /Default payload/i, /secure this webhook/i, /module Credit Notes/])
    assert.match(all, w);
  const secretValue = p.getByTestId(`zoho-webhook-${it.uid}-secret`);
  assert.ok(!(await secretValue.innerText()).includes(hook.secret), 'the secret is hidden until Show');
  await p.getByRole('button', { name: 'Show Secret' }).click();
  await secretValue.filter({ hasText: hook.secret }).waitFor();
  await noSerious(page, 'Integrations with an active Zoho Books row and its Webhook Setup panel');
  await page.screenshot({ path: '/tmp/fh-zoho-integrations.png', fullPage: true });

  // Copy: the URL and the secret on the clipboard, as one pastes them into Zoho.
  await p.getByRole('button', { name: 'Copy Webhook URL' }).click();
  await page.waitForFunction(async (want) => (await navigator.clipboard.readText()) === want, hook.url);
  await p.getByRole('button', { name: 'Copy Secret' }).click();
  await p.getByRole('status').filter({ hasText: 'Copied' }).first().waitFor();
  await page.waitForFunction(async (want) => (await navigator.clipboard.readText()) === want, hook.secret);
  const pasted = await page.evaluate(() => navigator.clipboard.readText());

  // "In Zoho Books": the workflow rule calls that URL with that secret; an invoice is made.
  const zorg = zohoUser.org.organization_id;
  await control('PUT', `/zoho/control/orgs/${zorg}/webhook`, { url: hook.url, secret: pasted, events: ['create', 'edit'] });
  await control('POST', `/zoho/control/orgs/${zorg}/invoices`, {
    customer_name: 'Kupac d.o.o.',
    line_items: [{ name: 'Espresso', rate: 240, quantity: 2, tax_name: 'VAT' }],
  });
  await waitFor('the webhook to be delivered', async () => (await control('GET', `/zoho/control/orgs/${zorg}/webhook`)).delivered >= 1);
  await waitFor('fiscalhub to see the webhook', async () => (await integrationOf(page, org, it.uid)).webhooks_seen_at);
  await page.reload();
  await panel(page, it.uid).getByTestId('webhook-seen').filter({ hasText: 'Last webhook received' }).waitFor();
  await panel(page, it.uid).getByTestId('webhook-seen').getByText('Arriving').waitFor();
  // Webhooks arrive, so the setup starts folded; Show setup opens it.
  const toggle = panel(page, it.uid).getByRole('button', { name: /Show setup/ });
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  await toggle.click();
  assert.equal(await panel(page, it.uid).getByRole('button', { name: /Hide setup/ }).getAttribute('aria-expanded'), 'true');
  await page.screenshot({ path: '/tmp/fh-zoho-webhooks-arriving.png', fullPage: true });

  // Rotate secret: a confirm dialog; Cancel keeps the secret, Rotate makes a new one.
  const q = panel(page, it.uid);
  await q.getByRole('button', { name: 'Rotate secret' }).click();
  const rotate = page.getByRole('dialog', { name: 'Rotate the webhook secret?' });
  await rotate.waitFor();
  assert.match(await rotate.innerText(), /stops working at once/);
  await noSerious(page, 'Rotate secret dialog');
  await page.screenshot({ path: '/tmp/fh-zoho-rotate.png' });
  await rotate.getByRole('button', { name: 'Cancel' }).click();
  await rotate.waitFor({ state: 'detached' });
  assert.equal((await apiGet(page, `/api/orgs/${org}/integrations/${it.uid}/webhook`)).body.secret, hook.secret, 'Cancel rotates nothing');
  await q.getByRole('button', { name: 'Rotate secret' }).click();
  await rotate.getByRole('button', { name: 'Rotate secret' }).click();
  await rotate.waitFor({ state: 'detached' });
  await q.getByRole('status').filter({ hasText: 'A new secret was made' }).waitFor();
  const rotated = (await apiGet(page, `/api/orgs/${org}/integrations/${it.uid}/webhook`)).body;
  assert.notEqual(rotated.secret, hook.secret, 'the secret changed');
  assert.equal(rotated.url, hook.url, 'the URL stays');
  await q.getByRole('button', { name: 'Show Secret' }).click();
  await q.getByTestId(`zoho-webhook-${it.uid}-secret`).filter({ hasText: rotated.secret }).waitFor();
  await q.getByTestId('webhook-seen').filter({ hasText: 'No webhook received yet' }).waitFor();
  await q.getByTestId('webhook-seen').getByText('Polling').waitFor();

  // Test Connection: one read-only call to Zoho, the answer under the buttons.
  await r.getByRole('button', { name: 'Test Connection' }).click();
  const status = r.getByRole('status').filter({ hasText: 'Connected to the Zoho Books organization' });
  await status.waitFor();
  assert.match(await status.innerText(), new RegExp(ORG_NAME.replace(/\./g, '\\.')));
  assert.equal(await r.getByRole('alert').count(), 0);

  // Change settings: the same choices, saved, shown, kept after a reload.
  await r.getByRole('button', { name: 'Change settings' }).click();
  const change = page.getByRole('dialog', { name: `Change settings of ${it.uid}` });
  await change.waitFor();
  assert.ok(await change.getByRole('radio', { name: 'Invoices with a payment' }).isChecked());
  assert.equal(await change.getByLabel('Data center').inputValue(), 'eu');
  await change.getByRole('radio', { name: 'Every invoice that is sent' }).check();
  const receipt = change.getByRole('checkbox', { name: 'The fiscal receipt (journal)' });
  assert.match(await change.locator('#zoho-settings-attach_journal-description').innerText(), /fiscal-<number>\.pdf/,
    'Zoho Books takes no text files: the receipt is a PDF');
  await change.getByRole('checkbox', { name: 'The QR code', exact: true }).check();
  await receipt.check();
  await noSerious(page, 'Change settings dialog');
  await change.getByRole('button', { name: 'Save' }).click();
  await change.waitFor({ state: 'detached' });
  await page.getByRole('status').filter({ hasText: `The settings of integration ${it.uid} were saved.` }).waitFor();
  await r.getByTestId('fiscalize').filter({ hasText: 'Every invoice that is sent' }).waitFor();
  const changed = await integrationOf(page, org, it.uid);
  assert.equal(changed.settings.fiscalize, 'sent');
  assert.equal(changed.settings.data_center, 'eu');
  assert.equal(changed.settings.attach_qr, true);
  assert.equal(changed.settings.attach_journal, true);
  await r.getByTestId('write-back').filter({ hasText: 'Comment, QR code and fiscal receipt attached' }).waitFor();

  // Tax mapping: Zoho's taxes (and lines without tax) against the V-SDC's labels; saved by tax_id.
  await r.getByRole('button', { name: 'Tax mapping' }).click();
  const taxes = page.getByRole('dialog', { name: `Tax mapping of ${it.uid}` });
  const table = taxes.getByRole('table', { name: 'Zoho Books taxes' });
  await table.waitFor();
  const names = await table.locator('tbody th').allInnerTexts();
  for (const n of ['VAT', 'Reduced VAT', 'Lines without tax']) assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
  await taxes.getByLabel('VAT', { exact: true }).selectOption('Ж');
  await taxes.getByLabel('Lines without tax').selectOption('N');
  await noSerious(page, 'Tax mapping dialog (Zoho Books)');
  await taxes.getByRole('button', { name: 'Save' }).click();
  await taxes.waitFor({ state: 'detached' });
  await page.getByRole('status').filter({ hasText: `The tax mapping of integration ${it.uid} was saved` }).waitFor();
  const mapped = (await integrationOf(page, org, it.uid)).settings.tax_mapping;
  const keys = Object.keys(mapped);
  assert.equal(mapped.none, 'N');
  assert.ok(keys.some((k) => /^\d+$/.test(k) && mapped[k] === 'Ж'), `VAT mapped by its tax_id: ${JSON.stringify(mapped)}`);

  // Remove: a confirm dialog; the row and the panel go, the token is revoked at Zoho.
  const grants = () =>
    control('GET', `/zoho/control/tokens?client_id=${encodeURIComponent(DEMO_CLIENT)}&user=${encodeURIComponent(zohoUser.email)}`);
  assert.ok((await grants()).some((g) => g.refresh_token_count > 0), 'fiscalhub holds a refresh token');
  await r.getByRole('button', { name: 'Remove' }).click();
  const confirm = page.getByRole('dialog', { name: `Remove integration ${it.uid}?` });
  await confirm.waitFor();
  assert.match(await confirm.innerText(), /Zoho Books is revoked/);
  await confirm.getByRole('button', { name: 'Remove integration' }).click();
  await confirm.waitFor({ state: 'detached' });
  await row(page, it.uid).waitFor({ state: 'detached' });
  assert.equal(await panel(page, it.uid).count(), 0, 'no panel without an active Zoho Books integration');
  await page.getByRole('heading', { name: 'No integrations yet' }).waitFor();
  await waitFor('the refresh token to be revoked at Zoho', async () => (await grants()).every((g) => g.refresh_token_count === 0));
  assertNoCspViolations(page);
});

test('Reject at Zoho leaves a Pending setup; Resume with two organizations leads to the organization choice', async () => {
  assert.ok(owner?.certUid, 'the first test uploaded a certificate');
  const { context, page, org } = owner;
  // Another Zoho user now: forget the sandbox's sign-in.
  await context.clearCookies({ name: 'zoho_sandbox_session' });

  await page.goto('/integrations/new');
  await page.getByRole('button', { name: 'Connect Zoho Books' }).click();
  const choose = page.getByRole('dialog', { name: 'Choose a certificate' });
  await choose.getByRole('radio', { name: new RegExp(ORG_NAME.replace(/\./g, '\\.')) }).waitFor();
  await choose.getByRole('button', { name: 'Next' }).click();
  const dialog = page.getByRole('dialog', { name: 'Connect Zoho Books' });
  await dialog.getByLabel('Data center').selectOption('eu');
  await dialog.getByRole('button', { name: 'Connect', exact: true }).click();

  // Reject on Zoho's consent page.
  await consent(page, { email: 'demo@example.com', password: 'sandbox', action: 'Reject' });
  await page.waitForURL((u) => u.href.startsWith(srv.url) && u.pathname === '/integrations');
  const notice = page.getByTestId('consent-error');
  await notice.getByRole('alert').waitFor();
  assert.match(await notice.innerText(), /Zoho Books was not connected/);
  assert.match(await notice.innerText(), /Reject/);
  const pending = (await apiGet(page, `/api/orgs/${org}/integrations`)).body.pending;
  assert.equal(pending.length, 1, JSON.stringify(pending));
  const uid = pending[0].uid;
  const item = page.locator(`.pending-item[data-uid="${uid}"]`);
  await item.waitFor();
  assert.match(await item.innerText(), /Waiting for Zoho’s consent/);
  assert.match(await item.innerText(), /Europe \(zoho\.eu\)/);
  assert.ok(await item.getByRole('button', { name: 'Resume' }).isEnabled());
  await noSerious(page, 'Integrations with a consent error and a pending Zoho Books setup');
  await page.screenshot({ path: '/tmp/fh-zoho-pending.png', fullPage: true });

  // Resume from the Pending section; the demo user has two organizations.
  await item.getByRole('button', { name: 'Resume' }).click();
  await consent(page, { email: 'demo@example.com', password: 'sandbox', org: DEMO_ORGS[1] });
  await page.waitForURL(`**/integrations/${uid}/tenant`);
  await page.getByRole('heading', { level: 1, name: 'Choose the Zoho Books organization' }).waitFor();
  const a = page.getByRole('radio', { name: DEMO_ORGS[0] });
  const b = page.getByRole('radio', { name: DEMO_ORGS[1] });
  await a.waitFor();
  await b.waitFor();
  assert.ok(!(await a.isChecked()) && !(await b.isChecked()), 'nothing is chosen for the user');
  await noSerious(page, 'Zoho Books organization choice');
  await page.screenshot({ path: '/tmp/fh-zoho-tenant.png', fullPage: true });
  await b.check();
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.waitForURL((u) => u.pathname === '/integrations');
  await page.getByRole('status').filter({ hasText: `Zoho Books is connected: integration ${uid} is Active` }).waitFor();
  await row(page, uid).getByTestId('tenant').filter({ hasText: DEMO_ORGS[1] }).waitFor();
  await panel(page, uid).getByRole('heading', { name: 'Zoho Books Webhook Setup' }).waitFor();
  assert.equal(await page.locator('.pending-item').count(), 0, 'no longer pending');
  const it = await integrationOf(page, org, uid);
  assert.equal(it.status, 'active');
  assert.equal(it.tenant_name, DEMO_ORGS[1]);
  owner.uid = uid;
  assertNoCspViolations(page);
});

test('a viewer sees the webhook URL and steps but not the secret, and cannot rotate it', async () => {
  assert.ok(owner?.uid, 'an integration is connected');
  const { page, org, uid } = owner;
  const { csrf_token: csrf } = (await apiGet(page, '/api/me')).body;
  const email = uniqueEmail('zoho-viewer');
  const status = await page.evaluate(
    async ({ org, csrf, body }) =>
      (
        await fetch(`/api/orgs/${org}/members`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
          body: JSON.stringify(body),
        })
      ).status,
    { org, csrf, body: { email, role: 'viewer', name: 'A viewer', password: PASSWORD } },
  );
  assert.equal(status, 201);

  const { context, page: v } = await openPage(browser, { baseURL: srv.url });
  try {
    await logIn(v, email);
    await v.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
    await openIntegrations(v);
    const p = panel(v, uid);
    await p.getByTestId(`zoho-webhook-${uid}-url`).waitFor();
    await p.getByText('Only admins and owners of this organization can see the secret.').waitFor();
    assert.equal(await p.getByRole('button', { name: 'Copy Secret' }).count(), 0);
    const rotate = p.getByRole('button', { name: 'Rotate secret' });
    assert.ok(await rotate.isDisabled());
    for (const name of ['Reconnect', 'Change settings', 'Remove', 'Test Connection'])
      assert.ok(await row(v, uid).getByRole('button', { name }).isDisabled(), `viewer: ${name} is disabled`);
    await noSerious(v, 'Webhook Setup panel for a viewer');
    assertNoCspViolations(v);
  } finally {
    await context.close();
  }
});
