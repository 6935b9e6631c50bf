import { test, expect, useSession, signUpOwner, hydrated, uniqueEmail, AppShell, mailTo, linkIn } from './fixtures/app';

/** Opens a member's page from the roster. */
async function openMember(page: import('@playwright/test').Page, name: string) {
  await page.goto('/settings/team');
  await page.getByRole('table').getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
  await hydrated(page);
}

test('the roster shows two-factor status and compliance; the owner changes a role and back', async ({ page }) => {
  await useSession(page, 'owner@acme.test');
  await page.goto('/settings/team');
  await expect(page.getByRole('region', { name: 'Two-factor compliance' })).toBeVisible();
  const consultant = page.getByRole('row', { name: /Chris Consultant|consultant@example\.test/ });
  await expect(consultant).toContainText('other role elsewhere');
  await expect(page.getByRole('note')).toContainText('hold a different role in another organization');
  await expect(page.getByRole('row', { name: /owner@acme\.test/ })).toContainText('On');

  await openMember(page, 'Vik Viewer');
  const role = page.getByRole('region', { name: 'Role' });
  await role.getByLabel('New role').selectOption({ label: 'Analyst' });
  await role.getByRole('button', { name: 'Change role' }).click();
  await expect(role.getByText('Role changed.')).toBeVisible();
  await expect(page.locator('.facts')).toContainText('Analyst');
  await hydrated(page); // the change reloaded the page
  await role.getByLabel('New role').selectOption({ label: 'Viewer' });
  await role.getByRole('button', { name: 'Change role' }).click();
  await expect(page.locator('.facts')).toContainText('Viewer');

  // The changes are in the audit log, before → after.
  await page.goto('/settings/audit?action=team.role_change');
  await expect(page.locator('table tbody tr').first()).toContainText('"after":"viewer"');
});

test('an admin cannot make someone owner, and nobody changes their own role', async ({ page, baseURL }) => {
  await useSession(page, 'admin@acme.test');
  await openMember(page, 'Vik Viewer');
  const role = page.getByRole('region', { name: 'Role' });
  await role.getByLabel('New role').selectOption({ label: 'Owner (holds more than you)' });
  await role.getByRole('button', { name: 'Change role' }).click();
  await expect(role.getByRole('alert')).toContainText('You can only give roles whose permissions you hold yourself');
  await page.reload();
  await expect(page.locator('.facts')).not.toContainText('Owner');

  // The admin's own page offers no actions, and the endpoint refuses too.
  await openMember(page, 'Arjun Admin');
  await expect(page.getByText('This is you.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Change role' })).toHaveCount(0);
  const own = page.url().split('/').pop()!;
  const roles = await page.request.post('/api/team/roles', { headers: { Origin: baseURL! } });
  const viewer = (await roles.json()).find((r: { name: string }) => r.name === 'Viewer');
  const refused = await page.request.post('/api/team/member/role', {
    headers: { Origin: baseURL! },
    form: { member_id: own, role_id: viewer.id },
  });
  expect(refused.status()).toBe(409);
  expect((await refused.json()).code).toBe('own_membership');
});

test('the last owner cannot demote themself', async ({ page, baseURL }) => {
  await useSession(page, 'owner@globex.test');
  await openMember(page, 'Greta Owner');
  await expect(page.getByText('This is you.')).toBeVisible();
  const own = page.url().split('/').pop()!;
  const roles = await page.request.post('/api/team/roles', { headers: { Origin: baseURL! } });
  const admin = (await roles.json()).find((r: { name: string }) => r.name === 'Admin');
  const refused = await page.request.post('/api/team/member/role', {
    headers: { Origin: baseURL! },
    form: { member_id: own, role_id: admin.id },
  });
  expect(refused.status()).toBe(409);
  await page.reload();
  await expect(page.locator('.facts')).toContainText('Owner');
});

