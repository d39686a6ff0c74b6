// The whole revisit (link → code → every item → submit) on three phones — Pixel 7, iPhone 13 (its
// viewport, user agent and touch, emulated in Chromium) and a small 360×640 Android — in Chinese and
// in English (browser locale and Accept-Language), and in large-text mode (issue 4, R9, R12). Each
// run: the long item cannot be confirmed before it is scrolled to its end and shown for its minimum
// time, one "no" with a comment is recorded as a problem case, the page never scrolls sideways, and
// the record holds every item in the language it was shown in. The detailed checks are in
// reading.spec.mjs; this spec only proves the whole flow holds on each profile.
import { devices } from '@playwright/test';
import { test, expect, readingScript, WORDS } from './fixtures/revisit.mjs';

// The runs are independent: let the suite's two workers share them.
test.describe.configure({ mode: 'parallel' });

/** A device's screen, user agent and touch, in the suite's Chromium (Debian's); no WebKit. */
const inChromium = ({ defaultBrowserType: _browser, ...profile }) => profile;
const PROFILES = {
  'Pixel 7': inChromium(devices['Pixel 7']),
  'iPhone 13': inChromium(devices['iPhone 13']),
  'phone 360x640': {
    viewport: { width: 360, height: 640 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true,
    userAgent: devices['Pixel 7'].userAgent,
  },
};
const LANGS = {
  'zh-CN': { locale: 'zh-CN', acceptLanguage: 'zh-CN,zh;q=0.9' },
  en: { locale: 'en-GB', acceptLanguage: 'en-GB,en;q=0.9,zh-CN;q=0.5' },
};
// Every profile in both languages, and large text where the screen is smallest and on an iPhone.
const RUNS = [
  ['Pixel 7', 'zh-CN', false], ['Pixel 7', 'en', false],
  ['iPhone 13', 'zh-CN', false], ['iPhone 13', 'en', false],
  ['phone 360x640', 'zh-CN', false], ['phone 360x640', 'en', false],
  ['phone 360x640', 'zh-CN', true], ['iPhone 13', 'en', true],
];

for (const [profile, lang, large] of RUNS) {
  test.describe(`${profile}, ${lang}${large ? ', large text' : ''}`, () => {
    const { locale, acceptLanguage } = LANGS[lang];
    test.use({ ...PROFILES[profile], locale, extraHTTPHeaders: { 'Accept-Language': acceptLanguage } });

    test('the whole revisit', async ({ insurer, origin, revisit, page }) => {
      test.slow();
      const w = WORDS[lang];
      const script = readingScript(3);
      const total = script.items.length;
      const longAt = script.items.findIndex((i) => i.id === 'long-read');
      const created = await insurer.createRevisit({ script, readingSecs: null });

      await revisit.open(created.path);
      await expect(page.locator('html')).toHaveAttribute('lang', lang);
      if (large) await revisit.largeText();
      await revisit.expectNoSidewaysScroll();
      await revisit.watchGates();
      await revisit.verifyWithCode(origin, created.phone);

      let scrolledAt;
      for (let n = 1; n <= total; n++) {
        await revisit.expectItem(n, total);
        await expect(page.getByRole('heading', { level: 1 })).toHaveText(script.items[n - 1].text[lang].title);
        // Nothing is pre-selected: nothing is checked (R9); that no answer started enabled is
        // read from the page's own record below.
        await expect(page.locator('main :checked, main [aria-pressed="true"]')).toHaveCount(0);
        await revisit.expectNoSidewaysScroll();
        if (n - 1 === longAt) {
          // Long enough to scroll: its end is not in view, so neither time nor patience unlocks it.
          await expect(page.getByTestId('read-hint')).toHaveText(w.readToEnd);
          await expect(revisit.yes()).toBeDisabled();
          scrolledAt = await revisit.scrollBodyToEnd();
          await revisit.answer('no', lang === 'en' ? 'I have not received the contract' : '还没有收到合同');
        } else {
          await revisit.answer('yes');
        }
      }
      // What each item's answers went through, on the page's clock: locked when shown, and
      // unlocked no sooner than the item's minimum (less the page's own render time); the long
      // one only once scrolled to its end, counting down what was left of its time.
      const gates = await revisit.gates(total);
      expect(gates.length).toBe(total);
      for (const [i, gate] of gates.entries()) {
        expect(gate.lockedWhenShown, `item ${i + 1} locked when shown`).toBe(true);
        const minMs = script.items[i].min_read_secs * 1000;
        expect(gate.unlockedAt - gate.shownAt, `item ${i + 1} held for its minimum`).toBeGreaterThanOrEqual(minMs - 500);
      }
      const long = gates[longAt];
      expect(long.hints[0].text).toBe(w.readToEnd);
      expect(long.unlockedAt).toBeGreaterThanOrEqual(scrolledAt);
      if (scrolledAt - long.shownAt < script.items[longAt].min_read_secs * 1000 - 1000) {
        expect(long.hints.slice(1).map((h) => h.text)).toContainEqual(expect.stringMatching(w.keepReading));
      }
      await expect(page.getByRole('heading', { name: w.review })).toBeVisible();
      await revisit.expectNoSidewaysScroll();
      await revisit.submit();

      const stored = await origin.record(created.revisit_id);
      expect(stored.verified).toBe(true);
      const record = stored.sealed.record;
      expect(record.outcome).toBe('completed');
      expect(record.items.map((i) => i.lang)).toEqual(Array(total).fill(lang));
      expect(record.items.map((i) => i.title)).toEqual(script.items.map((i) => i.text[lang].title));
      expect(record.items[longAt].answer).toBe('no');
      expect(stored.problem_cases).toBe(1);
    });
  });
}
