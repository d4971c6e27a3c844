/* Print buttons: a button with data-print prints the page (replaces onclick="window.print()", which
   the Content-Security-Policy blocks as inline code). Local file, no dependencies. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (button) { event.preventDefault(); window.print(); }
  });
}());
