// Licensing in the portal: the trial badge and usage header, creating past the seat count opens
// the dialog that offers more seats (nothing created), Upgrade Plan → Activate Key (Validate,
// review, Activate), and the new limits on the Integrations header and Billing → Subscriptions;
// and Create Integration opening that dialog at once when no seat is free or the licence has
// expired (going on to the setup page when a seat is free). A plan paid by card through the
// sandbox's Stripe (Purchase Seats → its hosted checkout page, card 4242…): keys (9011) and a
// second checkout (9013) refused to a dialog opened before the payment, with the server's words;
// then Upgrade Plan and the seat-limit dialog offer Stripe's customer portal instead of Purchase
// Seats and Activate Key, whose "Update plan" form (5 seats) becomes the plan on the Billing page,
// and whose "Cancel plan" changes the key's explanation.
// Starts its own sandbox (for the certificate and Stripe, with a webhook endpoint pointed at this
// server) and server with the shipped trial (1 / 50).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { issueCert } from '../lib/fiscal.mjs';
import { storeExec } from '../lib/server.mjs';
import { TRIAL, issueKeys } from '../lib/billing.mjs';
import {
  addCustomIntegration,
  apiGet,
  assertNoCspViolations,
  noSerious,
  openPage,
  signUp,
  startWorld,
  uniqueEmail,
  uploadIssuedCert,
} from './helpers.mjs';

const WEBHOOK_SECRET = 'whsec_fiscalhub_billing_browser_secret';
let sb, srv, browser, world;

before(async () => {
  world = await startWorld((s) => ({ ...TRIAL, FISCALHUB_SANDBOX_URL: s.url, FISCALHUB_STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET }));
  ({ sb, srv, browser } = world);
  await sb.control('POST', '/stripe/control/webhook-endpoints', { url: `${srv.url}/webhooks/stripe`, secret: WEBHOOK_SECRET });
});
after(async () => {
  await world?.stop();
});

