// Invoices on hold in the portal. Starts its own sandbox (the V-SDC) and server with a trial of
// one fiscal invoice a month (FISCALHUB_TRIAL_INVOICES=1), so the second invoice of the month is
// held (docs/api/billing.md "Invoices on hold"). Shown: the "N invoices on hold" line of the
// Integrations usage panel linking to POS Invoices filtered to them, the "On hold" badge and
// status filter, and the details dialog with the hold reason and what releases it; then an
// activated key releases it (signed), and after the licence expires a new invoice is held with
// the expired wording.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { invoice, issueCert } from '../lib/fiscal.mjs';
import { issueKeys } from '../lib/billing.mjs';
import { storeExec } from '../lib/server.mjs';
import { apiGet, apiSend, assertNoCspViolations, invoiceSettled, noSerious, openPage, signUp, startWorld, uniqueEmail, uploadIssuedCert } from './helpers.mjs';

let sb, srv, browser, world;

before(async () => {
  world = await startWorld({ FISCALHUB_TRIAL_CONNECTIONS: '1', FISCALHUB_TRIAL_INVOICES: '1' });
  ({ sb, srv, browser } = world);
});
after(async () => {
  await world?.stop();
});

const LIMIT_RELEASE =
  'Nothing is lost and nothing needs to be sent again: fiscalhub fiscalizes the invoices on hold automatically, oldest first, when the new month starts (UTC), or as soon as a plan with a higher monthly invoice limit is activated on Billing (an activation key, or seats purchased by card).';
const EXPIRED_RELEASE =
  'Nothing is lost and nothing needs to be sent again: once the plan is renewed or a new key is activated on Billing, fiscalhub fiscalizes the invoices on hold automatically, oldest first. A new month does not release them while the licence is expired.';

async function submit(page, org, certUid, ref) {
  const r = await apiSend(page, 'POST', `/api/orgs/${org}/fiscal-invoices`, {
    certificate_uid: certUid,
    source_id: `${ref}-${Date.now()}`,
    source_ref: ref,
    invoice: invoice({ pos_invoice_number: ref }),
  });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return r.body.id;
}

const rows = (page) => page.getByRole('table', { name: 'Fiscal invoices' }).locator('tbody tr');

