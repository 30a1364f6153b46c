// Browser tests of segl's web pages (MISSION I6: WCAG 2.1 AA, phone and
// desktop, bokmål and English), in Debian's Chromium driven by
// playwright-core. Never downloads a browser. The environment it needs is
// described in harness.mjs.
//
// Run: SEGL_URL=… SEGL_CA=… node --test e2e/browser/web.test.mjs
// (or `go test ./internal/web -run Browser`, which starts a server itself).

import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  base, shots, viewports, launch, useBrowser,
  newPage as openPage, checkAxe, checkPage, noHorizontalScroll,
} from "./harness.mjs";

const chrome = useBrowser();
const newPage = (options) => openPage(chrome.browser, options);

test("the development root is trusted for real, not ignored", async () => {
  // The harness browser loads the page with certificate checks on…
  const page = await newPage();
  const res = await page.goto(`${base}/sign/`);
  assert.equal(res.status(), 200);
  const tls = await res.securityDetails();
  assert.match(tls?.protocol ?? "", /^TLS/);
  assert.match(tls?.issuer ?? "", /segl/i, "served with the development PKI's certificate");
  await page.context().close();
  // …and a browser without the root refuses it, so the trust is ours.
  const bare = mkdtempSync(join(tmpdir(), "segl-chromium-home-"));
  const untrusting = await launch(bare);
  try {
    const p = await (await untrusting.newContext()).newPage();
    await assert.rejects(p.goto(`${base}/sign/`), /ERR_CERT_AUTHORITY_INVALID|ERR_CERT/);
  } finally {
    await untrusting.close();
    rmSync(bare, { recursive: true, force: true });
  }
});

for (const [name, options] of Object.entries(viewports)) {
  describe(`signer start page, ${name}`, () => {
    test("renders in bokmål, is accessible, switches to English and remembers it", async (t) => {
      const page = await newPage(options);
      const res = await page.goto(`${base}/sign/`);
      assert.equal(res.status(), 200);
      const headers = res.headers();
      assert.match(headers["content-security-policy"], /default-src 'self'/);
      assert.match(headers["content-security-policy"], /frame-ancestors 'none'/);
      assert.equal(headers["x-content-type-options"], "nosniff");
      assert.equal(headers["referrer-policy"], "no-referrer");
      assert.match(headers["strict-transport-security"], /max-age=\d+/);

      await checkPage(page, { lang: "nb", h1: "Dine signeringsoppdrag" });
      // The stylesheet loaded (through the CSP): the login link is a blue button.
      const login = page.getByRole("link", { name: "Logg inn", exact: true });
      assert.equal(await login.getAttribute("href"), "/sign/login");
      assert.equal(await login.evaluate((el) => getComputedStyle(el).backgroundColor), "rgb(11, 79, 138)");
      const box = await login.boundingBox();
      assert.ok(box.height >= 44, `login button is ${box.height}px tall, under the 44px touch target`);
      await noHorizontalScroll(page);
      await checkAxe(t, page, `${name} nb`);
      await page.screenshot({ path: join(shots, `sign-home-${name}-nb.png`), fullPage: true });

      await page.getByRole("link", { name: "English" }).click();
      await page.waitForURL(/lang=en/);
      await checkPage(page, { lang: "en", h1: "Your signing tasks" });
      assert.equal(await page.getByRole("link", { name: "Log in", exact: true }).count(), 1);
      await noHorizontalScroll(page);
      await checkAxe(t, page, `${name} en`);
      await page.screenshot({ path: join(shots, `sign-home-${name}-en.png`), fullPage: true });

      // Remembered in a cookie: the plain URL now comes in English…
      await page.goto(`${base}/sign/`);
      await checkPage(page, { lang: "en", h1: "Your signing tasks" });
      // …until switched back.
      await page.getByRole("link", { name: "Norsk (bokmål)" }).click();
      await page.waitForURL(/lang=nb/);
      await checkPage(page, { lang: "nb", h1: "Dine signeringsoppdrag" });

      assert.deepEqual(page.problems, []);
      await page.context().close();
    });
  });
}

test("Accept-Language chooses English for an English browser", async () => {
  const page = await newPage({ locale: "en-GB" });
  await page.goto(`${base}/sign/`);
  await checkPage(page, { lang: "en", h1: "Your signing tasks" });
  await page.context().close();
});

test("keyboard: the skip link comes first and moves focus to the main content", async () => {
  const page = await newPage(viewports.desktop);
  await page.goto(`${base}/sign/`);
  await page.keyboard.press("Tab");
  const skip = await page.evaluate(() => ({
    text: document.activeElement.textContent.trim(),
    href: document.activeElement.getAttribute("href"),
    visible: document.activeElement.getBoundingClientRect().top >= 0,
    outline: getComputedStyle(document.activeElement).outlineStyle,
  }));
  assert.deepEqual(skip, { text: "Hopp til hovedinnhold", href: "#main", visible: true, outline: "solid" });
  await page.screenshot({ path: join(shots, "sign-home-desktop-skip-link.png") });
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement.id), "main");
  await page.context().close();
});

test("reflows at 320 CSS pixels (WCAG 1.4.10)", async () => {
  const page = await newPage({ viewport: { width: 320, height: 568 } });
  await page.goto(`${base}/sign/`);
  await noHorizontalScroll(page);
  await page.screenshot({ path: join(shots, "sign-home-320-nb.png"), fullPage: true });
  await page.context().close();
});

test("works without JavaScript", async () => {
  const page = await newPage({ ...viewports.phone, javaScriptEnabled: false });
  await page.goto(`${base}/sign/`);
  await checkPage(page, { lang: "nb", h1: "Dine signeringsoppdrag" });
  await page.getByRole("link", { name: "English" }).click();
  await page.waitForURL(/lang=en/);
  await checkPage(page, { lang: "en", h1: "Your signing tasks" });
  await page.context().close();
});

test("an unknown page is a readable, accessible 404 in the chosen language", async (t) => {
  const page = await newPage(viewports.phone);
  const res = await page.goto(`${base}/sign/no-such-page?lang=en`);
  assert.equal(res.status(), 404);
  await checkPage(page, { lang: "en", h1: "Page not found" });
  await checkAxe(t, page, "404 en");
  await page.screenshot({ path: join(shots, "not-found-phone-en.png"), fullPage: true });
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
