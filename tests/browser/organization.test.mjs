// Organization and Your account: an owner renames the organization and
// creates another; adds a member, changes their role and removes them, and
// what the member may do follows at once; the last owner keeps the role; a
// user changes their own password.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiGet, assertNoCspViolations, launch, logIn, openPage, PASSWORD, requireServer, signUp, uniqueEmail } from './helpers.mjs';

let browser;
before(async () => {
  await requireServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const row = (page, email) => page.locator('tr', { hasText: email });

test('an owner adds a member, changes their role and removes them; the member follows each change', async () => {
  const owner = await openPage(browser);
  const other = await openPage(browser);
  try {
    const page = owner.page;
    const ownerEmail = uniqueEmail('team-owner');
    await signUp(page, { email: ownerEmail, name: 'Olga Owner', company: 'Team d.o.o.' });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Organization' }).click();
    await page.getByRole('heading', { level: 1, name: 'Organization' }).waitFor();
    await row(page, ownerEmail).getByText('You').waitFor();
    // the only owner: the role is text with the reason, Remove disabled with it
    assert.equal(await page.getByLabel('Role of Olga Owner').count(), 0);
    assert.equal(await row(page, ownerEmail).getByTestId('member-role').textContent(), 'Owner');
    await row(page, ownerEmail).getByText('The only owner: make someone else an owner').waitFor();
    const removeSelf = row(page, ownerEmail).getByRole('button', { name: /Remove/ });
    assert.ok(await removeSelf.isDisabled(), 'the only owner cannot be removed');
    assert.match(await removeSelf.getAttribute('title'), /only owner/);

    // add: a new account with a first password
    const email = uniqueEmail('team-admin');
    await page.getByRole('button', { name: 'Add member' }).click();
    const dialog = page.getByRole('dialog', { name: /Add a member/ });
    await dialog.getByLabel('Email').fill(email);
    await dialog.getByLabel('Role').selectOption('admin');
    await dialog.getByText('Admin: also connects and removes integrations').waitFor();
    await dialog.getByRole('button', { name: 'Add member' }).click();
    await dialog.getByRole('alert').getByText('name and password are required for a new user').waitFor();
    await dialog.getByLabel('Name (new account only)').fill('Adam Admin');
    await dialog.getByLabel('First password (new account only)').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('status').getByText(`Adam Admin (${email}) added as an admin.`).waitFor();
    assert.equal(await page.getByLabel('Role of Adam Admin').inputValue(), 'admin');

    // the admin manages members, but not the owner
    const p2 = other.page;
    await logIn(p2, email);
    await p2.waitForURL('**/integrations');
    await p2.goto('/organization');
    await p2.getByRole('heading', { level: 1, name: 'Organization' }).waitFor();
    assert.ok(await p2.getByRole('button', { name: 'Add member' }).isEnabled());
    assert.equal(await row(p2, ownerEmail).getByTestId('member-role').textContent(), 'Owner');
    assert.ok(await row(p2, ownerEmail).getByRole('button', { name: /Remove/ }).isDisabled());
    assert.deepEqual(await p2.getByLabel('Role of Adam Admin').locator('option').allTextContents(), ['Viewer', 'Member', 'Admin']);

    // made a viewer: the member's next page load shows the buttons disabled
    await page.getByLabel('Role of Adam Admin').selectOption('viewer');
    await page.getByRole('status').getByText('Adam Admin is now a viewer.').waitFor();
    await p2.reload();
    await p2.getByRole('heading', { level: 1, name: 'Organization' }).waitFor();
    assert.ok(await p2.getByRole('button', { name: 'Add member' }).isDisabled());
    await p2.getByText('Your role here is viewer.', { exact: false }).waitFor();
    assert.equal(await p2.getByLabel(/^Role of/).count(), 0, 'a viewer gets no role selects');
    assert.ok(await p2.getByRole('button', { name: 'Rename' }).isDisabled());
    assert.ok(await p2.getByRole('button', { name: 'New organization' }).isDisabled());

    // a second owner: either owner's role can change and either can be removed; with one
    // owner left, that one's role is text again
    await page.getByLabel('Role of Adam Admin').selectOption('owner');
    await page.getByRole('status').getByText('Adam Admin is now an owner.').waitFor();
    assert.equal(await page.getByLabel('Role of Olga Owner').inputValue(), 'owner');
    assert.ok(await removeSelf.isEnabled());
    await page.getByLabel('Role of Adam Admin').selectOption('viewer');
    await page.getByRole('status').getByText('Adam Admin is now a viewer.').waitFor();
    await page.getByLabel('Role of Olga Owner').waitFor({ state: 'detached' });
    assert.ok(await removeSelf.isDisabled());

    // removed: gone from the list; the member no longer sees the organization
    await row(page, email).getByRole('button', { name: 'Remove Adam Admin' }).click();
    const confirm = page.getByRole('dialog', { name: /Remove Adam Admin/ });
    await confirm.getByText('loses access to Team d.o.o. at once').waitFor();
    await confirm.getByRole('button', { name: 'Remove member' }).click();
    await page.getByRole('status').getByText('Adam Admin was removed from Team d.o.o.').waitFor();
    await row(page, email).waitFor({ state: 'detached' });
    assert.equal((await apiGet(p2, '/api/me')).body.orgs.length, 0);
    assertNoCspViolations(page);
  } finally {
    await owner.context.close();
    await other.context.close();
  }
});

test('an owner renames the organization and creates another, which the portal then shows', async () => {
  const { context, page } = await openPage(browser);
  try {
    await signUp(page, { email: uniqueEmail('org-owner'), company: 'First d.o.o.' });
    await page.goto('/organization');
    await page.getByRole('heading', { level: 1, name: 'Organization' }).waitFor();
    assert.equal(await page.getByTestId('org-name').textContent(), 'First d.o.o.');
    await page.getByRole('button', { name: 'Rename' }).click();
    let dialog = page.getByRole('dialog', { name: 'Rename First d.o.o.' });
    await dialog.getByLabel('Organization name').fill('  ');
    await dialog.getByRole('button', { name: 'Rename' }).click();
    await dialog.getByText('Give the organization a name.').waitFor();
    await dialog.getByLabel('Organization name').fill('Renamed d.o.o.');
    await dialog.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('status').getByText('The organization is now called Renamed d.o.o.').waitFor();
    await page.getByTestId('org-name').getByText('Renamed d.o.o.').waitFor();
    assert.equal((await apiGet(page, '/api/me')).body.orgs[0].name, 'Renamed d.o.o.');

    await page.getByRole('button', { name: 'New organization' }).click();
    dialog = page.getByRole('dialog', { name: 'New organization' });
    await dialog.getByLabel('Organization name').fill('Branch Two');
    await dialog.getByRole('button', { name: 'Create organization' }).click();
    await page.getByTestId('org-name').getByText('Branch Two').waitFor();
    const me = (await apiGet(page, '/api/me')).body;
    assert.deepEqual(me.orgs.map((o) => [o.name, o.role]), [['Renamed d.o.o.', 'owner'], ['Branch Two', 'owner']]);
    assert.equal(await page.getByLabel('Organization', { exact: true }).inputValue(), me.orgs[1].code, 'the switcher shows the new one');
    assertNoCspViolations(page);
  } finally {
    await context.close();
  }
});

test('a user changes their password on Your account; the old one stops working', async () => {
  const { context, page } = await openPage(browser);
  try {
    const email = uniqueEmail('pw');
    await signUp(page, { email });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Your account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
    const form = page.getByRole('form', { name: 'Change password' });
    const next = 'a brand new passphrase';
    await form.getByLabel('Current password').fill('not my password');
    await form.getByLabel('New password', { exact: true }).fill(next);
    await form.getByLabel('New password again').fill(next + 'x');
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByText('The two new passwords differ.').waitFor();
    await form.getByLabel('New password again').fill(next);
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByRole('alert').getByText('The current password is wrong.').waitFor();
    await form.getByLabel('Current password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').getByText('Your password is changed.', { exact: false }).waitFor();
    assert.equal(await form.getByLabel('Current password').inputValue(), '');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    await logIn(page, email, PASSWORD);
    await page.getByRole('alert').getByText('The email or password is wrong.').waitFor();
    await logIn(page, email, next);
    await page.waitForURL('**/integrations');
    assertNoCspViolations(page);
  } finally {
    await context.close();
  }
});
