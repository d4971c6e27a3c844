/* Kiosk (自助终端) inactivity reset: after data-idle-seconds without touch, key or pointer input,
   go back to the kiosk start page (data-home), so the next person never sees the last one's data.
   Local file, no network, no dependencies. */
(function () {
  "use strict";
  var root = document.getElementById("kiosk");
  if (!root) { return; }
  var home = root.getAttribute("data-home");
  var seconds = parseInt(root.getAttribute("data-idle-seconds"), 10) || 120;
  var timer = null;
  function reset() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(function () { window.location.assign(home); }, seconds * 1000);
  }
  ["pointerdown", "touchstart", "keydown", "input", "wheel"].forEach(function (name) {
    window.addEventListener(name, reset, { passive: true, capture: true });
  });
  reset();
}());
