// Custom Integration and Custom / Webhook in the portal. This file starts its own
// fiscalhub-sandbox (V-SDC emulator and webhook receiver) and its own fiscalhub trusting the
// sandbox's CA, like pos-invoices.test.mjs; the certificate is issued by the sandbox and uploaded
// through the API from the page.
// - API Keys: Create Integration → Custom Integration → its API Keys page; Create key shows the
//   Client ID and secret once (the secret works against /api/v1); after Done and after a reload
//   the secret is nowhere on the page; Revoke (with a confirm dialog) → the key gets 401.
// - Custom / Webhook: Configure webhook (URL, events, a header) → the signing secret once → the
//   Deliveries page; an invoice submitted with an API key shows up Delivered; Redeliver sends the
//   same event id again; Configure changes a header; the row actions on the Integrations page.
// axe-core: no serious or critical violations on each page and dialog; no CSP violations.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApiClient, basic, receiver } from '../lib/custom.mjs';
import { invoice, issueCert, waitFor } from '../lib/fiscal.mjs';
import {
  apiGet,
  apiSend,
  assertNoCspViolations,
  noSerious,
  openPage,
  signUp,
  startWorld,
  uniqueEmail,
  uploadIssuedCert,
} from './helpers.mjs';

let sb;
let srv;
let browser;
let world;
let session; // { context, page, org, cert, customUid, webhookUid }

before(async () => {
  world = await startWorld({
    FISCALHUB_WEBHOOK_BACKOFF_MS: '100',
    FISCALHUB_WEBHOOK_BACKOFF_MAX_MS: '300',
    FISCALHUB_LOGIN_MAX_FAILURES: '1000',
  });
  ({ sb, srv, browser } = world);
  const { context, page } = await openPage(browser, { baseURL: srv.url, clipboard: true });
  await signUp(page, { email: uniqueEmail('apikeys'), company: 'Keys d.o.o.' });
  const org = (await apiGet(page, '/api/me')).body.orgs[0].code;
  const cert = await issueCert(sb);
  await uploadIssuedCert(page, org, cert);
  session = { context, page, org, cert: cert.uid };
});
after(async () => {
  await session?.context.close();
  await world?.stop();
});

