// Licensing in the portal: the trial badge and usage header, creating past the seat count opens
// the dialog that offers more seats (nothing created), Upgrade Plan → Activate Key (Validate,
// review, Activate), and the new limits on the Integrations header and Billing → Subscriptions.
// Starts its own sandbox (for the certificate) and server with the shipped trial (1 / 50).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { issueCert, startSandbox } from '../lib/fiscal.mjs';
import { startServer } from '../lib/server.mjs';
import { TRIAL, issueKeys } from '../lib/billing.mjs';
import { apiGet, apiSend, assertNoCspViolations, launch, noSerious, openPage, signUp, uniqueEmail } from './helpers.mjs';

let sb, srv, browser;

before(async () => {
  sb = await startSandbox();
  srv = await startServer({ env: { ...TRIAL, FISCALHUB_TAXCORE_CA_FILE: sb.caFile } });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
  await sb?.stop();
});

test('trial badge, the seat-limit dialog, Activate Key, and the new limits on Integrations and Billing', async () => {
  const { context, page } = await openPage(browser, { baseURL: srv.url });
  try {
    await signUp(page, { email: uniqueEmail('billing'), company: 'Seats d.o.o.' });
    const org = (await apiGet(page, '/api/me')).body.orgs[0].code;
    const cert = await issueCert(sb);
    const up = await apiSend(page, 'POST', `/api/orgs/${org}/certificates`, { pfx_base64: cert.pfx_base64, password: cert.password, pac: cert.pac });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const made = await apiSend(page, 'POST', `/api/orgs/${org}/integrations`, { type: 'custom', certificate_uid: cert.uid });
    assert.equal(made.status, 201, JSON.stringify(made.body));

    // the trial: badge on the row, usage in the header
    await page.goto('/integrations');
    const row = page.locator(`tbody[data-uid="${made.body.uid}"]`);
    await row.getByText('Trial 0/50', { exact: true }).waitFor();
    assert.equal((await page.getByTestId('usage-connections').textContent()).trim(), '1 / 1');
    assert.equal((await page.getByTestId('usage-subscription').textContent()).trim(), 'Free trial');

    // a second integration: the seat dialog, and nothing created
    await page.goto('/integrations/new');
    await page.locator('li[data-type="custom"]').getByRole('button', { name: 'Create integration' }).click();
    const create = page.getByRole('dialog', { name: 'Create a Custom Integration' });
    await create.getByRole('button', { name: 'Create integration' }).click();
    const seats = page.getByRole('dialog', { name: 'All seats are in use' });
    await seats.getByText('Nothing was created.', { exact: false }).waitFor();
    await noSerious(page, 'seat-limit dialog');
    const list = await apiGet(page, `/api/orgs/${org}/integrations`);
    assert.equal(list.body.integrations.length + list.body.pending.length, 1, 'nothing was created');

    // Get more seats → Upgrade Plan → Activate Key: a typo first, then the right key
    const [key] = issueKeys(srv, { tier: 'growth', seats: 3, months: 12 });
    await seats.getByRole('button', { name: 'Get more seats' }).click();
    const up2 = page.getByRole('dialog', { name: 'Upgrade Plan' });
    await up2.getByRole('button', { name: 'Activate Key' }).click();
    const act = page.getByRole('dialog', { name: 'Activate Key' });
    await act.getByLabel('Activation key').fill('POS-7KQ2-MX4P-9RTA');
    await act.getByRole('button', { name: 'Validate' }).click();
    await act.getByRole('alert').getByText('This key is for the POS product', { exact: false }).waitFor();
    await act.getByLabel('Activation key').fill(key.toLowerCase());
    await act.getByRole('button', { name: 'Validate' }).click();
    assert.equal((await act.getByTestId('review-tier').textContent()).trim(), 'Growth');
    assert.equal((await act.getByTestId('review-seats').textContent()).trim(), '3 connections');
    assert.equal((await act.getByTestId('review-period').textContent()).trim(), '12 months');
    await noSerious(page, 'key review');
    await act.getByRole('button', { name: 'Activate' }).click();
    await page.getByRole('dialog', { name: 'Plan upgraded' }).getByText('Growth, 3 seats', { exact: false }).waitFor();
    await page.getByRole('dialog', { name: 'Plan upgraded' }).getByRole('button', { name: 'Close' }).click();

    // the new limits on the Integrations header, and the trial badge gone
    await page.goto('/integrations');
    await page.getByTestId('usage-connections').getByText('1 / 3').waitFor();
    const usage = (await apiGet(page, `/api/orgs/${org}/integrations`)).body.usage;
    assert.deepEqual([usage.connection_limit, usage.invoice_limit, usage.trial], [3, 5000, false]);
    assert.match((await page.getByTestId('usage-invoices').textContent()).trim(), /^0 \/ 5[,.]?000$/);
    const expiry = (await page.getByTestId('usage-subscription').textContent()).trim();
    assert.match(expiry, /\d{4}/, `an expiry date: ${expiry}`);
    assert.equal(await row.getByText('Trial 0/50').count(), 0);

    // Billing → Subscriptions
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click();
    await page.getByRole('heading', { name: 'Subscriptions' }).waitFor();
    await page.getByRole('heading', { name: 'Growth: 3 connections, 5,000 invoices per month' }).waitFor();
    assert.equal((await page.getByTestId('billing-plan').textContent()).trim(), 'Growth');
    assert.equal((await page.getByTestId('billing-source').textContent()).trim(), `Activation key INT-****-****-${key.slice(-4)}`);
    assert.equal((await page.getByTestId('billing-seats').textContent()).trim(), '1 / 3');
    assert.equal((await page.getByTestId('billing-invoices').textContent()).trim(), '0 / 5,000', 'numbers grouped by thousands');
    assert.equal((await page.getByTestId('billing-sync').textContent()).trim(),
      'Webhooks within 1 minute, polling every 5 minutes', 'Growth\'s sync speed (the defaults)');
    assert.equal((await page.getByTestId('billing-expiry').textContent()).trim(), expiry);
    await noSerious(page, 'billing page');
    await page.screenshot({ path: '/tmp/fh-billing.png', fullPage: true });
    assertNoCspViolations(page);
  } finally {
    await context.close();
  }
});
