/* The code page's "ask for a new code" link: progressive enhancement only. The server says
   how many seconds are left (<p id="resend-wait" data-wait="N"> … <span class="resend-seconds">N</span>);
   this counts them down each second, keeps the button disabled meanwhile and, at zero, hides
   the note and enables the button. Without the script the note stays with the number the
   server gave, and asking too early answers the same page with the seconds left. */
(function () {
  "use strict";
  var note = document.getElementById("resend-wait");
  var button = document.getElementById("resend-button");
  if (!note || !button) return;
  var left = parseInt(note.getAttribute("data-wait"), 10);
  if (!(left > 0)) return;
  var seconds = note.querySelector(".resend-seconds");
  var ends = Date.now() + left * 1000;
  button.disabled = true;

  function tick() {
    var now = Math.ceil((ends - Date.now()) / 1000);
    if (now <= 0) {
      note.hidden = true;
      button.disabled = false;
      return;
    }
    if (seconds && seconds.textContent !== String(now)) seconds.textContent = String(now);
    setTimeout(tick, 250);
  }
  tick();
})();
