import { test, expect, useSession, signUpOwner, hydrated, AppShell, uniqueEmail } from './fixtures/app';

test('a cross-origin form post is refused and changes nothing', async ({ page, baseURL }) => {
  await useSession(page, 'owner@acme.test');
  // A page on another site that auto-submits a form at Gatehouse, as a CSRF attack would.
  await page.route('http://evil.test/**', (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<form id="f" method="post" action="${baseURL}/api/orgs/settings/update">
               <input name="name" value="Pwned"><input name="timezone" value="UTC">
               <input name="currency" value="USD"></form>
             <script>document.getElementById('f').submit()</script>`,
    }),
  );
  const refused = page.waitForResponse((r) => r.url().endsWith('/api/orgs/settings/update'));
  await page.goto('http://evil.test/attack.html');
  const response = await refused;
  expect(response.status()).toBe(403);
  expect((await response.json()).code).toBe('cross_origin_request');

  await page.goto('/settings/organization');
  await hydrated(page);
  await expect(page.getByLabel('Organization name')).toHaveValue('Acme Retail');
  await expect(page.getByLabel('Timezone')).toHaveValue('Asia/Kolkata');
});

test('pages are served with security headers', async ({ page }) => {
  const response = await page.goto('/login');
  const headers = response!.headers();
  expect(headers['content-security-policy']).toMatch(/script-src 'self' 'nonce-[^']+' 'wasm-unsafe-eval'/);
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('same-origin');
  expect(headers['cache-control']).toBe('no-store');
  // With that policy in force the wasm still loads and hydrates the page.
  await hydrated(page);
});

test('organization settings save and show in the header', async ({ page }) => {
  // Its own organization, so no other test sees the rename.
  await signUpOwner(page, {
    name: 'Sam Settings',
    email: uniqueEmail('settings'),
    password: 'lanterns over the quiet river',
    organization: 'Settings Test Org',
  });
  await page.getByRole('button', { name: 'Finish setup' }).click();
  await expect(page.getByRole('heading', { name: 'Welcome, Sam Settings' })).toBeVisible();

  await new AppShell(page).nav().getByRole('link', { name: 'Settings', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Organization settings' })).toBeVisible();
  await page.getByLabel('Organization name').fill('Renamed Test Org');
  await page.getByLabel('Timezone').selectOption('America/New_York');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('status')).toHaveText('Settings saved.');
  await expect(new AppShell(page).organization()).toHaveText('Renamed Test Org');
  await page.reload();
  await expect(page.getByLabel('Timezone')).toHaveValue('America/New_York');
});
