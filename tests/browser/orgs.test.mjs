// Several organizations: the switcher appears, the choice survives a reload
// (localStorage), and a viewer's Create Integration button is disabled with
// the reason.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiGet, assertNoCspViolations, launch, openPage, requireServer, signUp, uniqueEmail } from './helpers.mjs';

let browser;
before(async () => {
  await requireServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('organization switcher and a viewer without integrations.manage', async () => {
  const owner = await openPage(browser);
  const guest = await openPage(browser);
  try {
    const ownerEmail = uniqueEmail('owner');
    const guestEmail = uniqueEmail('guest');
    await signUp(owner.page, { email: ownerEmail, company: 'Owner Company' });
    await signUp(guest.page, { email: guestEmail, company: 'Guest Company' });
    assert.equal(await owner.page.getByLabel('Organization', { exact: true }).count(), 0, 'no switcher with one organization');

    // The owner adds the guest to their organization as a viewer (documented API).
    const ownerMe = (await apiGet(owner.page, '/api/me')).body;
    const ownerOrg = ownerMe.orgs[0].code;
    const added = await owner.page.evaluate(
      async ({ org, email, csrf }) => {
        const res = await fetch(`/api/orgs/${encodeURIComponent(org)}/members`, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
          body: JSON.stringify({ email, role: 'viewer' }),
        });
        return { status: res.status, body: await res.json().catch(() => null) };
      },
      { org: ownerOrg, email: guestEmail, csrf: ownerMe.csrf_token },
    );
    assert.equal(added.status, 201, `adding a member: ${JSON.stringify(added.body)}`);

    const page = guest.page;
    await page.reload();
    const guestMe = (await apiGet(page, '/api/me')).body;
    assert.equal(guestMe.orgs.length, 2);
    const ownOrg = guestMe.orgs.find((o) => o.code !== ownerOrg).code;

    const switcher = page.getByLabel('Organization', { exact: true });
    await switcher.waitFor();
    await switcher.selectOption(ownerOrg);
    await page.waitForFunction((c) => document.querySelector('[data-testid="org-code"]')?.textContent === c, ownerOrg);
    await page.getByRole('heading', { name: 'No integrations yet' }).waitFor();
    const create = page.getByRole('button', { name: 'Create Integration' });
    assert.ok(await create.isDisabled(), 'a viewer cannot create integrations');
    assert.match((await create.getAttribute('title')) ?? '', /admins and owners/);
    await page.getByText(/Your role here is viewer/).waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem('fiscalhub.org')), ownerOrg);

    // The choice survives a reload.
    await page.reload();
    await page.getByRole('heading', { name: 'No integrations yet' }).waitFor();
    assert.equal((await page.getByTestId('org-code').textContent()).trim(), ownerOrg);
    assert.equal(await switcher.inputValue(), ownerOrg);

    // Back to their own organization, where they are owner.
    await switcher.selectOption(ownOrg);
    await page.waitForFunction((c) => document.querySelector('[data-testid="org-code"]')?.textContent === c, ownOrg);
    await page.getByRole('heading', { name: 'No integrations yet' }).waitFor();
    assert.ok(await page.getByRole('button', { name: 'Create Integration' }).isEnabled());

    assertNoCspViolations(owner.page);
    assertNoCspViolations(page);
  } finally {
    await owner.context.close();
    await guest.context.close();
  }
});
