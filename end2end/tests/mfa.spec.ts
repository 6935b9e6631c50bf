import {
  test,
  expect,
  AppShell,
  LoginPage,
  MfaPage,
  enrollTotp,
  hydrated,
  signIn,
  signUpOwner,
  uniqueEmail,
  freshCode,
  withFreshCode,
  wrongCode,
  DEMO_PASSWORD,
} from './fixtures/app';

// Several of these sign one user in more than twice inside a minute: each sign-in needs a
// time step of its own, so some wait for the next one.
test.describe.configure({ timeout: 150_000 });

test('two-factor sign-in: a real code opens the workspace, a replayed one and a spent recovery code do not', async ({
  page,
}) => {
  const email = uniqueEmail('mfa');
  const password = 'seven silver herons wading';
  const { secret, recoveryCodes } = await signUpOwner(page, {
    name: 'Mo Factor',
    email,
    password,
    organization: 'Factor Works',
  });
  await page.getByRole('button', { name: 'Finish setup' }).click();
  await expect(page.getByRole('heading', { name: 'Welcome, Mo Factor' })).toBeVisible();
  const shell = new AppShell(page);
  await shell.signOut();

  // The password alone is not enough: the code page comes next.
  const login = new LoginPage(page);
  const mfa = new MfaPage(page);
  await login.goto();
  await login.signIn(email, password);
  const code = await freshCode(email, secret);
  await mfa.enter(code);
  await expect(page.getByRole('heading', { name: 'Welcome, Mo Factor' })).toBeVisible();
  await shell.signOut();

  // The same code again is a replay.
  await login.goto();
  await login.signIn(email, password);
  await mfa.enter(code);
  await expect(page.getByRole('alert')).toHaveText('That code was already used. Wait for the next code in your app.');
  await expect(page).toHaveURL(/\/login\/mfa/);
  // Letters are not a code.
  await mfa.enter('12ab56');
  await expect(page.getByRole('alert')).toContainText('code');
  await expect(page).toHaveURL(/\/login\/mfa/);
  // A recovery code works once.
  await mfa.enter(recoveryCodes[0]);
  await expect(page.getByRole('heading', { name: 'Welcome, Mo Factor' })).toBeVisible();
  await shell.signOut();
  await login.goto();
  await login.signIn(email, password);
  await mfa.enter(recoveryCodes[0]);
  await expect(page.getByRole('alert')).toHaveText('That recovery code was already used.');
  await mfa.enter(await freshCode(email, secret));
  await expect(page.getByRole('heading', { name: 'Welcome, Mo Factor' })).toBeVisible();

  // The security page counts what is left.
  await page.goto('/settings/security');
  await expect(page.getByRole('region', { name: 'Two-factor authentication' })).toContainText(
    'Recovery codes left: 9',
  );
});

test('finadmin must set up two-factor authentication before finance permissions work', async ({ page }) => {
  const email = 'finadmin@acme.test';
  const login = new LoginPage(page);
  await login.goto();
  await login.signIn(email);
  await expect(page).toHaveURL(/\/settings\/security\?required=1/);
  await expect(page.getByText('Your role requires two-factor authentication')).toBeVisible();

  // Until then the workspace withholds every privileged permission of the role.
  await page.goto('/');
  await expect(page.getByRole('heading', { name: /^Welcome, / })).toBeVisible();
  await expect(page.locator('li[title="orders.read"]')).toBeVisible();
  await expect(page.locator('li[title="refunds.approve"]')).toHaveCount(0);
  await expect(page.locator('li[title="invoices.read"]')).toHaveCount(0);

  await page.goto('/settings/security?required=1&next=/');
  const { recoveryCodes } = await enrollTotp(page, email);
  expect(new Set(recoveryCodes).size).toBe(10);
  await page.getByRole('link', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: /^Welcome, / })).toBeVisible();
  await expect(page.locator('li[title="refunds.approve"]')).toBeVisible();
  await expect(page.locator('li[title="invoices.void"]')).toBeVisible();
});

test('analytics asks the analyst to verify in place: an authenticator code unlocks it', async ({ page }) => {
  await signIn(page, 'analyst@acme.test');
  const response = await page.goto('/analytics');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { name: "Verify it's you" })).toBeVisible();
  await expect(page.getByText('stays unlocked for 24 hours')).toBeVisible();
  await hydrated(page);
  await withFreshCode('analyst@acme.test', async (code) => {
    await page.getByLabel('Authentication code').fill(code);
    await page.getByRole('button', { name: 'Unlock with authenticator' }).click();
    await expect(page).toHaveURL(/\/analytics$/);
  });
  await expect(page.getByRole('status')).toContainText('Unlocked for this session until');
  // Sales and products by role, revenue by the demo grant.
  await expect(page.getByRole('heading', { name: 'Analytics' })).toBeVisible();
  const figures = page.locator('.figures');
  await expect(figures.getByText('Revenue', { exact: true })).toBeVisible();
  await expect(figures.getByText('Paid orders', { exact: true })).toBeVisible();
});

