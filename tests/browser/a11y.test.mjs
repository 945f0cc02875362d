// axe-core finds no serious or critical violations on the portal's pages.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
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

async function check(page, label) {
  const v = await seriousViolations(page);
  assert.equal(v.length, 0, `${label}: serious/critical axe violations:\n${describeViolations(v)}`);
  // The document basics axe does not weigh as serious.
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en', `${label}: <html lang="en">`);
  assert.ok((await page.title()).length > 0, `${label}: has a <title>`);
  assert.equal(await page.getByRole('main').count(), 1, `${label}: one <main>`);
}

test('sign-up and log-in pages', async () => {
  const { context, page } = await openPage(browser);
  try {
    await page.goto('/signup');
    await page.getByRole('heading', { level: 1, name: 'Create your account' }).waitFor();
    await check(page, 'sign-up');

    // With every validation message showing.
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Enter your email address.').waitFor();
    await page.getByText('Choose a password.').waitFor();
    await check(page, 'sign-up with validation errors');

    await page.goto('/login');
    await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
    await check(page, 'log-in');
    assertNoCspViolations(page);
  } finally {
    await context.close();
  }
});

test('Integrations and the other signed-in pages', async () => {
  const { context, page } = await openPage(browser);
  try {
    await signUp(page, { email: uniqueEmail('a11y') });
    await page.getByRole('heading', { name: 'No integrations yet' }).waitFor();
    assert.equal(await page.getByRole('banner').count(), 1, 'a <header> landmark');
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 1, 'a <nav> landmark');
    await check(page, 'integrations');

    for (const [path, heading] of [
      ['/integrations/new', 'Create Integration'],
      ['/integrations/certificates', 'Certificates'],
      ['/pos/invoices', 'POS Invoices'],
      ['/billing', 'Billing'],
      ['/organization', 'Organization'],
      ['/account', 'Your account'],
    ]) {
      await page.goto(path);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await page.getByRole('status').filter({ hasText: 'Loading' }).waitFor({ state: 'detached' });
      await check(page, path);
    }
    assertNoCspViolations(page);
  } finally {
    await context.close();
  }
});
