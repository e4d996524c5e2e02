/* The workbench's progressive enhancement: the credit code checked as it is typed (by the
   server: the same check as on submit), the cascading region pickers filled from the
   server without a round trip of the whole form, and the industry's standards shown as
   the industry is chosen. Without this file every step works by submitting the form. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); });
  }

  /* --- the credit code, checked as it is typed ------------------------------------ */
  var form = document.querySelector("form.wb-join");
  var code = document.getElementById("credit_code");
  var live = document.getElementById("credit_code-live");
  if (form && code && live) {
    var timer = null, seq = 0;
    var check = function () {
      var value = code.value.trim();
      if (!value) { live.textContent = ""; live.className = "wb-live"; return; }
      var mine = ++seq;
      live.className = "wb-live";
      live.textContent = live.getAttribute("data-checking");
      getJSON(form.getAttribute("data-check-url") + "?code=" + encodeURIComponent(value)).then(function (res) {
        if (mine !== seq) return;  // a later keystroke has its own answer coming
        if (res.body && res.body.ok) {
          live.className = "wb-live ok";
          live.textContent = live.getAttribute("data-ok");
          code.removeAttribute("aria-invalid");
        } else {
          live.className = "wb-live bad";
          live.textContent = (res.body && res.body.message) || "";
          code.setAttribute("aria-invalid", "true");
        }
      }).catch(function () { if (mine === seq) { live.textContent = ""; live.className = "wb-live"; } });
    };
    code.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 400); });
    code.addEventListener("blur", function () { clearTimeout(timer); check(); });
  }

  /* Enter in a text field does not send the form half-filled (nor press a hidden "choose" button). */
  if (form) {
    form.addEventListener("keydown", function (e) {
      var t = e.target;
      if (e.key === "Enter" && t.tagName === "INPUT" && t.type !== "checkbox" && t.type !== "submit") e.preventDefault();
    });
  }

  /* --- cascading region pickers ---------------------------------------------------- */
  function setupPicker(box) {
    var selects = Array.prototype.slice.call(box.querySelectorAll("select[data-level]"));
    var status = box.querySelector(".picker-status");
    var url = box.getAttribute("data-url");
    var label = function (kind) { return box.getAttribute("data-label-" + kind) || ""; };

    function clearFrom(i) {
      for (var j = i; j < selects.length; j++) {
        var s = selects[j];
        while (s.options.length > 1) s.remove(1);
        s.value = "";
        s.parentNode.hidden = true;
      }
    }
    function done() {
      var names = selects.filter(function (s) { return s.value; })
        .map(function (s) { return s.options[s.selectedIndex].text; });
      status.textContent = names.length ? (box.getAttribute("data-chosen") || "") + names.join("") : "";
    }
    selects.forEach(function (select, i) {
      select.addEventListener("change", function () {
        clearFrom(i + 1);
        status.textContent = "";
        if (!select.value || i + 1 >= selects.length) { done(); return; }
        var next = selects[i + 1];
        status.textContent = box.getAttribute("data-loading");
        getJSON(url + "?parent=" + encodeURIComponent(select.value)).then(function (res) {
          if (!res.body || !res.body.ok) { status.textContent = box.getAttribute("data-failed"); return; }
          var options = res.body.options || [];
          if (!options.length) { done(); return; }  // the finest level there is
          options.forEach(function (o) { next.add(new Option(o.name, o.code)); });
          var lab = next.parentNode.querySelector("label");
          if (lab) lab.textContent = label(res.body.kind);
          next.parentNode.hidden = false;
          status.textContent = "";
        }).catch(function () { status.textContent = box.getAttribute("data-failed"); });
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("fieldset.picker"), setupPicker);

  /* --- the chosen industry's service standards --------------------------------------- */
  var industry = document.getElementById("industry");
  var stdBox = document.querySelector(".wb-standards");
  if (industry && stdBox) {
    industry.addEventListener("change", function () {
      var chosen = industry.value, any = false;
      Array.prototype.forEach.call(stdBox.querySelectorAll("details[data-industry]"), function (d) {
        var show = !chosen || d.getAttribute("data-industry") === chosen;
        d.hidden = !show;
        if (show) any = true;
      });
      var none = stdBox.querySelector(".wb-no-std");
      if (none) none.hidden = any;
      var accept = document.querySelector(".wb-std-accept");
      if (accept) accept.hidden = !any;
    });
  }
})();
