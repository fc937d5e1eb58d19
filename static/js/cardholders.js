/* Cardholder list keyboard: "/" focuses search; j/k or arrow keys move between rows; Enter opens the row.
   No framework; works after htmx swaps because it looks rows up on every key press. */
(function () {
  "use strict";

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#cardholder-results .ch-row-link"));
  }
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function mark(link) {
    document.querySelectorAll("#cardholder-results tr.is-current").forEach(function (tr) {
      tr.classList.remove("is-current");
    });
    var tr = link.closest("tr");
    if (tr) { tr.classList.add("is-current"); }
    link.focus();
  }
  function move(step) {
    var links = rows();
    if (!links.length) { return false; }
    var at = links.indexOf(document.activeElement);
    var next = at < 0 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, at + step));
    mark(links[next]);
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var search = document.getElementById("ch-q");
    if (!search) { return; }
    var active = document.activeElement;
    if (active === search) {
      if (event.key === "ArrowDown" && move(1)) { event.preventDefault(); }
      return;
    }
    if (typing(active)) { return; }
    if (event.key === "/") {
      event.preventDefault();
      search.focus();
      search.select();
    } else if (event.key === "j" || event.key === "ArrowDown") {
      if (move(1)) { event.preventDefault(); }
    } else if (event.key === "k" || event.key === "ArrowUp") {
      if (move(-1)) { event.preventDefault(); }
    }
    // Enter on a focused row link follows it natively.
  });
})();
