/* The "我要和解" form: progressive enhancement only, every step works without it.
   - the place picker shows the next level as soon as a level is chosen;
   - evidence files are uploaded as soon as they are picked, one request each,
     with a progress bar, a preview and a remove button; a refused file shows why;
   - the final "submit" is sent once (the server is idempotent anyway). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function el(tag, cls) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    return node;
  }

  function submit(form, button) {
    if (form.requestSubmit) form.requestSubmit(button || undefined);
    else if (button) button.click();
    else form.submit();
  }

  // 1. Place picker (province → city → county).
  Array.prototype.forEach.call(document.querySelectorAll("select[data-cascade]"), function (select) {
    select.addEventListener("change", function () {
      var form = select.form;
      var depth = Number(select.getAttribute("data-cascade"));
      Array.prototype.forEach.call(form.querySelectorAll("select[data-cascade]"), function (other) {
        if (Number(other.getAttribute("data-cascade")) > depth) other.value = "";
      });
      submit(form, form.querySelector('button[name="action"][value="place"]'));
    });
  });

  // 2. Evidence uploads.
  var form = document.getElementById("upload-form");
  if (form && window.FormData && window.XMLHttpRequest) {
    var input = form.querySelector('input[type="file"]');
    var list = document.getElementById("file-list");
    var csrf = form.querySelector('input[name="csrfmiddlewaretoken"]').value;
    var text = form.dataset;
    var pending = 0;
    var waiting = null;

    var size = function (bytes) {
      if (bytes >= 1048576) return (bytes / 1048576).toFixed(1) + " MB";
      return Math.max(1, Math.round(bytes / 1024)) + " KB";
    };

    var post = function (url, body, onload) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.onload = function () { onload(xhr); };
      xhr.onerror = function () { onload(null); };
      xhr.send(body);
      return xhr;
    };

    var remove = function (url, item) {
      var body = new FormData();
      body.append("csrfmiddlewaretoken", csrf);
      post(url, body, function (xhr) {
        if (xhr && (xhr.status < 400 || xhr.status === 404)) item.parentNode.removeChild(item);
      });
    };

    var removeButton = function (name, onclick) {
      var button = el("button", "btn-link file-remove");
      button.type = "button";
      button.textContent = text.remove;
      var hidden = el("span", "visually-hidden");
      hidden.textContent = " " + name;
      button.appendChild(hidden);
      button.addEventListener("click", onclick);
      return button;
    };

    var settle = function () {
      pending -= 1;
      if (pending === 0 && waiting) {
        var button = waiting;
        waiting = null;
        submit(form, button);
      }
    };

    var upload = function (file) {
      var empty = list.querySelector(".file-empty");
      if (empty) empty.parentNode.removeChild(empty);
      var item = el("li", "file-item is-uploading");
      var thumb;
      if (file.type.indexOf("image/") === 0 && window.URL && URL.createObjectURL) {
        thumb = el("img", "file-thumb");
        thumb.alt = "";
        thumb.src = URL.createObjectURL(file);
      } else {
        thumb = el("span", "file-thumb file-pdf");
        thumb.setAttribute("aria-hidden", "true");
        thumb.textContent = file.type.indexOf("image/") === 0 ? "IMG" : "PDF";
      }
      var meta = el("span", "file-meta");
      var name = el("span", "file-name");
      name.textContent = file.name;
      var status = el("span", "hint");
      status.textContent = text.uploading + "…";
      var bar = el("progress", "file-bar");
      bar.max = 100;
      bar.value = 0;
      meta.appendChild(name);
      meta.appendChild(status);
      meta.appendChild(bar);
      item.appendChild(thumb);
      item.appendChild(meta);
      list.appendChild(item);

      var body = new FormData();
      body.append("csrfmiddlewaretoken", csrf);
      body.append("files", file, file.name);
      pending += 1;
      var xhr = post(form.getAttribute("action"), body, function (done) {
        if (bar.parentNode) bar.parentNode.removeChild(bar);
        var data = null;
        try { data = done ? JSON.parse(done.responseText) : null; } catch (e) { data = null; }
        if (data && data.files && data.files.length) {
          var info = data.files[0];
          item.className = "file-item";
          item.setAttribute("data-id", info.id);
          status.textContent = text.done + " · " + size(info.size);
          item.appendChild(removeButton(info.name, function () { remove(info.remove_url, item); }));
        } else {
          var reason = data && data.errors && data.errors.length ? data.errors[0].message : text.network;
          var bad = el("span", "file-thumb file-bad");
          bad.setAttribute("aria-hidden", "true");
          bad.textContent = "✕";
          item.replaceChild(bad, thumb);
          item.className = "file-item is-failed";
          status.className = "error";
          status.setAttribute("role", "alert");
          status.textContent = text.failed + "：" + reason;
          item.appendChild(removeButton(file.name, function () { item.parentNode.removeChild(item); }));
        }
        settle();
      });
      xhr.upload.onprogress = function (event) {
        if (event.lengthComputable) {
          bar.value = Math.round(event.loaded * 100 / event.total);
          status.textContent = text.uploading + " " + bar.value + "%";
        }
      };
    };

    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files, upload);
      input.value = "";
    });

    // "Next" while files are still on their way: go on once they have arrived.
    form.addEventListener("submit", function (event) {
      if (pending > 0) {
        event.preventDefault();
        waiting = event.submitter || null;
      }
    });

    Array.prototype.forEach.call(list.querySelectorAll("button.file-remove[form]"), function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        var target = document.getElementById(button.getAttribute("form"));
        var item = button.closest("li");
        if (target && item) remove(target.getAttribute("action"), item);
      });
    });
  }

  // 3. Send the final form once, however many taps.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-once]"), function (once) {
    once.addEventListener("submit", function (event) {
      if (once.getAttribute("data-sent")) {
        event.preventDefault();
        return;
      }
      once.setAttribute("data-sent", "1");
    });
  });
})();
