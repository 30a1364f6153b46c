// segl's inline preview of the documents on the sign page (issue 14), with
// PDF.js (Mozilla, Apache-2.0: pdfjs-LICENSE.txt; the version is pinned by
// tools/pdfjs/package-lock.json). Every page works without this file: the
// link to each document stays the way to read it, and a preview that cannot
// be shown says so and points to the link.
//
// Each preview is markup the server rendered, hidden until this module
// takes it over (<div data-preview="URL" data-kind="pdf|text">), so every
// word of it comes from the page's language catalogue. A PDF is shown one
// page at a time, drawn to fit the column (phone or desktop) on a canvas
// that screen readers skip; the page's text is in the same region for them.
// The region takes focus (it scrolls when a page is taller than the
// screen), and the arrow keys turn pages there as the buttons do.
"use strict";

const previews = document.querySelectorAll("[data-preview]");
if (previews.length > 0) {
  start().catch(() => previews.forEach((el) => failed(el)));
}

async function start() {
  const lib = document.querySelector("script[data-pdfjs]");
  let pdfjs = null;
  for (const el of previews) {
    el.hidden = false;
    if (el.dataset.kind === "text") {
      showText(el).catch(() => failed(el));
      continue;
    }
    if (pdfjs === null) {
      pdfjs = await import(lib.dataset.pdfjs);
      pdfjs.GlobalWorkerOptions.workerSrc = lib.dataset.worker;
    }
    showPDF(pdfjs, el).catch(() => failed(el));
  }
}

// failed replaces a preview with the words that say it could not be shown.
function failed(el) {
  el.hidden = false;
  const status = el.querySelector("[data-status]");
  el.querySelectorAll("[data-controls], [data-region]").forEach((n) => { n.hidden = true; });
  status.textContent = el.dataset.failed;
}

async function showText(el) {
  const res = await fetch(el.dataset.preview, { credentials: "same-origin" });
  if (!res.ok) throw new Error("preview: " + res.status);
  const pre = document.createElement("pre");
  pre.className = "preview__text";
  pre.textContent = await res.text();
  el.querySelector("[data-region]").append(pre);
  el.querySelector("[data-controls]").hidden = true;
  el.querySelector("[data-status]").textContent = "";
  el.dataset.ready = "true";
}

async function showPDF(pdfjs, el) {
  const doc = await pdfjs.getDocument({
    url: el.dataset.preview,
    isEvalSupported: false, // the CSP forbids eval; PDF.js then interprets fonts
    disableRange: true,
    disableStream: true,
  }).promise;
  const region = el.querySelector("[data-region]");
  const canvas = region.querySelector("canvas");
  const text = region.querySelector("[data-text]");
  const status = el.querySelector("[data-status]");
  const prev = el.querySelector("[data-prev]");
  const next = el.querySelector("[data-next]");
  let current = 1;
  let drawing = null;

  async function draw(n) {
    current = n;
    prev.disabled = n <= 1;
    next.disabled = n >= doc.numPages;
    status.textContent = el.dataset.pageOf.replace("{page}", n).replace("{pages}", doc.numPages);
    const page = await doc.getPage(n);
    const width = Math.max(200, region.clientWidth);
    const unscaled = page.getViewport({ scale: 1 });
    const viewport = page.getViewport({ scale: width / unscaled.width });
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.style.width = Math.floor(viewport.width) + "px";
    canvas.style.height = Math.floor(viewport.height) + "px";
    if (drawing) drawing.cancel();
    drawing = page.render({
      canvasContext: canvas.getContext("2d"),
      viewport,
      transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : null,
    });
    try {
      await drawing.promise;
    } catch (e) {
      if (e && e.name === "RenderingCancelledException") return;
      throw e;
    }
    const content = await page.getTextContent();
    text.textContent = content.items.map((i) => i.str + (i.hasEOL ? "\n" : " ")).join("");
  }

  prev.addEventListener("click", () => { if (current > 1) draw(current - 1); });
  next.addEventListener("click", () => { if (current < doc.numPages) draw(current + 1); });
  region.addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft" && current > 1) { event.preventDefault(); draw(current - 1); }
    if (event.key === "ArrowRight" && current < doc.numPages) { event.preventDefault(); draw(current + 1); }
  });
  let resize = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resize);
    resize = setTimeout(() => draw(current), 200);
  });
  el.querySelector("[data-controls]").hidden = doc.numPages < 2;
  await draw(1);
  el.dataset.ready = "true";
}
