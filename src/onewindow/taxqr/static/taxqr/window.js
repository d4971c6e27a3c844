// The tax window's scan box: a scanner gun "types" each code and presses Enter. Once every part
// of a record has arrived (OWT1:<i>/<n>:<hash>:<len>:<data>.), the form is sent for preview.
(function () {
  "use strict";
  var box = document.getElementById("scan");
  var form = document.getElementById("scan-form");
  if (!box || !form) { return; }
  var first = document.getElementById("first-scan-at");
  var header = /OWT1:(\d{1,2})\/(\d{1,2}):([0-9A-F]{8}):(\d{1,4}):/g;
  function complete(text) {
    var seen = {}, total = 0, m;
    header.lastIndex = 0;
    while ((m = header.exec(text)) !== null) {
      var len = parseInt(m[4], 10), end = m.index + m[0].length + len;
      if (text.length <= end || text.charAt(end) !== ".") { return false; }
      seen[m[1]] = true; total = parseInt(m[2], 10);
    }
    if (!total) { return false; }
    for (var i = 1; i <= total; i++) { if (!seen[String(i)]) { return false; } }
    return true;
  }
  var sent = false;
  box.addEventListener("input", function () {
    if (first && !first.value) { first.value = new Date().toISOString(); }
    var status = document.getElementById("scan-status");
    header.lastIndex = 0;
    var parts = (box.value.match(header) || []).length;
    if (status) { status.textContent = parts ? ("已扫描 " + parts + " 段") : ""; }
    if (!sent && complete(box.value)) { sent = true; form.requestSubmit ? form.requestSubmit() : form.submit(); }
  });
  var file = document.getElementById("scan-image");
  if (file) {
    file.addEventListener("change", function () {
      if (first && !first.value) { first.value = new Date().toISOString(); }
      if (file.files.length) { form.submit(); }
    });
  }
})();
