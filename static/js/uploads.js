/* Upload forms: send once (the server refuses a second send of the same upload too), and refuse a file over
   the 16 MB limit before it is uploaded. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) { return; }
    var file = input.files && input.files[0];
    var limit = Number(input.dataset.maxBytes || 0);
    input.setCustomValidity(file && limit && file.size > limit ? (input.dataset.tooLarge || "Too large") : "");
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
      window.setTimeout(function () {
        button.disabled = true;
        button.dataset.locked = "1";
        if (form.dataset.sendingLabel) { button.textContent = form.dataset.sendingLabel; }
      }, 0);
    });
  });
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