test('an invoice over the monthly limit: On hold badge, filter, reason and release, linked from the usage panel', async () => {
  const { context, page } = await openPage(browser, { baseURL: srv.url });
  try {
    await signUp(page, { email: uniqueEmail('hold'), company: 'Hold d.o.o.' });
    const org = (await apiGet(page, '/api/me')).body.orgs[0].code;
    const cert = await issueCert(sb);
    await uploadIssuedCert(page, org, cert);

    // the trial's one invoice is signed; the second waits
    const first = await invoiceSettled(page, org, await submit(page, org, cert.uid, 'INV-1'));
    assert.equal(first.status, 'signed', first.last_error);
    const held = await invoiceSettled(page, org, await submit(page, org, cert.uid, 'INV-2'));
    assert.equal(held.status, 'on_hold');
    assert.match(held.hold_reason,
      /^Invoice limit reached: the Free trial plan allows 1 fiscal invoice a month and it was used in \d{4}-\d{2}\. fiscalhub fiscalizes this invoice automatically next month, or as soon as you upgrade\.$/);

    // the usage panel's line links to POS Invoices filtered to on hold
    await page.goto('/integrations');
    const onHold = page.getByTestId('usage-on-hold');
    await onHold.waitFor();
    assert.equal((await onHold.textContent()).trim(), '1 invoice on hold');
    assert.equal((await onHold.locator('xpath=..').textContent()).trim(), '1 invoice on hold until the plan allows it');
    assert.equal(await onHold.getAttribute('href'), '/pos/invoices?status=on_hold');
    await onHold.click();
    await page.waitForURL('**/pos/invoices?status=on_hold');
    await page.getByRole('heading', { level: 1, name: 'POS Invoices' }).waitFor();
    await page.locator(`tr[data-id="${held.id}"]`).waitFor();
    assert.equal(await rows(page).count(), 1, 'only the held invoice');
    assert.equal(await page.getByLabel('Status').inputValue(), 'on_hold');
    assert.equal((await page.getByLabel('Status').locator('option:checked').textContent()).trim(), 'On hold');
    const row = page.locator(`tr[data-id="${held.id}"]`);
    await row.locator('.badge').getByText('On hold', { exact: true }).waitFor();
    assert.equal(await row.locator('.cell-hold').textContent(), held.hold_reason, 'the reason under the badge');
    assert.equal(await row.locator('.cell-hold').getAttribute('title'), held.hold_reason);
    // the badge is the warning colour, not the grey of an unknown status
    const colours = await row.locator('.badge').first().evaluate((el) => {
      const s = getComputedStyle(el);
      return [s.color, s.backgroundColor];
    });
    assert.deepEqual(colours, ['rgb(138, 75, 8)', 'rgb(253, 241, 216)']);
    await noSerious(page, 'POS Invoices filtered to on hold');

    // the details: reason, what releases it, a way to Billing
    await page.getByRole('button', { name: 'Details of invoice INV-2' }).click();
    const dialog = page.getByRole('dialog', { name: 'Invoice INV-2' });
    await dialog.getByTestId('hold-note').waitFor();
    assert.equal((await dialog.locator('.modal-header .badge').textContent()).trim(), 'On hold');
    assert.equal((await dialog.getByTestId('hold-note').locator('.alert-message').textContent()).trim(),
      'On hold: the plan does not allow this invoice yet.');
    assert.equal((await dialog.getByTestId('hold-reason').textContent()).trim(), held.hold_reason);
    await dialog.getByText(LIMIT_RELEASE, { exact: true }).waitFor(); // once the plan's state is known
    assert.equal((await dialog.getByTestId('hold-release').textContent()).trim(), LIMIT_RELEASE);
    assert.equal(await dialog.getByRole('link', { name: 'Go to Billing' }).getAttribute('href'), '/billing');
    assert.equal(await dialog.getByRole('button', { name: 'Retry' }).count(), 0, 'nothing to retry: it is released by itself');
    assert.equal(await dialog.getByTestId('last-error').count(), 0);
    await noSerious(page, 'details dialog (on hold)');
    await page.screenshot({ path: '/tmp/fh-on-hold.png' });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // the filter offers it among the statuses and keeps it in the address
    await page.getByLabel('Status').selectOption('signed');
    await page.waitForURL('**/pos/invoices?status=signed');
    await page.locator(`tr[data-id="${first.id}"]`).waitFor();
    await page.locator(`tr[data-id="${held.id}"]`).waitFor({ state: 'detached' });
    await page.getByLabel('Status').selectOption({ label: 'On hold' });
    await page.waitForURL('**/pos/invoices?status=on_hold');
    await page.locator(`tr[data-id="${held.id}"]`).waitFor();
    assert.deepEqual(
      await page.getByLabel('Status').locator('option').allTextContents(),
      ['All statuses', 'Signed', 'Failed', 'Pending', 'On hold'],
    );

    // a plan with a higher limit releases it, as the dialog says
    const [key] = issueKeys(srv, { tier: 'starter', seats: 1, months: 1 });
    const act = await apiSend(page, 'POST', `/api/orgs/${org}/billing/keys/activate`, { key });
    assert.equal(act.status, 200, JSON.stringify(act.body));
    const released = await invoiceSettled(page, org, held.id, (s) => s === 'signed');
    assert.equal(released.hold_reason, null);
    await page.reload();
    await page.getByRole('heading', { name: 'No invoices match these filters' }).waitFor();
    await page.goto('/integrations');
    await page.getByTestId('usage-invoices').getByText('2 / 500').waitFor();
    assert.equal(await page.getByTestId('usage-on-hold').count(), 0, 'no invoice on hold: no link');

    // after the licence expires every invoice waits, with the expired wording
    storeExec(srv, `UPDATE billing_subscriptions SET expires_at = ${Date.now() - 86_400_000}
      WHERE org_id = (SELECT id FROM organizations WHERE code = '${org}')`);
    const late = await invoiceSettled(page, org, await submit(page, org, cert.uid, 'INV-3'));
    assert.equal(late.status, 'on_hold');
    assert.match(late.hold_reason, /^Licence expired: the Starter plan ended at /);
    await page.goto('/pos/invoices?status=on_hold');
    await page.getByRole('button', { name: 'Details of invoice INV-3' }).click();
    const lateDialog = page.getByRole('dialog', { name: 'Invoice INV-3' });
    await lateDialog.getByTestId('hold-note').waitFor();
    assert.equal((await lateDialog.getByTestId('hold-reason').textContent()).trim(), late.hold_reason);
    await lateDialog.getByText(EXPIRED_RELEASE, { exact: true }).waitFor(); // once the plan's state is known
    assert.equal((await lateDialog.getByTestId('hold-release').textContent()).trim(), EXPIRED_RELEASE);
    await noSerious(page, 'details dialog (on hold, licence expired)');
    assertNoCspViolations(page);
  } finally {
    await context.close();
  }
});
