import * as fs from 'node:fs';
import { test, expect, AppShell, hydrated, signIn, useSession, withFreshCode } from './fixtures/app';

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

test('an export carries a watermark whose export number the audit log records', async ({ page }) => {
  // The owner, signed in with two-factor authentication: no step-up within the first hours.
  await useSession(page, 'owner@acme.test');
  await page.goto('/analytics?days=90');
  const exports = page.getByRole('region', { name: 'Export' });
  await exports.getByLabel('What').selectOption('revenue');
  await exports.getByLabel('Format').selectOption('csv');
  const download = page.waitForEvent('download');
  await exports.getByRole('button', { name: 'Download' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^gatehouse-revenue-acme-retail-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d\.csv$/);
  const lines = fs.readFileSync((await file.path())!, 'utf8').trimEnd().split('\r\n');
  const mark = lines[0].match(
    /^# Exported by owner@acme\.test from Acme Retail \(acme-retail\) at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, export ([0-9a-f-]{36})$/,
  );
  expect(mark, lines[0]).not.toBeNull();
  expect(lines[1]).toBe('day,revenue,revenue_previous');
  expect(lines).toHaveLength(2 + 90);

  await page.goto('/settings/audit?action=analytics.export');
  const event = page.locator('table tbody tr').filter({ hasText: mark![1] });
  await expect(event).toHaveCount(1);
  await expect(event).toContainText('owner@acme.test');
});

test('orders import from a CSV file; each bad line is reported by its number', async ({ page }) => {
  // Members enter orders (orders.write); they see no analytics.
  await signIn(page, 'member@acme.test');
  await new AppShell(page).nav().getByRole('link', { name: 'Import orders' }).click();
  await expect(page.getByRole('heading', { name: 'Import orders' })).toBeVisible();
  const csv = [
    'order,placed_at,sku,quantity,unit_price',
    'E2E-1,2026-03-01 12:00,ACM-0001,2,19.99',
    'E2E-1,2026-03-01 12:00,ACM-0002,1,',
    'E2E-2,2026-03-01 12:30,NO-SUCH-SKU,1,',
    'E2E-3,2026-03-01 13:00,ACM-0003,many,',
  ].join('\r\n');
  await page.getByLabel('CSV file').setInputFiles({ name: 'e2e-orders.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page).toHaveURL(/\/analytics\/import\?report=/);
  await expect(page.getByRole('status')).toContainText('member@acme.test imported e2e-orders.csv');
  await expect(page.getByRole('status')).toContainText('1 order from 4 lines; 2 lines not imported.');
  const problems = page.getByRole('table', { name: 'Lines not imported' });
  await expect(problems.getByRole('row')).toHaveCount(3);
  await expect(problems.getByRole('row').nth(1)).toContainText('4');
  await expect(problems.getByRole('row').nth(1)).toContainText('NO-SUCH-SKU');
  await expect(problems.getByRole('row').nth(2)).toContainText('5');
  await expect(problems.getByRole('row').nth(2)).toContainText('quantity');
});
