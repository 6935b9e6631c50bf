import { test, expect, hydrated, signIn } from './fixtures/app';

// Signing in takes a code of the owner's authenticator: the second of a test may wait for
// the next time step.
test.describe.configure({ timeout: 120_000 });

test('the owner makes an API key, sees it once, and a program uses it; revoked, it stops working', async ({
  page,
  request,
}) => {
  await signIn(page, 'owner@acme.test');
  await page.goto('/settings/api-keys');
  await expect(page.getByRole('heading', { name: 'API keys' })).toBeVisible();
  await hydrated(page);
  const name = `Shop sync ${Date.now()}`;
  await page.getByLabel('Name').fill(name);
  await page.getByLabel(/View orders/).check();
  await page.getByLabel(/Write orders/).check();
  await page.getByRole('button', { name: 'Create key' }).click();
  const secret = (await page.getByTestId('new-key-secret').textContent())?.trim() ?? '';
  expect(secret).toMatch(/^gth_[0-9A-Za-z]{36}$/);

  // Shown once: after a reload the list holds only its beginning.
  await page.reload();
  const row = page.getByTestId('api-keys').getByRole('row', { name: new RegExp(name) });
  await expect(row).toContainText(secret.slice(0, 10));
  await expect(page.locator('main')).not.toContainText(secret);

  // A program uses it, by the Authorization header only.
  const orders = await request.get('/v1/orders?limit=3', { headers: { Authorization: `Bearer ${secret}` } });
  expect(orders.status()).toBe(200);
  expect((await orders.json()).data).toHaveLength(3);
  expect(orders.headers()['ratelimit-policy']).toContain('"key";q=600;w=60');
  const inQuery = await request.get(`/v1/orders?api_key=${secret}`);
  expect(inQuery.status()).toBe(400);
  expect(inQuery.headers()['content-type']).toBe('application/problem+json');
  // Beyond its scopes: refused, naming the permission.
  const invoices = await request.get('/v1/invoices', { headers: { Authorization: `Bearer ${secret}` } });
  expect(invoices.status()).toBe(403);
  expect((await invoices.json()).detail).toContain('invoices.read');

  // Its last use shows; revoked, it stops at once.
  await page.reload();
  await expect(row).not.toContainText('never');
  await hydrated(page);
  await row.getByRole('button', { name: `Revoke ${name}` }).click();
  await expect(page.getByText('The key is revoked: it stops working at once.')).toBeVisible();
  const after = await request.get('/v1/orders', { headers: { Authorization: `Bearer ${secret}` } });
  expect(after.status()).toBe(401);
  expect((await after.json()).code).toBe('api_key_revoked');
});

test('the API reference renders without scripts', async ({ page }) => {
  await page.goto('/docs/api');
  await expect(page.getByRole('heading', { name: /Gatehouse API/ })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'GET /v1/orders' })).toBeVisible();
  expect(await page.locator('script').count()).toBe(0);
});
