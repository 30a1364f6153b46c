// Browser tests of segl's web pages (MISSION I6: WCAG 2.1 AA, phone and
// desktop, bokmål and English), in Debian's Chromium driven by
// playwright-core. Never downloads a browser.
//
//   SEGL_URL          base URL of a running segl, e.g. https://127.0.0.1:8443 (required)
//   SEGL_CA           PEM file of the root that signed its TLS certificate (required),
//                     e.g. DATA/pki/root-ca.pem of `segl serve --dev --data DATA`
//   SEGL_SCREENSHOTS  folder for screenshots (default: a new temporary folder)
//   SEGL_CHROMIUM     browser binary (default /usr/bin/chromium)
//
// The root is trusted for real: it goes into an NSS database in a temporary
// HOME ($HOME/.pki/nssdb is where Chromium on Linux looks), and certificate
// errors are never ignored. Run: SEGL_URL=… SEGL_CA=… node --test e2e/browser/
// (or `go test ./internal/web -run Browser`, which starts a server itself).

import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const base = (process.env.SEGL_URL || "").replace(/\/+$/, "");
const caFile = process.env.SEGL_CA || "";
const executablePath = process.env.SEGL_CHROMIUM || "/usr/bin/chromium";
const shots = process.env.SEGL_SCREENSHOTS || mkdtempSync(join(tmpdir(), "segl-screenshots-"));

// The flags this machine needs (see the machine notes): without the
// background-networking ones Chromium keeps calling out to Google.
const args = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const viewports = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 375, height: 667 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
};

let home; // temporary HOME holding the NSS database
let browser;

// trustingHome makes a HOME whose NSS database trusts the root in caFile for
// TLS servers ("C" in the SSL trust field), the way certutil documents it.
function trustingHome() {
  const dir = mkdtempSync(join(tmpdir(), "segl-chromium-home-"));
  const db = join(dir, ".pki", "nssdb");
  mkdirSync(db, { recursive: true });
  execFileSync("certutil", ["-N", "-d", `sql:${db}`, "--empty-password"]);
  execFileSync("certutil", ["-A", "-d", `sql:${db}`, "-n", "segl development root", "-t", "C,,", "-i", caFile]);
  return dir;
}

function launch(homeDir) {
  return chromium.launch({
    executablePath,
    headless: true,
    args,
    env: { ...process.env, HOME: homeDir },
  });
}

before(async () => {
  assert.ok(base.startsWith("https://"), "SEGL_URL must be set to segl's https:// base URL");
  assert.ok(caFile, "SEGL_CA must name the PEM file of segl's root CA");
  home = trustingHome();
  browser = await launch(home);
  mkdirSync(shots, { recursive: true });
  console.log(`# screenshots in ${shots}`);
});

after(async () => {
  await browser?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

// newPage opens a page in a fresh context (no cookies) that records console
// errors, uncaught exceptions and CSP violations.
async function newPage(options) {
  const context = await browser.newContext({ locale: "nb-NO", ...options });
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    // A page served with an error status (the 404 test) logs its own load.
    if (m.text().startsWith("Failed to load resource") && m.location().url === page.url()) return;
    page.problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on("pageerror", (e) => page.problems.push(`exception: ${e.message}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  return page;
}

// checkAxe runs axe-core in the page and fails on any serious or critical
// violation; lesser ones are reported as diagnostics. axe is evaluated over
// the DevTools protocol, so the page's CSP (no inline scripts) stays on.
async function checkAxe(t, page, what) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
      resultTypes: ["violations"],
    }),
  );
  const describe = (v) =>
    `${v.impact} ${v.id}: ${v.help}\n` + v.nodes.map((n) => `    ${n.target.join(" ")}: ${n.failureSummary}`).join("\n");
  for (const v of results.violations.filter((v) => !["serious", "critical"].includes(v.impact))) {
    t.diagnostic(`${what}: ${describe(v)}`);
  }
  const bad = results.violations.filter((v) => ["serious", "critical"].includes(v.impact));
  assert.deepEqual(bad.map(describe), [], `${what}: axe found serious or critical violations`);
}

async function checkPage(page, { lang, h1 }) {
  assert.equal(await page.getAttribute("html", "lang"), lang);
  assert.equal((await page.locator("h1").innerText()).trim(), h1);
  assert.match(await page.title(), new RegExp(`^${h1} – `));
}

// noHorizontalScroll checks reflow (WCAG 1.4.10): nothing wider than the
// viewport, so no sideways scrolling on a phone or at high zoom.
async function noHorizontalScroll(page) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  assert.ok(scroll <= width, `page is ${scroll}px wide in a ${width}px viewport`);
}

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
