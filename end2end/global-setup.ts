import type { FullConfig } from '@playwright/test';
import { resetLedger } from './tests/fixtures/totp';
import { createSharedSessions } from './tests/fixtures/sessions';

/**
 * `cargo leptos end-to-end` and `scripts/test.sh` start the server and Playwright at the same
 * moment: wait until the app answers its health check (database included), then sign in the
 * demo accounts whose sessions the tests share.
 */
export default async function globalSetup(config: FullConfig) {
  // A fresh database: no time step is used yet.
  resetLedger();
  const baseURL = config.projects[0].use.baseURL ?? 'http://127.0.0.1:3000';
  await waitUntilHealthy(baseURL);
  await createSharedSessions(baseURL);
}

async function waitUntilHealthy(baseURL: string) {
  const deadline = Date.now() + 180_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${baseURL}/healthz`);
      if (response.ok) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`Gatehouse did not become healthy at ${baseURL}: ${last}`);
}
