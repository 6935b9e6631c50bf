import type { FullConfig } from '@playwright/test';
import * as fs from 'node:fs';
import { LEDGER } from './tests/fixtures/totp';

// `cargo leptos end-to-end` starts the server and Playwright at the same moment: wait until
// the app answers its health check (database included) before the first test.
export default async function globalSetup(config: FullConfig) {
  // A fresh database: no time step is used yet.
  fs.rmSync(LEDGER, { force: true });
  const baseURL = config.projects[0].use.baseURL ?? 'http://127.0.0.1:3000';
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
