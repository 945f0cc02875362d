// Licensing in the portal: the trial badge and usage header, creating past the seat count opens
// the dialog that offers more seats (nothing created), Upgrade Plan → Activate Key (Validate,
// review, Activate), and the new limits on the Integrations header and Billing → Subscriptions;
// and Create Integration opening that dialog at once when no seat is free or the licence has
// expired (going on to the setup page when a seat is free).
// Starts its own sandbox (for the certificate) and server with the shipped trial (1 / 50).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { issueCert, startSandbox } from '../lib/fiscal.mjs';
import { startServer, storeExec } from '../lib/server.mjs';
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

test('Create Integration asks for a free seat first: it opens the seat-limit dialog at once, or goes on to the setup', async () => {
  const { context, page } = await openPage(browser, { baseURL: srv.url });
  try {
    await signUp(page, { email: uniqueEmail('seats-first'), company: 'Seats First d.o.o.' });
    const org = (await apiGet(page, '/api/me')).body.orgs[0].code;
    const creations = []; // POSTs that would create an integration, from here on
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === `/api/orgs/${org}/integrations`) creations.push(r.url());
    });
    const createButton = page.getByRole('button', { name: 'Create Integration', exact: true });

    // a free seat (0 / 1): the empty state's button goes on to the setup page
    assert.equal((await page.getByTestId('usage-connections').textContent()).trim(), '0 / 1');
    await createButton.click();
    await page.waitForURL('**/integrations/new');
    await page.getByRole('heading', { level: 1, name: 'Create Integration' }).waitFor();

    // the one seat taken: the header's button opens the seat dialog instead of the setup
    const cert = await issueCert(sb);
    const up = await apiSend(page, 'POST', `/api/orgs/${org}/certificates`, { pfx_base64: cert.pfx_base64, password: cert.password, pac: cert.pac });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const made = await apiSend(page, 'POST', `/api/orgs/${org}/integrations`, { type: 'custom', certificate_uid: cert.uid });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    creations.length = 0;
    await page.goto('/integrations');
    await page.getByTestId('usage-connections').getByText('1 / 1').waitFor();
    await createButton.click();
    const seats = page.getByRole('dialog', { name: 'All seats are in use' });
    await seats.waitFor();
    assert.equal((await seats.locator('.modal-text p').first().textContent()).trim(),
      'Each active integration takes a seat, and none is free. Buy more seats or activate a key with more seats, or remove an integration you no longer use, before you create another.');
    assert.equal((await seats.getByTestId('seat-limit-detail').textContent()).trim(), '1 of 1 seat of the Free trial plan is in use.');
    assert.equal(new URL(page.url()).pathname, '/integrations', 'still on Integrations: no setup started');
    assert.deepEqual(creations, [], 'nothing was sent to create an integration');
    await noSerious(page, 'seat-limit dialog before the setup');
    await seats.getByRole('button', { name: 'Not now' }).click();
    await seats.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Create Integration',
      'focus returns to Create Integration');

    // more seats from the dialog; the next click reads the new usage and goes on
    const [key] = issueKeys(srv, { tier: 'growth', seats: 3, months: 12 });
    await createButton.click();
    await seats.getByRole('button', { name: 'Get more seats' }).click();
    await page.getByRole('dialog', { name: 'Upgrade Plan' }).getByRole('button', { name: 'Activate Key' }).click();
    const act = page.getByRole('dialog', { name: 'Activate Key' });
    await act.getByLabel('Activation key').fill(key);
    await act.getByRole('button', { name: 'Validate' }).click();
    await act.getByTestId('review-tier').waitFor();
    await act.getByRole('button', { name: 'Activate' }).click();
    const upgraded = page.getByRole('dialog', { name: 'Plan upgraded' });
    assert.equal((await upgraded.locator('.modal-text').textContent()).trim(),
      'Activated: Growth, 3 seats. You can create the integration now.');
    await upgraded.getByRole('button', { name: 'Close' }).click();
    await upgraded.waitFor({ state: 'detached' });
    await createButton.click();
    await page.waitForURL('**/integrations/new');
    await page.getByRole('heading', { level: 1, name: 'Create Integration' }).waitFor();
    assert.deepEqual(creations, [], 'still nothing sent to create an integration');

    // an expired licence: the expired dialog at once
    storeExec(srv, `UPDATE billing_subscriptions SET expires_at = ${Date.now() - 86_400_000}
      WHERE org_id = (SELECT id FROM organizations WHERE code = '${org}')`);
    await page.goto('/integrations');
    await page.getByTestId('usage-subscription').locator('time.text-danger').waitFor();
    await createButton.click();
    const expired = page.getByRole('dialog', { name: 'Your licence has expired' });
    await expired.waitFor();
    assert.equal((await expired.locator('.modal-text p').first().textContent()).trim(),
      'Renew your plan or activate a key to add integrations.');
    assert.match((await expired.getByTestId('seat-limit-detail').textContent()).trim(),
      /^The Growth plan expired on \d{1,2} [A-Z][a-z]{2} \d{4}\.$/);
    assert.equal(await expired.getByRole('button', { name: 'Renew plan' }).count(), 1);
    assert.equal(new URL(page.url()).pathname, '/integrations');
    assert.deepEqual(creations, []);
    await noSerious(page, 'seat-limit dialog, licence expired');
    assertNoCspViolations(page);
  } finally {
    await context.close();
  }
});
