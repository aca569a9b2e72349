// Small behaviours of our own: menu toggle on phones, auto-submitting selects, confirmations,
// the search box's keyboard.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (!toggle) return;
    var nav = document.getElementById(toggle.getAttribute("aria-controls"));
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    if (nav) nav.classList.toggle("open", open);
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
  });
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
  // Global search: "/" focuses the top bar's box, arrows walk its live results, Escape or a
  // click elsewhere closes them.
  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("global-search");
    var panel = document.getElementById("search-live");
    if (!box || !panel) return;
    var target = event.target;
    var typing = target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      box.focus();
      box.select();
      return;
    }
    if (target !== box && !panel.contains(target)) return;
    var links = Array.prototype.slice.call(panel.querySelectorAll("a"));
    var index = links.indexOf(target);
    if (event.key === "Escape") {
      panel.innerHTML = "";
      box.focus();
    } else if (event.key === "ArrowDown" && links.length) {
      event.preventDefault();
      links[Math.min(index + 1, links.length - 1)].focus();
    } else if (event.key === "ArrowUp" && index >= 0) {
      event.preventDefault();
      (index === 0 ? box : links[index - 1]).focus();
    }
  });
  document.addEventListener("click", function (event) {
    var panel = document.getElementById("search-live");
    if (panel && !event.target.closest("[data-search]")) panel.innerHTML = "";
  });
})();
