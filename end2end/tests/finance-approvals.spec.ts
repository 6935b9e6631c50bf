import {
  test,
  expect,
  signIn,
  useSession,
  hydrated,
  enrollTotp,
  withFreshCode,
  mailTo,
  linkIn,
  uniqueEmail,
} from './fixtures/app';
import type { Page } from '@playwright/test';

/**
 * The owner invites a new finance admin, who joins and sets up an authenticator (the role
 * requires one). A fresh account per run: the approvals below are theirs alone.
 */
async function newFinanceAdmin(owner: Page, admin: Page): Promise<{ email: string; secret: string }> {
  const email = uniqueEmail('finadmin');
  await owner.goto('/settings/team');
  await hydrated(owner);
  const invite = owner.getByRole('region', { name: 'Invite people' });
  await invite.getByLabel('Email addresses').fill(email);
  await invite.getByLabel('Role').selectOption({ label: 'Finance admin' });
  await invite.getByRole('button', { name: 'Send invitations' }).click();
  await expect(invite.getByRole('status')).toHaveText(`Invited 1: ${email}`);
  const password = 'a finance admin passphrase';
  await admin.goto(linkIn(await mailTo(email, 'invited you'), '/invite/'));
  await hydrated(admin);
  await admin.getByLabel('Your name').fill('Fiona Approver');
  await admin.getByLabel('Password').fill(password);
  await admin.getByRole('button', { name: 'Create account and join' }).click();
  await expect(admin).toHaveURL(/\/settings\/security\?required=1/);
  const { secret } = await enrollTotp(admin, email, password);
  return { email, secret };
}

/** Opens `/finance/refunds`, proving it is them first when the approver's unlock is due. */
async function openRefunds(page: Page, email: string, secret: string) {
  await page.goto('/finance/refunds');
  const verify = page.getByRole('link', { name: "Verify it's you" });
  if (await verify.isVisible()) {
    await verify.click();
    await hydrated(page);
    await withFreshCode(
      email,
      async (code) => {
        await page.getByLabel('Authentication code').fill(code);
        await page.getByRole('button', { name: 'Unlock with authenticator' }).click();
        await expect(page).toHaveURL(/\/finance\/refunds$/);
      },
      secret,
    );
  }
  await expect(page.getByRole('heading', { name: 'Refunds', level: 1 })).toBeVisible();
}

