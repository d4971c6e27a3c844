/* Kiosk (自助服务一体机): (1) after data-idle-seconds without touch, key or pointer input, go back to
   the start page (data-home) so the next person never sees the last one's data; (2) on-screen
   keypads: buttons with data-key type into the input named by the keypad's data-target, data-do
   "back"/"clear" edit it; (3) data-autoprint="1" prints the ticket once loaded (a kiosk browser
   started with --kiosk-printing prints without a dialog), a button with data-print prints the page. Local file, no network, no dependencies. */
(function () {
  "use strict";
  var root = document.getElementById("kiosk");
  if (!root) { return; }
  var home = root.getAttribute("data-home");
  var seconds = parseInt(root.getAttribute("data-idle-seconds"), 10) || 90;
  var timer = null;
  function reset() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(function () { window.location.assign(home); }, seconds * 1000);
  }
  ["pointerdown", "touchstart", "keydown", "input", "wheel", "scroll"].forEach(function (name) {
    window.addEventListener(name, reset, { passive: true, capture: true });
  });
  reset();
  if (root.getAttribute("data-autoprint") === "1") {
    window.addEventListener("load", function () { window.print(); });
  }

  document.addEventListener("click", function (event) {
    var print = event.target.closest ? event.target.closest("[data-print]") : null;
    if (print) { window.print(); return; }
    var button = event.target.closest ? event.target.closest(".keypad button") : null;
    if (!button) { return; }
    var pad = button.closest(".keypad");
    var input = document.getElementById(pad.getAttribute("data-target"));
    if (!input) { return; }
    var max = parseInt(input.getAttribute("maxlength"), 10) || 64;
    var key = button.getAttribute("data-key");
    var action = button.getAttribute("data-do");
    if (key !== null && input.value.length < max) { input.value += key; }
    if (action === "back") { input.value = input.value.slice(0, -1); }
    if (action === "clear") { input.value = ""; }
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}());
