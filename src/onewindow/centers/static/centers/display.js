/* Hall display: voice announcement of every new call and recall, offline.
   The polled fragment (#display-live, htmx every 1 s) carries the latest calls newest first as JSON
   (#display-calls: display, window, key, text, clips). New calls are the entries in front of the
   part that overlaps the previous list. Each is played as a sequence of recorded clips (Web Audio;
   <audio> elements where Web Audio is missing), or spoken by the browser's own zh-CN voice when
   the checkbox is on and such a voice exists. Browsers block sound until a person presses a
   button: "启用语音播报" once per session (remembered in sessionStorage). */
(function () {
  "use strict";
  var KEY = "centers.voice";
  var enableButton = document.getElementById("voice-enable");
  var ttsBox = document.getElementById("voice-tts");
  var stateText = document.getElementById("voice-state");
  var api = window.centersVoice = { announced: [], enabled: false };
  var previous = null;
  var queue = [];
  var busy = false;
  var ctx = null;
  var buffers = {};

  function readCalls() {
    var node = document.getElementById("display-calls");
    if (!node) { return []; }
    try { return JSON.parse(node.textContent) || []; } catch (e) { return []; }
  }

  // Entries of `now` before the longest prefix of `before` that reappears in `now`.
  function fresh(now, before) {
    if (before === null) { return []; }
    if (before.length === 0) { return now.slice(); }
    for (var k = 0; k <= now.length; k += 1) {
      var same = true;
      for (var i = 0; k + i < now.length && i < before.length; i += 1) {
        if (now[k + i].key !== before[i].key) { same = false; break; }
      }
      if (same) { return now.slice(0, k); }
    }
    return now.slice();
  }

  function zhVoice() {
    if (!("speechSynthesis" in window)) { return null; }
    var voices = window.speechSynthesis.getVoices();
    for (var i = 0; i < voices.length; i += 1) {
      if (/^zh(-|_)?(CN|Hans)?/i.test(voices[i].lang) && voices[i].localService) { return voices[i]; }
    }
    return null;
  }

  function load(url) {
    if (buffers[url]) { return Promise.resolve(buffers[url]); }
    return fetch(url).then(function (r) { return r.arrayBuffer(); })
      .then(function (data) {
        return new Promise(function (ok, fail) { ctx.decodeAudioData(data, ok, fail); });
      })
      .then(function (buffer) { buffers[url] = buffer; return buffer; });
  }

  function playClipsWebAudio(urls) {
    return Promise.all(urls.map(load)).then(function (list) {
      var at = ctx.currentTime + 0.05;
      list.forEach(function (buffer) {
        var source = ctx.createBufferSource();
        source.buffer = buffer;
        source.connect(ctx.destination);
        source.start(at);
        at += buffer.duration;
      });
      return new Promise(function (done) { window.setTimeout(done, (at - ctx.currentTime) * 1000 + 400); });
    });
  }

  function playClipsElements(urls) {
    return urls.reduce(function (chain, url) {
      return chain.then(function () {
        return new Promise(function (done) {
          var audio = new Audio(url);
          audio.onended = done;
          audio.onerror = done;
          audio.play().catch(done);
        });
      });
    }, Promise.resolve());
  }

  function speak(call) {
    var voice = ttsBox && ttsBox.checked ? zhVoice() : null;
    if (voice) {
      return new Promise(function (done) {
        var u = new SpeechSynthesisUtterance(call.text);
        u.voice = voice; u.lang = voice.lang; u.onend = done; u.onerror = done;
        window.speechSynthesis.speak(u);
      });
    }
    var urls = call.clips.split(" ");
    return ctx ? playClipsWebAudio(urls) : playClipsElements(urls);
  }

  function next() {
    if (busy || queue.length === 0) { return; }
    busy = true;
    var call = queue.shift();
    speak(call).catch(function () {}).then(function () { busy = false; next(); });
  }

  function update() {
    var now = readCalls();
    var added = fresh(now, previous);
    previous = now;
    if (!api.enabled) { return; }
    // Oldest first, so two calls in the same second are announced in the order they were made.
    added.reverse().forEach(function (call) { api.announced.push(call.key); queue.push(call); });
    next();
  }

  function enable() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx && !ctx) { ctx = new Ctx(); }
    if (ctx && ctx.resume) { ctx.resume(); }
    api.enabled = true;
    try { window.sessionStorage.setItem(KEY, "on"); } catch (e) { /* private mode */ }
    if (enableButton) { enableButton.setAttribute("aria-pressed", "true"); }
    if (stateText) { stateText.textContent = stateText.getAttribute("data-on"); }
  }

  function offerTts() {
    if (ttsBox) { ttsBox.disabled = zhVoice() === null; }
  }

  if (enableButton) { enableButton.addEventListener("click", enable); }
  if ("speechSynthesis" in window) {
    offerTts();
    window.speechSynthesis.addEventListener("voiceschanged", offerTts);
  }
  var remembered = false;
  try { remembered = window.sessionStorage.getItem(KEY) === "on"; } catch (e) { remembered = false; }
  if (remembered) { enable(); } // plays where the browser allows it (kiosk flag); else press again
  previous = readCalls();
  document.body.addEventListener("htmx:afterSettle", update);
}());
