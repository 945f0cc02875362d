// The organization switcher against the real server: an owner creates a
// second organization (POST /api/orgs, from the page with the CSRF header),
// the switcher appears after a reload, choosing the second organization
// changes the Organization Code on the Integrations page, and the choice
// survives a reload.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  apiGet,
  apiSend,
  assertNoCspViolations,
  describeViolations,
  launch,
  openPage,
  requireServer,
  seriousViolations,
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

test('an owner switches to a second organization and the choice persists', async () => {
  const { context, page } = await openPage(browser);
  try {
    await signUp(page, { email: uniqueEmail('orgs'), company: 'First d.o.o.' });
    const me = (await apiGet(page, '/api/me')).body;
    const first = me.orgs[0].code;
    assert.equal((await page.getByTestId('org-code').textContent()).trim(), first);
    const switcher = page.getByLabel('Organization', { exact: true });
    assert.equal(await switcher.count(), 0, 'no switcher with one organization');

    const created = await apiSend(page, 'POST', '/api/orgs', { name: 'Second d.o.o.' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const second = created.body.code;
    assert.notEqual(second, first);
    assert.equal(created.body.role, 'owner');

    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
    await switcher.waitFor();
    assert.equal(await switcher.inputValue(), first, 'the first organization stays selected');
    assert.deepEqual(
      (await switcher.locator('option').allTextContents()).map((t) => t.trim()),
      [`First d.o.o. (${first})`, `Second d.o.o. (${second})`],
    );

    await switcher.selectOption(second);
    await page.getByTestId('org-code').filter({ hasText: second }).waitFor();
    await page.getByRole('heading', { name: 'No integrations yet' }).waitFor();
    assert.equal((await page.getByTestId('tenant-code').textContent()).trim(), me.tenant.code, 'same tenant');

    await page.reload();
    await page.getByTestId('org-code').waitFor();
    assert.equal((await page.getByTestId('org-code').textContent()).trim(), second, 'the choice survives a reload');
    assert.equal(await switcher.inputValue(), second);

    // Other pages follow the chosen organization too.
    await page.getByRole('link', { name: 'Billing' }).click();
    await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor();
    await page.getByText('Plan and usage of Second d.o.o.').waitFor();

    // And back to the first one.
    await switcher.selectOption(first);
    await page.getByText('Plan and usage of First d.o.o.').waitFor();
    await page.getByRole('link', { name: 'Integrations', exact: true }).click();
    await page.getByTestId('org-code').filter({ hasText: first }).waitFor();

    const v = await seriousViolations(page);
    assert.equal(v.length, 0, `serious/critical axe violations with the switcher:\n${describeViolations(v)}`);
    assertNoCspViolations(page);
  } finally {
    await context.close();
  }
});
