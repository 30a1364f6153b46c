// Browser tests of the signing ceremony (DESIGN section 5): the direct flow
// with two signers in sequence, the portal flow, and the error pages, in
// Debian's Chromium against a whole segl started with --dev, logging in
// through the development ID-porten's form. axe-core checks every page the
// signer sees; the job view also runs at phone size (375×667) and at 320 px.
//
// `go test ./internal/server -run BrowserCeremony` starts segl, creates the
// jobs through the API and runs this file with, besides harness.mjs's
// variables:
//
//   SEGL_CEREMONY      JSON: {"direct": [link of signer 1, link of signer 2],
//                      "wrongPerson": a link for Ola, "ola": pid, "kari": pid,
//                      "high": a link for Ola to a job on level high,
//                      "portalTitle": title of Ola's portal job}
//   SEGL_CEREMONY_OUT  file to write {"direct": [status_query_token, …]} to,
//                      for the Go test to ask the API about
//
// Without SEGL_CEREMONY the tests are skipped.

import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  base, shots, viewports, trustingHome, launch, checkEnv,
  newPage as openPage, checkAxe, checkPage, noHorizontalScroll,
} from "./harness.mjs";

const cfg = JSON.parse(process.env.SEGL_CEREMONY || "null");
const out = { direct: [] };

let home;
let browser;

// newPage is a fresh browser context in which the sender's site answers
// with a plain page, so that the exit redirects can be followed and read.
async function newPage(options) {
  const page = await openPage(browser, options);
  await page.context().route("https://sender.example/**", (route) =>
    route.fulfill({
      status: 200,
      contentType: "text/html; charset=utf-8",
      body: '<!doctype html><html lang="en"><title>Sender</title><h1>Back at the sender</h1></html>',
    }),
  );
  return page;
}

const shot = (page, name) => page.screenshot({ path: join(shots, `ceremony-${name}.png`), fullPage: true });

// login goes through the development ID-porten's form (DESIGN section 6: a
// field named pid and a submit button) as pid with eid ("bankid",
// "minid"…), in whichever language it is shown.
async function login(t, page, pid, eid, { axe = false } = {}) {
  await page.waitForURL(/\/dev\/idporten\/authorize/);
  if (axe) await checkAxe(t, page, "development ID-porten login form");
  await page.locator('input[name="pid"]').fill(pid);
  await page.locator(`input[name="eid"][value="${eid}"]`).check();
  await page.locator('button[type="submit"]').click();
}

// fetchInPage fetches url from within the page, so through the browser's
// own TLS, cookies and CSP, and returns what a test needs to know.
function fetchInPage(page, url) {
  return page.evaluate(async (u) => {
    const res = await fetch(u);
    const body = new Uint8Array(await res.arrayBuffer());
    return {
      status: res.status,
      type: res.headers.get("content-type"),
      disposition: res.headers.get("content-disposition"),
      head: String.fromCharCode(...body.subarray(0, 5)),
    };
  }, url);
}

// startAndLogin opens a signer link, checks the start page and logs in.
async function startAndLogin(t, page, link, pid, eid, name) {
  const res = await page.goto(link);
  assert.equal(res.status(), 200);
  await checkPage(page, { lang: "nb", h1: "Signer dokumenter" });
  if (name) {
    await checkAxe(t, page, `${name}: start page`);
    await shot(page, `${name}-start`);
  }
  await page.getByRole("button", { name: "Logg inn med ID-porten" }).click();
  await login(t, page, pid, eid, { axe: Boolean(name) });
}

// signAndLeave ticks the box, signs and returns the status query token the
// sender gets back.
async function signAndLeave(page) {
  await page.getByLabel("Jeg har lest dokumentene og vil signere dem").check();
  await page.getByRole("button", { name: "Signer dokumentene" }).click();
  await page.waitForURL(/^https:\/\/sender\.example\/ok\?status_query_token=/);
  return new URL(page.url()).searchParams.get("status_query_token");
}

