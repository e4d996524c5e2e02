/* Countdowns: progressive enhancement only (the server's text is right at load
   time and stays on the page without this script). Each <time class="countdown"
   datetime="ISO instant"> is rewritten with the time left, in the same words and
   units as the server (hejie.web.common.templatetags.time_left and the catalogs):
   "还剩 5 小时 12 分钟" / "5 hours 12 minutes left", "已超过 1 分钟" /
   "1 minute overdue". When a deadline passes, its box (.due or .due-mini) gets
   the class "late", as the server gives it. No animation: only text changes.
   It runs every 30 s, at the moment the next deadline passes, and when the page
   comes back into view. */
(function () {
  "use strict";
  var PERIOD = 30000;
  var timer = null;

  function english() {
    return /^en\b/i.test(document.documentElement.lang || "");
  }

  function unit(n, zh, one, many, en) {
    return en ? n + " " + (n === 1 ? one : many) : n + " " + zh;
  }

  // hejie.web.common.templatetags._span: days and hours, hours and minutes, or minutes (at least 1)
  function span(seconds, en) {
    var minutes = Math.floor(seconds / 60);
    var days = Math.floor(minutes / 1440);
    var rest = minutes - days * 1440;
    var hours = Math.floor(rest / 60);
    var mins = rest - hours * 60;
    if (days) return unit(days, "天", "day", "days", en) + " " + unit(hours, "小时", "hour", "hours", en);
    if (hours) return unit(hours, "小时", "hour", "hours", en) + " " + unit(mins, "分钟", "minute", "minutes", en);
    return unit(Math.max(mins, 1), "分钟", "minute", "minutes", en);
  }

  function text(seconds, en) {
    if (seconds >= 0) return en ? span(seconds, en) + " left" : "还剩 " + span(seconds, en);
    return en ? span(-seconds, en) + " overdue" : "已超过 " + span(-seconds, en);
  }

  function tick() {
    var now = Date.now();
    var en = english();
    var wait = PERIOD;
    Array.prototype.forEach.call(document.querySelectorAll("time.countdown[datetime]"), function (el) {
      var deadline = Date.parse(el.getAttribute("datetime"));
      if (isNaN(deadline)) return;
      var left = deadline - now;
      var words = text(left / 1000, en);
      if (el.textContent !== words) el.textContent = words;
      if (left < 0) {
        var box = el.closest(".due, .due-mini");
        if (box) box.classList.add("late");
      } else {
        wait = Math.min(wait, left + 1);  // turn it overdue as the deadline passes, not up to 30 s later
      }
    });
    clearTimeout(timer);
    timer = setTimeout(tick, wait);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") tick();
  });
  tick();
})();
