// The question form shows only the limits of the chosen kind of answer; the server
// ignores the others anyway, so without this script every limit is simply shown.
(function () {
  "use strict";
  var kind = document.getElementById("kind");
  var form = kind && kind.form;
  if (!form || !form.dataset.kindLimits) return;
  var limits = JSON.parse(form.dataset.kindLimits);
  var names = ["max_length", "min_value", "max_value", "choices", "file_types"];

  function holder(name) {
    var element = document.getElementById(name);
    if (!element) return null;
    return element.tagName === "FIELDSET" ? element : element.closest(".mb-3");
  }

  function update() {
    var shown = limits[kind.value] || [];
    names.forEach(function (name) {
      var box = holder(name);
      if (box) box.hidden = shown.indexOf(name) < 0;
    });
    var none = document.getElementById("no-limits");
    var all = document.getElementById("all-limits");
    if (none) none.hidden = shown.length > 0;
    if (all) all.hidden = true;
  }

  kind.addEventListener("change", update);
  update();
})();
