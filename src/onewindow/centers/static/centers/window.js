/* Keyboard shortcuts of the window terminal (窗口叫号): F1 or a letter presses the button or focuses
   the field marked data-key="<letter>" inside #desk; never while typing in a text field or a list.
   A file, not an inline script, so the Content-Security-Policy allows no inline code. */
(function () {
  "use strict";
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.altKey || e.metaKey || e.repeat) { return; }
    var t = e.target;
    if (t && (t.isContentEditable || t.tagName === "TEXTAREA" || t.tagName === "SELECT" ||
        (t.tagName === "INPUT" && !/^(checkbox|radio|button|submit|hidden)$/.test(t.type)))) { return; }
    var key = e.key === "F1" ? "n" : String(e.key || "").toLowerCase();
    var el = document.querySelector('#desk [data-key="' + key + '"]');
    if (!el) { return; }
    e.preventDefault();
    if (el.tagName === "BUTTON") { el.disabled = true; if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); } }
    else { el.focus(); }
  });
}());
