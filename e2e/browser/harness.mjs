// Shared by the browser tests: Debian's Chromium driven by playwright-core
// with the development root trusted for real, axe-core, and the checks every
// page gets. Never downloads a browser.
//
//   SEGL_URL          base URL of a running segl, e.g. https://127.0.0.1:8443 (required)
//   SEGL_CA           PEM file of the root that signed its TLS certificate (required),
//                     e.g. DATA/pki/root-ca.pem of `segl serve --dev --data DATA`
//   SEGL_SCREENSHOTS  folder for screenshots (default: a new temporary folder)
//   SEGL_CHROMIUM     browser binary (default /usr/bin/chromium)
//
// The root goes into an NSS database in a temporary HOME ($HOME/.pki/nssdb is
// where Chromium on Linux looks), and certificate errors are never ignored.

import assert from "node:assert/strict";
import { before, after } from "node:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const base = (process.env.SEGL_URL || "").replace(/\/+$/, "");
export const caFile = process.env.SEGL_CA || "";
const executablePath = process.env.SEGL_CHROMIUM || "/usr/bin/chromium";
export const shots = process.env.SEGL_SCREENSHOTS || mkdtempSync(join(tmpdir(), "segl-screenshots-"));

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

export const viewports = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 375, height: 667 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
};

// trustingHome makes a HOME whose NSS database trusts the root in caFile for
// TLS servers ("C" in the SSL trust field), the way certutil documents it.
export function trustingHome() {
  const dir = mkdtempSync(join(tmpdir(), "segl-chromium-home-"));
  const db = join(dir, ".pki", "nssdb");
  mkdirSync(db, { recursive: true });
  execFileSync("certutil", ["-N", "-d", `sql:${db}`, "--empty-password"]);
  execFileSync("certutil", ["-A", "-d", `sql:${db}`, "-n", "segl development root", "-t", "C,,", "-i", caFile]);
  return dir;
}

// useBrowser launches Chromium, trusting the development root, before the
// tests of the enclosing suite (or file) and closes it after them, then
// calls cleanup if given. The returned object's browser field is the
// running browser.
export function useBrowser(cleanup) {
  const chrome = { browser: undefined };
  let home;
  before(async () => {
    checkEnv();
    home = trustingHome();
    chrome.browser = await launch(home);
  });
  after(async () => {
    await chrome.browser?.close();
    if (home) rmSync(home, { recursive: true, force: true });
    cleanup?.();
  });
  return chrome;
}

export function launch(homeDir) {
  return chromium.launch({
    executablePath,
    headless: true,
    args,
    env: { ...process.env, HOME: homeDir },
  });
}

// checkEnv fails early when the harness is not pointed at a server.
export function checkEnv() {
  assert.ok(base.startsWith("https://"), "SEGL_URL must be set to segl's https:// base URL");
  assert.ok(caFile, "SEGL_CA must name the PEM file of segl's root CA");
  mkdirSync(shots, { recursive: true });
  console.log(`# screenshots in ${shots}`);
}

// newPage opens a page in a fresh context (no cookies) that records console
// errors, uncaught exceptions and CSP violations.
export async function newPage(browser, options) {
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
export async function checkAxe(t, page, what) {
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

export async function checkPage(page, { lang, h1 }) {
  assert.equal(await page.getAttribute("html", "lang"), lang);
  assert.equal((await page.locator("h1").innerText()).trim(), h1);
  // The heading taken literally: "Vil du avvise oppdraget?" is no pattern.
  const literal = h1.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  assert.match(await page.title(), new RegExp(`^${literal} – `));
}

// noHorizontalScroll checks reflow (WCAG 1.4.10): nothing wider than the
// viewport, so no sideways scrolling on a phone or at high zoom.
export async function noHorizontalScroll(page) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  assert.ok(scroll <= width, `page is ${scroll}px wide in a ${width}px viewport`);
}

// errorSummaryFocus waits for a page with an error summary to finish
// loading and returns the class of the focused element. segl.js moves focus
// to the summary at DOMContentLoaded, which comes after the deferred and
// module scripts (the sign page's preview) have run, so the summary is in
// the DOM a moment before it has focus.
export async function errorSummaryFocus(page) {
  await page.waitForSelector(".error-summary");
  await page.waitForLoadState("domcontentloaded");
  return page.evaluate(() => document.activeElement.className);
}

// checkWCAG runs axe-core's WCAG 2.1 A and AA rules (no best practices) and
// fails on any violation, whatever its impact: the bar the issue sets for
// new and changed pages.
export async function checkWCAG(page, what) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      resultTypes: ["violations"],
    }),
  );
  const describe = (v) =>
    `${v.impact} ${v.id}: ${v.help}\n` + v.nodes.map((n) => `    ${n.target.join(" ")}: ${n.failureSummary}`).join("\n");
  assert.deepEqual(results.violations.map(describe), [], `${what}: axe found WCAG 2.1 AA violations`);
}
