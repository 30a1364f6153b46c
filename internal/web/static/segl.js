// segl progressive enhancement. Every page works without this file; it only
// stops a form from being sent twice by an impatient double click (a second
// "sign" would be refused by the server anyway, but with an error page), and
// moves focus to an error summary so that it is read out first.
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
