import { test, expect, hydrated, signIn, withFreshCode, type Page } from './fixtures/app';
import { sharedSession } from './fixtures/sessions';

// Signing in and stepping up are two codes of one account: the second may wait for the next
// time step. The project runs after every other test (playwright.config.ts): it suspends
// Globex for a moment.
test.describe.configure({ mode: 'serial', timeout: 150_000 });

/** Signs the operator in, opens `tenant` in the console and steps up there. */
async function operatorOn(page: Page, tenant: string) {
  await signIn(page, 'ops@gatehouse.test');
  await page.goto('/admin');
  await page.getByLabel('Search by name or address').fill(tenant);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByTestId('tenants').getByRole('link', { name: tenant, exact: true }).click();
  await expect(page.getByRole('heading', { name: tenant, exact: true })).toBeVisible();
  await page.getByRole('link', { name: "Verify it's you" }).click();
  await expect(page.getByRole('heading', { name: "Verify it's you" })).toBeVisible();
  await hydrated(page);
  await withFreshCode('ops@gatehouse.test', async (code) => {
    await page.getByLabel('Authentication code').fill(code);
    await page.getByRole('button', { name: 'Unlock with authenticator' }).click();
    await expect(page).toHaveURL(/\/admin\/tenants\//);
  });
  await expect(page.getByRole('button', { name: 'Confirm transfer' })).toBeVisible();
  await hydrated(page);
}

test('an operator confirms a bank transfer twice: once it counts, then it says when and by whom', async ({
  page,
  browser,
}) => {
  const reference = `WIRE-${Date.now()}`;
  await operatorOn(page, 'Globex');
  await page.getByLabel('Reference').fill(reference);
  await page.getByLabel('Amount (USD)').fill('29.00');
  await page.getByLabel('Payer').fill('Globex GmbH');
  await page.getByRole('button', { name: 'Confirm transfer' }).click();
  const result = page.getByTestId('confirm-result');
  await expect(result).toContainText(`Transfer ${reference} confirmed. The subscription is paid until`);
  await page.getByRole('button', { name: 'Confirm transfer' }).click();
  await expect(result).toContainText(`Transfer ${reference} was already confirmed on`);
  await expect(result).toContainText('by ops@gatehouse.test. Nothing changed.');
  // Globex's owner sees it confirmed, by whom.
  const owner = await browser.newPage();
  const { name, value } = sharedSession('owner@globex.test');
  await owner.context().addCookies([{ name, value, url: test.info().project.use.baseURL!, httpOnly: true }]);
  await owner.goto('/settings/billing');
  const row = owner.getByTestId('transfers').getByRole('row', { name: new RegExp(reference) });
  await expect(row).toContainText('by ops@gatehouse.test');
  await expect(owner.getByTestId('subscription-status')).toHaveText('Active');
  await owner.context().close();
});

test('an operator suspends Globex: its owner sees why on the billing page, until it is reactivated', async ({
  page,
  browser,
}) => {
  await operatorOn(page, 'Globex');
  await page.getByLabel('Reason (the tenant sees it)').fill('Chargeback on the November payment');
  await page.getByRole('button', { name: 'Suspend tenant' }).click();
  await expect(page.getByText('The tenant is suspended.')).toBeVisible();
  await expect(page.getByTestId('tenant-status')).toHaveText('Suspended');

  const owner = await browser.newPage();
  const { name, value } = sharedSession('owner@globex.test');
  await owner.context().addCookies([{ name, value, url: test.info().project.use.baseURL!, httpOnly: true }]);
  // Any page of the workspace leads the owner to billing, which says what happened and why.
  await owner.goto('/settings/team');
  await expect(owner).toHaveURL(/\/settings\/billing$/);
  await expect(owner.getByRole('alert')).toContainText('This workspace is suspended');
  await expect(owner.getByRole('alert')).toContainText('Chargeback on the November payment');
  await expect(owner.getByRole('alert')).toContainText('by ops@gatehouse.test');
  await expect(owner.getByTestId('subscription-status')).toHaveText('Suspended');

  await hydrated(page);
  await page.getByLabel('Reason', { exact: true }).fill('Chargeback withdrawn by the bank');
  await page.getByRole('button', { name: 'Reactivate tenant' }).click();
  await expect(page.getByText('The tenant is reactivated.')).toBeVisible();
  await owner.goto('/settings/team');
  await expect(owner.getByRole('heading', { name: 'Team' })).toBeVisible();
  await owner.context().close();
});
