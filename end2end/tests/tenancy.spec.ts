import { test, expect, AppShell, signIn, useSession } from './fixtures/app';

test('a user in two organizations switches between them', async ({ page }) => {
  await signIn(page, 'consultant@example.test');
  const shell = new AppShell(page);
  const first = (await shell.organization().textContent())?.trim();
  const other = first === 'Globex' ? 'Acme Retail' : 'Globex';
  await shell.switchTo(other);
  await expect(shell.organization()).toHaveText(other);
  await expect(page.getByText(other === 'Globex' ? 'Admin' : 'Analyst', { exact: true })).toBeVisible();
  // The choice is the session's: it survives a reload.
  await page.reload();
  await expect(shell.organization()).toHaveText(other);
});

test("another tenant's URL answers 404", async ({ browser }) => {
  // Globex's owner finds their own member page…
  const globex = await browser.newPage();
  await useSession(globex, 'owner@globex.test');
  await globex.goto('/settings/team');
  await globex.getByRole('table').getByRole('link', { name: 'Greta Owner' }).click();
  await expect(globex.getByRole('heading', { name: 'Greta Owner' })).toBeVisible();
  const url = globex.url();
  await globex.context().close();

  // …which, for Acme's owner, does not exist.
  const acme = await browser.newPage();
  await useSession(acme, 'owner@acme.test');
  const response = await acme.goto(url);
  expect(response?.status()).toBe(404);
  await expect(acme.getByRole('heading', { name: 'Not found' })).toBeVisible();
  await expect(acme.getByText('Greta')).toHaveCount(0);
  await acme.context().close();
});

test('a member cannot open team settings', async ({ page }) => {
  await signIn(page, 'member@acme.test');
  await expect(new AppShell(page).nav().getByRole('link', { name: 'Team' })).toHaveCount(0);
  const response = await page.goto('/settings/team');
  expect(response?.status()).toBe(403);
  await expect(page.getByRole('heading', { name: 'Access denied' })).toBeVisible();
  await expect(page.getByText('team.read')).toBeVisible();
});
