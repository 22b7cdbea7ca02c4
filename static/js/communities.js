// Refreshes the community select when the oblast changes (progressive enhancement:
// without this script the form re-renders with the new oblast's list after saving).
(function () {
  "use strict";
  document.querySelectorAll("select[data-communities]").forEach(function (oblast) {
    var form = oblast.form;
    var community = form && form.elements[oblast.getAttribute("data-communities")];
    if (!community || !community.getAttribute("data-communities-url")) return;
    var template = community.getAttribute("data-communities-url");
    var placeholder = community.getAttribute("data-placeholder") || "";
    var placeholderEmpty = community.getAttribute("data-placeholder-empty") || placeholder;

    oblast.addEventListener("change", function () {
      var code = oblast.value;
      var chosen = community.value;
      if (!code) {
        community.length = 0;
        community.add(new Option(placeholderEmpty, ""));
        return;
      }
      fetch(template.replace("OBLAST", encodeURIComponent(code)), {
        headers: { Accept: "application/json" },
        credentials: "same-origin"
      })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (list) {
          if (oblast.value !== code) return; // another oblast was chosen meanwhile
          community.length = 0;
          community.add(new Option(placeholder, ""));
          list.forEach(function (item) {
            community.add(new Option(item.name, item.code, false, item.code === chosen));
          });
        })
        .catch(function () {
          // Offline: the server checks the pair on saving and shows the right list.
        });
    });
  });
})();
