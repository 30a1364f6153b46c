// Browser tests of the sender portal (MISSION I3, I4) in Debian's Chromium
// against a whole segl started with --dev, logging in through the
// development ID-porten's form: an organisation's administrator gives a
// colleague access, the colleague sends a PDF for signing through the form
// and follows the job on its page, on a desktop and on a phone. axe-core
// checks every portal page.
//
// `go test ./internal/server -run PortalBrowser` starts segl and runs this
// file with, besides harness.mjs's variables:
//
//   SEGL_PORTAL  JSON: {"admin": pid of the organisation's administrator,
//                "adminName": their name, "org": the organisation's name,
//                "colleague": pid of a person without access yet,
//                "colleagueName": their name,
//                "pdf": path of a PDF to upload}
//
// The tests run in order: the second needs the access the first gives.
// Without SEGL_PORTAL they are skipped.

import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  base, shots, viewports, useBrowser, newPage, checkAxe, checkPage, noHorizontalScroll,
  errorSummaryFocus,
} from "./harness.mjs";

const cfg = JSON.parse(process.env.SEGL_PORTAL || "null");
const title = "Ansettelsesavtale";


const shot = (page, name) => page.screenshot({ path: join(shots, `portal-${name}.png`), fullPage: true });

// login starts at the portal's front page and logs in as pid with BankID
// on the development ID-porten's form.
async function login(t, page, pid, { axe = false } = {}) {
  await page.goto(`${base}/portal/`);
  await checkPage(page, { lang: "nb", h1: "Send dokumenter til signering" });
  if (axe) await checkAxe(t, page, "portal front page");
  await page.getByRole("link", { name: "Logg inn", exact: true }).click();
  await page.waitForURL(/\/dev\/idporten\/authorize/);
  await page.locator('input[name="pid"]').fill(pid);
  await page.locator('input[name="eid"][value="bankid"]').check();
  await page.locator('button[type="submit"]').click();
  await page.waitForURL(`${base}/portal/`);
  await checkPage(page, { lang: "nb", h1: "Signeringsoppdrag" });
}

