// Browser tests of the signing ceremony (DESIGN section 5): both flows with
// both signature types, two signers in sequence each, rejection, expiry, a
// wrong person's login and the other error pages, in Debian's Chromium
// against a whole segl started with --dev, logging in through the
// development ID-porten's form. axe-core checks every page the signer sees;
// some run at phone size (375×667), the job view also at 320 px.
//
// `go test ./internal/server -run BrowserCeremony` starts segl, creates the
// jobs through the API and runs this file with, besides harness.mjs's
// variables:
//
//   SEGL_CEREMONY      JSON: {"direct": [link of signer 1, link of signer 2],
//                      "wrongPerson": a link for Ola, "ola": pid, "kari": pid,
//                      "high": a link for Ola to a job on level high,
//                      "portalTitle": title of Ola's portal job,
//                      "advanced": {"direct": [Ola's link, Kari's link] to an
//                        advanced job, "directTitle": its title,
//                        "portalTitle": title of an advanced portal job
//                        for Kari, then Ola},
//                      "reject": [Ola's link, Kari's link] to a job to reject,
//                      "refused": a link for Ola that Kari opens,
//                      "expiry": a link for Ola to the job that expires first,
//                      "code": a link for a signer addressed by e-mail only,
//                      "locked": such a link, locked by fifteen wrong codes,
//                      "control": base URL of the Go test's control server:
//                        POST /expire moves segl's clock past that job's
//                        expiry, POST /sweep runs the due-jobs sweep,
//                      "keyboardTitle": title of Kari's portal job with a
//                        PDF of several pages, for the keyboard-only run,
//                      "sender": the sending organisation's name,
//                      "noScript": a link for Ola to a job of one signer,
//                        signed with JavaScript off}
//   SEGL_CEREMONY_OUT  file to write the status query tokens the sender got
//                      to: {"direct": […], "advanced": […], "reject": "…"},
//                      for the Go test to ask the API about
//
// The expiry test moves segl's clock, so it runs last. Without
// SEGL_CEREMONY the tests are skipped.

import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  base, shots, viewports, useBrowser,
  newPage as openPage, checkAxe, checkPage, noHorizontalScroll, errorSummaryFocus,
} from "./harness.mjs";

const cfg = JSON.parse(process.env.SEGL_CEREMONY || "null");
const out = { direct: [], advanced: [], reject: "" };

let chrome; // the suite's browser (useBrowser)


// newPage is a fresh browser context in which the sender's site answers
// with a plain page, so that the exit redirects can be followed and read.
async function newPage(options) {
  const page = await openPage(chrome.browser, options);
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
  // Who asks, and for what, before login (issue 14).
  const main = await page.locator("main").innerText();
  assert.match(main, new RegExp(`Fra ${cfg.sender}`));
  assert.match(main, new RegExp(`${cfg.sender} ber deg signere «[^»]+»`));
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

// control asks the Go test's control server to act on segl (move its
// clock, run the due-jobs sweep) and returns its JSON answer.
async function control(action) {
  const res = await fetch(`${cfg.control}/${action}`, { method: "POST" });
  assert.equal(res.status, 200, `control ${action}: ${res.status} ${await res.clone().text()}`);
  return res.json();
}

// portalTask logs in at the portal's start page as pid with BankID and
// opens the task titled title.
async function portalTask(t, page, pid, title) {
  await page.goto(`${base}/sign/`);
  await page.getByRole("link", { name: "Logg inn", exact: true }).click();
  await login(t, page, pid, "bankid");
  await page.waitForURL(`${base}/sign/`);
  await checkPage(page, { lang: "nb", h1: "Dine signeringsoppdrag" });
  await page.getByRole("link", { name: title }).click();
  await checkPage(page, { lang: "nb", h1: title });
}

const ownKey = "Du signerer med din egen signeringsnøkkel hos eID-leverandøren din.";

// previewsReady waits until every inline preview on the page is shown, and
// checks that each PDF page was drawn (its canvas is not blank).
async function previewsReady(page) {
  await page.waitForFunction(() =>
    [...document.querySelectorAll("[data-preview]")].every((el) => el.dataset.ready === "true"));
  const drawn = await page.evaluate(() =>
    [...document.querySelectorAll("[data-preview] canvas")].map((c) => {
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 128 && d[i + 3] > 0) return true;
      return false;
    }));
  assert.ok(drawn.length > 0 && drawn.every(Boolean), `preview canvases drawn: ${drawn}`);
}

