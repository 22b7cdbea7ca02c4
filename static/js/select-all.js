// "Tick all" for bulk actions (templates/_macros/forms.html, select_all): ticking it
// ticks every box of its name in the same form, unticking clears them; when only some
// are ticked it shows as mixed. Without this script it stays hidden.
(function () {
  "use strict";
  document.querySelectorAll("[data-select-all]").forEach(function (wrapper) {
    var form = wrapper.closest("form");
    var all = wrapper.querySelector("input[type=checkbox]");
    var name = wrapper.getAttribute("data-select-all");
    if (!form || !all) return;
    var boxes = Array.prototype.filter.call(form.elements, function (e) {
      return e.type === "checkbox" && e.name === name;
    });
    if (!boxes.length) return;

    function show() {
      var ticked = boxes.filter(function (box) { return box.checked; }).length;
      all.checked = ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }

    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      show();
    });
    boxes.forEach(function (box) { box.addEventListener("change", show); });
    show(); // a page restored from the history keeps its ticks
    wrapper.hidden = false;
  });
})();
