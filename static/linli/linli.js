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
