// Log out and log in again; a wrong password shows the API's own message.
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

test('log out, log in again, and a wrong password shows the API error', async () => {
  const { context, page } = await openPage(browser);
  try {
    const email = uniqueEmail('login');
    await signUp(page, { email });

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
    const after = await apiGet(page, '/api/me');
    assert.equal(after.status, 401, 'the session is gone after Log out');
    assert.equal(after.body.code, 3000);

    // Back to a private page without a session: sent to /login.
    await page.goto('/pos/invoices');
    await page.waitForURL('**/login');

    await logIn(page, email, PASSWORD);
    await page.waitForURL('**/integrations');
    await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
    const me = await apiGet(page, '/api/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.user.email, email);
    assert.equal((await page.getByTestId('org-code').textContent()).trim(), me.body.orgs[0].code);

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');

    // Wrong password: the alert carries the server's hint for that reply.
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(`${PASSWORD}-wrong`);
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/auth/login')),
      page.getByRole('button', { name: 'Log in' }).click(),
    ]);
    const body = await res.json();
    assert.equal(res.status(), 401, `wrong password answers 401 (got ${res.status()} ${JSON.stringify(body)})`);
    assert.equal(body.code, 3001);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = (await alert.textContent()).trim();
    assert.ok(text.includes(body.hint), `alert "${text}" shows the hint "${body.hint}"`);
    assert.match(text, /email or password is wrong/i);
    assert.equal(new URL(page.url()).pathname, '/login', 'still on the log-in page');
    assert.ok(await page.getByRole('button', { name: 'Log in' }).isEnabled(), 'the form can be submitted again');

    // Client-side validation: empty fields are named before any request.
    await page.getByLabel('Email').fill('');
    await page.getByLabel('Password').fill('');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Enter your email address.').waitFor();
    await page.getByText('Enter your password.').waitFor();
    assert.equal(await page.getByLabel('Email').getAttribute('aria-invalid'), 'true');

    assertNoCspViolations(page);
  } finally {
    await context.close();
  }
});
