// The restart test (issue 18) on its own: it stops and starts the edge of the shared stack, so it
// runs after the main suite (e2e/playwright.config.mjs), one test at a time.
import base from './playwright.config.mjs';

export default { ...base, testDir: './restart', workers: 1, projects: undefined };
