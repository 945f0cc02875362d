// The Create Integration button follows the organization's permissions:
// disabled, with the reason, for a viewer; enabled for an admin.
//
// Members are added with POST /api/orgs/{org}/members. The server refuses an
// email already registered in another tenant (a user belongs to exactly one
// tenant), so new users are created in the owner's tenant with the optional
// "name" and "password" fields the server accepts for that purpose.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  apiGet,
  assertNoCspViolations,
  launch,
  logIn,
  openPage,
  PASSWORD,
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

async function addMember(page, org, csrf, member) {
  return page.evaluate(
    async ({ org, csrf, member }) => {
      const res = await fetch(`/api/orgs/${encodeURIComponent(org)}/members`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify(member),
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    },
    { org, csrf, member },
  );
}

test('Create Integration is disabled for a viewer and enabled for an admin', async () => {
  const owner = await openPage(browser);
  try {
    await signUp(owner.page, { email: uniqueEmail('owner'), company: 'Roles d.o.o.' });
    const me = (await apiGet(owner.page, '/api/me')).body;
    const org = me.orgs[0].code;

    const viewerEmail = uniqueEmail('viewer');
    const adminEmail = uniqueEmail('admin');
    for (const [email, role] of [
      [viewerEmail, 'viewer'],
      [adminEmail, 'admin'],
    ]) {
      const added = await addMember(owner.page, org, me.csrf_token, { email, role, name: `A ${role}`, password: PASSWORD });
      assert.equal(added.status, 201, `adding a ${role}: ${JSON.stringify(added.body)}`);
    }

    const viewer = await openPage(browser);
    try {
      const page = viewer.page;
      await logIn(page, viewerEmail);
      await page.waitForURL('**/integrations');
      await page.getByRole('heading', { name: 'No integrations yet' }).waitFor();
      const vme = (await apiGet(page, '/api/me')).body;
      assert.equal(vme.orgs[0].code, org);
      assert.ok(!vme.orgs[0].permissions.includes('integrations.manage'));
      assert.equal((await page.getByTestId('org-code').textContent()).trim(), org);
      assert.equal((await page.getByTestId('tenant-code').textContent()).trim(), me.tenant.code);
      const create = page.getByRole('button', { name: 'Create Integration' });
      assert.ok(await create.isDisabled(), 'a viewer cannot create integrations');
      assert.match((await create.getAttribute('title')) ?? '', /admins and owners/);
      await page.getByText('Your role here is viewer.', { exact: false }).waitFor();
      assert.equal(await page.getByLabel('Organization', { exact: true }).count(), 0, 'no switcher with one organization');
      assertNoCspViolations(page);
    } finally {
      await viewer.context.close();
    }

    const admin = await openPage(browser);
    try {
      await logIn(admin.page, adminEmail);
      await admin.page.waitForURL('**/integrations');
      await admin.page.getByRole('heading', { name: 'No integrations yet' }).waitFor();
      assert.ok(await admin.page.getByRole('button', { name: 'Create Integration' }).isEnabled());
    } finally {
      await admin.context.close();
    }
  } finally {
    await owner.context.close();
  }
});