describe("sender portal", { skip: !cfg && "SEGL_PORTAL is not set" }, () => {
  const chrome = useBrowser();

  test("an administrator gives a colleague access", async (t) => {
    const page = await newPage(chrome.browser, viewports.desktop);
    await login(t, page, cfg.admin, { axe: true });
    await page.getByText(`${cfg.adminName}, for ${cfg.org}`).waitFor();
    await checkAxe(t, page, "job list, no jobs");

    await page.getByRole("link", { name: "Brukere" }).click();
    await checkPage(page, { lang: "nb", h1: "Brukere" });
    await checkAxe(t, page, "users");
    // A mistyped identity number: the error is named next to the field.
    await page.getByLabel("Fødselsnummer").fill("12345678901");
    await page.getByLabel("Navn", { exact: true }).fill(cfg.colleagueName);
    await page.getByRole("button", { name: "Gi tilgang" }).click();
    await page.waitForSelector(".error-summary");
    assert.match(await page.title(), /^Feil: Brukere – /);
    await checkAxe(t, page, "users with an error");
    await page.getByLabel("Fødselsnummer").fill(cfg.colleague);
    await page.getByLabel("E-postadresse (valgfri)").fill("kollega@example.no");
    await page.getByLabel("Avsender: ser bare sine egne oppdrag").check();
    await page.getByRole("button", { name: "Gi tilgang" }).click();
    await page.getByText("Tilgangen er gitt.").waitFor();
    await page.getByRole("heading", { name: cfg.colleagueName }).waitFor();
    await checkAxe(t, page, "users after a grant");
    await shot(page, "users");

    await page.getByRole("button", { name: "Logg ut" }).click();
    await checkPage(page, { lang: "nb", h1: "Send dokumenter til signering" });
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("the colleague sends a PDF for signing and follows it", async (t) => {
    const page = await newPage(chrome.browser, viewports.desktop);
    await login(t, page, cfg.colleague);
    assert.equal(await page.getByRole("link", { name: "Brukere" }).count(), 0, "a sender sees no users link");
    await page.getByRole("link", { name: "Nytt oppdrag" }).click();
    await checkPage(page, { lang: "nb", h1: "Nytt signeringsoppdrag" });
    await checkAxe(t, page, "new job form");

    // Sent empty: the errors are summed up, take focus, and lead to the
    // fields.
    await page.getByRole("button", { name: "Send til signering" }).click();
    assert.equal(await errorSummaryFocus(page), "error-summary");
    assert.match(await page.title(), /^Feil: Nytt signeringsoppdrag – /);
    await checkAxe(t, page, "new job form with errors");
    await shot(page, "new-errors");
    await page.getByRole("link", { name: "Skriv en tittel" }).click();
    assert.equal(await page.evaluate(() => document.activeElement.id), "title");

    await page.getByLabel("Tittel", { exact: true }).fill(title);
    await page.getByLabel("Deres referanse (valgfri)").fill("sak 2026/42");
    await page.locator("#documents").setInputFiles(cfg.pdf);
    await page.getByLabel("Dokumenttittel (valgfri)").first().fill("Arbeidsavtale med vedlegg");
    await page.getByLabel("Fødselsnummer (11 siffer)").first().fill(cfg.admin);
    await page.getByRole("button", { name: "Send til signering" }).click();
    await page.waitForURL(/\/portal\/jobs\/[0-9a-f-]+$/);
    await checkPage(page, { lang: "nb", h1: title });
    await page.getByText("Venter på signering").waitFor();
    await page.getByText("sak 2026/42").first().waitFor();
    await page.getByRole("link", { name: "Last ned originalen av «Arbeidsavtale med vedlegg»" }).waitFor();
    await checkAxe(t, page, "job page");
    await shot(page, "job");

    // The original downloads as it was sent.
    const href = await page.getByRole("link", { name: /^Last ned originalen av/ }).getAttribute("href");
    const doc = await page.evaluate(async (u) => {
      const res = await fetch(u);
      const body = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, type: res.headers.get("content-type"), head: String.fromCharCode(...body.subarray(0, 5)) };
    }, href);
    assert.deepEqual(doc, { status: 200, type: "application/pdf", head: "%PDF-" });

    // Back on the list, the job is there with its progress.
    await page.getByRole("link", { name: "Oppdrag", exact: true }).click();
    await page.getByRole("link", { name: title }).waitFor();
    await page.getByText("0 av 1").waitFor();
    await checkAxe(t, page, "job list");
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("on a phone, down to 320 pixels", async (t) => {
    const page = await newPage(chrome.browser, viewports.phone);
    await login(t, page, cfg.colleague);
    await noHorizontalScroll(page);
    await checkAxe(t, page, "job list, phone");
    await page.getByRole("link", { name: title }).click();
    await checkPage(page, { lang: "nb", h1: title });
    await noHorizontalScroll(page);
    await checkAxe(t, page, "job page, phone");
    await shot(page, "job-phone");
    // Cancelling folds out, and the job then says so.
    await page.getByText("Avbryt oppdraget", { exact: true }).first().click();
    await page.getByRole("button", { name: "Avbryt oppdraget" }).click();
    await page.getByText("Avbrutt", { exact: true }).first().waitFor();
    assert.equal(await page.getByRole("button", { name: "Avbryt oppdraget" }).count(), 0);

    await page.goto(`${base}/portal/jobs/new`);
    await page.setViewportSize({ width: 320, height: 568 });
    await noHorizontalScroll(page);
    await checkAxe(t, page, "new job form, 320 px");
    await shot(page, "new-320");
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("MinID is not enough: the page says what the portal needs, at a URL of its own", async (t) => {
    const page = await newPage(chrome.browser, viewports.phone);
    await page.goto(`${base}/portal/`);
    await page.getByRole("link", { name: "Logg inn", exact: true }).click();
    await page.waitForURL(/\/dev\/idporten\/authorize/);
    await page.locator('input[name="pid"]').fill(cfg.admin);
    await page.locator('input[name="eid"][value="minid"]').check();
    await page.locator('button[type="submit"]').click();
    await page.waitForURL(`${base}/portal/login/failed?why=assurance-too-low`);
    await checkPage(page, { lang: "nb", h1: "Avsenderportalen krever høyt sikkerhetsnivå" });
    assert.match(await page.locator("main").innerText(), /BankID, Buypass eller Commfides/);
    await noHorizontalScroll(page);
    await checkAxe(t, page, "portal login too low, phone");
    await shot(page, "login-too-low-phone");
    await page.getByRole("link", { name: "English" }).click();
    await checkPage(page, { lang: "en", h1: "The sender portal needs a high level of assurance" });
    await checkAxe(t, page, "portal login too low, English");
    await page.context().close();
  });
});
