// Saves the application draft as one types (SPEC §5): changed fields are posted as JSON
// in the background, debounced; unsent changes are kept in localStorage so a reload,
// a lost connection or a crash loses nothing; network failures are retried with
// backoff; an ended session (401) asks to log in again in a new tab and then resends.
// Without this script the form's "Save the draft" button does the same job.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave-url]");
  if (!form || !window.fetch || !window.JSON) return;

  var url = form.getAttribute("data-autosave-url");
  var key = form.getAttribute("data-storage-key");
  var status = document.getElementById("autosave-status");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var hiddenToken = form.elements.namedItem("csrf_token");
  var token = meta ? meta.getAttribute("content") : hiddenToken && hiddenToken.value;
  var texts = {
    saving: form.getAttribute("data-text-saving"),
    offline: form.getAttribute("data-text-offline"),
    login: form.getAttribute("data-text-login"),
    loginLink: form.getAttribute("data-text-login-link"),
    error: form.getAttribute("data-text-error")
  };
  var loginUrl = form.getAttribute("data-login-url");

  var DEBOUNCE_MS = 800;
  var MAX_RETRY_MS = 60000;
  var LOGIN_POLL_MS = 4000;
  var pending = {}; // field name -> value the server has not acknowledged yet
  var timer = null;
  var inflight = false;
  var retryDelay = 0;
  var waitingForLogin = false;
  var loginTimer = null;

  function readStorage() {
    try {
      return JSON.parse(window.localStorage.getItem(key) || "{}") || {};
    } catch (e) {
      return {};
    }
  }

  function writeStorage() {
    try {
      if (Object.keys(pending).length) window.localStorage.setItem(key, JSON.stringify(pending));
      else window.localStorage.removeItem(key);
    } catch (e) {
      /* private mode or full storage: the server copy still works */
    }
  }

  function say(text, link) {
    if (!status) return;
    status.textContent = text || "";
    if (link) {
      var a = document.createElement("a");
      a.href = link;
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = texts.loginLink;
      status.appendChild(document.createTextNode(" "));
      status.appendChild(a);
    }
  }

  // The saved control named ``name``: an input, a textarea, a select, or a group of
  // radio buttons (a RadioNodeList, whose ``value`` is the checked one's).
  function field(name) {
    var found = form.elements.namedItem(name);
    if (!found) return null;
    if (found.hasAttribute) return found.hasAttribute("data-autosave") ? found : null;
    for (var i = 0; i < found.length; i++) {
      if (found[i].hasAttribute("data-autosave")) return found;
    }
    return null;
  }

  function controls(name) {
    var found = field(name);
    if (!found) return [];
    if (found.hasAttribute) return [found];
    return Array.prototype.filter.call(found, function (element) {
      return element.hasAttribute("data-autosave");
    });
  }

  function showError(name, message) {
    controls(name).forEach(function (element) {
      element.classList.toggle("is-invalid", Boolean(message));
      if (message) element.setAttribute("aria-invalid", "true");
      else element.removeAttribute("aria-invalid");
    });
    var box = document.getElementById(name + "-errors");
    if (box) {
      box.textContent = message || "";
      box.classList.toggle("d-block", Boolean(message));
    }
  }

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(flush, delay);
  }

  function remember(event) {
    var element = event.target;
    if (!element.name || !element.hasAttribute("data-autosave")) return;
    if (element.type === "radio" && !element.checked) return;
    pending[element.name] = element.value;
    writeStorage();
    schedule(DEBOUNCE_MS);
  }

  function asResult(response) {
    return response
      .json()
      .catch(function () {
        return {};
      })
      .then(function (body) {
        return { status: response.status, body: body || {} };
      });
  }

  function flush() {
    timer = null;
    if (inflight || waitingForLogin) return;
    var names = Object.keys(pending);
    if (!names.length) return;
    var batch = {};
    names.forEach(function (name) {
      batch[name] = pending[name];
    });
    inflight = true;
    say(texts.saving);
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": token
      },
      body: JSON.stringify({ fields: batch })
    })
      .then(asResult)
      .then(function (result) {
        inflight = false;
        handle(result, batch);
      })
      .catch(function () {
        inflight = false;
        offline();
      });
  }

  function handle(result, batch) {
    var body = result.body;
    if (result.status === 200 || result.status === 422) {
      retryDelay = 0;
      (body.saved || []).forEach(function (name) {
        if (pending[name] === batch[name]) delete pending[name];
        showError(name, "");
      });
      var errors = body.errors || {};
      Object.keys(errors).forEach(function (name) {
        // Sending it again would not help: the message says what to change.
        if (pending[name] === batch[name]) delete pending[name];
        showError(name, errors[name] || texts.error);
      });
      writeStorage();
      say(body.message);
      if (Object.keys(pending).length) schedule(DEBOUNCE_MS);
      return;
    }
    if (result.status === 401 || (result.status === 400 && body.error === "csrf")) {
      waitForLogin();
      return;
    }
    if (result.status === 404 || result.status === 409 || result.status === 400) {
      say(body.message || texts.error); // kept in localStorage; nothing to retry
      return;
    }
    offline(); // 5xx, a proxy's error page: try again later
  }

  function offline() {
    say(texts.offline);
    retryDelay = Math.min(retryDelay ? retryDelay * 2 : 2000, MAX_RETRY_MS);
    schedule(retryDelay);
  }

  // The session ended (or its token went stale): ask for a login in another tab, poll
  // for a fresh token, then resend what is pending.
  function waitForLogin() {
    waitingForLogin = true;
    checkLogin();
  }

  function checkLogin() {
    window.clearTimeout(loginTimer);
    fetch(url, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" }
    })
      .then(asResult)
      .then(function (result) {
        if (result.status === 200 && result.body.csrf_token) {
          token = result.body.csrf_token;
          if (meta) meta.setAttribute("content", token);
          if (hiddenToken) hiddenToken.value = token;
          waitingForLogin = false;
          schedule(0);
          return;
        }
        say(texts.login, loginUrl);
        loginTimer = window.setTimeout(checkLogin, LOGIN_POLL_MS);
      })
      .catch(function () {
        say(texts.offline);
        loginTimer = window.setTimeout(checkLogin, LOGIN_POLL_MS);
      });
  }

  form.addEventListener("input", remember);
  form.addEventListener("change", remember);
  window.addEventListener("online", function () {
    if (waitingForLogin) checkLogin();
    else if (Object.keys(pending).length) schedule(0);
  });
  window.addEventListener("focus", function () {
    if (waitingForLogin) checkLogin(); // back from the tab where one logged in
  });
  form.addEventListener("submit", function () {
    window.clearTimeout(timer); // the form itself carries every field
  });

  // What was typed before this script arrived (a slow connection) is saved too: every
  // control that differs from what the server sent.
  Array.prototype.forEach.call(form.querySelectorAll("[data-autosave]"), function (element) {
    if (!element.name || element.type === "file") return;
    var changed =
      element.type === "radio" || element.type === "checkbox"
        ? element.checked && !element.defaultChecked
        : element.tagName === "SELECT"
          ? Array.prototype.some.call(element.options, function (option) {
              return option.selected !== option.defaultSelected;
            })
          : element.value !== element.defaultValue;
    if (changed) pending[element.name] = element.value;
  });

  // What was typed here but never acknowledged comes back and is sent again (unless it
  // was typed again on this page before the script ran).
  var stored = readStorage();
  Object.keys(stored).forEach(function (name) {
    var element = field(name);
    if (!element || typeof stored[name] !== "string" || element.value === stored[name]) return;
    if (Object.prototype.hasOwnProperty.call(pending, name)) return;
    element.value = stored[name];
    pending[name] = stored[name];
  });
  writeStorage();
  if (Object.keys(pending).length) schedule(0);
})();
