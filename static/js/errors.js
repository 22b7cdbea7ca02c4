// After a refused form the page moves the focus to what went wrong: the error summary
// (every form's, see templates/_macros/forms.html) or the notice that the deadline has
// passed. A screen reader reads it first, and Tab goes on from there to the fields.
(function () {
  "use strict";
  var summary = document.querySelector("#deadline-passed, #error-summary");
  if (summary) summary.focus();
})();