test('an issued invoice changes by approved edit; transfers count once; nobody approves their own refund', async ({
  page,
  browser,
}) => {
  test.setTimeout(180_000);
  const stamp = `${Date.now()}`;
  // Finance drafts and issues an invoice of 2 days at 1,000.00 + 18 % tax.
  await signIn(page, 'finance@acme.test');
  await page.goto('/finance/invoices/new');
  const customer = page.getByLabel('Customer');
  await customer.selectOption((await customer.locator('option').nth(1).getAttribute('value'))!);
  await page.getByLabel('Due on').fill('2031-06-30');
  await page.getByLabel('Description, line 1').fill(`Consulting day ${stamp}`);
  await page.getByLabel('Quantity, line 1').fill('2');
  await page.getByLabel('Unit price, line 1').fill('1000');
  await page.getByLabel('Tax rate (%), line 1').fill('18');
  await page.getByRole('button', { name: 'Save draft' }).click();
  await page.getByRole('button', { name: 'Issue invoice' }).click();
  await expect(page.getByRole('status')).toHaveText('Invoice issued. It can no longer change.');
  const invoiceUrl = page.url().split('?')[0];

  // An issued invoice does not change in place: finance proposes an edit, with a reason.
  await page.getByRole('link', { name: 'Propose an edit' }).click();
  await expect(page.getByRole('heading', { name: 'Propose an edit' })).toBeVisible();
  await page.getByLabel('Quantity, line 1').fill('3');
  await page.getByLabel('Why it should change').fill('The customer booked a third day.');
  await page.getByRole('button', { name: 'Propose edit' }).click();
  await expect(page.getByRole('status')).toHaveText('Edit proposed. It applies once another approver approves it.');
  await expect(page.getByText('You proposed this edit: another approver decides it.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Approve edit' })).toHaveCount(0);
  await expect(page.getByText('INR 2,360.00').first()).toBeVisible();

  // A new finance admin approves it and sees both versions side by side.
  const owner = await browser.newPage();
  await useSession(owner, 'owner@acme.test');
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  const { email: adminEmail, secret } = await newFinanceAdmin(owner, admin);
  await owner.close();
  await admin.goto(invoiceUrl);
  const edits = admin.getByRole('region', { name: 'Proposed edits' });
  const changed = edits.getByRole('row').filter({ hasText: 'Changed' });
  await expect(changed).toContainText(`Consulting day ${stamp} · 2 × 1,000.00 · 18.00 %`);
  await expect(changed).toContainText(`Consulting day ${stamp} · 3 × 1,000.00 · 18.00 %`);
  await edits.getByRole('button', { name: 'Approve edit' }).click();
  await expect(admin.getByRole('status')).toHaveText('Edit approved: the invoice has a new version.');
  await expect(admin.getByText('Version 2')).toBeVisible();
  await expect(admin.getByRole('region', { name: 'Earlier versions' })).toBeVisible();
  await expect(admin.getByText('INR 3,540.00').first()).toBeVisible();

  // Finance records the customer's bank transfer; it waits for confirmation.
  const reference = `TRF-E2E-${stamp}`;
  await page.goto(invoiceUrl);
  const payments = page.getByRole('region', { name: 'Payments' });
  await payments.getByLabel('Method').selectOption({ label: 'Bank transfer' });
  await expect(payments.getByLabel('Amount')).toHaveValue('3540.00');
  await payments.getByLabel('Reference').fill(reference);
  await payments.getByRole('button', { name: 'Record payment' }).click();
  await expect(page.getByRole('status')).toHaveText('Payment recorded.');
  await expect(page.getByRole('region', { name: 'Payments' }).getByText('Awaiting confirmation')).toBeVisible();

  // The admin confirms it from two tabs: one payment, and the second answer says so.
  const second = await adminContext.newPage();
  for (const tab of [admin, second]) await tab.goto('/finance/payments?awaiting=1');
  for (const [tab, note] of [
    [admin, 'Transfer confirmed: it now counts towards its invoice.'],
    [second, 'This transfer was already confirmed; nothing changed. The list shows when and by whom.'],
  ] as const) {
    await tab.getByRole('row').filter({ hasText: reference }).getByRole('button', { name: 'Confirm it arrived' }).click();
    await expect(tab.getByRole('status')).toHaveText(note);
  }
  await second.close();
  await admin.goto(invoiceUrl);
  await expect(admin.getByRole('heading', { level: 1 })).toContainText('Paid');
  const received = admin.getByRole('region', { name: 'Payments' }).getByRole('row').filter({ hasText: reference });
  await expect(received).toHaveCount(1);
  await expect(received).toContainText('confirmed');

  // Finance asks for part of it back; the admin approves.
  await page.goto(invoiceUrl);
  const refunds = page.getByRole('region', { name: 'Refunds' });
  await refunds.getByLabel('Amount').fill('100');
  await refunds.getByLabel('Reason').fill(`Goodwill ${stamp}`);
  await refunds.getByRole('button', { name: 'Request refund' }).click();
  await expect(page.getByRole('status')).toHaveText('Refund requested. An approver decides it on the refunds page.');
  await openRefunds(admin, adminEmail, secret);
  await admin.getByRole('row').filter({ hasText: `Goodwill ${stamp}` }).getByRole('button', { name: 'Approve' }).click();
  await expect(admin.getByRole('status')).toHaveText('Refund approved. Send the money back, then mark it as sent.');

  // The admin's own request is someone else's to decide: no button, and the server refuses.
  await admin.goto(invoiceUrl);
  const own = admin.getByRole('region', { name: 'Refunds' });
  await own.getByLabel('Amount').fill('50');
  await own.getByLabel('Reason').fill(`Own request ${stamp}`);
  await own.getByRole('button', { name: 'Request refund' }).click();
  await openRefunds(admin, adminEmail, secret);
  const mine = admin.getByRole('row').filter({ hasText: `Own request ${stamp}` });
  await expect(mine).toContainText('Your request: another approver decides it.');
  await expect(mine.getByRole('button', { name: 'Approve' })).toHaveCount(0);
  await adminContext.close();
});

test('viewers and analysts get no finance at all', async ({ browser }) => {
  for (const email of ['viewer@acme.test', 'analyst@acme.test']) {
    const page = await browser.newPage();
    await signIn(page, email);
    for (const path of ['/finance/invoices', '/finance/refunds', '/finance/payments']) {
      const response = await page.goto(path);
      expect(response?.status(), `${email} ${path}`).toBe(403);
      await expect(page.getByRole('heading', { name: 'Access denied' })).toBeVisible();
    }
    await expect(page.getByRole('link', { name: 'Finance' })).toHaveCount(0);
    await page.context().close();
  }
});
