/* Badges: progressive enhancement of the links after each claimed sentence.
 *
 * Without JavaScript a badge is a link to the claim's page. Here each badge whose details sit in a
 * <template> beside it becomes a disclosure button: click, tap, Enter or Space opens a popover with
 * the details; Escape, the close button, a click elsewhere or opening another badge closes it.
 * No inline styles or handlers are written into the markup (the site runs under a strict CSP).
 */
(function () {
  "use strict";

  var open = null; // {button, popover} of the open badge

  function closeLabel() {
    // Translated on the server: <body data-close-label="…">.
    return document.body.getAttribute("data-close-label") || "×";
  }

  function place(button, popover) {
    var container = popover.offsetParent || document.body;
    var box = container.getBoundingClientRect();
    var rects = button.getClientRects();
    var anchor = rects.length ? rects[rects.length - 1] : button.getBoundingClientRect();
    var width = popover.offsetWidth;
    var left = anchor.left - box.left;
    left = Math.max(0, Math.min(left, box.width - width));
    popover.style.left = left + "px";
    popover.style.top = anchor.bottom - box.top + 8 + "px";
    popover.classList.remove("popover-above");
    // Below the sentence when it fits on the screen; else above it when that fits (a badge near
    // the bottom of a phone's screen); else scrolled into view, so an open popover is always seen.
    var height = popover.offsetHeight;
    var viewport = window.innerHeight || document.documentElement.clientHeight;
    if (anchor.bottom + 8 + height > viewport) {
      if (anchor.top - 8 - height >= 0) {
        popover.style.top = anchor.top - box.top - 8 - height + "px";
        popover.classList.add("popover-above");
      } else {
        popover.scrollIntoView({ block: "nearest" });
      }
    }
  }

  function hide(restoreFocus) {
    if (!open) return;
    var current = open;
    open = null;
    current.popover.hidden = true;
    current.button.setAttribute("aria-expanded", "false");
    if (restoreFocus) current.button.focus();
  }

  function show(button, popover) {
    hide(false);
    popover.hidden = false;
    button.setAttribute("aria-expanded", "true");
    place(button, popover);
    open = { button: button, popover: popover };
  }

  function enhance(link) {
    var template = document.getElementById(link.getAttribute("data-details"));
    if (!template || !template.content) return;

    var button = document.createElement("button");
    button.type = "button";
    button.className = link.className;
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("data-href", link.getAttribute("href"));
    while (link.firstChild) button.appendChild(link.firstChild);

    var popover = document.createElement("span");
    popover.className = "popover";
    popover.id = template.id.replace(/-details$/, "-popover");
    popover.hidden = true;
    popover.setAttribute("role", "group");
    popover.setAttribute("aria-label", button.textContent.trim());
    popover.appendChild(template.content.cloneNode(true));

    var close = document.createElement("button");
    close.type = "button";
    close.className = "popover-close";
    close.setAttribute("aria-label", closeLabel());
    close.textContent = "×";
    close.addEventListener("click", function () {
      hide(true);
    });
    popover.insertBefore(close, popover.firstChild);

    button.setAttribute("aria-controls", popover.id);
    button.addEventListener("click", function () {
      if (open && open.button === button) hide(false);
      else show(button, popover);
    });

    link.replaceWith(button);
    button.after(popover);
  }

  function init() {
    var links = document.querySelectorAll("a.badge[data-details]");
    for (var i = 0; i < links.length; i++) enhance(links[i]);

    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && open) {
        event.preventDefault();
        hide(true);
      }
    });
    document.addEventListener("click", function (event) {
      if (!open) return;
      if (open.popover.contains(event.target) || open.button.contains(event.target)) return;
      hide(false);
    });
    window.addEventListener("resize", function () {
      if (open) place(open.button, open.popover);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
