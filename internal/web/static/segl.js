// segl progressive enhancement. Every page works without this file; it only
// stops a form from being sent twice by an impatient double click (a second
// "sign" would be refused by the server anyway, but with an error page),
// moves focus to an error summary so that it is read out first, and warns
// before a login runs out.
// The button is not disabled, because a disabled submit button is left out of
// the form data, and the server reads which button was pressed.
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  if (form.dataset.submitted === "true") {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "true";
  form.setAttribute("aria-busy", "true");
});
// A page shown again from the back/forward cache may be submitted again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-submitted]").forEach(function (form) {
    delete form.dataset.submitted;
    form.removeAttribute("aria-busy");
  });
});
// An error summary takes focus when the page loads (it also has
// role="alert"), so keyboard and screen reader users start from it; its
// links lead to the fields.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-autofocus]");
  if (summary) summary.focus();
});
// The login's time limit (WCAG 2.2.1): the footer says it in words; two
// minutes before the end an alert says so and offers to stay logged in,
// which asks the area's front page (any request slides the idle limit)
// and starts the count again, up to the absolute limit that no request
// moves. The server decides; this only counts along with it.
(function () {
  var box = document.querySelector("[data-session-left]");
  if (!box) return;
  var message = box.querySelector("[data-session-message]");
  var extend = box.querySelector("[data-session-extend]");
  var warnBefore = 120 * 1000;
  var now = Date.now();
  var end = now + Number(box.dataset.sessionEnd) * 1000;
  var deadline = now + Number(box.dataset.sessionLeft) * 1000;
  var timer;
  function say(text, canExtend) {
    box.hidden = false;
    extend.hidden = !canExtend;
    if (message.textContent !== text) message.textContent = text;
  }
  function tick() {
    clearTimeout(timer);
    var left = deadline - Date.now();
    if (left <= 0) {
      say(box.dataset.ended, false);
      return;
    }
    if (left <= warnBefore) {
      var final = deadline >= end;
      say(final ? box.dataset.warnFinal : box.dataset.warn, !final);
      timer = setTimeout(tick, left);
      return;
    }
    timer = setTimeout(tick, left - warnBefore);
  }
  extend.addEventListener("click", function () {
    fetch(box.dataset.sessionPing, { method: "HEAD", credentials: "same-origin", cache: "no-store" }).then(function (res) {
      if (res.status === 401) deadline = 0; // ended elsewhere: say so
      if (!res.ok || Date.now() >= deadline) {
        tick();
        return;
      }
      deadline = Math.min(Date.now() + Number(box.dataset.sessionIdle) * 1000, end);
      say(box.dataset.extended, false);
      // Said; then out of the way of the page until the next warning.
      setTimeout(function () {
        if (message.textContent === box.dataset.extended) box.hidden = true;
      }, 5000);
      tick();
    }, tick);
  });
  tick();
})();
