/*
 * The juror's scoresheet saves itself as the juror types (SPEC §1, §6).
 *
 * Changed fields wait in `pending`, mirrored in localStorage so that a closed tab, a
 * power cut or a lost connection loses nothing; they are sent as JSON with the CSRF
 * token of the page's <meta name="csrf-token">. A network failure or a server error is
 * retried with a growing pause; an ended session (401) asks the juror to log in again in
 * another tab and keeps retrying; a stale token (400) is replaced by the one the server
 * sends back. The form still posts normally (the buttons), with or without this script.
 */
(function () {
  "use strict";

  var form = document.getElementById("scoresheet");
  if (!form || !window.fetch || !window.JSON) {
    return;
  }
  var storageKey = "scoring:scoresheet:" + form.getAttribute("data-sheet");
  if (form.hasAttribute("data-readonly")) {
    // Submitted: whatever was left unsent on this device can no longer apply.
    try {
      localStorage.removeItem(storageKey);
    } catch (e) {
      /* nothing kept */
    }
    return;
  }
  var url = form.getAttribute("data-autosave-url");
  var status = document.getElementById("save-status");
  var totalOutput = document.getElementById("total");
  var scoredOutput = document.getElementById("scored");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var fields = Array.prototype.slice.call(form.querySelectorAll("[data-autosave]"));
  var language = document.documentElement.lang || "uk";
  var numberFormat = new Intl.NumberFormat(language, { maximumFractionDigits: 2 });

  var pending = {};
  var acknowledged = {}; // the value the server holds for each field
  var sending = false;
  var timer = null;
  var delay = 0;
  var csrfRetries = 0;
  var stopped = false;

  function message(name) {
    return status.getAttribute("data-" + name) || "";
  }

  function showStatus(name, withLogin) {
    status.setAttribute("data-state", name);
    status.textContent = message(name);
    status.className = "small mb-0" + (name === "saved" ? " text-success" : "");
    if (name === "offline" || name === "invalid" || name === "closed" || name === "login") {
      status.className = "small mb-0 text-danger fw-semibold";
    }
    if (withLogin) {
      var link = document.createElement("a");
      link.href = message("login-link");
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = message("login-text");
      status.appendChild(document.createTextNode(" "));
      status.appendChild(link);
    }
  }

  function store() {
    try {
      if (Object.keys(pending).length) {
        localStorage.setItem(storageKey, JSON.stringify(pending));
      } else {
        localStorage.removeItem(storageKey);
      }
    } catch (e) {
      /* private mode or a full storage: the page still saves while it is open */
    }
  }

  function restore() {
    var saved = null;
    try {
      saved = JSON.parse(localStorage.getItem(storageKey) || "null");
    } catch (e) {
      saved = null;
    }
    if (!saved || typeof saved !== "object") {
      return false;
    }
    var restored = false;
    fields.forEach(function (field) {
      if (Object.prototype.hasOwnProperty.call(saved, field.name) && field.value !== saved[field.name]) {
        field.value = saved[field.name];
        pending[field.name] = saved[field.name];
        restored = true;
      }
    });
    store();
    return restored;
  }

  function setError(name, text) {
    var field = form.elements[name];
    var box = document.getElementById(name + "-errors");
    if (!field || !box) {
      return;
    }
    box.textContent = text || "";
    field.classList.toggle("is-invalid", Boolean(text));
    if (text) {
      field.setAttribute("aria-invalid", "true");
    } else {
      field.removeAttribute("aria-invalid");
    }
  }

  // Points as people type them: «7», «7,5» or «7.5» (the server reads the same forms).
  var POINTS = /^\s*\d{1,5}(?:[.,]\d{1,4})?\s*$/;

  function points(field) {
    if (!POINTS.test(field.value)) {
      return NaN;
    }
    var value = parseFloat(field.value.replace(",", "."));
    return value <= parseFloat(field.getAttribute("data-max")) ? value : NaN;
  }

  function updateTotal() {
    var total = 0;
    var scored = 0;
    fields.forEach(function (field) {
      if (!field.hasAttribute("data-points") || field.value.trim() === "") {
        return;
      }
      var value = points(field);
      if (!isNaN(value)) {
        total += value * parseFloat(field.getAttribute("data-weight") || "1");
        scored += 1;
      }
    });
    totalOutput.textContent = numberFormat.format(Math.round(total * 100) / 100);
    scoredOutput.textContent = String(scored);
  }

  function payload(snapshot) {
    var body = { points: {}, comments: {} };
    Object.keys(snapshot).forEach(function (name) {
      var match = /^(points|comment)_(\d+)$/.exec(name);
      if (match) {
        body[match[1] === "points" ? "points" : "comments"][match[2]] = snapshot[name];
      } else if (name === "overall_comment") {
        body.overall_comment = snapshot[name];
      }
    });
    return body;
  }

  function schedule(wait) {
    if (stopped) {
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(send, wait);
  }

  function retryLater(name, withLogin) {
    showStatus(name, withLogin);
    delay = Math.min(delay ? delay * 2 : 2000, 30000);
    schedule(delay);
  }

  function acknowledge(snapshot, errors) {
    Object.keys(snapshot).forEach(function (name) {
      // A value typed again while this one travelled stays pending.
      if (pending[name] === snapshot[name]) {
        delete pending[name];
      }
      if (!errors[name]) {
        acknowledged[name] = snapshot[name];
      }
      setError(name, errors[name] || "");
    });
    store();
  }

  function send() {
    if (sending || stopped) {
      return;
    }
    var names = Object.keys(pending);
    if (!names.length) {
      return;
    }
    var snapshot = {};
    names.forEach(function (name) {
      snapshot[name] = pending[name];
    });
    sending = true;
    showStatus("saving");
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": meta ? meta.getAttribute("content") : ""
      },
      body: JSON.stringify(payload(snapshot))
    })
      .then(function (response) {
        return response.json().then(
          function (data) { return { status: response.status, data: data }; },
          function () { return { status: response.status, data: {} }; }
        );
      })
      .then(function (result) {
        sending = false;
        var data = result.data || {};
        if (result.status === 200 || result.status === 422) {
          delay = 0;
          csrfRetries = 0;
          acknowledge(snapshot, data.errors || {});
          if (data.total !== undefined) {
            totalOutput.textContent = data.total;
            scoredOutput.textContent = String(data.scored);
          }
          if (Object.keys(pending).length) {
            schedule(0);
          } else {
            showStatus(result.status === 422 ? "invalid" : "saved");
          }
        } else if (result.status === 401) {
          retryLater("login", true);
        } else if (result.status === 400 && data.error === "csrf" && data.csrf_token && csrfRetries < 3) {
          csrfRetries += 1;
          meta.setAttribute("content", data.csrf_token);
          var hidden = form.querySelector('input[name="csrf_token"]');
          if (hidden) {
            hidden.value = data.csrf_token;
          }
          schedule(0);
        } else if (result.status === 409 || result.status === 404 || result.status === 403 || result.status === 400) {
          stopped = true;
          showStatus("closed");
        } else {
          retryLater("offline");
        }
      })
      .catch(function () {
        sending = false;
        retryLater("offline");
      });
  }

  function changed(event) {
    var field = event.target;
    if (!field.hasAttribute || !field.hasAttribute("data-autosave")) {
      return;
    }
    if (field.hasAttribute("data-points")) {
      updateTotal();
      if (field.value.trim() !== "" && isNaN(points(field))) {
        // Not points yet (a letter, «7,» half typed, too many): say so, send nothing.
        setError(field.name, field.getAttribute("data-bad-input"));
        return;
      }
    }
    if (!Object.prototype.hasOwnProperty.call(pending, field.name) && acknowledged[field.name] === field.value) {
      return; // the change event after typing: nothing new to send
    }
    pending[field.name] = field.value;
    store();
    showStatus("unsaved");
    schedule(event.type === "input" ? 800 : 0);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function () {
    // The form carries every value itself. What is pending stays in localStorage until
    // the next page shows the same values (see restore), in case the post is lost too.
    clearTimeout(timer);
    stopped = true;
  });
  window.addEventListener("online", function () {
    delay = 0;
    schedule(0);
  });
  window.addEventListener("pagehide", store);

  // Quick buttons for whole points: a tap fills the field and saves in the background
  // (without this script each button posts the form with its value). A group is one
  // stop for Tab; the arrow keys, Home and End move within it.
  var groups = Array.prototype.slice.call(form.querySelectorAll(".quick-points"));

  function syncGroup(group) {
    var field = document.getElementById(group.getAttribute("data-for"));
    var buttons = Array.prototype.slice.call(group.querySelectorAll("button"));
    var value = field.value.trim().replace(",", ".");
    var current = null;
    buttons.forEach(function (button) {
      var pressed = String(Number(button.value.split(":")[1])) === value;
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      if (pressed) {
        current = button;
      }
    });
    buttons.forEach(function (button) {
      button.tabIndex = button === (current || buttons[0]) ? 0 : -1;
    });
  }

  groups.forEach(function (group) {
    var field = document.getElementById(group.getAttribute("data-for"));
    var buttons = Array.prototype.slice.call(group.querySelectorAll("button"));
    syncGroup(group);
    field.addEventListener("input", function () {
      syncGroup(group);
    });
    group.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) {
        return;
      }
      event.preventDefault();
      field.value = button.value.split(":")[1];
      field.dispatchEvent(new Event("input", { bubbles: true }));
      button.focus();
    });
    group.addEventListener("keydown", function (event) {
      var index = buttons.indexOf(document.activeElement);
      var moves = { ArrowRight: index + 1, ArrowDown: index + 1, ArrowLeft: index - 1, ArrowUp: index - 1, Home: 0, End: buttons.length - 1 };
      if (index < 0 || !Object.prototype.hasOwnProperty.call(moves, event.key)) {
        return;
      }
      event.preventDefault();
      var next = buttons[Math.max(0, Math.min(buttons.length - 1, moves[event.key]))];
      buttons.forEach(function (button) {
        button.tabIndex = button === next ? 0 : -1;
      });
      next.focus();
    });
  });

  // The sticky bar never covers the field being typed into: when it would (a field
  // focused near the bottom, or an on-screen keyboard shrinking the screen), the page
  // scrolls the field up above the bar.
  var bar = document.getElementById("scoresheet-bar");

  function clearBar() {
    var focused = document.activeElement;
    if (!bar || !focused || !form.contains(focused) || bar.contains(focused)) {
      return;
    }
    var view = window.visualViewport;
    var bottom = Math.min(bar.getBoundingClientRect().top, view ? view.height : window.innerHeight);
    var overlap = focused.getBoundingClientRect().bottom + 8 - bottom;
    if (overlap > 0) {
      window.scrollBy(0, overlap);
    }
  }

  form.addEventListener("focusin", function () {
    window.requestAnimationFrame(clearBar);
  });
  (window.visualViewport || window).addEventListener("resize", clearBar);

  fields.forEach(function (field) {
    acknowledged[field.name] = field.value;
  });
  updateTotal();
  if (restore()) {
    updateTotal();
    showStatus("restored");
    schedule(0);
  }
})();
