// The progress of a check or an import (templates/imports/job.html): asks the server how
// far it is every second and shows it; once the work has ended, the page is loaded again
// and shows the result. Without this script the page reloads itself (<noscript>).
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) return;
  var bar = document.getElementById("import-bar");
  var done = document.getElementById("import-done");

  function show(progress) {
    bar.value = progress.percent;
    bar.textContent = progress.percent + " %";
    done.textContent = box.getAttribute("data-text").replace("{percent}", String(progress.percent));
  }

  function poll() {
    fetch(box.getAttribute("data-progress-url"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (progress) {
        if (progress.state !== "running") {
          window.location.reload();
          return;
        }
        show(progress);
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        window.setTimeout(poll, 3000); // the connection dropped: try again a little later
      });
  }

  window.setTimeout(poll, 500);
})();