test('create a key, see the secret once, and revoke it', async () => {
  const { page, org, cert } = session;
  await page.goto('/integrations/new');
  await page.getByRole('heading', { level: 1, name: 'Create Integration' }).waitFor();
  const card = page.locator('li[data-type="custom"]');
  await card.getByText('Premium').waitFor();
  await card.getByRole('button', { name: 'Create integration' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create a Custom Integration' });
  await dialog.getByLabel('Certificate').waitFor();
  assert.equal(await dialog.getByLabel('Certificate').inputValue(), cert);
  await noSerious(page, 'Create a Custom Integration dialog');
  await dialog.getByRole('button', { name: 'Create integration' }).click();
  await page.waitForURL(/\/integrations\/IN-[A-Z0-9]+\/api-keys$/);
  const uid = page.url().match(/\/integrations\/(IN-[A-Z0-9]+)\/api-keys$/)[1];
  session.customUid = uid;
  await page.getByRole('heading', { level: 1, name: 'API Keys' }).waitFor();
  await page.getByRole('heading', { name: 'No API keys yet' }).waitFor();
  await noSerious(page, 'API Keys (empty)');

  // Create key: the secret once
  await page.getByRole('button', { name: 'Create key' }).click();
  const create = page.getByRole('dialog', { name: 'Create API key' });
  await create.getByRole('button', { name: 'Create key' }).click();
  await create.getByText('Give the key a label').waitFor(); // a label is required
  await create.getByLabel('Label').fill('POS till 1');
  await create.getByRole('button', { name: 'Create key' }).click();
  const shown = page.getByRole('dialog', { name: 'API key created' });
  await shown.getByText('shown only this once').waitFor();
  const clientId = (await shown.getByTestId('api-key-client-id').innerText()).trim();
  const secret = (await shown.getByTestId('api-key-secret').innerText()).trim();
  assert.match(clientId, /^ck_/);
  assert.match(secret, /^cs_[A-Za-z0-9_-]{43}$/);
  await noSerious(page, 'API key created dialog');
  await shown.getByRole('button', { name: 'Copy Secret' }).click();
  await shown.getByText('Copied').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
  // the secret works
  const api = new ApiClient(srv.url, basic(clientId, secret));
  const me = await api.get('/api/v1/me');
  assert.equal(me.status, 200);
  assert.equal(me.json.integration.uid, uid);

  await shown.getByRole('button', { name: 'Done' }).click();
  await shown.waitFor({ state: 'detached' });
  const row = page.locator(`tr[data-client-id="${clientId}"]`);
  await row.getByRole('cell', { name: 'POS till 1', exact: true }).waitFor();
  await row.getByText('Active', { exact: true }).waitFor();
  assert.ok(!(await page.content()).includes(secret), 'the secret is gone once the dialog is closed');
  await page.reload();
  await page.locator(`tr[data-client-id="${clientId}"]`).getByRole('cell', { name: 'POS till 1', exact: true }).waitFor();
  assert.ok(!(await page.content()).includes(secret), 'and after a reload');
  assert.ok(!JSON.stringify((await apiGet(page, `/api/orgs/${org}/integrations/${uid}/api-keys`)).body).includes(secret));
  await noSerious(page, 'API Keys (one key)');

  // Revoke, with a confirm dialog
  await page.locator(`tr[data-client-id="${clientId}"]`).getByRole('button', { name: 'Revoke key POS till 1' }).click();
  const confirm = page.getByRole('dialog', { name: 'Revoke the key “POS till 1”?' });
  await confirm.getByText(clientId).waitFor();
  await noSerious(page, 'revoke dialog');
  await confirm.getByRole('button', { name: 'Revoke key' }).click();
  await confirm.waitFor({ state: 'detached' });
  await page.getByRole('status').getByText(`API key POS till 1 (${clientId}) revoked.`).waitFor();
  const revokedRow = page.locator(`tr[data-client-id="${clientId}"]`);
  await revokedRow.getByText('Revoked', { exact: true }).waitFor();
  assert.equal(await revokedRow.getByRole('button').count(), 0, 'a revoked key has no Revoke button');
  const denied = await api.get('/api/v1/me');
  assert.equal(denied.status, 401);
  assert.equal(denied.json.code, 8000);
  assertNoCspViolations(page);
});

test('Custom / Webhook: configure, the signing secret once, the delivery log and Redeliver', async () => {
  const { page, org } = session;
  assert.ok(session.customUid, 'the first test created the Custom Integration');
  const hook = `browser-${Date.now()}`;
  await page.goto('/integrations/new');
  await page.locator('li[data-type="webhook"]').getByRole('button', { name: 'Configure webhook' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create a Custom / Webhook integration' });
  await dialog.getByLabel('Certificate').waitFor();
  await dialog.getByLabel('Endpoint URL').fill('http://erp.example.com/hook');
  await dialog.getByRole('button', { name: 'Create webhook' }).click();
  await dialog.getByText('Use an https:// URL').waitFor();
  await dialog.getByLabel('Endpoint URL').fill(receiver.url(sb, hook));
  await dialog.getByLabel('Integration status changed').check();
  await dialog.getByRole('button', { name: 'Add header' }).click();
  await dialog.getByLabel('Header 1 name').fill('Authorization');
  await dialog.getByLabel('Header 1 value').fill('Bearer browser-token');
  await noSerious(page, 'Configure webhook dialog');
  await dialog.getByRole('button', { name: 'Create webhook' }).click();
  const created = page.getByRole('dialog', { name: 'Webhook created' });
  const signing = (await created.getByTestId('webhook-signing-secret').innerText()).trim();
  assert.match(signing, /^whsec_/);
  await receiver.configure(sb, hook, { secret: signing });
  await noSerious(page, 'Webhook created dialog');
  await created.getByRole('button', { name: 'Done' }).click();
  await page.waitForURL(/\/integrations\/IN-[A-Z0-9]+\/deliveries$/);
  const uid = page.url().match(/\/integrations\/(IN-[A-Z0-9]+)\/deliveries$/)[1];
  await page.getByRole('heading', { level: 1, name: 'Webhook deliveries' }).waitFor();
  assert.equal((await page.getByTestId('endpoint-url').innerText()).trim(), receiver.url(sb, hook));
  assert.ok(!(await page.content()).includes('browser-token') && !(await page.content()).includes(signing));

  // an invoice submitted with an API key: its event is delivered and logged
  const key = await apiSend(page, 'POST', `/api/orgs/${org}/integrations/${session.customUid}/api-keys`, { label: 'webhook test' });
  const api = new ApiClient(srv.url, basic(key.body.client_id, key.body.client_secret));
  const sub = await api.post('/api/v1/invoices', { invoice: invoice({ pos_invoice_number: `BR-${Date.now()}` }) });
  assert.equal(sub.status, 202, sub.text);
  const [got] = await receiver.events(sb, hook, (e) => e.type === 'invoice.fiscalized');
  assert.equal(got.signature_valid, true);
  assert.equal(got.headers.authorization, 'Bearer browser-token');
  const eventRow = page.locator(`tr[data-event-id="${got.event.id}"]`);
  await waitFor(async () => (await eventRow.count()) > 0 || (await page.reload(), false), { timeoutMs: 20000, what: 'the delivery row' });
  await eventRow.getByText('Delivered', { exact: true }).waitFor();
  assert.match(await eventRow.innerText(), /Invoice fiscalized/);
  assert.match(await eventRow.innerText(), /200/);
  assert.match(await eventRow.innerText(), /"received":true/);
  await noSerious(page, 'Deliveries page');

  // Redeliver: the same event id again
  await eventRow.getByRole('button', { name: `Redeliver event ${got.event.id}` }).click();
  await page.getByRole('status').getByText(`Event ${got.event.id} is being delivered again.`).waitFor();
  const twice = await receiver.events(sb, hook, (e) => e.id === got.event.id, 2);
  assert.equal(twice[1].duplicate, true);
  await waitFor(async () => /Delivered/.test(await eventRow.innerText()) && /\b2\b/.test(await eventRow.locator('td').nth(3).innerText()),
    { timeoutMs: 20000, what: 'the redelivery in the log' });

  // Configure: replace the header's value, keep the events
  await page.getByRole('button', { name: 'Configure' }).click();
  const cfg = page.getByRole('dialog', { name: `Configure ${uid}` });
  assert.equal(await cfg.getByLabel('Header 1 name').inputValue(), 'Authorization');
  assert.equal(await cfg.getByLabel('Header 1 value').inputValue(), '', 'stored values are never shown');
  assert.ok(await cfg.getByLabel('Integration status changed').isChecked());
  await cfg.getByLabel('Header 1 value').fill('Bearer rotated');
  await cfg.getByRole('button', { name: 'Save' }).click();
  await cfg.waitFor({ state: 'detached' });
  await page.getByRole('status').getByText(`The endpoint of ${uid} was saved.`).waitFor();
  await api.post('/api/v1/invoices', { invoice: invoice({ pos_invoice_number: `BR2-${Date.now()}` }) });
  const later = await receiver.events(sb, hook, (e) => e.type === 'invoice.fiscalized' && e.id !== got.event.id);
  assert.equal(later[0].headers.authorization, 'Bearer rotated');

  // the Integrations page: row actions by type
  await page.goto('/integrations');
  const webhookRow = page.locator(`tbody[data-uid="${uid}"]`);
  await webhookRow.getByRole('link', { name: `Deliveries ${uid}` }).waitFor();
  await webhookRow.getByRole('button', { name: `Configure ${uid}` }).waitFor();
  const customRow = page.locator(`tbody[data-uid="${session.customUid}"]`);
  // every type shows its certificate and can change it (the dialog marks the current one)
  await customRow.getByTestId('certificate').waitFor();
  await webhookRow.getByRole('button', { name: `Change certificate ${uid}` }).click();
  const recert = page.getByRole('dialog', { name: `Change certificate of ${uid}` });
  await recert.getByText(/sends the events of the invoices signed with the certificate you choose/).waitFor();
  await recert.getByRole('radio', { name: /\(current\)/ }).waitFor();
  await recert.getByRole('button', { name: 'Cancel' }).click();
  await recert.waitFor({ state: 'detached' });
  await customRow.getByRole('button', { name: `Change certificate ${session.customUid}` }).waitFor();
  await customRow.getByRole('link', { name: `API Keys ${session.customUid}` }).click();
  await page.getByRole('heading', { level: 1, name: 'API Keys' }).waitFor();
  await noSerious(page, 'API Keys (from the row)');
  assertNoCspViolations(page);
});
