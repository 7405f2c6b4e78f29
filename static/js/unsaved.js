// A page with unsaved changes warns before it is left. Forms marked data-warn-unsaved count as changed once
// one of their fields (also one placed elsewhere on the page with form="…") is edited; submitting the form
// clears the mark, so saving never asks.
(function () {
  "use strict";
  var changed = new Set();
  function watched(target) {
    var form = target && target.form;
    return form && form.hasAttribute("data-warn-unsaved") ? form : null;
  }
  document.addEventListener("input", function (event) {
    var form = watched(event.target);
    if (form) changed.add(form);
  });
  document.addEventListener("change", function (event) {
    var form = watched(event.target);
    if (form) changed.add(form);
  });
  document.addEventListener("submit", function (event) {
    changed.delete(event.target); // this form's text goes to the server; another form leaving the page still asks
  });
  window.addEventListener("beforeunload", function (event) {
    if (changed.size) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
