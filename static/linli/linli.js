// Linli page behaviour. No inline scripts anywhere (CSP): pages opt in with classes.
(function () {
  "use strict";
  // Select boxes that submit their form on change; the submit button stays for no-JS.
  document.querySelectorAll("select.js-autosubmit").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  document.querySelectorAll(".js-hide-when-scripted").forEach(function (el) {
    el.classList.add("d-none");
  });
  // Buttons that ask for confirmation before a destructive action.
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  // Forms that must go once (a report): the second and third tap of an impatient user on a
  // slow phone are ignored while the first is on its way; after 15 s, or when the page comes
  // back from the browser's history, the form can be sent again (the server also refuses
  // the same report twice, see cases.selectors.case_just_reported_by).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-submit-once]")) { return; }
    if (form.getAttribute("data-submitting")) { event.preventDefault(); return; }
    form.setAttribute("data-submitting", "1");
    var buttons = form.querySelectorAll("button[type=submit]");
    // Disabled after this event: a disabled button's name would not be sent with the form.
    window.setTimeout(function () {
      buttons.forEach(function (button) { button.disabled = true; });
    }, 0);
    window.setTimeout(function () { release(form); }, 15000);
  });
  function release(form) {
    form.removeAttribute("data-submitting");
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = false;
    });
  }
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitting]").forEach(release);
  });
  // A countdown on the "send code" button after a code was sent.
  document.querySelectorAll("[data-countdown]").forEach(function (button) {
    var seconds = parseInt(button.getAttribute("data-countdown"), 10);
    var label = button.textContent;
    if (!seconds) { return; }
    button.disabled = true;
    var timer = window.setInterval(function () {
      seconds -= 1;
      button.textContent = label + " (" + seconds + ")";
      if (seconds <= 0) {
        window.clearInterval(timer);
        button.disabled = false;
        button.textContent = label;
      }
    }, 1000);
  });
})();
