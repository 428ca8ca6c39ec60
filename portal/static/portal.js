// Undersigned: focus and announcements after htmx swaps. Everything works without this file.
(function () {
  "use strict";

  function announcer() {
    return document.getElementById("announcer");
  }

  // Polite announcements: clear first, so that the same text said twice is still read.
  function announce(text) {
    var region = announcer();
    if (!region || !text) { return; }
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function countText(count) {
    var total = count.querySelector(".count-total");
    return total ? total.textContent.replace(/\s+/g, " ").trim() : "";
  }

  var lastCount = null;

  function focusOn(element) {
    if (!element) { return; }
    if (!element.hasAttribute("tabindex")) { element.setAttribute("tabindex", "-1"); }
    element.focus();
  }

  function focusLost() {
    var active = document.activeElement;
    return !active || active === document.body || !document.body.contains(active);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var count = document.getElementById("count");
    if (count) { lastCount = countText(count); }
  });

  // htmx:load fires on every element that htmx puts into the page, out-of-band swaps included.
  document.addEventListener("htmx:load", function (event) {
    var element = event.target;
    switch (element.id) {
      case "count": {
        // The poll swaps the counter every few seconds: speak only when the number changed.
        var text = countText(element);
        if (lastCount !== null && text && text !== lastCount) { announce(text); }
        lastCount = text;
        break;
      }
      case "sign-form": {
        var errors = element.querySelector("#sign-errors");
        if (errors) { focusOn(errors); }
        break;
      }
      case "thanks":
        focusOn(element);
        break;
      case "signatories": {
        var empty = element.querySelector(".empty");
        if (empty) { announce(empty.textContent.trim()); }
        // "Next signatories" replaced the link that had focus: continue at the new list.
        if (focusLost()) { focusOn(element.querySelector("ul") || element); }
        break;
      }
      default:
        if (element.id === "error" || element.classList.contains("error-box")) { focusOn(element); }
    }
  });
})();