// tabTo presses Tab until locator has the focus, as a keyboard user would.
async function tabTo(page, locator, what) {
  for (let i = 0; i < 80; i++) {
    if (await locator.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press("Tab");
  }
  assert.fail(`${what} cannot be reached with Tab`);
}

describe("signing ceremony", { skip: !cfg && "SEGL_CEREMONY is not set" }, () => {
  chrome = useBrowser(() => {
    if (process.env.SEGL_CEREMONY_OUT) writeFileSync(process.env.SEGL_CEREMONY_OUT, JSON.stringify(out));
  });

  test("direct flow: two signers in sequence, on desktop and on a phone", async (t) => {
    const [link1, link2] = cfg.direct;

    // Ola, first in order, on a desktop.
    const ola = await newPage(viewports.desktop);
    await startAndLogin(t, ola, link1, cfg.ola, "bankid", "direct");
    await ola.waitForURL(/\/sign\/[^/]+\/job$/);
    await checkPage(ola, { lang: "nb", h1: "Arbeidsavtale" });
    await previewsReady(ola);
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
    assert.equal(await errorSummaryFocus(ola), "error-summary");
    assert.match(await ola.title(), /^Feil: Arbeidsavtale – /);
    await checkAxe(t, ola, "job view with an error");
    await shot(ola, "job-error-desktop");
    await ola.getByRole("link", { name: /Kryss av for at du har lest/ }).click();
    assert.equal(await ola.evaluate(() => document.activeElement.id), "confirm");
    out.direct.push(await signAndLeave(ola));
    assert.deepEqual(ola.problems, []);
    await ola.context().close();

    // Kari, second, on a phone.
    const kari = await newPage(viewports.phone);
    await startAndLogin(t, kari, link2, cfg.kari, "bankid", "direct-phone");
    await kari.waitForURL(/\/sign\/[^/]+\/job$/);
    await checkPage(kari, { lang: "nb", h1: "Arbeidsavtale" });
    await previewsReady(kari);
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
    await again.setViewportSize({ width: 1280, height: 800 });
    await checkAxe(t, again, "used link, desktop");
    await again.setViewportSize({ width: 375, height: 667 });
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
    await previewsReady(page);
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

  test("keyboard only: the preview, signing and the receipt to keep, at desktop and phone size", async (t) => {
    const page = await newPage(viewports.desktop);
    await page.goto(`${base}/sign/`);
    await page.getByRole("link", { name: "Logg inn", exact: true }).click();
    await login(t, page, cfg.kari, "bankid");
    await page.waitForURL(`${base}/sign/`);
    await tabTo(page, page.getByRole("link", { name: cfg.keyboardTitle }), "the task");
    await page.keyboard.press("Enter");
    await checkPage(page, { lang: "nb", h1: cfg.keyboardTitle });
    assert.match(await page.locator("main").innerText(), new RegExp(`Fra ${cfg.sender}`));

    // The PDF's preview: page 1 of several, turned with the buttons and
    // with the arrow keys in the preview itself.
    await previewsReady(page);
    const pdf = page.locator('[data-preview][data-kind="pdf"]');
    const status = pdf.locator("[data-status]");
    const [, pages] = (await status.innerText()).match(/^Side 1 av (\d+)$/) || [];
    assert.ok(Number(pages) >= 2, `the PDF preview shows ${await status.innerText()}`);
    await tabTo(page, pdf.getByRole("button", { name: "Neste side" }), "Neste side");
    await page.keyboard.press("Enter");
    await page.waitForFunction((el) => el.textContent.startsWith("Side 2 av"), await status.elementHandle());
    const region = page.getByRole("region", { name: "Forhåndsvisning av «Reglement»" });
    await tabTo(page, region, "the preview of the PDF");
    await page.keyboard.press("ArrowLeft");
    await page.waitForFunction((el) => el.textContent.startsWith("Side 1 av"), await status.elementHandle());
    // What the canvas shows is text for a screen reader too.
    assert.match(await region.innerText(), /Reglement for bruk av fellesarealene/);
    // The text document's preview is its text, with no pages to turn.
    assert.match(await page.getByRole("region", { name: "Forhåndsvisning av «Samtykke»" }).innerText(), /Blåbær, ærfugl og øl/);
    assert.equal(await page.locator('[data-preview][data-kind="text"]').getByRole("button").count(), 0);
    await checkAxe(t, page, "job view with previews, desktop");
    await shot(page, "keyboard-job-desktop");

    // The checksums are behind a disclosure, opened with the keyboard.
    const sums = page.locator("summary", { hasText: "Sjekksummer (SHA-256)" }).first();
    await tabTo(page, sums, "the checksums");
    await page.keyboard.press("Enter");
    assert.equal(await sums.evaluate((el) => el.parentElement.open), true);

    // At phone size the preview fits the screen.
    await page.setViewportSize({ width: 375, height: 667 });
    await page.waitForTimeout(400); // the preview redraws after a resize
    await previewsReady(page);
    await noHorizontalScroll(page);
    await checkAxe(t, page, "job view with previews, phone");
    await shot(page, "keyboard-job-phone");

    // Sign: tick the box with Space, press the button with Enter.
    await tabTo(page, page.getByLabel("Jeg har lest dokumentene og vil signere dem"), "the confirmation box");
    await page.keyboard.press("Space");
    await tabTo(page, page.getByRole("button", { name: "Signer dokumentene" }), "the sign button");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/receipt$/);
    await checkPage(page, { lang: "nb", h1: "Du har signert" });
    await noHorizontalScroll(page);
    await checkAxe(t, page, "receipt, phone");
    await shot(page, "keyboard-receipt-phone");

    // The receipt to keep: a PDF, downloaded with the keyboard.
    const link = page.getByRole("link", { name: "Last ned kvittering (PDF)" });
    await tabTo(page, link, "the receipt download");
    const download = page.waitForEvent("download");
    await page.keyboard.press("Enter");
    const file = await download;
    assert.equal(file.suggestedFilename(), "kvittering.pdf");
    const head = readFileSync(await file.path()).subarray(0, 5).toString();
    assert.equal(head, "%PDF-");
    await page.setViewportSize({ width: 1280, height: 800 });
    await checkAxe(t, page, "receipt, desktop");
    await shot(page, "keyboard-receipt-desktop");
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

  test("advanced signature, direct flow: two signers in sequence, each with their own key", async (t) => {
    const [link1, link2] = cfg.advanced.direct;
    const title = cfg.advanced.directTitle;

    // Ola, first, on a desktop: the link asks for level high.
    const ola = await newPage(viewports.desktop);
    const res = await ola.goto(link1);
    assert.equal(res.status(), 200);
    await checkPage(ola, { lang: "nb", h1: "Signer dokumenter" });
    assert.equal(await ola.getByText(/krever innlogging på høyt sikkerhetsnivå/).count(), 1);
    await checkAxe(t, ola, "advanced: start page");
    await shot(ola, "advanced-start");
    await ola.getByRole("button", { name: "Logg inn med ID-porten" }).click();
    await ola.waitForURL(/\/dev\/idporten\/authorize/);
    assert.match(await ola.locator("body").innerText(), /høyt/);
    await login(t, ola, cfg.ola, "bankid");
    await ola.waitForURL(/\/sign\/[^/]+\/job$/);
    await checkPage(ola, { lang: "nb", h1: title });
    assert.equal(await ola.getByText(ownKey).count(), 1);
    assert.equal(await ola.getByText("Du signerer som nummer 1 av 2.").count(), 1);
    await checkAxe(t, ola, "advanced: job view, desktop");
    await shot(ola, "advanced-job-desktop");
    out.advanced.push(await signAndLeave(ola));
    assert.deepEqual(ola.problems, []);
    await ola.context().close();

    // Kari, second, on a phone.
    const kari = await newPage(viewports.phone);
    await startAndLogin(t, kari, link2, cfg.kari, "bankid");
    await kari.waitForURL(/\/sign\/[^/]+\/job$/);
    await checkPage(kari, { lang: "nb", h1: title });
    assert.equal(await kari.getByText(ownKey).count(), 1);
    assert.equal(await kari.getByText("Du signerer som nummer 2 av 2.").count(), 1);
    await noHorizontalScroll(kari);
    await checkAxe(t, kari, "advanced: job view, phone");
    await shot(kari, "advanced-job-phone");
    out.advanced.push(await signAndLeave(kari));
    assert.deepEqual(kari.problems, []);
    await kari.context().close();
  });

  test("advanced signature, portal flow: two signers in sequence, each with their own key", async (t) => {
    const title = cfg.advanced.portalTitle;
    const signers = [
      { who: "Kari", pid: cfg.kari, viewport: viewports.phone, name: "phone", after: /venter på at flere skal signere/ },
      { who: "Ola", pid: cfg.ola, viewport: viewports.desktop, name: "desktop", after: /Alle har signert/ },
    ];
    for (const [i, s] of signers.entries()) {
      const page = await newPage(s.viewport);
      await portalTask(t, page, s.pid, title);
      // The previews above the confirmation move it when they are drawn:
      // a click made meanwhile can land beside the checkbox.
      await previewsReady(page);
      assert.equal(await page.getByText(ownKey).count(), 1);
      assert.equal(await page.getByText(`Du signerer som nummer ${i + 1} av 2.`).count(), 1);
      await noHorizontalScroll(page);
      await checkAxe(t, page, `advanced portal job view (${s.who}, ${s.name})`);
      await shot(page, `advanced-portal-job-${s.name}`);
      await page.getByLabel("Jeg har lest dokumentene og vil signere dem").check();
      await page.getByRole("button", { name: "Signer dokumentene" }).click();
      await page.waitForURL(/\/receipt$/);
      await checkPage(page, { lang: "nb", h1: "Du har signert" });
      assert.match(await page.locator("main").innerText(), s.after);
      await noHorizontalScroll(page);
      await checkAxe(t, page, `advanced portal receipt (${s.who}, ${s.name})`);
      await shot(page, `advanced-portal-receipt-${s.name}`);
      const download = page.getByRole("link", { name: /^Last ned signert «Kontrakt»/ });
      const file = await fetchInPage(page, await download.getAttribute("href"));
      assert.deepEqual([file.status, file.type, file.head], [200, "application/pdf", "%PDF-"]);
      assert.deepEqual(page.problems, []);
      await page.context().close();
    }
  });

  test("reject in the direct flow: a reason, then the sender's rejection URL", async (t) => {
    const [link1, link2] = cfg.reject;
    const page = await newPage(viewports.desktop);
    await startAndLogin(t, page, link1, cfg.ola, "bankid");
    await page.waitForURL(/\/sign\/[^/]+\/job$/);
    await checkPage(page, { lang: "nb", h1: "Arbeidsavtale" });
    const rejectForm = page.locator('form[action$="/reject"]');
    const rejectButton = rejectForm.getByRole("button", { name: "Avvis oppdraget" });
    const reason = page.getByLabel("Begrunnelse (valgfritt)");

    // The form is folded away until asked for.
    assert.equal(await rejectButton.isVisible(), false);
    await page.getByText("Avvis oppdraget", { exact: true }).first().click();
    assert.equal(await rejectButton.isVisible(), true);

    // A reason that is too long: an error summary that takes focus, the
    // form still open, the text kept.
    const long = "æ".repeat(1001);
    await reason.fill(long);
    await rejectButton.click();
    assert.equal(await errorSummaryFocus(page), "error-summary");
    assert.match(await page.title(), /^Feil: Arbeidsavtale – /);
    assert.equal(await reason.inputValue(), long);
    assert.equal(await reason.getAttribute("aria-invalid"), "true");
    await checkAxe(t, page, "reject form with an error");
    await shot(page, "reject-error-desktop");
    await page.getByRole("link", { name: "Begrunnelsen kan være høyst 1000 tegn" }).click();
    assert.equal(await page.evaluate(() => document.activeElement.id), "reason");

    await reason.fill("Lønnen i punkt 3 er feil.");
    await checkAxe(t, page, "reject form, open");
    await shot(page, "reject-open-desktop");
    await rejectButton.click();

    // It ends the job for everyone, so a page of its own asks first, with
    // the reason quoted; "no" goes back with the reason kept.
    await checkPage(page, { lang: "nb", h1: "Vil du avvise oppdraget?" });
    assert.match(await page.locator("main").innerText(), /Lønnen i punkt 3 er feil\./);
    await noHorizontalScroll(page);
    await checkAxe(t, page, "reject confirmation");
    await shot(page, "reject-confirm-desktop");
    await page.setViewportSize({ width: 375, height: 667 });
    await noHorizontalScroll(page);
    await checkAxe(t, page, "reject confirmation, phone");
    await shot(page, "reject-confirm-phone");
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole("button", { name: "Nei, gå tilbake" }).click();
    await checkPage(page, { lang: "nb", h1: "Arbeidsavtale" });
    assert.equal(await reason.inputValue(), "Lønnen i punkt 3 er feil.");
    await rejectButton.click();
    await checkPage(page, { lang: "nb", h1: "Vil du avvise oppdraget?" });
    // Confirmed with the keyboard alone: Tab to "Ja, avvis oppdraget", Enter.
    const yes = page.getByRole("button", { name: "Ja, avvis oppdraget" });
    for (let i = 0; i < 30 && !(await yes.evaluate((el) => el === document.activeElement)); i++) {
      await page.keyboard.press("Tab");
    }
    assert.equal(await yes.evaluate((el) => el === document.activeElement), true, "the confirm button is reachable by Tab");
    // The sender's rejection URL is not served here: the request for it
    // is what the test takes the status query token from.
    const exit = page.waitForRequest(/^https:\/\/sender\.example\/no\?status_query_token=/);
    await page.keyboard.press("Enter");
    out.reject = new URL((await exit).url()).searchParams.get("status_query_token");
    assert.deepEqual(page.problems, []);
    await page.context().close();

    // Ola's link again: what he did, and no way to act.
    const again = await newPage(viewports.phone);
    let res = await again.goto(link1);
    assert.equal(res.status(), 410);
    await checkPage(again, { lang: "nb", h1: "Du har avvist oppdraget" });
    assert.equal(await again.getByRole("button").count(), 0);
    await checkAxe(t, again, "rejected link");
    await noHorizontalScroll(again);
    await shot(again, "rejected-link-phone");
    // Kari's link has ended with the job.
    res = await again.goto(link2);
    assert.equal(res.status(), 410);
    await checkPage(again, { lang: "nb", h1: "Lenken er utløpt eller allerede brukt" });
    await checkAxe(t, again, "link of a rejected job");
    await shot(again, "rejected-job-other-link-phone");
    assert.deepEqual(again.problems, []);
    await again.context().close();
  });

  test("one-time code: a signer addressed by e-mail confirms the link before logging in", async (t) => {
    const page = await newPage(viewports.phone);
    const res = await page.goto(cfg.code);
    assert.equal(res.status(), 200);
    await checkPage(page, { lang: "nb", h1: "Bekreft at lenken er din" });
    await noHorizontalScroll(page);
    await checkAxe(t, page, "code page");
    assert.match(await page.locator("main").innerText(), new RegExp(`Fra ${cfg.sender}`));
    await page.setViewportSize({ width: 1280, height: 800 });
    await checkAxe(t, page, "code page, desktop");
    await page.setViewportSize({ width: 375, height: 667 });
    await page.getByRole("button", { name: "Send meg en kode" }).click();
    await page.getByText("Vi har sendt deg en kode").waitFor();

    // The code, as the signer reads it in the mail (the development view
    // of captured mail).
    let code = "";
    for (let i = 0; i < 100 && !code; i++) {
      const mail = await page.evaluate(async (u) => (await fetch(u)).text(), `${base}/dev/mail`);
      code = (mail.match(/Engangskode[^]*?\b(\d{6})\b/) || [])[1] || "";
      if (!code) await page.waitForTimeout(100);
    }
    assert.match(code, /^\d{6}$/);

    const field = page.getByLabel("Engangskode");
    await field.fill(code === "000000" ? "111111" : "000000");
    await page.getByRole("button", { name: "Bekreft koden" }).click();
    await page.waitForSelector(".error-summary");
    assert.equal(await field.getAttribute("aria-invalid"), "true");
    await checkAxe(t, page, "code page with a wrong code");
    await shot(page, "code-wrong-phone");

    await field.fill(code);
    await page.getByRole("button", { name: "Bekreft koden" }).click();
    await checkPage(page, { lang: "nb", h1: "Signer dokumenter" });
    await page.getByRole("button", { name: "Logg inn med ID-porten" }).click();
    await login(t, page, cfg.kari, "bankid");
    await page.waitForURL(/\/sign\/[^/]+\/job$/);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("locked link: the page says so and to contact the sender, in both languages", async (t) => {
    const page = await newPage(viewports.phone);
    const res = await page.goto(cfg.locked);
    assert.equal(res.status(), 403);
    await checkPage(page, { lang: "nb", h1: "Lenken er låst" });
    assert.match(await page.locator("main").innerText(), /Ta kontakt med avsenderen/);
    assert.equal(await page.getByRole("button").count(), 0);
    await noHorizontalScroll(page);
    await checkAxe(t, page, "locked link");
    await shot(page, "code-locked-phone");
    await page.getByRole("link", { name: "English" }).click();
    await checkPage(page, { lang: "en", h1: "This link is locked" });
    assert.match(await page.locator("main").innerText(), /Contact the sender/);
    await checkAxe(t, page, "locked link, English");
    await shot(page, "code-locked-phone-en");
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("wrong person: Kari opens Ola's link, is refused, and the link still works for Ola", async (t) => {
    const page = await newPage(viewports.desktop);
    const callback = page.waitForResponse((r) => new URL(r.url()).pathname === "/sign/callback");
    await startAndLogin(t, page, cfg.refused, cfg.kari, "bankid");
    assert.equal((await callback).status(), 403);
    await checkPage(page, { lang: "nb", h1: "Oppdraget er til en annen person" });
    // Nothing of the job is shown to someone else.
    const text = await page.locator("main").innerText();
    assert.doesNotMatch(text, /Arbeidsavtale|Kontrakt|Ola Nordmann/);
    await checkAxe(t, page, "wrong person, desktop");
    await shot(page, "error-wrong-person-desktop");
    // "Log in again" leads back to the link, where Ola logs in.
    await page.getByRole("link", { name: "Logg inn på nytt" }).click();
    await checkPage(page, { lang: "nb", h1: "Signer dokumenter" });
    await page.getByRole("button", { name: "Logg inn med ID-porten" }).click();
    await login(t, page, cfg.ola, "bankid");
    await page.waitForURL(/\/sign\/[^/]+\/job$/);
    await checkPage(page, { lang: "nb", h1: "Arbeidsavtale" });
    assert.equal(await page.getByRole("button", { name: "Signer dokumentene" }).count(), 1);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("without JavaScript: a direct signer logs in, is asked to tick the box, signs and is back at the sender", async (t) => {
    const page = await newPage({ ...viewports.phone, javaScriptEnabled: false });
    await startAndLogin(t, page, cfg.noScript, cfg.ola, "bankid");
    await page.waitForURL(/\/sign\/[^/]+\/job$/);
    await checkPage(page, { lang: "nb", h1: "Arbeidsavtale" });
    // The documents can be read without the preview's script.
    const read = page.getByRole("link", { name: "Les «Kontrakt» (PDF)" });
    assert.equal(await read.count(), 1);
    await page.getByRole("button", { name: "Signer dokumentene" }).click();
    await page.waitForSelector(".error-summary");
    assert.match(await page.title(), /^Feil: Arbeidsavtale – /);
    // (No axe here: it needs the page's own JavaScript. The same page
    // with it is checked in the direct flow.)
    await page.getByLabel("Jeg har lest dokumentene og vil signere dem").check();
    await page.getByRole("button", { name: "Signer dokumentene" }).click();
    await page.waitForURL(/^https:\/\/sender\.example\/ok\?status_query_token=/);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  // Moves segl's clock past a job's expiry: keep it last.
  test("expiry: the deadline passes while the signer has the link", async (t) => {
    const page = await newPage(viewports.phone);
    await startAndLogin(t, page, cfg.expiry, cfg.ola, "bankid");
    await page.waitForURL(/\/sign\/[^/]+\/job$/);
    await checkPage(page, { lang: "nb", h1: "Arbeidsavtale" });
    assert.equal(await page.getByRole("button", { name: "Signer dokumentene" }).count(), 1);

    // The deadline passes; the sweep has not run yet: the job page says
    // the time is up and offers nothing to do.
    await control("expire");
    await page.reload();
    await checkPage(page, { lang: "nb", h1: "Arbeidsavtale" });
    assert.equal(await page.getByText("Fristen for å signere har gått ut.").count(), 1);
    assert.equal(await page.getByRole("button", { name: "Signer dokumentene" }).count(), 0);
    assert.equal(await page.locator('form[action$="/reject"]').count(), 0);
    await checkAxe(t, page, "job past its deadline");
    await shot(page, "expired-job-phone");

    // The sweep expires the job: the signer's page says it has ended.
    const { changed } = await control("sweep");
    assert.ok(changed >= 1, `the sweep changed ${changed} jobs`);
    await page.reload();
    await page.waitForURL(/\/receipt$/);
    await checkPage(page, { lang: "nb", h1: "Oppdraget er avsluttet" });
    assert.match(await page.locator("main").innerText(), /«Arbeidsavtale» kan ikke lenger signeres/);
    await checkAxe(t, page, "receipt of an expired job");
    await noHorizontalScroll(page);
    await shot(page, "expired-receipt-phone");
    assert.deepEqual(page.problems, []);
    await page.context().close();

    // The link, opened again in a new browser: 410, readable, accessible.
    for (const [name, viewport] of Object.entries(viewports)) {
      const other = await newPage(viewport);
      const res = await other.goto(cfg.expiry);
      assert.equal(res.status(), 410);
      await checkPage(other, { lang: "nb", h1: "Lenken er utløpt eller allerede brukt" });
      assert.equal(await other.getByRole("button").count(), 0);
      await checkAxe(t, other, `expired link, ${name}`);
      await noHorizontalScroll(other);
      await shot(other, `expired-link-${name}`);
      assert.deepEqual(other.problems, []);
      await other.context().close();
    }
  });
});
