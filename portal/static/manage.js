// Workspace keyboard shortcuts and focus keeping for the moderation queue.
// No inline script anywhere: this file is loaded by the workspace layout (CSP script-src 'self').
(function () {
  "use strict";

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll(".sig:not(.decided)"));
  }

  function current() {
    var active = document.activeElement;
    return active && active.closest ? active.closest(".sig") : null;
  }

  function focusItem(item) {
    if (item) { item.focus(); item.scrollIntoView({ block: "nearest" }); }
  }

  function move(step) {
    var list = items();
    if (!list.length) { return; }
    var here = list.indexOf(current());
    focusItem(list[here < 0 ? 0 : Math.min(Math.max(here + step, 0), list.length - 1)]);
  }

  function typing(target) {
    if (!target || !target.closest) { return false; }
    return target.isContentEditable || !!target.closest("input, textarea, select, [contenteditable]");
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) {
      return;
    }
    var item = current();
    var button;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a":
      case "r":
        button = item && item.querySelector('[data-action="' + (event.key === "a" ? "approve" : "reject") + '"]');
        if (!button) { return; }
        button.click();
        break;
      case "x":
        button = item && item.querySelector('input[type="checkbox"][name="ids"]');
        if (!button) { return; }
        button.checked = !button.checked;
        break;
      default: return;
    }
    event.preventDefault();
  });

  // After an inline approve/reject replaces an item, keep keyboard users in the list:
  // focus moves to the next item still waiting (or stays on the decided one if none is left).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.classList && target.classList.contains("sig")) {
      var list = items();
      var index = list.indexOf(target);
      document.body.dataset.nextSig = index >= 0 && list[index + 1] ? list[index + 1].id : "";
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || !target.classList || !target.classList.contains("sig")) { return; }
    var nextId = document.body.dataset.nextSig;
    delete document.body.dataset.nextSig;
    var next = nextId && document.getElementById(nextId);
    focusItem(next || document.getElementById(target.id));
  });

  // A lifecycle step's confirmation arrives as a fragment into the <dialog>: open it modally
  // (Escape and the dialog's Cancel close it natively); once its form is answered, close it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "step-dialog" && !target.open && target.showModal) {
      target.showModal();
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    var dialog = elt && elt.closest ? elt.closest("dialog") : null;
    if (dialog && dialog.open && event.detail.requestConfig && event.detail.requestConfig.verb === "post") {
      dialog.close();
      var status = document.querySelector("#controls [role=status], #controls [role=alert]");
      if (status) { status.setAttribute("tabindex", "-1"); status.focus(); }
    }
  });
}());

// "Copy the text" beside a read-only text block (the press-release list): shown only with
// JavaScript, since without it the text is selected and copied by hand.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector(".copy-status");
    if (!source || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.value).then(function () {
        if (status) { status.textContent = status.getAttribute("data-copied"); }
      }, function () {
        source.focus();
        source.select();
      });
    });
  });
})();
