import {
  test,
  expect,
  LoginPage,
  MfaPage,
  SignupPage,
  AppShell,
  signIn,
  signUpOwner,
  sessionCookie,
  uniqueEmail,
  hydrated,
  mailTo,
} from './fixtures/app';

test('sign up creates an organization, two-factor set-up and onboarding open the workspace', async ({ page }) => {
  const email = uniqueEmail('founder');
  await signUpOwner(page, { name: 'Fay Founder', email, password: 'a quiet harbour at dawn', organization: 'Fay Labs' });

  await expect(page.getByRole('heading', { name: 'Set up your organization' })).toBeVisible();
  await expect(page.getByLabel('Timezone')).toHaveValue('Asia/Kolkata');
  await expect(page.getByLabel('Currency')).toHaveValue('INR');
  await page.getByLabel('Timezone').selectOption('Europe/Berlin');
  await page.getByLabel('Currency').selectOption('EUR');
  await page.getByRole('button', { name: 'Finish setup' }).click();

  await expect(page.getByRole('heading', { name: 'Welcome, Fay Founder' })).toBeVisible();
  await expect(new AppShell(page).organization()).toHaveText('Fay Labs');
  await expect(page.getByText('Europe/Berlin')).toBeVisible();
  await expect(page.getByText('EUR', { exact: true })).toBeVisible();
});

test('sign-up never tells whether an address has an account: its owner gets a mail instead', async ({ page }) => {
  const signup = new SignupPage(page);
  await signup.goto();
  await signup.signUp({ name: 'Mallory', email: 'owner@acme.test', password: 'a probing passphrase', organization: 'Probe Co' });
  // The same page as for a new address…
  await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  await expect(page.getByRole('status')).toContainText('owner@acme.test');
  // …and the address's owner learns of it, with no link that would create anything.
  const mail = await mailTo('owner@acme.test', 'You already have a Gatehouse account');
  expect(mail.body).toContain('already has one');
  expect(mail.body).not.toContain('/signup/confirm/');
});

test('sign-up refuses a common password and says why', async ({ page }) => {
  const signup = new SignupPage(page);
  await signup.goto();
  await signup.signUp({ name: 'Pat', email: uniqueEmail('common'), password: 'password1', organization: 'Pat Co' });
  await expect(page.getByRole('alert')).toContainText('most commonly used');
  await expect(page.getByLabel('Password')).toHaveAttribute('aria-invalid', 'true');
  await expect(page).toHaveURL(/\/signup$/);
});

test('demo owner signs in to the workspace', async ({ page }) => {
  await signIn(page, 'owner@acme.test');
  await expect(page.getByRole('heading', { name: 'Welcome, Asha Owner' })).toBeVisible();
  await expect(new AppShell(page).organization()).toHaveText('Acme Retail');
  await expect(new AppShell(page).nav().getByRole('link', { name: 'Team' })).toBeVisible();
});

test('wrong password and unknown email get the same message', async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.signIn('owner@acme.test', 'not-the-password');
  await expect(login.error()).toHaveText('Incorrect email or password.');
  await login.signIn('nobody-here@acme.test', 'not-the-password');
  await expect(login.error()).toHaveText('Incorrect email or password.');
  await expect(page).toHaveURL(/\/login$/);
});

test('sign-in returns to the page that asked for it', async ({ page }) => {
  const response = await page.goto('/settings/team');
  await expect(page).toHaveURL(/\/login\?next=%2Fsettings%2Fteam|\/login\?next=\/settings\/team/);
  expect(response?.status()).toBe(200);
  await hydrated(page);
  await new LoginPage(page).signIn('admin@acme.test');
  await new MfaPage(page).verify('admin@acme.test');
  await expect(page).toHaveURL(/\/settings\/team$/);
  await expect(page.getByRole('heading', { name: 'Team' })).toBeVisible();
});

test('sign-out kills the session: the old cookie is refused', async ({ page, context, playwright, baseURL }) => {
  await signIn(page, 'viewer@acme.test');
  const cookie = await sessionCookie(context);
  await new AppShell(page).signOut();

  // The browser forgot the cookie; the server must have forgotten the session too.
  const api = await playwright.request.newContext({ baseURL });
  const replay = await api.post('/api/session', { headers: { Cookie: cookie, Origin: baseURL! } });
  expect(await replay.json()).toBeNull();
  const guarded = await api.post('/api/team/members', { headers: { Cookie: cookie, Origin: baseURL! } });
  expect(guarded.status()).toBe(401);
  expect((await guarded.json()).code).toBe('sign_in_required');
  await api.dispose();

  // A page visited with the old cookie is for visitors again.
  await context.addCookies([{ name: cookie.split('=')[0], value: cookie.split('=')[1], url: baseURL! }]);
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
});
