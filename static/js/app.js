/* The console's only script: small behaviours htmx does not cover. Loaded with `defer`; no inline code exists,
   so the CSP can forbid it. */
(function () {
  "use strict";

  var body = document.body;
  body.classList.add("js");

  // Toasts: dismiss button, and success/info toasts fade away on their own.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button && button.parentElement) {
      button.parentElement.remove();
    }
  });
  function autoDismiss(root) {
    root.querySelectorAll(".toast-success, .toast-info").forEach(function (toast) {
      window.setTimeout(function () { toast.remove(); }, 8000);
    });
  }
  autoDismiss(document);
  document.addEventListener("htmx:afterSettle", function () {
    var flash = document.getElementById("flash");
    if (flash) { autoDismiss(flash); }
  });

  // A region that declares aria-busy says "true" while an htmx request aimed at it is in flight, so assistive
  // technology hears the same "busy" the indicator shows. Counted: a replaced search aborts the old request
  // after the new one may have started.
  var busyCounts = new WeakMap();
  function busyTarget(event) {
    var target = event.detail && event.detail.target;
    return target && target.hasAttribute && target.hasAttribute("aria-busy") ? target : null;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = busyTarget(event);
    if (!target) { return; }
    busyCounts.set(target, (busyCounts.get(target) || 0) + 1);
    target.setAttribute("aria-busy", "true");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var target = busyTarget(event);
    if (!target) { return; }
    var left = Math.max(0, (busyCounts.get(target) || 1) - 1);
    busyCounts.set(target, left);
    if (!left) { target.setAttribute("aria-busy", "false"); }
  });

  // Selects marked data-autosubmit (the partner switcher) submit their form on change.
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) {
      select.form.requestSubmit();
    }
  });

  // Idle-timeout warning. The server enforces the timeout; this only warns before it happens.
  var idleSeconds = Number(body.dataset.idleSeconds || 0);
  var warningSeconds = Number(body.dataset.warningSeconds || 0);
  var dialog = document.getElementById("idle-warning");
  if (!idleSeconds || !dialog) {
    return;
  }
  var countdown = dialog.querySelector("[data-idle-countdown]");
  var lastActivity = Date.now();

  function secondsLeft() {
    return Math.max(0, Math.round(idleSeconds - (Date.now() - lastActivity) / 1000));
  }
  function formatSeconds(total) {
    var minutes = Math.floor(total / 60);
    var seconds = total % 60;
    return minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
  }
  function markActive() {
    lastActivity = Date.now();
    if (dialog.open) { dialog.close(); }
  }
  function isBackground(detail) {
    var headers = (detail && detail.requestConfig && detail.requestConfig.headers) || {};
    return headers["X-Background"] === "1";
  }

  // Any foreground request the server saw counts as activity, exactly as the server counts it.
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful && !isBackground(event.detail)) {
      markActive();
    }
  });

  window.setInterval(function () {
    var left = secondsLeft();
    if (left <= 0) {
      // The server has ended the session: reloading lands on the sign-in page with a way back here.
      window.location.assign(window.location.href);
      return;
    }
    if (left <= warningSeconds) {
      if (countdown) { countdown.textContent = formatSeconds(left); }
      if (!dialog.open) { dialog.showModal(); }
    }
  }, 1000);
})();

// Background polls (a job's panel, the finished-jobs toast; templates/jobs) run only while the tab is visible:
// htmx's `every` trigger keeps its timer, and each request of an element marked data-poll-visible is cancelled
// while the document is hidden; when the tab shows again those elements ask at once ("poll-now"). No eval:
// htmx's own filter syntax (`every 2s [cond]`) would need it, and the CSP and htmx config forbid it.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (document.hidden && elt && elt.hasAttribute && elt.hasAttribute("data-poll-visible")) {
      event.preventDefault();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden || !window.htmx) { return; }
    document.querySelectorAll("[data-poll-visible]").forEach(function (elt) {
      window.htmx.trigger(elt, "poll-now");
    });
  });
})();
