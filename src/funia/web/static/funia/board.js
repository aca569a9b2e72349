// The pipeline board: drag a card to another column to move the deal; the server answers
// the updated columns, or the reason the move was refused (the card then goes back) with a
// form for what the stage asks (a lost reason, an amount). Also: the move dialog, 4xx
// fragments swapped in, "choose all" checkboxes and the "add a row" button of formsets.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function dialog() {
    return document.getElementById("board-dialog");
  }

  function openDialog() {
    var box = dialog();
    if (!box || box.open) return;
    if (typeof box.showModal === "function") box.showModal();
    else box.setAttribute("open", "");
    var first = box.querySelector("input:not([type=hidden]), select, textarea, button");
    if (first) first.focus();
  }

  function closeDialog() {
    var box = dialog();
    if (!box) return;
    document.querySelectorAll(".board-move-select").forEach(function (select) {
      select.selectedIndex = 0;
    });
    if (box.open && typeof box.close === "function") box.close();
    else box.removeAttribute("open");
    var body = document.getElementById("board-dialog-body");
    if (body) body.innerHTML = "";
  }

  function say(text) {
    var status = document.getElementById("board-status");
    if (status) status.textContent = text;
  }

  // -- drag and drop ----------------------------------------------------------------------
  var dragged = null;
  var origin = null;
  var originNext = null;

  function snapBack() {
    if (!dragged || !origin) return;
    origin.insertBefore(dragged, originNext && originNext.parentNode === origin ? originNext : null);
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".board-card[draggable=true]");
    if (!card) return;
    dragged = card;
    origin = card.parentNode;
    originNext = card.nextSibling;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-deal"));
    card.classList.add("board-card-dragging");
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("board-card-dragging");
    document.querySelectorAll(".board-drop-target").forEach(function (el) {
      el.classList.remove("board-drop-target");
    });
  });

  document.addEventListener("dragover", function (event) {
    if (!dragged) return;
    var zone = event.target.closest && event.target.closest(".board-column");
    if (!zone) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    zone.classList.add("board-drop-target");
  });

  document.addEventListener("dragleave", function (event) {
    var zone = event.target.closest && event.target.closest(".board-column");
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("board-drop-target");
  });

  document.addEventListener("drop", function (event) {
    if (!dragged) return;
    var column = event.target.closest && event.target.closest(".board-column");
    if (!column) return;
    event.preventDefault();
    column.classList.remove("board-drop-target");
    var card = dragged;
    var stage = column.getAttribute("data-stage");
    if (stage === card.getAttribute("data-stage")) {
      dragged = null;
      return;
    }
    var list = column.querySelector("[data-dropzone]");
    list.insertBefore(card, list.firstChild);
    move(card, stage);
  });

  function move(card, stage) {
    var board = document.getElementById("board");
    var body = new FormData();
    body.append("stage", stage);
    body.append("from", "board");
    body.append("board", board ? board.getAttribute("data-board-query") || "" : "");
    card.setAttribute("aria-busy", "true");
    fetch(card.getAttribute("data-move-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
    })
      .then(function (response) {
        return response.text().then(function (html) {
          return { ok: response.ok, html: html };
        });
      })
      .then(function (answer) {
        card.removeAttribute("aria-busy");
        if (!answer.ok) snapBack();
        window.htmx.swap("#board-dialog-body", answer.html, { swapStyle: "innerHTML" });
        if (answer.ok) closeDialog();
        else openDialog();
        dragged = null;
      })
      .catch(function () {
        card.removeAttribute("aria-busy");
        snapBack();
        dragged = null;
        say(document.getElementById("board").getAttribute("data-offline-message") || "");
      });
  }

  // -- the move dialog and refused fragments ----------------------------------------------
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status >= 400 && xhr.status < 500 && xhr.getResponseHeader("X-Swap-Errors")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var body = document.getElementById("board-dialog-body");
    if (body && event.detail.target === body && body.children.length) openDialog();
  });

  // Sent with the moved columns (out of band) before htmx swaps them in, and htmx finds
  // them from the element that asked: when that is the dialog's form, emptying the dialog
  // now would lose them. Closing it is enough then: its "close" event, a task later,
  // empties it.
  document.addEventListener("boardMoved", function (event) {
    var box = dialog();
    if (box && box.open && box.contains(event.target) && typeof box.close === "function") {
      box.close();
      return;
    }
    closeDialog();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-dialog-close]")) {
      var region = event.target.closest("#move-panel");
      if (region) region.innerHTML = "";
      closeDialog();
    }
  });

  document.addEventListener("close", function (event) {
    if (event.target === dialog()) {
      var body = document.getElementById("board-dialog-body");
      if (body) body.innerHTML = "";
      // A refused "Move to…" choice: the card stayed where it was, so does its list.
      document.querySelectorAll(".board-move-select").forEach(function (select) {
        select.selectedIndex = 0;
      });
    }
  }, true);

  // -- lists and formsets -----------------------------------------------------------------
  document.addEventListener("change", function (event) {
    var all = event.target.closest && event.target.closest("[data-check-all]");
    if (!all) return;
    var form = all.form;
    if (!form) return;
    form.querySelectorAll('input[type=checkbox][name="' + all.getAttribute("data-check-all") + '"]')
      .forEach(function (box) { box.checked = all.checked; });
  });

  document.addEventListener("click", function (event) {
    var add = event.target.closest && event.target.closest("[data-formset-add]");
    if (!add) return;
    var prefix = add.getAttribute("data-formset-add");
    var form = add.closest("form");
    var total = form.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var template = form.querySelector("template[data-formset-template]");
    var rows = form.querySelector("[data-formset-rows]");
    if (!total || !template || !rows) return;
    var index = parseInt(total.value, 10) || 0;
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var order = rows.lastElementChild && rows.lastElementChild.querySelector('input[name$="-ORDER"]');
    if (order) order.value = String(index + 1);
    var name = rows.lastElementChild && rows.lastElementChild.querySelector('input[name$="-name"]');
    if (name) name.focus();
  });
})();
