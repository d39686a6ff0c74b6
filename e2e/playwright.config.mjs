// Playwright against the real stack (the edge on workerd, self-hosted or under `wrangler dev`, + the
// origin), in Debian's Chromium with a mobile profile. `make test` starts the stack and sets
// EDGE_URL / ORIGIN_URL (tools/test.sh: which specs run on which edge, and with how many browsers).
import { defineConfig, devices } from '@playwright/test';

// Tests `make test` leaves out of one run because another run covers them (tools/test.sh): a regex of
// titles. Set here, not with --grep-invert, which would not reach `revisit`: the others depend on it.
const leaveOut = process.env.E2E_LEAVE_OUT ? { grepInvert: new RegExp(process.env.E2E_LEAVE_OUT) } : {};

export default defineConfig({
  testDir: './tests',
  outputDir: '../.state/e2e-results',
  // A `test.only` left in a spec would silently run one test and pass the whole suite: refused.
  forbidOnly: true,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  workers: 2,
  reporter: [['list']],
  projects: [
    { name: 'revisit', testIgnore: /(delivery|code-sms|audit-cli)\.spec/, ...leaveOut },
    // Takes the origin down and restarts the edge: runs alone, after everything else.
    { name: 'disruptive', testMatch: /delivery\.spec/, dependencies: ['revisit'] },
    // Takes the origin down while codes are sent (issue 19): alone too, after that.
    { name: 'sms-down', testMatch: /code-sms\.spec/, dependencies: ['disruptive'] },
    // The auditors' CLI on the archive every other spec has filled: last of all.
    { name: 'audit', testMatch: /audit-cli\.spec/, dependencies: ['sms-down'] },
  ],
  use: {
    ...devices['Pixel 7'],
    baseURL: process.env.EDGE_URL ?? 'http://127.0.0.1:8787',
    locale: 'zh-CN',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
      ],
    },
  },
});
