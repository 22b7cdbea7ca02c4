// Long documents (the protocol, the scoresheets, the workbooks of every score): a link
// marked data-progress asks for its document in the background (POST to the same address)
// and shows how far it has gone, then downloads it. Without this script, or when the
// background way fails, the link downloads the document directly. Texts come from
// <template id="document-progress">; data-progress="table" picks the workbook's texts.
(function () {
  "use strict";
  var template = document.getElementById("document-progress");
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!template || !meta || !window.fetch) return;

  function json(response) {
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  function follow(link) {
    var box = template.content.firstElementChild.cloneNode(true);
    var bar = box.querySelector("progress");
    var text = box.querySelector("[data-text]");
    var kind = link.getAttribute("data-progress");
    var say = function (name, percent) {
      var words = (kind && box.getAttribute("data-" + name + "-" + kind)) || box.getAttribute("data-" + name);
      text.textContent = words.replace("{percent}", percent + "\u00a0%");
    };
    var previous = link.parentNode.querySelector(".document-progress");
    if (previous) previous.remove();
    link.insertAdjacentElement("afterend", box);
    link.setAttribute("aria-disabled", "true");
    say("starting", 0);

    var done = function () {
      link.removeAttribute("aria-disabled");
    };
    var direct = function () {
      say("failed", 0);
      bar.remove();
      done();
      window.location.href = link.href;
    };
    var poll = function (url) {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(json)
        .then(function (state) {
          if (state.state === "ready") {
            bar.value = 100;
            say("ready", 100);
            done();
            window.location.href = state.file;
          } else if (state.state === "failed") {
            direct();
          } else {
            var percent = state.total ? Math.floor((100 * state.done) / state.total) : 0;
            if (state.total) bar.value = percent;
            say(state.total ? "working" : "starting", percent);
            window.setTimeout(function () { poll(url); }, 500);
          }
        })
        .catch(direct);
    };
    fetch(link.href, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": meta.getAttribute("content"), Accept: "application/json" },
    })
      .then(json)
      .then(function (started) { poll(started.progress); })
      .catch(direct);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-progress]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    if (link.getAttribute("aria-disabled") !== "true") follow(link);
  });
})();
