// People pages. An ID number or phone typed into the name search box is sent by POST through
// the exact-lookup form, so that it never sits in a URL (browser history, proxy logs).
(function () {
  "use strict";
  var search = document.querySelector("form[data-pii-divert]");
  var lookup = document.querySelector("form[data-pii-lookup]");
  if (!search || !lookup) { return; }
  var ID_NUMBER = /^\d{17}[\dXx]$/;
  var PHONE = /^(\+86)?1[3-9]\d{9}$/;
  search.addEventListener("submit", function (event) {
    var box = search.querySelector("[name=q]");
    var value = (box.value || "").replace(/[\s-]/g, "");
    if (ID_NUMBER.test(value) || PHONE.test(value)) {
      event.preventDefault();
      lookup.querySelector("[name=pii_q]").value = value;
      box.value = "";
      lookup.submit();
    }
  });
})();