test('trial badge, the seat-limit dialog, Activate Key, and the new limits on Integrations and Billing', async () => {
  const { context, page } = await openPage(browser, { baseURL: srv.url });
  try {
    await signUp(page, { email: uniqueEmail('billing'), company: 'Seats d.o.o.' });
    const org = (await apiGet(page, '/api/me')).body.orgs[0].code;
    const cert = await issueCert(sb);
    await uploadIssuedCert(page, org, cert);
    const made = await addCustomIntegration(page, org, cert.uid);

    // the trial: badge on the row, usage in the header
    await page.goto('/integrations');
    const row = page.locator(`tbody[data-uid="${made.uid}"]`);
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
    await uploadIssuedCert(page, org, cert);
    await addCustomIntegration(page, org, cert.uid);
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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Reloads the Billing page until the fact `id` reads `text` (Stripe's webhooks arrive on their own). */
async function billingFactBecomes(page, id, text, ms = 20000) {
  for (const deadline = Date.now() + ms; ; ) {
    await page.reload();
    const fact = page.getByTestId(id);
    await fact.waitFor();
    const now = (await fact.textContent()).trim();
    if (now === text) return;
    assert.ok(Date.now() < deadline, `${id} should read "${text}", reads "${now}"`);
    await sleep(300);
  }
}

test('a plan paid by card: no second checkout or key, seats change in Stripe\'s customer portal', async () => {
  const { context, page } = await openPage(browser, { baseURL: srv.url });
  try {
    const email = uniqueEmail('card');
    await signUp(page, { email, company: 'Kartica d.o.o.' });
    const org = (await apiGet(page, '/api/me')).body.orgs[0].code;
    const [key] = issueKeys(srv, { tier: 'scale', seats: 4, months: 12 });

    // a second tab keeps Upgrade Plan open from before the payment: Activate Key with a key typed in
    const other = await context.newPage();
    other.setDefaultTimeout(10_000);
    await other.goto('/billing');
    await other.getByRole('button', { name: 'Upgrade Plan' }).click();
    const otherDialog = other.getByRole('dialog', { name: 'Upgrade Plan' });
    await otherDialog.getByRole('button', { name: 'Activate Key' }).click();
    const otherKey = other.getByRole('dialog', { name: 'Activate Key' });
    await otherKey.getByLabel('Activation key').fill(key);

    // Purchase Seats: Growth, monthly, 2 seats; paid on the sandbox's hosted checkout page
    await page.goto('/billing');
    await page.getByRole('button', { name: 'Upgrade Plan' }).click();
    await page.getByRole('dialog', { name: 'Upgrade Plan' }).getByRole('button', { name: 'Purchase Seats' }).click();
    const buy = page.getByRole('dialog', { name: 'Purchase Seats' });
    await buy.getByRole('radio', { name: /^Growth/ }).check();
    await buy.getByRole('radio', { name: 'Monthly' }).check();
    await buy.getByLabel('Seats (connections)').fill('2');
    await buy.getByRole('button', { name: 'Continue to payment' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${sb.url}/stripe/c/pay/cs_test_`));
    await page.getByText('fiscalhub Growth', { exact: false }).first().waitFor();
    if ((await page.getByLabel('Email').inputValue()) === '') await page.getByLabel('Email').fill(email);
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByLabel('Expiry (MM / YY)').fill('12 / 34');
    await page.getByLabel('CVC').fill('123');
    await page.getByLabel('Cardholder name').fill('Ana Tester');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.waitForURL((u) => u.href.startsWith(srv.url) && u.pathname === '/billing');
    await page.getByRole('status').getByText('Payment received. Your plan changes as soon as Stripe confirms it, usually within seconds.').waitFor();
    await billingFactBecomes(page, 'billing-source', 'Card through Stripe, monthly');
    assert.equal((await page.getByTestId('billing-plan').textContent()).trim(), 'Growth');
    assert.equal((await page.getByTestId('billing-seats').textContent()).trim(), '0 / 2');
    const manage = page.getByRole('button', { name: 'Change seats, plan or payment' });
    await manage.waitFor();
    assert.equal(await page.getByRole('button', { name: 'Manage payment and invoices' }).count(), 0);

    // the dialog opened before the payment: the key and a checkout are refused in the server's words
    await otherKey.getByRole('button', { name: 'Validate' }).click();
    const keyRefusal = otherKey.getByRole('alert').first();
    await keyRefusal.waitFor();
    assert.equal((await keyRefusal.locator('.alert-message').first().textContent()).trim(),
      'This organization pays for its plan by card; cancel the subscription in the customer portal and activate the key once it has ended.');
    assert.match((await keyRefusal.locator('.alert-detail').first().textContent()).trim(),
      /^the Growth plan paid through Stripe runs until \d{4}-\d\d-\d\d/);
    await keyRefusal.getByRole('button', { name: "Open Stripe's customer portal" }).waitFor();
    await noSerious(other, 'a key refused: the plan is paid by card');
    await otherKey.getByRole('button', { name: 'Cancel' }).click();
    await otherDialog.getByRole('button', { name: 'Purchase Seats' }).click();
    const otherBuy = other.getByRole('dialog', { name: 'Purchase Seats' });
    await otherBuy.getByRole('button', { name: 'Continue to payment' }).click();
    const buyRefusal = otherBuy.getByRole('alert').first();
    await buyRefusal.waitFor();
    assert.equal((await buyRefusal.locator('.alert-message').first().textContent()).trim(),
      "This organization already pays for its plan by card; change its seats or tier in Stripe's customer portal, so that it is not billed twice.");
    assert.match((await buyRefusal.locator('.alert-detail').first().textContent()).trim(),
      /^the Growth plan paid through Stripe runs until \d{4}-\d\d-\d\d.*: change its seats or tier in the customer portal$/);
    await buyRefusal.getByRole('button', { name: "Open Stripe's customer portal" }).waitFor();
    assert.equal(new URL(other.url()).pathname, '/billing', 'no checkout page opened');
    await noSerious(other, 'a checkout refused: the plan is paid by card');
    await other.close();

    // Upgrade Plan now: the card-paid plan and Stripe's customer portal, no Purchase Seats or Activate Key
    await page.getByRole('button', { name: 'Upgrade Plan' }).click();
    const up = page.getByRole('dialog', { name: 'Upgrade Plan' });
    const card = up.getByTestId('card-plan');
    await card.waitFor();
    assert.deepEqual((await card.locator('.modal-text p').allTextContents()).map((t) => t.trim().replace(/\s+/g, ' ')), [
      'Your Growth plan (2 seats) is paid by card through Stripe, monthly.',
      "Change its seats or tier in Stripe's customer portal; the plan here follows as soon as Stripe confirms the change. Purchasing seats here would start a second subscription, billed next to this one.",
      'An activation key cannot be used while this subscription runs: cancel it in the customer portal, and activate the key once it has ended.',
    ]);
    assert.equal(await up.getByRole('button', { name: 'Purchase Seats' }).count(), 0);
    assert.equal(await up.getByRole('button', { name: 'Activate Key' }).count(), 0);
    await up.getByRole('button', { name: "Open Stripe's customer portal" }).waitFor();
    await noSerious(page, 'Upgrade Plan of a card-paid plan');
    await page.screenshot({ path: '/tmp/fh-billing-card.png' });
    await up.getByRole('button', { name: 'Not now' }).click();
    await up.waitFor({ state: 'detached' });

    // both seats taken: Create Integration's seat-limit dialog points to the customer portal too
    const cert = await issueCert(sb);
    await uploadIssuedCert(page, org, cert);
    for (let i = 0; i < 2; i++) {
      await addCustomIntegration(page, org, cert.uid);
    }
    await page.goto('/integrations');
    await page.getByTestId('usage-connections').getByText('2 / 2').waitFor();
    await page.getByRole('button', { name: 'Create Integration', exact: true }).click();
    const seats = page.getByRole('dialog', { name: 'All seats are in use' });
    await seats.waitFor();
    assert.equal((await seats.locator('.modal-text p').first().textContent()).trim(),
      "Each active integration takes a seat, and none is free. Your plan is paid by card through Stripe: add seats in Stripe's customer portal, or remove an integration you no longer use, before you create another.");
    assert.equal((await seats.getByTestId('seat-limit-detail').textContent()).trim(), '2 of 2 seats of the Growth plan are in use.');
    await noSerious(page, 'seat-limit dialog of a card-paid plan');
    await seats.getByRole('button', { name: 'Get more seats' }).click();
    const more = page.getByRole('dialog', { name: 'Upgrade Plan' });
    await more.getByTestId('card-plan').waitFor();
    assert.equal(await more.getByRole('button', { name: 'Activate Key' }).count(), 0);
    await more.getByRole('button', { name: "Open Stripe's customer portal" }).click();

    // the sandbox's customer portal: Update plan to 5 seats, back to fiscalhub
    await page.waitForURL((u) => u.href.startsWith(`${sb.url}/stripe/p/session/bps_`));
    await page.getByRole('heading', { name: 'Manage your subscription' }).waitFor();
    await page.getByLabel('Seats').fill('5');
    await page.getByRole('button', { name: 'Update plan' }).click();
    await page.getByRole('status').getByText('Your plan was updated.').waitFor();
    await page.getByRole('link', { name: 'Return to fiscalhub' }).click();
    await page.waitForURL((u) => u.href.startsWith(srv.url) && u.pathname === '/billing');
    await billingFactBecomes(page, 'billing-seats', '2 / 5');
    assert.equal((await page.getByTestId('billing-plan').textContent()).trim(), 'Growth');
    assert.equal((await page.getByTestId('billing-source').textContent()).trim(), 'Card through Stripe, monthly');
    await page.getByRole('heading', { name: 'Growth: 5 connections, 5,000 invoices per month' }).waitFor();

    // the Billing page's button opens the same portal; canceled at the period's end, the key waits for it
    await page.getByRole('button', { name: 'Change seats, plan or payment' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${sb.url}/stripe/p/session/bps_`));
    await page.getByRole('button', { name: 'Cancel plan' }).click();
    await page.getByRole('status').getByText('Your plan will be canceled at the end of the billing period.').waitFor();
    await page.getByRole('link', { name: 'Return to fiscalhub' }).click();
    await page.waitForURL((u) => u.href.startsWith(srv.url) && u.pathname === '/billing');
    await billingFactBecomes(page, 'billing-source', 'Card through Stripe, monthly (cancels at the end of the period)');
    const expiry = (await page.getByTestId('billing-expiry').textContent()).trim();
    await page.getByRole('button', { name: 'Change seats, plan or payment' }).waitFor();
    await page.getByRole('button', { name: 'Upgrade Plan' }).click();
    const ending = page.getByRole('dialog', { name: 'Upgrade Plan' }).getByTestId('card-plan');
    await ending.waitFor();
    assert.equal((await ending.locator('.modal-text p').last().textContent()).trim(),
      `An activation key cannot be used while this subscription runs: it is canceled at the end of its period, on ${expiry}, and a key can be activated once it has ended.`);
    assert.equal(await page.getByRole('dialog', { name: 'Upgrade Plan' }).getByRole('button', { name: 'Purchase Seats' }).count(), 0);
    await noSerious(page, 'Upgrade Plan of a card-paid plan canceled at its period end');
    assertNoCspViolations(page);
  } finally {
    await context.close();
  }
});
