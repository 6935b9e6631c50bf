import { test, expect, signIn, useSession } from './fixtures/app';

test('finance drafts an invoice, issues it, and sees customers masked', async ({ page }) => {
  await signIn(page, 'finance@acme.test');
  await page.goto('/finance/invoices');
  await expect(page.getByRole('heading', { name: 'Invoices', level: 1 })).toBeVisible();
  // Names are masked for finance (no customers.pii.read), and nothing reveals them.
  await expect(page.getByRole('row').nth(1)).toContainText('***'); // the first row after the header
  await expect(page.getByRole('link', { name: 'Show customer details' })).toHaveCount(0);

  await page.getByRole('link', { name: 'New invoice' }).click();
  await expect(page.getByRole('heading', { name: 'New invoice' })).toBeVisible();
  const customer = page.getByLabel('Customer');
  const first = await customer.locator('option').nth(1).getAttribute('value');
  await customer.selectOption(first!);
  await page.getByLabel('Due on').fill('2031-03-31');
  await page.getByLabel('Description, line 1').fill('Store setup');
  await page.getByLabel('Quantity, line 1').fill('2');
  await page.getByLabel('Unit price, line 1').fill('1,250.50');
  await page.getByLabel('Tax rate (%), line 1').fill('18');
  await page.getByRole('button', { name: 'Save draft' }).click();
  await expect(page.getByRole('status')).toHaveText('Draft saved. Issue it when it is ready to send.');
  // 2 × 1,250.50 + 18 % tax, worked out on the server.
  await expect(page.getByRole('strong')).toHaveText('INR 2,951.18');

  await page.getByRole('button', { name: 'Issue invoice' }).click();
  await expect(page.getByRole('status')).toHaveText('Invoice issued. It can no longer change.');
  await expect(page.getByRole('heading', { level: 1 })).toContainText(/INV-\d{4}-\d{6}/);
  // Issued: no edit, no delete; voiding is for the finance admin.
  await expect(page.getByRole('link', { name: 'Edit draft' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Void invoice' })).toHaveCount(0);
});

test('a refused draft comes back with the reason', async ({ page }) => {
  await signIn(page, 'finance@acme.test');
  await page.goto('/finance/invoices/new');
  const customer = page.getByLabel('Customer');
  await customer.selectOption((await customer.locator('option').nth(1).getAttribute('value'))!);
  await page.getByLabel('Due on').fill('2031-03-31');
  await page.getByLabel('Description, line 1').fill('Receipt printer');
  await page.getByLabel('Quantity, line 1').fill('1');
  await page.getByLabel('Unit price, line 1').fill('12.345');
  await page.getByRole('button', { name: 'Save draft' }).click();
  await expect(page.getByRole('alert')).toContainText('Line 1: the unit price is an amount like 1,250.00.');
});

test('the owner opens a customer’s details, and viewers get no finance at all', async ({ page, browser }) => {
  await useSession(page, 'owner@acme.test');
  await page.goto('/finance/invoices?status=issued');
  await page.getByRole('row').nth(1).getByRole('link').first().click();
  await page.getByRole('link', { name: 'Show customer details' }).click();
  await expect(page.getByRole('definition').filter({ hasText: /^[a-z.]+\d+@example\.com$/ })).toBeVisible();

  const viewer = await browser.newPage();
  await signIn(viewer, 'viewer@acme.test');
  const response = await viewer.goto('/finance/invoices');
  expect(response?.status()).toBe(403);
  await expect(viewer.getByRole('heading', { name: 'Access denied' })).toBeVisible();
  await expect(viewer.getByRole('link', { name: 'Finance' })).toHaveCount(0);
  await viewer.context().close();
});
