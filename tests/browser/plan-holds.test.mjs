// What the plan holds back, on the Integrations rows (docs/api/billing.md "Seats" and "Invoices on
// hold"). Starts its own sandbox (the V-SDC) and server with a trial of one fiscal invoice a
// month. A key with three seats, three Custom Integrations, then a key with two seats: the newest
// integration's row says it is over the seat limit, its invoice waits with the seat wording in
// the details dialog, and removing the oldest integration gives it the seat (the invoice signed,
// the row plain). Then the month's invoice limit used up and an expired licence, each said on
// every row with what releases the invoices.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { invoice, issueCert } from '../lib/fiscal.mjs';
import { issueKeys } from '../lib/billing.mjs';
import { ApiClient, basic } from '../lib/custom.mjs';
import { storeExec } from '../lib/server.mjs';
import { addCustomIntegration, apiGet, apiSend, assertNoCspViolations, invoiceSettled, noSerious, openPage, signUp, startWorld, uniqueEmail, uploadIssuedCert } from './helpers.mjs';

let sb, srv, browser, world;

before(async () => {
  world = await startWorld({ FISCALHUB_TRIAL_CONNECTIONS: '1', FISCALHUB_TRIAL_INVOICES: '1', FISCALHUB_BILLING_RELEASE_SECONDS: '1' });
  ({ sb, srv, browser } = world);
});
after(async () => {
  await world?.stop();
});

const SEAT_NOTE =
  'The plan has 2 seats, held by older integrations: this one keeps syncing, and its invoices wait on hold until it has a seat. Remove another integration, or get more seats. Billing';
const SEAT_RELEASE =
  "Nothing is lost and nothing needs to be sent again: fiscalhub fiscalizes this integration's invoices on hold automatically, oldest first, as soon as it has a seat: when another integration is removed, or the plan gets more seats on Billing. A new month does not release them.";
const LIMIT_NOTE =
  'New fiscal invoices wait on hold until the new month (UTC), or until a plan with a higher monthly limit is activated. Billing';
const EXPIRED_NOTE = 'Its invoices wait on hold until the plan is renewed or a new key is activated. Billing';

