// Browser tests of the central administration (/admin, MISSION I4 and P1)
// in Debian's Chromium against a whole segl started with --dev, logging in
// through the development ID-porten's form: a person who is not an
// administrator is refused; the administrator onboards an organisation
// (after a form with errors), deactivates it and reads the usage, in both
// languages; the pages again at phone size. axe-core checks every page.
//
// `go test ./internal/server -run BrowserAdmin` starts segl, makes some
// usage and runs this file with, besides harness.mjs's variables:
//
//   SEGL_ADMIN  JSON: {"admin": the administrator's pid, "other": a pid
//               that is no administrator, "org": an organisation number to
//               onboard, "firstAdmin": the pid of its first portal
//               administrator}
//
// Without SEGL_ADMIN the tests are skipped.

import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  base, shots, viewports, useBrowser, newPage, checkAxe, checkPage, noHorizontalScroll,
} from "./harness.mjs";

const cfg = JSON.parse(process.env.SEGL_ADMIN || "null");


const shot = (page, name) => page.screenshot({ path: join(shots, `admin-${name}.png`), fullPage: true });

// login starts at /admin/ and logs in as pid with BankID (level high).
async function login(t, page, pid, { axe = false } = {}) {
  await page.goto(`${base}/admin/`);
  await checkPage(page, { lang: "nb", h1: "Sentral administrasjon" });
  if (axe) await checkAxe(t, page, "login page");
  await page.getByRole("link", { name: "Logg inn med ID-porten" }).click();
  await page.waitForURL(/\/dev\/idporten\/authorize/);
  await page.locator('input[name="pid"]').fill(pid);
  await page.locator('input[name="eid"][value="bankid"]').check();
  await page.locator('button[type="submit"]').click();
}