describe("signing ceremony", { skip: !cfg && "SEGL_CEREMONY is not set" }, () => {
  before(async () => {
    checkEnv();
    home = trustingHome();
    browser = await launch(home);
  });

  after(async () => {
    await browser?.close();
    if (home) rmSync(home, { recursive: true, force: true });
    if (process.env.SEGL_CEREMONY_OUT) writeFileSync(process.env.SEGL_CEREMONY_OUT, JSON.stringify(out));
  });

  test("direct flow: two signers in sequence, on desktop and on a phone", async (t) => {
    const [link1, link2] = cfg.direct;

    // Ola, first in order, on a desktop.
    const ola = await newPage(viewports.desktop);
    await startAndLogin(t, ola, link1, cfg.ola, "bankid", "direct");
    await ola.waitForURL(/\/sign\/[^/]+\/job$/);
    await checkPage(ola, { lang: "nb", h1: "Arbeidsavtale" });
    await checkAxe(t, ola, "job view, desktop");
    await shot(ola, "job-desktop");
    // Every document has a link that opens it in the browser.
    const read = ola.getByRole("link", { name: "Les «Kontrakt» (PDF)" });
    const doc = await fetchInPage(ola, await read.getAttribute("href"));
    assert.deepEqual([doc.status, doc.type, doc.head], [200, "application/pdf", "%PDF-"]);
    assert.match(doc.disposition, /^inline/);

    // Signing without ticking the box: an error summary that takes focus
    // and links to the checkbox.
    await ola.getByRole("button", { name: "Signer dokumentene" }).click();
    await ola.waitForSelector(".error-summary");
    assert.match(await ola.title(), /^Feil: Arbeidsavtale – /);
    assert.equal(await ola.evaluate(() => document.activeElement.className), "error-summary");
    await checkAxe(t, ola, "job view with an error");
    await shot(ola, "job-error-desktop");
    await ola.getByRole("link", { name: /Kryss av for at du har lest/ }).click();
    assert.equal(await ola.evaluate(() => document.activeElement.id), "confirm");
    out.direct.push(await signAndLeave(ola));
    assert.deepEqual(ola.problems, []);
    await ola.context().close();

    // Kari, second, on a phone.
    const kari = await newPage(viewports.phone);
    await startAndLogin(t, kari, link2, cfg.kari, "bankid");
    await kari.waitForURL(/\/sign\/[^/]+\/job$/);
    await checkPage(kari, { lang: "nb", h1: "Arbeidsavtale" });
    await noHorizontalScroll(kari);
    await checkAxe(t, kari, "job view, phone");
    await shot(kari, "job-phone");
    const box = await kari.getByRole("button", { name: "Signer dokumentene" }).boundingBox();
    assert.ok(box.height >= 44 && box.width >= 300, `sign button ${box.width}×${box.height}`);
    // The reject form folds out, and is usable at phone size too.
    await kari.getByText("Avvis oppdraget", { exact: true }).first().click();
    await shot(kari, "job-phone-reject-open");
    // At 320 CSS pixels nothing scrolls sideways (WCAG 1.4.10).
    await kari.setViewportSize({ width: 320, height: 568 });
    await noHorizontalScroll(kari);
    await shot(kari, "job-320");
    out.direct.push(await signAndLeave(kari));
    assert.deepEqual(kari.problems, []);
    await kari.context().close();

    // The used link in a new browser: 410, "already signed", accessible.
    const again = await newPage(viewports.phone);
    const res = await again.goto(link1);
    assert.equal(res.status(), 410);
    await checkPage(again, { lang: "nb", h1: "Du har allerede signert" });
    await checkAxe(t, again, "used link");
    await shot(again, "used-link-phone");
    // Its owner logs in and gets the receipt.
    await again.getByRole("button", { name: "Logg inn for å se kvitteringen" }).click();
    await login(t, again, cfg.ola, "bankid");
    await again.waitForURL(/\/receipt$/);
    await checkPage(again, { lang: "nb", h1: "Du har signert" });
    await checkAxe(t, again, "receipt, phone");
    await noHorizontalScroll(again);
    await shot(again, "receipt-direct-phone");
    await again.context().close();
  });

  test("portal flow: log in, see the task, sign, get the receipt", async (t) => {
    const page = await newPage(viewports.desktop);
    await page.goto(`${base}/sign/`);
    await page.getByRole("link", { name: "Logg inn", exact: true }).click();
    await login(t, page, cfg.ola, "bankid");
    await page.waitForURL(`${base}/sign/`);
    await checkPage(page, { lang: "nb", h1: "Dine signeringsoppdrag" });
    await checkAxe(t, page, "task list");
    await shot(page, "portal-tasks");

    await page.getByRole("link", { name: cfg.portalTitle }).click();
    await checkPage(page, { lang: "nb", h1: cfg.portalTitle });
    await checkAxe(t, page, "portal job view");
    await page.getByLabel("Jeg har lest dokumentene og vil signere dem").check();
    await page.getByRole("button", { name: "Signer dokumentene" }).click();
    await page.waitForURL(/\/receipt$/);
    await checkPage(page, { lang: "nb", h1: "Du har signert" });
    await checkAxe(t, page, "receipt");
    await shot(page, "portal-receipt");
    const download = page.getByRole("link", { name: /^Last ned signert «Samtykke»/ });
    const file = await fetchInPage(page, await download.getAttribute("href"));
    assert.deepEqual([file.status, file.type, file.head], [200, "application/pdf", "%PDF-"]);
    assert.match(file.disposition, /^attachment/);

    // The receipt in English, through the language switch.
    await page.getByRole("link", { name: "English" }).click();
    await page.waitForURL(/lang=en/);
    await checkPage(page, { lang: "en", h1: "You have signed" });
    await checkAxe(t, page, "receipt, English");
    await shot(page, "portal-receipt-en");

    await page.getByRole("link", { name: "Back to your signing tasks" }).click();
    await checkPage(page, { lang: "en", h1: "Your signing tasks" });
    assert.equal(await page.getByText("You have no signing tasks yet.").count(), 1);
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(`${base}/sign/`);
    assert.equal(await page.getByRole("link", { name: "Log in", exact: true }).count(), 1);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("error pages are readable and accessible", async (t) => {
    // Kari opens Ola's link and logs in.
    const page = await newPage(viewports.phone);
    await startAndLogin(t, page, cfg.wrongPerson, cfg.kari, "bankid");
    await page.waitForURL(/\/sign\/callback/);
    await checkPage(page, { lang: "nb", h1: "Oppdraget er til en annen person" });
    await checkAxe(t, page, "wrong person");
    await noHorizontalScroll(page);
    await shot(page, "error-wrong-person-phone");
    // The language switch on an error page leads back to the link, in English.
    await page.getByRole("link", { name: "English" }).click();
    await checkPage(page, { lang: "en", h1: "Sign documents" });

    // A MinID login on a job that needs level high.
    await page.goto(cfg.high);
    await page.getByRole("button", { name: "Log in with ID-porten" }).click();
    await login(t, page, cfg.ola, "minid");
    await page.waitForURL(/\/sign\/callback/);
    await checkPage(page, { lang: "en", h1: "This task needs a higher level of assurance" });
    await checkAxe(t, page, "level of assurance too low");
    await shot(page, "error-assurance-phone-en");

    // No session any more: the session-ended page.
    const res = await page.goto(`${base}/sign/${new URL(cfg.wrongPerson).pathname.split("/")[2]}/job?lang=nb`);
    assert.equal(res.status(), 401);
    await checkPage(page, { lang: "nb", h1: "Økten din er avsluttet" });
    await checkAxe(t, page, "session ended");
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});
