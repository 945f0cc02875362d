// A taken email shows the API's "already exists" message; private routes
// without a session go to /login.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertNoCspViolations, launch, openPage, requireServer, signUp, submitSignup, uniqueEmail } from './helpers.mjs';

let browser;
before(async () => {
  await requireServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('sign-up with an email that is already used shows "already exists"', async () => {
  const email = uniqueEmail('taken');
  const first = await openPage(browser);
  try {
    await signUp(first.page, { email });
  } finally {
    await first.context.close();
  }

  const { context, page } = await openPage(browser);
  try {
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/auth/signup')),
      submitSignup(page, { email, company: 'Another Company' }),
    ]);
    assert.equal(res.status(), 409);
    const body = await res.json();
    assert.equal(body.code, 3005);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = (await alert.textContent()).trim();
    assert.match(text, /already exists/i);
    assert.ok(text.includes(body.hint), `alert "${text}" shows the hint "${body.hint}"`);
    assert.equal(new URL(page.url()).pathname, '/signup');
    assert.ok(await page.getByRole('button', { name: 'Create account' }).isEnabled());
    assertNoCspViolations(page);
  } finally {
    await context.close();
  }
});

test('a short password is refused in the form before any request', async () => {
  const { context, page } = await openPage(browser);
  try {
    let requests = 0;
    page.on('request', (r) => {
      if (r.url().endsWith('/api/auth/signup')) requests++;
    });
    await submitSignup(page, { email: uniqueEmail('short'), password: 'short' });
    await page.getByText('Use at least 10 characters').waitFor();
    assert.equal(await page.getByLabel('Password').getAttribute('aria-invalid'), 'true');
    assert.equal(requests, 0);
    assert.equal(new URL(page.url()).pathname, '/signup');
  } finally {
    await context.close();
  }
});

test('an unauthenticated visit to /integrations redirects to /login', async () => {
  const { context, page } = await openPage(browser);
  try {
    await page.goto('/integrations');
    await page.waitForURL('**/login');
    await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 0);

    await page.goto('/');
    await page.waitForURL('**/login');
    await page.goto('/integrations/new');
    await page.waitForURL('**/login');
    assertNoCspViolations(page);
  } finally {
    await context.close();
  }
});
