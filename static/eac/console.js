// Small progressive enhancements; every page also works without this file. How forms, errors,
// keys and dialogs behave is written down in docs/forms.md.
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
  // its controls disabled unless every control named is checked; one marked data-shown-when is
  // hidden instead. The server applies the same rules, so this is only about what the page shows.
  function conditionHolds(block, attribute) {
    return block.getAttribute(attribute).split(/\s+/).every(function (selector) {
      var negated = selector.charAt(0) === "!";  // "!#id": unless that control is checked
      var control = document.querySelector(negated ? selector.slice(1) : selector);
      var checked = Boolean(control && control.checked && !control.disabled);
      return negated ? !checked : checked;
    });
  }
  function controlsOf(block) {
    var controls = Array.prototype.slice.call(block.querySelectorAll("input, button, textarea, select"));
    return block.matches("input, button, textarea, select") ? controls.concat([block]) : controls;
  }
  function syncDependencies(root) {
    root.querySelectorAll("[data-enabled-when]").forEach(function (block) {
      var enabled = conditionHolds(block, "data-enabled-when");
      block.classList.toggle("is-disabled", !enabled);
      controlsOf(block).forEach(function (control) { control.disabled = !enabled; });
    });
    root.querySelectorAll("[data-shown-when]").forEach(function (block) {
      var shown = conditionHolds(block, "data-shown-when");
      block.hidden = !shown;
      controlsOf(block).forEach(function (control) { control.disabled = !shown; });
    });
  }

  // "Connection to" follows "Connection from", and so does the step rail: it shows the chosen
  // scenario's steps as soon as the scenario is chosen, as the EAC's does.
  function chosenScenario(root) {
    var source = root.querySelector("input[name=source]:checked");
    if (!source) { return ""; }
    if (source.value !== "office365") { return source.value + ":office365"; }
    var target = root.querySelector("input[name=target]:checked");
    return "office365:" + (target ? target.value : "your_org");
  }
  function syncScenario(root) {
    var chosen = root.querySelector("input[name=source]:checked");
    root.querySelectorAll("[data-shown-for-source]").forEach(function (group) {
      var sources = group.getAttribute("data-shown-for-source").split(" ");
      group.hidden = !chosen || sources.indexOf(chosen.value) === -1;
    });
    if (!root.querySelector("input[name=source]")) { return; }
    var scenario = chosenScenario(root);
    root.querySelectorAll("[data-rail-scenarios]").forEach(function (item) {
      var scenarios = item.getAttribute("data-rail-scenarios").split(" ");
      item.hidden = scenarios.indexOf(scenario) === -1;
    });
  }

  // A dialog the server drew open (it works so without JavaScript) becomes modal: the page
  // behind it is inert, focus stays inside, and Escape closes it.
  function openDialogs(root) {
    root.querySelectorAll("dialog[data-modal][open]").forEach(function (dialog) {
      if (dialog.matches(":modal")) { return; }
      dialog.close();
      dialog.showModal();
    });
  }

  // The Connectors list: "Selection: n ✕" and Delete show only while rows are chosen.
  function syncSelection(root) {
    var chosen = root.querySelectorAll("input.row-check:checked").length;
    root.querySelectorAll("[data-selection]").forEach(function (box) {
      box.hidden = chosen === 0;
      var count = box.querySelector("[data-selection-count]");
      if (count) { count.textContent = String(chosen); }
    });
    root.querySelectorAll("[data-needs-selection]").forEach(function (command) {
      command.hidden = chosen === 0;
    });
  }
  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest("[data-clear-selection]")) { return; }
    document.querySelectorAll("input.row-check:checked").forEach(function (box) { box.checked = false; });
    syncSelection(document);
  });

  function syncAll() {
    syncSubdomainBox(document);
    syncScenario(document);
    // Twice: a block can depend on a control inside another dependent block.
    syncDependencies(document);
    syncDependencies(document);
    openDialogs(document);
    syncSelection(document);
  }
  document.addEventListener("change", syncAll);
  document.addEventListener("DOMContentLoaded", syncAll);
  document.addEventListener("htmx:afterSwap", syncAll);
  document.addEventListener("htmx:historyRestore", syncAll);

  // --- Keys ------------------------------------------------------------------------------------

  // Enter in the box beside a + adds what was typed, as the EAC does. Enter in any other box is
  // the form's default button (Next, Save), which each form puts first (docs/forms.md).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.isComposing) { return; }
    var box = event.target.closest && event.target.closest("[data-enter-clicks]");
    if (!box) { return; }
    var button = document.getElementById(box.getAttribute("data-enter-clicks"));
    if (!button || button.disabled) { return; }
    event.preventDefault();
    button.click();
  });

  // Escape closes what is open: a modal dialog closes itself; otherwise a flyout or an edit
  // panel follows its close link (marked data-escape-closes).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented) { return; }
    if (document.querySelector("dialog:modal")) { return; }
    var closers = document.querySelectorAll("[data-escape-closes]");
    if (!closers.length) { return; }
    event.preventDefault();
    closers[closers.length - 1].click();  // the innermost: an edit panel before its flyout
  });

  // A dialog's Cancel closes it here; without JavaScript it is a link back to the page.
  document.addEventListener("click", function (event) {
    var closer = event.target.closest && event.target.closest("[data-dialog-close]");
    var dialog = closer && closer.closest("dialog");
    if (!dialog || !dialog.matches(":modal")) { return; }
    event.preventDefault();
    dialog.close();
  });

  // --- Errors ----------------------------------------------------------------------------------

  // An error summary's link moves focus into the field it names, not only the page's scroll.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) { return; }
    var control = document.getElementById(link.getAttribute("href").slice(1));
    if (!control) { return; }
    event.preventDefault();
    control.scrollIntoView({ block: "center" });
    control.focus();
  });

  // After a swap, focus goes where a person must look: the error summary if there is one, else
  // the new step's heading when the control that had focus is gone.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    // An outerHTML swap reports the element it replaced: look at its successor.
    if (target && !target.isConnected && target.id) { target = document.getElementById(target.id); }
    if (!target || !target.isConnected) { return; }
    var summary = target.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); return; }
    // A box the answer marks autofocus (a one-box form's refused value): htmx would otherwise
    // give focus back to the button that sent it.
    var marked = target.matches("[autofocus]") ? target : target.querySelector("[autofocus]");
    if (marked && !marked.closest("dialog")) { marked.focus(); return; }
    var lost = !document.activeElement || document.activeElement === document.body;
    var heading = target.querySelector("h1[tabindex='-1'], h2[tabindex='-1']");
    if (lost && heading && !target.querySelector("[autofocus]")) { heading.focus(); }
  });

  function toast(text) {
    var main = document.getElementById("main") || document.body;
    var box = main.querySelector(".toasts");
    if (!box) {
      box = document.createElement("div");
      box.className = "toasts";
      main.insertBefore(box, main.firstChild);
    }
    var message = document.createElement("p");
    message.className = "toast toast-error";
    message.setAttribute("role", "alert");
    message.setAttribute("tabindex", "-1");
    message.textContent = text;
    box.appendChild(message);
    message.focus();
  }

  var STATUS_TEXTS = {
    400: "The console couldn't read this request. Reload the page, then try again.",
    403: "Your role doesn't allow this.",
    404: "This item no longer exists, or isn't in this organization. Refresh the page.",
    429: "Too many attempts. Wait a few minutes, then try again.",
  };

  // Answers htmx doesn't swap (includes/htmx_head.html) still say what went wrong: the
  // server's own words when it answered in plain text, else what the status means.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var type = xhr.getResponseHeader("Content-Type") || "";
    var body = (xhr.responseText || "").trim();
    var plain = body && body.length < 300 && (type.indexOf("text/plain") === 0 || body.indexOf("<") === -1);
    var text = plain ? body : STATUS_TEXTS[xhr.status] ||
      "Something went wrong on the server, and this wasn't done. Try again; if it keeps happening, tell your administrator.";
    toast(text);
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The console can't be reached. Check your connection, then try again.");
  });

  // --- Clicks during a swap --------------------------------------------------------------------

  // A button pressed while the form's previous answer is still on its way (Next just after +)
  // isn't lost: htmx would queue it on the form that the answer replaces, and drop it. It is
  // pressed again on the form put in its place, if that form is the same page (same id, same
  // address); a second Next that would skip the next step is not.
  var pressedDuringSwap = null;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.id || !form.hasAttribute("hx-post") || !form.classList.contains("htmx-request")) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    var button = event.submitter;
    pressedDuringSwap = {
      form: form.id,
      url: form.getAttribute("hx-post"),
      name: button ? button.name : "",
      value: button ? button.value : "",
    };
  }, true);
  function pressAgain() {
    var pressed = pressedDuringSwap;
    pressedDuringSwap = null;
    var form = pressed && document.getElementById(pressed.form);
    if (!form || form.getAttribute("hx-post") !== pressed.url) { return; }
    var buttons = Array.prototype.filter.call(form.elements, function (element) {
      return element.type === "submit" && element.name === pressed.name && element.value === pressed.value;
    });
    if (buttons.length && !buttons[0].disabled) { buttons[0].click(); }
  }
  document.addEventListener("htmx:afterSettle", function () { if (pressedDuringSwap) { pressAgain(); } });
  document.addEventListener("htmx:afterRequest", function (event) {
    // An answer that swapped nothing (an error toast) leaves the form in place: press it now.
    if (pressedDuringSwap && !event.detail.successful) { pressAgain(); }
  });
})();