test("the owner's whole flow: invite, accept elsewhere, change role, grant, revoke, remove", async ({
  page,
  browser,
}) => {
  test.setTimeout(150_000);
  const email = uniqueEmail('invitee');
  const name = `Ivy ${email.split('@')[0].slice(-6)}`;
  await useSession(page, 'owner@acme.test');
  await page.goto('/settings/team');
  await hydrated(page);
  const invite = page.getByRole('region', { name: 'Invite people' });
  await invite.getByLabel('Email addresses').fill(`${email}, not-an-email`);
  await invite.getByLabel('Role').selectOption({ label: 'Viewer' });
  await invite.getByLabel('Message (optional)').fill('Welcome aboard!');
  await invite.getByRole('button', { name: 'Send invitations' }).click();
  await expect(invite.getByRole('status')).toHaveText(`Invited 1: ${email}`);
  await expect(invite.getByRole('alert')).toContainText('not-an-email: not a valid email address');
  const invitations = page.getByRole('region', { name: 'Invitations' });
  await expect(invitations.getByRole('row', { name: new RegExp(email) })).toContainText('pending');

  // The link arrives by email, for the invitee's eyes only: operators see the message
  // without it.
  const mail = await mailTo(email, 'invited you');
  expect(mail.body).toContain('Welcome aboard!');
  const link = linkIn(mail, '/invite/');
  const ops = await browser.newPage();
  await useSession(ops, 'ops@gatehouse.test');
  await ops.goto('/admin/outbox');
  const stored = ops.getByRole('row', { name: new RegExp(email) }).first();
  await expect(stored).toContainText('Welcome aboard!');
  await expect(stored).toContainText('[hidden: only the recipient can see this]');
  await expect(stored).not.toContainText(link);
  await ops.context().close();

  // A second browser, nobody signed in: the invitee creates the account and joins.
  const invitee = await browser.newPage();
  await invitee.goto(link);
  await expect(invitee.getByRole('heading', { name: 'Join Acme Retail' })).toBeVisible();
  await hydrated(invitee);
  await invitee.getByLabel('Your name').fill(name);
  await invitee.getByLabel('Password').fill('a brand new invitee passphrase');
  await invitee.getByRole('button', { name: 'Create account and join' }).click();
  await expect(invitee.getByRole('heading', { name: `Welcome, ${name}` })).toBeVisible();
  await expect(new AppShell(invitee).organization()).toHaveText('Acme Retail');
  // The link worked once.
  await invitee.goto(link);
  await expect(invitee.getByRole('alert')).toContainText('already accepted');

  // The owner sees the member, changes the role, grants and revokes revenue, removes them.
  await page.goto('/settings/team');
  await expect(page.getByRole('region', { name: 'Invitations' }).getByRole('row', { name: new RegExp(email) })).toContainText(
    'accepted',
  );
  await openMember(page, name);
  const role = page.getByRole('region', { name: 'Role' });
  await role.getByLabel('New role').selectOption({ label: 'Analyst' });
  await role.getByRole('button', { name: 'Change role' }).click();
  await expect(page.locator('.facts')).toContainText('Analyst');

  await page.goto('/settings/analytics-access');
  await hydrated(page);
  const revenue = page.getByLabel(`Revenue figures for ${name}`);
  await expect(page.getByLabel(`Sales figures for ${name}`)).toBeDisabled(); // the role gives it
  await revenue.check();
  await page.getByRole('button', { name: `Save analytics access for ${name}` }).click();
  await expect(page.getByRole('row', { name: new RegExp(name) })).toContainText('by Asha Owner');
  await expect(page.getByLabel(`Revenue figures for ${name}`)).toBeChecked();
  await hydrated(page); // saving reloaded the table
  await page.getByLabel(`Revenue figures for ${name}`).uncheck();
  await page.getByRole('button', { name: `Save analytics access for ${name}` }).click();
  await expect(page.getByRole('row', { name: new RegExp(name) })).not.toContainText('by Asha Owner');

  await openMember(page, name);
  await page.getByRole('button', { name: 'Remove from organization' }).click();
  await expect(page).toHaveURL(/\/settings\/team$/);
  await expect(page.getByRole('table').first().getByRole('link', { name })).toHaveCount(0);

  // The removed member's next request no longer reaches Acme.
  await invitee.goto('/');
  await expect(invitee.getByText('You are not a member of any organization yet.')).toBeVisible();
  await invitee.context().close();

  // Every step is in the audit log.
  await page.goto('/settings/audit?action=team.');
  const log = page.locator('table tbody');
  for (const action of ['team.invite', 'team.invite_accept', 'team.role_change', 'team.member_remove']) {
    await expect(log).toContainText(action);
  }
});

