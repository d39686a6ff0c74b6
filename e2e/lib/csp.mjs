// Fails a test on any Content-Security-Policy violation the browser reports (issue 12, item 2): the
// app runs under a strict CSP (edge/src/headers.rs), and a violation is something the page tried
// and the browser refused — a broken feature, or an injection. Two reports, either enough: the
// page's `securitypolicyviolation` event (an init script logs each), and Chromium's own console
// message ("Refused to … because it violates the following Content Security Policy directive").
// headers.spec.mjs shows that a page that violates is caught.

const MARK = 'securitypolicyviolation';

/**
 * Watches `page` (before it navigates): returns the list every violation is pushed onto, as
 * text, for the test to check at its end.
 */
export async function watchCsp(page) {
  const violations = [];
  page.on('console', (msg) => {
    const text = msg.text();
    if (text.startsWith(MARK) || /Content Security Policy/i.test(text)) violations.push(`${page.url()}: ${text}`);
  });
  await page.addInitScript((mark) => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`${mark}: ${e.effectiveDirective} refused ${e.blockedURI || '(inline)'} at ${e.sourceFile || '?'}:${e.lineNumber}`);
    });
  }, MARK);
  return violations;
}
