// A focused sweep of the pages issue 14 added or changed, in every
// language at desktop (1280 px) and phone (375 px) width: axe-core's WCAG
// 2.1 A and AA rules with no violation of any impact, no sideways
// scrolling, the page's language and the footer's links. One browser, one
// portal login per viewport, every language by ?lang= (which the cookie
// then remembers): 2 × 3 × 7 page loads instead of multiplying the other
// files' runs.
//
// `go test ./internal/server -run BrowserSweep` starts segl with jobs in
// the list and runs this file with, besides harness.mjs's variables:
//
//   SEGL_SWEEP  JSON: {"admin": pid of a portal administrator,
//               "centralAdmin": pid of segl's own administrator,
//               "languages": ["nb", "nn", "en"],
//               "search": a word that finds some of the jobs}
//
// Without SEGL_SWEEP it is skipped.

import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { base, shots, viewports, useBrowser, newPage, checkWCAG, noHorizontalScroll } from "./harness.mjs";

const cfg = JSON.parse(process.env.SEGL_SWEEP || "null");

// The pages, after a portal login: the four about pages, the job list
// plain and searched, sorted and filtered, and the new-job form.
const pages = (search) => [
  "/about/privacy", "/about/accessibility", "/about/help", "/about/contact",
  "/portal/",
  `/portal/?q=${encodeURIComponent(search)}&status=active&sort=title&dir=asc`,
  "/portal/jobs/new",
  "/sign/",
];

async function login(page, pid, area = "portal") {
  await page.goto(`${base}/${area}/`);
  await page.locator(`a[href^="/${area}/login"]`).first().click();
  await page.waitForURL(/\/dev\/idporten\/authorize/);
  await noHorizontalScroll(page); // the ID-porten stand-in's page too
  await page.locator('input[name="pid"]').fill(pid);
  await page.locator('input[name="eid"][value="bankid"]').check();
  await page.locator('button[type="submit"]').click();
  await page.waitForURL(`${base}/${area}/`);
}

describe("issue 14's pages in every language and size", { skip: !cfg && "SEGL_SWEEP is not set" }, () => {
  const chrome = useBrowser();
  for (const [size, viewport] of Object.entries({ desktop: viewports.desktop, phone: viewports.phone })) {
    test(`${size}: ${cfg?.languages.join(", ")}`, async () => {
      const page = await newPage(chrome.browser, viewport);
      await login(page, cfg.admin);
      for (const lang of cfg.languages) {
        for (const path of pages(cfg.search)) {
          const url = `${base}${path}${path.includes("?") ? "&" : "?"}lang=${lang}`;
          const res = await page.goto(url);
          const what = `${path} in ${lang} at ${size}`;
          assert.equal(res.status(), 200, what);
          assert.equal(await page.getAttribute("html", "lang"), lang, what);
          assert.equal(await page.locator(".footer-links a").count(), 4, `${what}: footer links`);
          await noHorizontalScroll(page);
          await checkWCAG(page, what);
        }
        await page.goto(`${base}/portal/?lang=${lang}`);
        await page.screenshot({ path: join(shots, `sweep-jobs-${lang}-${size}.png`), fullPage: true });
      }
      // The list's sorted column says so to assistive technology.
      await page.goto(`${base}/portal/?sort=deadline&dir=asc&lang=nn`);
      assert.equal(await page.locator('th[aria-sort="ascending"]').innerText(), "Frist ▲");
      assert.deepEqual(page.problems, []);
      await page.context().close();
    });
  }

  // WCAG 1.4.4 and 1.4.10 together: the browser's text size at 200 %
  // (its font settings, which em-based media queries follow, as a user's
  // would) on a phone of 320 CSS pixels and on a desktop: no page scrolls
  // sideways, the portal's, the administration's and the signer's.
  for (const width of [320, 1280]) {
    test(`text at 200 % at ${width} px: nothing scrolls sideways`, async () => {
      const page = await newPage(chrome.browser, { viewport: { width, height: 700 } });
      const cdp = await page.context().newCDPSession(page);
      await cdp.send("Page.setFontSizes", { fontSizes: { standard: 32, fixed: 26 } });
      const admin = ["/admin/", "/admin/orgs", "/admin/orgs/new", "/admin/tasks", "/admin/usage"];
      for (const [area, pid, paths] of [["portal", cfg.admin, [...pages(cfg.search), "/portal/users"]], ["admin", cfg.centralAdmin, admin]]) {
        await login(page, pid, area);
        for (const path of paths) {
          const res = await page.goto(`${base}${path}`);
          assert.equal(res.status(), 200, path);
          await noHorizontalScroll(page).catch((e) => assert.fail(`${path}: ${e.message}`));
        }
      }
      await page.screenshot({ path: join(shots, `sweep-text-200-${width}.png`), fullPage: true });
      assert.deepEqual(page.problems, []);
      await page.context().close();
    });
  }

  // WCAG 2.2.1: the login's limit is said on the page, and two minutes
  // before it ends an alert says so and offers to stay logged in. The
  // page's clock is Playwright's, moved forward; segl's is not moved, so
  // staying logged in succeeds.
  test("the login's time limit is announced and can be extended", async () => {
    const page = await newPage(chrome.browser, viewports.phone);
    await page.clock.install();
    await login(page, cfg.admin);
    await page.goto(`${base}/portal/?lang=nb`);
    assert.match(await page.locator(".session-note").innerText(), /logget ut etter 15 minutter uten aktivitet/);
    const warning = page.locator(".session-timer");
    const alert = warning.getByRole("alert");
    const stay = warning.getByRole("button", { name: "Forbli innlogget" });
    assert.equal(await warning.isVisible(), false);
    await page.clock.fastForward("13:30");
    await alert.filter({ hasText: "Du blir logget ut om under 2 minutter" }).waitFor();
    assert.equal(await stay.isVisible(), true);
    await checkWCAG(page, "the warning before the login ends");
    await page.screenshot({ path: join(shots, "sweep-session-warning-phone.png"), fullPage: false });
    await stay.focus();
    await page.keyboard.press("Enter");
    await alert.filter({ hasText: "Du er fortsatt innlogget." }).waitFor();
    assert.equal(await stay.isVisible(), false);
    // The count starts again from the extension, and ends where nothing
    // is done.
    await page.clock.fastForward("13:30");
    await alert.filter({ hasText: "Du blir logget ut om under 2 minutter" }).waitFor();
    await page.clock.fastForward("02:00");
    await alert.filter({ hasText: "Du er logget ut." }).waitFor();
    assert.equal(await stay.isVisible(), false);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});