test('an analytics PIN: easy and common ones are refused, a good one unlocks analytics', async ({ page }) => {
  await signIn(page, 'analyst@acme.test');
  await page.goto('/settings/security');
  await hydrated(page);
  const pin = page.getByRole('region', { name: 'Analytics PIN' });
  await pin.getByLabel('Current password').fill(DEMO_PASSWORD);
  await pin.getByLabel('New PIN').fill('123456');
  await pin.getByRole('button', { name: 'Save PIN' }).click();
  await expect(pin.getByRole('alert')).toHaveText(
    'That PIN is too easy to guess: avoid repeated digits and runs like 123456.',
  );
  await pin.getByLabel('New PIN').fill('696969');
  await pin.getByRole('button', { name: 'Save PIN' }).click();
  await expect(pin.getByRole('alert')).toHaveText('That PIN is one of the most common; choose another.');
  await pin.getByLabel('New PIN').fill('480317');
  await pin.getByRole('button', { name: 'Save PIN' }).click();
  await expect(pin.getByText('PIN saved.')).toBeVisible();

  // In place: the page asks, the PIN unlocks, the same range comes back with its charts.
  await page.goto('/analytics?days=90');
  await hydrated(page);
  await page.getByLabel('Analytics PIN').fill('480317');
  await page.getByRole('button', { name: 'Unlock with PIN' }).click();
  await expect(page).toHaveURL(/\/analytics\?days=90$/);
  await expect(page.getByRole('status')).toContainText('Unlocked for this session until');
  await expect(page.getByRole('link', { name: '90 days' })).toHaveAttribute('aria-current', 'page');
  for (const chart of ['Revenue of paid orders per day', 'Paid orders per day, as bars', 'The ten products sold most']) {
    const figure = page.getByRole('figure').filter({ hasText: chart });
    await expect(figure.locator('svg')).toBeVisible();
  }
  await expect(page.getByRole('heading', { name: 'Top products' })).toBeVisible();
  await page.getByText('Revenue per day as a table').click();
  await expect(page.getByRole('columnheader', { name: 'Same day of the period before' })).toBeVisible();
});

test('five wrong step-up codes lock unlocking and say until when', async ({ page }) => {
  // A fresh owner of their own: the lock is the account's, and the demo analysts unlock
  // analytics in other tests.
  const email = uniqueEmail('lock');
  const { secret } = await signUpOwner(page, {
    name: 'Lock Smith',
    email,
    password: 'five wrong codes then none',
    organization: 'Lock Works',
  });
  await page.goto('/step-up?next=/analytics');
  await hydrated(page);
  const code = page.getByLabel('Authentication code');
  const unlock = page.getByRole('button', { name: 'Unlock with authenticator' });
  const answered = () => page.waitForResponse((r) => r.url().endsWith('/api/security/step_up'));
  for (let attempt = 1; attempt <= 4; attempt++) {
    await code.fill(wrongCode(secret));
    const response = answered();
    await unlock.click();
    expect((await response).status()).toBe(400);
    await expect(page.getByRole('alert')).toContainText('After 5 failed attempts step-up locks for 30 minutes.');
  }
  await code.fill(wrongCode(secret));
  const fifth = answered();
  await unlock.click();
  expect((await fifth).status()).toBe(409);
  await expect(page.getByRole('alert').filter({ hasText: /locked .*Try again after \d/ })).toBeVisible();
  await expect(page.getByText(/Step-up is locked until .+ after 5 failed attempts\./)).toBeVisible();

  // Now even the right code opens nothing, and the page says so when opened again.
  await code.fill(await freshCode(email, secret));
  const refused = answered();
  await unlock.click();
  expect((await refused).status()).toBe(409);
  await expect(page).toHaveURL(/\/step-up/);
  await page.reload();
  await expect(page.getByText(/Step-up is locked until .+ after 5 failed attempts\./)).toBeVisible();
});

test('ending another session signs that device out', async ({ browser }) => {
  // A fresh account, so that no other test's sessions show in its list.
  const email = uniqueEmail('devices');
  const password = 'two devices, one person';
  const laptop = await browser.newPage();
  const phone = await browser.newPage();
  const { secret } = await signUpOwner(laptop, { name: 'Dev Ices', email, password, organization: 'Devices Ltd' });
  await laptop.getByRole('button', { name: 'Finish setup' }).click();
  await expect(laptop.getByRole('heading', { name: 'Welcome, Dev Ices' })).toBeVisible();
  await signIn(phone, email, password, secret);

  await laptop.goto('/settings/security');
  await hydrated(laptop);
  const sessions = laptop.getByRole('region', { name: 'Sessions' });
  await expect(sessions.getByRole('row')).toHaveCount(3); // the header and two sessions
  await expect(sessions.getByText('This device')).toBeVisible();
  await sessions.getByRole('button', { name: /^End session on / }).click();
  await expect(sessions.getByRole('row')).toHaveCount(2);

  await phone.goto('/');
  await expect(phone).toHaveURL(/\/login/);
  await laptop.reload();
  await expect(laptop.getByRole('heading', { name: 'Security' })).toBeVisible();
  await laptop.context().close();
  await phone.context().close();
});
