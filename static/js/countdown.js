// Keeps "N days left" current and stops at the deadline: from that moment it says that
// applications are closed and no longer changes. The server renders the same text, so
// the page is right without this script. Patterns per unit and plural category come in
// data-forms.
(function () {
  "use strict";
  var elements = document.querySelectorAll("[data-countdown]");
  if (!elements.length) return;

  function text(forms, lang, unit, count) {
    var patterns = forms[unit] || {};
    var category = "other";
    try {
      category = new Intl.PluralRules(lang).select(count);
    } catch (e) {
      /* an old browser: fall through to any pattern */
    }
    var pattern = patterns[category] || patterns.other || patterns.many ||
      patterns[Object.keys(patterns)[0]];
    return pattern ? pattern.replace("{n}", String(count)) : null;
  }

  // The server's time when the page was made: a device clock that is off does not matter.
  var skew = Date.parse(elements[0].getAttribute("data-now")) - Date.now() || 0;
  var timer = null;

  // Updates every element; true while any of them still counts down.
  function update() {
    var counting = false;
    elements.forEach(function (element) {
      var forms = JSON.parse(element.getAttribute("data-forms"));
      var lang = element.getAttribute("data-lang") || document.documentElement.lang;
      var closes = Date.parse(element.getAttribute("data-closes-at"));
      var seconds = (closes - (Date.now() + skew)) / 1000;
      var value;
      if (!(seconds > 0)) {
        value = forms.closed;
        element.setAttribute("data-closed", "");
      } else {
        counting = true;
        if (seconds >= 86400) value = text(forms, lang, "days", Math.floor(seconds / 86400));
        else if (seconds >= 3600) value = text(forms, lang, "hours", Math.floor(seconds / 3600));
        else value = text(forms, lang, "minutes", Math.max(1, Math.ceil(seconds / 60)));
      }
      if (value && element.textContent !== value) element.textContent = value;
    });
    return counting;
  }

  // The next update: in 30 seconds, or at the deadline itself when that comes sooner.
  function schedule() {
    if (!update()) return; // the deadline has passed: the countdown stops here
    var next = 30000;
    elements.forEach(function (element) {
      var left = Date.parse(element.getAttribute("data-closes-at")) - (Date.now() + skew);
      if (left > 0 && left < next) next = left + 50;
    });
    timer = window.setTimeout(schedule, next);
  }

  schedule();
  window.addEventListener("pagehide", function () {
    if (timer) window.clearTimeout(timer);
  });
})();