async function activate(page, org, spec) {
  const [key] = issueKeys(srv, spec);
  const r = await apiSend(page, 'POST', `/api/orgs/${org}/billing/keys/activate`, { key });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

/** A Custom Integration and a client of the public API with a key of it. */
async function custom(page, org, certUid) {
  const { uid } = await addCustomIntegration(page, org, certUid);
  const k = await apiSend(page, 'POST', `/api/orgs/${org}/integrations/${uid}/api-keys`, { label: 'till' });
  assert.equal(k.status, 201, JSON.stringify(k.body));
  return { uid, api: new ApiClient(srv.url, basic(k.body.client_id, k.body.client_secret)) };
}

async function submit(api, ref) {
  const r = await api.post('/api/v1/invoices', { source_id: ref, source_ref: ref, invoice: invoice({ pos_invoice_number: ref }) });
  assert.equal(r.status, 202, r.text);
  return r.json.id;
}

const row = (page, uid) => page.locator(`tbody[data-uid="${uid}"]`);
const badges = async (page, uid) => (await row(page, uid).locator('.integration-main .badge').allTextContents()).map((t) => t.trim());

test('the plan on the Integrations rows: over the seat limit, the invoice limit, an expired licence', async () => {
  const { context, page } = await openPage(browser, { baseURL: srv.url });
  try {
    await signUp(page, { email: uniqueEmail('plan-holds'), company: 'Seats d.o.o.' });
    const org = (await apiGet(page, '/api/me')).body.orgs[0].code;
    const cert = await issueCert(sb);
    await uploadIssuedCert(page, org, cert);
    await activate(page, org, { tier: 'growth', seats: 3, months: 12 });
    const a = await custom(page, org, cert.uid);
    const b = await custom(page, org, cert.uid);
    const c = await custom(page, org, cert.uid);
    await activate(page, org, { tier: 'growth', seats: 2, months: 12 }); // replaces the plan

    await page.goto('/integrations');
    await row(page, c.uid).getByTestId('plan-hold').waitFor();
    assert.deepEqual(await badges(page, c.uid), ['Active', 'Over seat limit']);
    assert.equal((await row(page, c.uid).getByTestId('plan-hold').textContent()).trim(), SEAT_NOTE);
    assert.equal(await row(page, c.uid).getByTestId('plan-hold').getByRole('link', { name: 'Billing' }).getAttribute('href'), '/billing');
    for (const older of [a, b]) {
      assert.deepEqual(await badges(page, older.uid), ['Active']);
      assert.equal(await row(page, older.uid).getByTestId('plan-hold').count(), 0);
    }
    await page.getByTestId('usage-connections').getByText('3 / 2').waitFor();
    assert.equal((await page.getByTestId('usage-connections-note').textContent()).trim(), 'Over the limit: the newest integration waits for a seat');
    await noSerious(page, 'Integrations with one over the seat limit');
    await page.screenshot({ path: '/tmp/fh-over-seat.png' });

    // its invoice waits, and the details say what gives it a seat
    const held = await invoiceSettled(page, org, await submit(c.api, 'SEAT-1'), (s) => s === 'on_hold');
    assert.equal(held.hold_kind, 'seat_limit');
    assert.match(held.hold_reason, /^Over the seat limit: the Growth plan has 2 seats, held by the integrations added before this one\./);
    await page.goto('/pos/invoices?status=on_hold');
    await page.getByRole('button', { name: 'Details of invoice SEAT-1' }).click();
    const dialog = page.getByRole('dialog', { name: 'Invoice SEAT-1' });
    await dialog.getByText(SEAT_RELEASE, { exact: true }).waitFor(); // once the plan's state is known
    assert.equal((await dialog.getByTestId('hold-reason').textContent()).trim(), held.hold_reason);
    await noSerious(page, 'details dialog (on hold, over the seat limit)');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // removing the oldest gives the newest its seat: the invoice is signed, the row plain
    await page.goto('/integrations');
    await row(page, a.uid).getByRole('button', { name: /^Remove/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove integration' }).click();
    await row(page, a.uid).waitFor({ state: 'detached' });
    const signed = await invoiceSettled(page, org, held.id, (s) => s === 'signed');
    assert.equal(signed.hold_kind, null);
    await page.reload();
    await row(page, c.uid).waitFor();
    assert.equal(await row(page, c.uid).getByTestId('plan-hold').count(), 0);
    assert.equal(await row(page, c.uid).locator('.badge', { hasText: 'Over seat limit' }).count(), 0);

    // the month's invoices used up (a small plan), then the licence expired: said on every row
    storeExec(srv, `UPDATE billing_subscriptions SET seats = 2, tier = 'starter' WHERE org_id = (SELECT id FROM organizations WHERE code = '${org}')`);
    storeExec(srv, `UPDATE billing_usage SET invoices = 500 WHERE integration_id = 0 AND org_id = (SELECT id FROM organizations WHERE code = '${org}')`);
    await page.reload();
    for (const it of [b, c]) {
      await row(page, it.uid).getByTestId('plan-hold').waitFor();
      assert.deepEqual(await badges(page, it.uid), ['Active', 'Invoice limit reached']);
      assert.equal((await row(page, it.uid).getByTestId('plan-hold').textContent()).trim(), LIMIT_NOTE);
    }
    storeExec(srv, `UPDATE billing_subscriptions SET expires_at = ${Date.now() - 86_400_000} WHERE org_id = (SELECT id FROM organizations WHERE code = '${org}')`);
    await page.reload();
    for (const it of [b, c]) {
      await row(page, it.uid).getByText(EXPIRED_NOTE.replace(/ Billing$/, ''), { exact: false }).waitFor();
      assert.deepEqual(await badges(page, it.uid), ['Active', 'Licence expired']);
      assert.equal((await row(page, it.uid).getByTestId('plan-hold').textContent()).trim(), EXPIRED_NOTE);
    }
    await noSerious(page, 'Integrations with the licence expired');
    assertNoCspViolations(page);
  } finally {
    await context.close();
  }
});