describe("central administration", { skip: !cfg && "SEGL_ADMIN is not set" }, () => {
  const chrome = useBrowser();

  test("a person who is not an administrator is refused", async (t) => {
    const page = await newPage(chrome.browser, viewports.desktop);
    await login(t, page, cfg.other, { axe: true });
    await checkPage(page, { lang: "nb", h1: "Du har ikke tilgang til administrasjonen" });
    await checkAxe(t, page, "403 page");
    await page.getByRole("button", { name: "Logg ut" }).click();
    await checkPage(page, { lang: "nb", h1: "Sentral administrasjon" });
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("the administrator onboards and deactivates an organisation and reads the usage", async (t) => {
    const page = await newPage(chrome.browser, viewports.desktop);
    await login(t, page, cfg.admin);
    await page.waitForURL(`${base}/admin/`);
    await checkPage(page, { lang: "nb", h1: "Virksomheter" });
    await checkAxe(t, page, "organisation list");
    await shot(page, "orgs");

    await page.getByRole("navigation", { name: "Administrasjon" }).getByRole("link", { name: "Registrer virksomhet" }).click();
    await checkPage(page, { lang: "nb", h1: "Registrer virksomhet" });
    await checkAxe(t, page, "onboarding form");

    // A wrong number and nothing else: the errors, linked from a summary
    // that takes focus.
    await page.getByLabel("Organisasjonsnummer").fill("123456789");
    await page.getByRole("button", { name: "Registrer virksomheten" }).click();
    await page.waitForURL(`${base}/admin/orgs/new`);
    assert.match(await page.title(), /^Feil: Registrer virksomhet – /);
    const summary = page.getByRole("alert");
    await assert.doesNotReject(summary.getByRole("link", { name: "Organisasjonsnummeret må ha ni siffer og riktig kontrollsiffer." }).waitFor());
    assert.equal(await page.evaluate(() => document.activeElement.classList.contains("error-summary")), true);
    assert.equal(await page.getByLabel("Organisasjonsnummer").getAttribute("aria-invalid"), "true");
    await checkAxe(t, page, "onboarding form with errors");
    await shot(page, "new-errors");

    await page.getByLabel("Organisasjonsnummer").fill(cfg.org);
    await page.getByLabel("Navn", { exact: true }).fill("Barnevernet test");
    await page.getByLabel("E-post for varsler til avsender").fill("post@barnevernet.example");
    await page.getByLabel("Fødselsnummer").fill(cfg.firstAdmin);
    await page.getByLabel("Administratorens navn").fill("Kari Nordmann");
    await page.getByLabel("Administratorens e-post").fill("kari@barnevernet.example");
    await page.getByRole("button", { name: "Registrer virksomheten" }).click();
    await page.waitForURL(`${base}/admin/orgs/${cfg.org}?done=created`);
    await checkPage(page, { lang: "nb", h1: "Barnevernet test" });
    await page.getByText("Virksomheten er registrert").waitFor();
    await page.getByRole("table", { name: "Brukere i avsenderportalen for Barnevernet test" }).getByText("Kari Nordmann").waitFor();
    await checkAxe(t, page, "organisation page");

    // The logo its signers will see: an SVG is refused with an error
    // summary, a PNG is taken and shown (issue 14).
    const logo = page.getByLabel("Ny logo");
    await logo.setInputFiles({ name: "logo.svg", mimeType: "image/svg+xml", buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') });
    await page.getByRole("button", { name: "Last opp logoen" }).click();
    await page.waitForSelector(".error-summary");
    assert.equal(await logo.getAttribute("aria-invalid"), "true");
    await checkAxe(t, page, "organisation page, logo refused");
    await shot(page, "org-logo-refused");
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
    await logo.setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: Buffer.from(png, "base64") });
    await page.getByRole("button", { name: "Last opp logoen" }).click();
    await page.waitForURL(`${base}/admin/orgs/${cfg.org}?done=logo-saved`);
    await page.getByRole("img", { name: "Logoen til Barnevernet test" }).waitFor();
    await checkAxe(t, page, "organisation page with a logo");
    await shot(page, "org-logo");

    await page.getByRole("button", { name: "Deaktiver virksomheten" }).click();
    await page.waitForURL(`${base}/admin/orgs/${cfg.org}?done=deactivated`);
    await page.getByText("Virksomheten er deaktivert.").waitFor();
    await page.getByRole("button", { name: "Aktiver virksomheten igjen" }).waitFor();
    await checkAxe(t, page, "deactivated organisation page");
    await shot(page, "org-deactivated");

    await page.getByRole("link", { name: "Bruk og fakturagrunnlag" }).click();
    await checkPage(page, { lang: "nb", h1: "Bruk og fakturagrunnlag" });
    await page.getByRole("table", { name: "Bruk for Lånekassen test, per måned og tjeneste" }).waitFor();
    await checkAxe(t, page, "usage page");
    await shot(page, "usage");
    const csv = await page.evaluate(async (href) => {
      const res = await fetch(href);
      return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
    }, await page.getByRole("link", { name: "Last ned som CSV (regneark)" }).getAttribute("href"));
    assert.equal(csv.status, 200);
    assert.match(csv.type, /^text\/csv/);
    assert.match(csv.text, /^org_number,org_name,month,item,count,unit_price_nok,amount_nok\r\n/);

    await page.getByRole("link", { name: "Feilede bakgrunnsoppgaver" }).click();
    await checkPage(page, { lang: "nb", h1: "Feilede bakgrunnsoppgaver" });
    await checkAxe(t, page, "failed tasks page");
    await page.getByRole("link", { name: "Bruk og fakturagrunnlag" }).click();

    await page.getByRole("link", { name: "English" }).click();
    await checkPage(page, { lang: "en", h1: "Usage and invoicing" });
    await checkAxe(t, page, "usage page in English");
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("the pages fit a phone", async (t) => {
    const page = await newPage(chrome.browser, viewports.phone);
    await login(t, page, cfg.admin);
    await page.waitForURL(`${base}/admin/`);
    for (const [path, h1] of [
      ["/admin/", "Virksomheter"],
      [`/admin/orgs/${cfg.org}`, "Barnevernet test"],
      ["/admin/orgs/new", "Registrer virksomhet"],
      ["/admin/usage", "Bruk og fakturagrunnlag"],
      ["/admin/tasks", "Feilede bakgrunnsoppgaver"],
    ]) {
      await page.goto(`${base}${path}`);
      await checkPage(page, { lang: "nb", h1 });
      await noHorizontalScroll(page);
      await checkAxe(t, page, `${h1} on a phone`);
    }
    await shot(page, "usage-phone");
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});
