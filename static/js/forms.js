/* Forms marked data-submit-once: sent once (the buttons are disabled while the request is in flight; the
   server also refuses a second send of the same form), and a file input with data-max-bytes refuses a file
   over the limit before it is uploaded. Shared by every form that creates something or moves money. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) { return; }
    var file = input.files && input.files[0];
    var limit = Number(input.dataset.maxBytes || 0);
    input.setCustomValidity(file && limit && file.size > limit ? (input.dataset.tooLarge || "Too large") : "");
    input.reportValidity();
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-submit-once]")) { return; }
    if (form.dataset.sending === "1") { event.preventDefault(); return; }
    var file = form.querySelector("input[type=file][data-max-bytes]");
    if (file && !file.checkValidity()) { event.preventDefault(); file.reportValidity(); return; }
    form.dataset.sending = "1";
    form.setAttribute("aria-busy", "true");
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      // Disabled after this event so the browser still sends the form (and the button's own value).
      window.setTimeout(function () {
        button.disabled = true;
        button.dataset.locked = "1";
        if (form.dataset.sendingLabel) { button.textContent = form.dataset.sendingLabel; }
      }, 0);
    });
  });

  // Coming back with the back button must not leave a dead form.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      form.dataset.sending = "";
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button[data-locked]").forEach(function (button) {
        button.disabled = false;
        delete button.dataset.locked;
      });
    });
  });
}());
