// The self-hosting specs (issue 18): an edge restart mid-revisit and the client-address header rule.
// The restart stops and starts the edge of the shared stack, so these run after the main suite
// (e2e/playwright.config.mjs), one test at a time, on either runtime of tools/stack.sh.
import base from './playwright.config.mjs';

export default { ...base, testDir: './selfhost', workers: 1, projects: undefined };
