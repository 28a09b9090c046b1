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

  // Wizard dependencies, as in the EAC: a block marked data-enabled-when="#a #b" is greyed and
  // its controls disabled unless every control named is checked. The server applies the same
  // rules, so this is only about what the page shows.
  function syncDependencies(root) {
    root.querySelectorAll("[data-enabled-when]").forEach(function (block) {
      var enabled = block.getAttribute("data-enabled-when").split(/\s+/).every(function (selector) {
        var control = document.querySelector(selector);
        return control && control.checked && !control.disabled;
      });
      block.classList.toggle("is-disabled", !enabled);
      block.querySelectorAll("input, button, textarea, select").forEach(function (control) {
        control.disabled = !enabled;
      });
    });
  }

  // "Connection to" follows "Connection from".
  function syncScenario(root) {
    var chosen = root.querySelector("input[name=source]:checked");
    root.querySelectorAll("[data-shown-for-source]").forEach(function (group) {
      var sources = group.getAttribute("data-shown-for-source").split(" ");
      group.hidden = !chosen || sources.indexOf(chosen.value) === -1;
    });
  }

  function syncAll() {
    syncSubdomainBox(document);
    syncScenario(document);
    // Twice: a block can depend on a control inside another dependent block.
    syncDependencies(document);
    syncDependencies(document);
  }
  document.addEventListener("change", syncAll);
  document.addEventListener("DOMContentLoaded", syncAll);
  document.addEventListener("htmx:afterSwap", syncAll);
  document.addEventListener("htmx:historyRestore", syncAll);
})();
