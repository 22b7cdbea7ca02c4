// A table that scrolls sideways in its own area ([data-scroll-hint]) says so exactly
// when it does: the hint just before the area shows while the table is wider than the
// area, at any screen width. Without this script the hint shows below 1,200 px.
// The area is a stop for the keyboard only while it scrolls. The sticky number column
// starts where the sticky place column ends, as measured.
(function () {
  "use strict";
  var areas = Array.prototype.slice.call(document.querySelectorAll("[data-scroll-hint]"));

  function update() {
    areas.forEach(function (area) {
      var place = area.querySelector(".key-place");
      if (place) {
        area.style.setProperty("--key-place-width", place.getBoundingClientRect().width + "px");
      }
      var scrolls = area.scrollWidth > area.clientWidth;
      // A stop for the keyboard (to scroll with the arrows) only while there is a scroll.
      if (scrolls) {
        area.setAttribute("tabindex", "0");
      } else {
        area.removeAttribute("tabindex");
      }
      var hint = area.previousElementSibling;
      if (hint && hint.classList.contains("scroll-hint")) {
        hint.classList.remove("d-xl-none");
        hint.hidden = !scrolls;
      }
    });
  }

  update();
  window.addEventListener("resize", update);
})();
