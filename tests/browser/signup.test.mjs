// Sign-up lands on the Integrations page: empty state, Create Integration,
// the codes from GET /api/me, usage from the integrations endpoint, and a
// Copy button that really puts the organization code on the clipboard.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  apiGet,
  assertNoCspViolations,
  launch,
  openPage,
  requireServer,
  signUp,
  uniqueEmail,
} from './helpers.mjs';

let browser;
before(async () => {
  await requireServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('sign-up lands on Integrations with the empty state, codes, usage and working Copy', async () => {
  const { context, page } = await openPage(browser, { clipboard: true });
  try {
    const email = uniqueEmail('signup');
    await signUp(page, { email, name: 'Ana Tester', company: 'Acme Signup d.o.o.' });

    assert.equal(new URL(page.url()).pathname, '/integrations');
    assert.match(await page.title(), /Integrations/);
    await page.getByRole('heading', { name: 'No integrations yet' }).waitFor();
    const create = page.getByRole('button', { name: 'Create Integration' });
    assert.equal(await create.count(), 1, 'one Create Integration button in the empty state');
    assert.ok(await create.isEnabled(), 'the owner may create integrations');
    assert.equal(await page.getByRole('table').count(), 0, 'no table while there are no integrations');

    // The codes shown are the ones the API reports for this session.
    const me = await apiGet(page, '/api/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.user.email, email);
    assert.equal(me.body.orgs.length, 1);
    const tenantCode = me.body.tenant.code;
    const orgCode = me.body.orgs[0].code;
    assert.ok(tenantCode && orgCode);
    assert.equal((await page.getByTestId('tenant-code').textContent()).trim(), tenantCode);
    assert.equal((await page.getByTestId('org-code').textContent()).trim(), orgCode);
    assert.equal((await page.getByTestId('user-email').textContent()).trim(), email);

    // Usage comes from GET /api/orgs/{org}/integrations.
    const list = await apiGet(page, `/api/orgs/${encodeURIComponent(orgCode)}/integrations`);
    assert.equal(list.status, 200);
    const u = list.body.usage;
    assert.equal(
      (await page.getByTestId('usage-connections').textContent()).trim(),
      `${u.active_connections} / ${u.connection_limit}`,
    );
    const grouped = (n) => n.toLocaleString('en-GB');
    assert.equal(
      (await page.getByTestId('usage-invoices').textContent()).trim(),
      `${grouped(u.invoices_this_month)} / ${grouped(u.invoice_limit)}`,
    );
    if (u.trial && !u.expires_at) assert.equal((await page.getByTestId('usage-subscription').textContent()).trim(), 'Free trial');

    await page.screenshot({ path: '/tmp/fh-integrations.png', fullPage: true });

    // Copy puts the organization code on the clipboard and says so.
    await page.getByRole('button', { name: 'Copy Organization Code' }).click();
    await page.getByRole('status').filter({ hasText: 'Copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), orgCode);
    await page.getByRole('button', { name: 'Copy Tenant Code' }).click();
    await page.waitForFunction(async (want) => (await navigator.clipboard.readText()) === want, tenantCode);

    // A reload keeps the session (cookie) and the page.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/integrations');

    // Create Integration opens the type cards: Xero and Zoho Books connect
    // (xero-connect.test.mjs, zoho-connect.test.mjs drive them), Custom / Webhook
    // and Custom Integration are created here (api-keys.test.mjs).
    await page.getByRole('button', { name: 'Create Integration' }).click();
    await page.waitForURL('**/integrations/new');
    for (const name of ['Xero', 'Zoho Books', 'Custom / Webhook', 'Custom Integration']) {
      await page.getByRole('heading', { level: 2, name, exact: true }).waitFor();
    }
    assert.ok(await page.getByRole('button', { name: 'Connect Xero' }).isEnabled());
    assert.ok(await page.getByRole('button', { name: 'Connect Zoho Books' }).isEnabled());
    assert.ok(await page.getByRole('button', { name: 'Configure webhook' }).isEnabled());
    assert.ok(await page.getByRole('button', { name: 'Create integration' }).isEnabled());
    assert.equal(await page.getByRole('button', { name: 'Coming soon' }).count(), 0);
    assert.equal(await page.getByText('Premium', { exact: true }).count(), 1);
    await page.screenshot({ path: '/tmp/fh-integrations-new.png', fullPage: true });

    // Sidebar navigation reaches the other pages.
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'POS Invoices' }).click();
    await page.waitForURL('**/pos/invoices');
    await page.getByRole('heading', { name: 'No fiscalized invoices yet' }).waitFor();
    await nav.getByRole('link', { name: 'Billing' }).click();
    await page.waitForURL('**/billing');
    await page.getByRole('heading', { name: /^Free trial: [\d,]+ connections?, [\d,]+ invoices per month$/ }).waitFor();
    await nav.getByRole('link', { name: 'Integrations' }).click();
    await page.waitForURL('**/integrations');
    await page.getByRole('heading', { name: 'No integrations yet' }).waitFor();

    assertNoCspViolations(page);
  } finally {
    await context.close();
  }
});