test('the role catalog: built-in roles explained, a custom role created, edited and deleted', async ({ page }) => {
  await useSession(page, 'admin@acme.test');
  await page.goto('/settings/roles');
  await hydrated(page);
  const owner = page.getByRole('region', { name: /^Owner/ });
  await expect(owner).toContainText('Everything in the organization');
  await expect(owner).toContainText('requires two-factor');
  await expect(page.getByRole('region', { name: /^Support agent/ })).toContainText('See customer details');

  const form = page.getByRole('region', { name: 'New custom role' });
  await form.getByLabel('Name').fill('Owner');
  await form.getByRole('button', { name: 'Create role' }).click();
  await expect(form.getByRole('alert')).toContainText('built-in role');
  const name = `Desk ${Date.now() % 100000}`;
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Permissions').selectOption({ label: 'Start from Viewer' });
  await form.getByRole('button', { name: 'Create role' }).click();
  const role = page.getByRole('region', { name: new RegExp(`^${name}`) });
  await expect(role).toContainText('custom');
  await hydrated(page); // creating reloaded the catalog
  // The admin holds no finance permission, so cannot add one.
  await role.getByRole('button', { name: `Add View invoices to ${name}` }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'invoices.read' })).toBeVisible();
  await role.getByRole('button', { name: `Add Read audit log to ${name}` }).click();
  await expect(role.getByRole('button', { name: `Remove Read audit log from ${name}` })).toBeVisible();
  await hydrated(page);
  await expect(role).toContainText('requires two-factor');
  await role.getByRole('button', { name: `Delete the role ${name}` }).click();
  await expect(page.getByRole('region', { name: new RegExp(`^${name}`) })).toHaveCount(0);
});

test('ownership moves to a member only when they accept', async ({ browser }) => {
  test.setTimeout(150_000);
  // A fresh organization, so the demo's owners stay as they are.
  const owner = await browser.newPage();
  const ownerEmail = uniqueEmail('handover');
  await signUpOwner(owner, { name: 'Hana Handover', email: ownerEmail, password: 'a handover passphrase', organization: 'Handover Ltd' });
  await owner.getByRole('button', { name: 'Finish setup' }).click();
  await expect(owner.getByRole('heading', { name: 'Welcome, Hana Handover' })).toBeVisible();
  await owner.goto('/settings/team');
  await hydrated(owner);
  const heirEmail = uniqueEmail('heir');
  const invite = owner.getByRole('region', { name: 'Invite people' });
  await invite.getByLabel('Email addresses').fill(heirEmail);
  await invite.getByLabel('Role').selectOption({ label: 'Viewer' });
  await invite.getByRole('button', { name: 'Send invitations' }).click();
  await expect(invite.getByRole('status')).toContainText(heirEmail);

  const link = linkIn(await mailTo(heirEmail, 'invited you'), '/invite/');
  const heir = await browser.newPage();
  await heir.goto(link);
  await hydrated(heir);
  await heir.getByLabel('Your name').fill('Hugo Heir');
  await heir.getByLabel('Password').fill('the heir passphrase here');
  await heir.getByRole('button', { name: 'Create account and join' }).click();
  await expect(heir.getByRole('heading', { name: 'Welcome, Hugo Heir' })).toBeVisible();

  await openMember(owner, 'Hugo Heir');
  await owner.getByRole('button', { name: 'Offer ownership to Hugo Heir' }).click();
  await expect(owner.getByText('Offer sent')).toBeVisible();
  await expect(owner.locator('.facts')).toContainText('Viewer');

  await heir.reload();
  const banner = heir.getByRole('region', { name: 'Ownership offer' });
  await expect(banner).toContainText('Hana Handover offers you ownership');
  await hydrated(heir);
  await banner.getByRole('button', { name: 'Accept ownership' }).click();
  await expect(heir.locator('.facts')).toContainText('Owner');
  await owner.reload();
  await expect(owner.locator('.facts')).toContainText('Owner');
  await owner.goto('/');
  await expect(owner.locator('.facts')).toContainText('Admin');
  await owner.context().close();
  await heir.context().close();
});
