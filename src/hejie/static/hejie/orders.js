/* Orders: progressive enhancement only (every form works without it).
   On a slow network a second tap must not send an action twice: a form's
   button is disabled once it is sent, and enabled again if the page comes
   back from the browser's history. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
    if (form.dataset.sent === "1") { event.preventDefault(); return; }
    form.dataset.sent = "1";
    Array.prototype.forEach.call(form.querySelectorAll("button[type=submit], button:not([type])"), function (b) {
      b.setAttribute("aria-disabled", "true");
      b.classList.add("is-sending");
    });
  });
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-sent]"), function (form) {
      delete form.dataset.sent;
      Array.prototype.forEach.call(form.querySelectorAll(".is-sending"), function (b) {
        b.removeAttribute("aria-disabled");
        b.classList.remove("is-sending");
      });
    });
  });
})();
