// The configurator's steps switch in place (the buttons post the form when this file does
// not run), Enter moves to the next step, and a copy button copies a public address.
(function () {
  "use strict";

  function steps(form) {
    return Array.prototype.slice.call(form.querySelectorAll("[data-step]"));
  }

  function current(form) {
    var input = form.querySelector("input[name=step]");
    return Number(input && input.value) || 1;
  }

  function show(form, number) {
    var all = steps(form);
    number = Math.max(1, Math.min(number, all.length));
    all.forEach(function (step) {
      step.hidden = Number(step.getAttribute("data-step")) !== number;
    });
    form.querySelectorAll("[data-step-label]").forEach(function (item) {
      if (Number(item.getAttribute("data-step-label")) === number) {
        item.setAttribute("aria-current", "step");
      } else {
        item.removeAttribute("aria-current");
      }
    });
    var input = form.querySelector("input[name=step]");
    if (input) input.value = String(number);
    var title = form.querySelector('[data-step="' + number + '"] legend');
    if (title) {
      title.setAttribute("tabindex", "-1");
      title.focus();
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-go]");
    if (button && button.form && button.form.hasAttribute("data-configurator")) {
      event.preventDefault();
      var form = button.form;
      var go = button.getAttribute("data-go");
      if (go === "next" && current(form) >= steps(form).length) {
        // Enter on the last step: its main button, when it may be used.
        var primary = form.querySelector("[data-primary]");
        if (primary && !primary.disabled) primary.click();
        return;
      }
      show(form, go === "next" ? current(form) + 1 : Number(go));
      return;
    }
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var field = document.getElementById(copy.getAttribute("data-copy"));
      if (!field) return;
      field.select();
      if (navigator.clipboard) {
        navigator.clipboard.writeText(field.value).then(function () {
          copy.textContent = copy.getAttribute("data-copied");
        });
      }
    }
  });

  // Only the options change the price: the quantity, the discount or the customer's name do
  // not send the form for a new summary (a late one would be cut off by the next request,
  // or by leaving the page).
  document.addEventListener(
    "change",
    function (event) {
      var field = event.target;
      if (field.form && field.form.hasAttribute("data-configurator") &&
          !(field.name || "").startsWith("group-")) {
        event.stopPropagation();
      }
    },
    true
  );

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
    });
  });
})();
