import * as fs from 'node:fs';
import { test, expect, signIn, useSession } from './fixtures/app';

test('a refused call is audited; the owner filters the log and exports it as CSV', async ({
  page,
  browser,
  baseURL,
}) => {
  // A member calls an endpoint their role does not allow: 403, named permission, recorded.
  const member = await browser.newPage();
  await signIn(member, 'member@acme.test');
  const denied = await member.request.post('/api/team/members', { headers: { Origin: baseURL! } });
  expect(denied.status()).toBe(403);
  const body = await denied.json();
  expect(body.code).toBe('permission_required');
  expect(JSON.stringify(body)).toContain('team.read');
  await member.context().close();

  await useSession(page, 'owner@acme.test');
  await page.goto('/settings/audit');
  await expect(page.getByRole('heading', { name: 'Audit log' })).toBeVisible();
  const filters = page.getByRole('form', { name: 'Filter events' });
  await filters.getByLabel('Actor').fill('member@acme.test');
  await filters.getByLabel('Outcome').selectOption('denied');
  await filters.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/outcome=denied/);

  const rows = page.locator('table tbody tr');
  await expect(rows.first()).toContainText('member@acme.test');
  await expect(rows.first()).toContainText('team.read');
  for (const row of await rows.all()) await expect(row).toContainText('denied');

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/\.csv$/);
  const csv = fs.readFileSync((await file.path())!, 'utf8');
  const lines = csv.trimEnd().split('\r\n');
  expect(lines[0]).toBe(
    'seq,time_utc,time_local,actor_type,actor,action,target_type,target_id,outcome,reason,ip,user_agent,metadata',
  );
  expect(lines.length).toBeGreaterThan(1);
  for (const line of lines.slice(1)) expect(line).toContain('member@acme.test');

  // Reading and exporting the log are events too.
  await page.goto('/settings/audit?action=audit.');
  await expect(page.locator('table tbody')).toContainText('audit.export');
  await expect(page.locator('table tbody')).toContainText('audit.view');
});
