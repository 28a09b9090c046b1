// Small progressive enhancements; every page also works without this file.
(function () {
  "use strict";

  // A select marked data-autosubmit submits its form as soon as it changes (tenant switcher).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]")) {
      target.form.submit();
    }
  });

  // "Accept mail for all subdomains" only applies to Internal relay domains, as in the EAC.
  function syncSubdomainBox(root) {
    root.querySelectorAll("form.domain-type-form").forEach(function (form) {
      var box = form.querySelector("[data-internal-relay-only]");
      var relay = form.querySelector("input[name=domain_type][value=InternalRelay]");
      if (!box || !relay || form.querySelector("fieldset[disabled]")) { return; }
      box.disabled = !relay.checked;
      if (!relay.checked) { box.checked = false; }
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "domain_type") { syncSubdomainBox(document); }
  });
  document.addEventListener("DOMContentLoaded", function () { syncSubdomainBox(document); });
  document.addEventListener("htmx:afterSwap", function (event) { syncSubdomainBox(event.target.parentNode || document); });
})();
