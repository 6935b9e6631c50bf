import { test, expect, AppShell, hydrated, signIn, withFreshCode } from './fixtures/app';

// Signing in and stepping up are two codes of one account: the second may wait for the next
// time step.
test.describe.configure({ timeout: 150_000 });

test('the consultant, without the revenue grant, sees sales and products but no revenue anywhere', async ({
  page,
}) => {
  await signIn(page, 'consultant@example.test');
  const shell = new AppShell(page);
  if ((await shell.organization().textContent())?.trim() !== 'Acme Retail') await shell.switchTo('Acme Retail');
  await expect(shell.organization()).toHaveText('Acme Retail');
  await shell.nav().getByRole('link', { name: 'Analytics', exact: true }).click();
  await expect(page.getByRole('heading', { name: "Verify it's you" })).toBeVisible();
  await hydrated(page);
  await withFreshCode('consultant@example.test', async (code) => {
    await page.getByLabel('Authentication code').fill(code);
    await page.getByRole('button', { name: 'Unlock with authenticator' }).click();
    await expect(page).toHaveURL(/\/analytics$/);
  });
  await expect(page.getByRole('status')).toContainText('Unlocked for this session until');
  const figures = page.locator('.figures');
  await expect(figures.getByText('Paid orders', { exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Top products' })).toBeVisible();
  // No revenue figure, chart, column or amount: the server never sent one.
  const main = page.getByRole('main');
  await expect(main).not.toContainText('Revenue');
  await expect(main).not.toContainText('Refunded');
  await expect(main).not.toContainText('INR');
  // Another range: still none.
  await page.getByRole('link', { name: '365 days' }).click();
  await expect(page).toHaveURL(/days=365/);
  await expect(figures.getByText('Paid orders', { exact: true })).toBeVisible();
  await expect(main).not.toContainText('Revenue');
});

test('members without analytics see no link to it', async ({ page }) => {
  await signIn(page, 'member@acme.test');
  await expect(new AppShell(page).nav().getByRole('link', { name: 'Analytics', exact: true })).toHaveCount(0);
});
