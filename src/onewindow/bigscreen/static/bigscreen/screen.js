/* Big screens (issue #16 parts 5–6): keep the server-rendered panels current without a reload.

   Each feed (a hidden [data-feed-root]: "crowd" or "wall") holds its channel's first envelope (a JSON
   data block) and the URLs of its stream, long-poll and, for a non-public channel, stream ticket.
   - Server-Sent Events from the stream URL (on BIGSCREEN_STREAM_ORIGIN when the streaming process
     runs apart); for a ticketed channel the ticket is fetched from this origin first and renewed
     before it expires (the stream is then reopened with the new ticket).
   - After three failed connections in a row the feed falls back to the long-poll URL (?since=seq),
     and tries the stream again after a few minutes.
   - Each envelope updates in place: [data-bind] text, [data-list] rows (from their <template>),
     ECharts (local copy, canvas tooltips: decision 0010), the stale badge, the emergency overlay.
   - A panel turns stale (grey + 数据延迟) when its data says so (a late source) or when the feed has
     been cut off for more than three intervals.
   - On a bound screen the [data-slot] panels rotate every data-rotate-ms. */
(function () {
  "use strict";
  var body = document.body;
  var INTERVAL = Number(body.getAttribute("data-interval-ms")) || 2000;
  var STALE_AFTER = 3 * Math.max(INTERVAL, 5000);
  var FAILURES_BEFORE_POLL = 3;
  var RETRY_STREAM_MS = 5 * 60 * 1000;
  var ENGLISH = body.getAttribute("data-lang") === "en";
  var words = (document.getElementById("bs-i18n") || body).dataset;
  var overlay = document.getElementById("emergency");
  var overlayText = document.getElementById("emergency-text");
  var api = window.bigscreen = { feeds: {}, applied: 0, mode: {} };

  function get(obj, path) {
    var parts = path.split(".");
    for (var i = 0; i < parts.length; i += 1) {
      if (obj === null || obj === undefined) { return undefined; }
      obj = obj[parts[i]];
    }
    return obj;
  }

  var zoneNames = {};  // zone code → name, from the latest crowd envelope (the alerts name their zone by code)

  function fmt(value, format, item) {
    if (format === "zone") { return zoneNames[value] || value; }
    if (format === "place") {
      return (ENGLISH && item && item.name_en) ? item.name_en : (value === null || value === undefined ? "—" : value);
    }
    if (format === "origin") {
      var code = String(value || "");
      return words["origin" + code.charAt(0).toUpperCase() + code.slice(1)] || code;
    }
    if (format === "level") {
      return words["level" + String(value || "normal").charAt(0).toUpperCase() + String(value || "normal").slice(1)];
    }
    if (format === "list") { return (value || []).join(ENGLISH ? ", " : "、"); }
    if (format === "hhmm") { return value ? String(value).slice(11, 16) : ""; }
    if (value === null || value === undefined || value === "") { return "—"; }
    if (format === "share") { return typeof value === "number" ? Math.round(value * 100) + "%" : "—"; }
    if (format === "minutes") { return typeof value === "number" ? value.toFixed(1) : String(value); }
    return String(value);
  }

  function setField(el, value, item) {
    var format = el.getAttribute("data-format") || "";
    if (format === "meter") {
      if (typeof value === "number") { el.value = value; } else { el.removeAttribute("value"); }
      return;
    }
    var text = fmt(value, format, item);
    if (el.textContent !== text) { el.textContent = text; }
  }

  function rowClasses(row, item) {
    if ("level" in item) {
      row.classList.remove("level-normal", "level-amber", "level-red");
      row.classList.add("level-" + (item.level || "normal"));
    }
    if ("row" in item && "col" in item) {
      row.className = row.className.replace(/\b[rc]\d+\b/g, "").trim();
      row.classList.add("r" + item.row, "c" + item.col);
    }
    if ("has_data" in item) { row.classList.toggle("no-data", !item.has_data); }
  }

  function renderList(container, items) {
    var key = container.getAttribute("data-key");
    var template = container.querySelector("template");
    var existing = {};
    Array.prototype.forEach.call(container.querySelectorAll(":scope > [data-key]"), function (row) {
      existing[row.getAttribute("data-key")] = row;
    });
    (items || []).forEach(function (item) {
      var id = String(item[key]);
      var row = existing[id];
      if (!row) {
        if (!template) { return; }
        row = template.content.firstElementChild.cloneNode(true);
        row.setAttribute("data-key", id);
      }
      delete existing[id];
      Array.prototype.forEach.call(row.querySelectorAll("[data-field]"), function (el) {
        setField(el, item[el.getAttribute("data-field")], item);
      });
      rowClasses(row, item);
      container.appendChild(row);  // moves it into the envelope's order
    });
    Object.keys(existing).forEach(function (id) { existing[id].remove(); });
  }

  // ---- charts ------------------------------------------------------------------------------------
  function scale() {
    return Number(getComputedStyle(document.documentElement).getPropertyValue("--scale")) || 1;
  }

  function chartOf(el) {
    if (!window.echarts || el.offsetWidth === 0) { return null; }
    return window.echarts.getInstanceByDom(el) || window.echarts.init(el, null, { renderer: "canvas" });
  }

  function axisText(s) { return { color: "#c9d4e5", fontSize: Math.round(14 * s) }; }

  function drawHeatmap(el, data) {
    var chart = chartOf(el);
    var week = data.week || { days: [], heatmap: [] };
    if (!chart) { return; }
    var s = scale();
    var max = 1;
    var cells = (week.heatmap || []).filter(function (c) { return typeof c[2] === "number"; })  // "<k": not drawn
      .map(function (c) { max = Math.max(max, c[2]); return [c[1], c[0], c[2]]; });
    var hours = [];
    for (var h = 0; h < 24; h += 1) { hours.push(String(h)); }
    chart.setOption({
      animation: false, backgroundColor: "transparent",
      tooltip: { renderMode: "richText" },
      grid: { left: 70 * s, right: 20 * s, top: 10 * s, bottom: 60 * s },
      xAxis: { type: "category", data: hours, axisLabel: axisText(s), splitArea: { show: true } },
      yAxis: { type: "category", data: (week.days || []).map(function (d) { return d.slice(5); }),
               axisLabel: axisText(s) },
      visualMap: { min: 0, max: max, calculable: false, orient: "horizontal", left: "center", bottom: 0,
                   itemHeight: 120 * s, textStyle: axisText(s),
                   inRange: { color: ["#0b2447", "#19376d", "#2f9e9e", "#f2c14e", "#e4572e"] } },
      series: [{ type: "heatmap", name: words.heatmap, data: cells, emphasis: { disabled: true } }]
    }, true);
  }

  function drawLine(el, data) {
    var chart = chartOf(el);
    if (!chart) { return; }
    var s = scale();
    var points = ((data.week || {}).line || []).map(function (p) { return [Date.parse(p[0]), typeof p[1] === "number" ? p[1] : null]; });
    chart.setOption({
      animation: false, backgroundColor: "transparent",
      tooltip: { renderMode: "richText", trigger: "axis" },
      grid: { left: 70 * s, right: 20 * s, top: 20 * s, bottom: 30 * s },
      xAxis: { type: "time", axisLabel: axisText(s) },
      yAxis: { type: "value", axisLabel: axisText(s), splitLine: { lineStyle: { color: "#27344a" } } },
      series: [{ type: "line", name: words.line, data: points, showSymbol: false, connectNulls: false,
                 lineStyle: { width: 3 * s, color: "#5ec8f2" }, areaStyle: { color: "rgba(94,200,242,0.15)" } }]
    }, true);
  }

  function drawPie(el, data) {
    var chart = chartOf(el);
    if (!chart) { return; }
    var s = scale();
    var slices = (data.origins || []).filter(function (o) { return typeof o.present === "number"; })
      .map(function (o) { return { name: fmt(o.origin, "origin"), value: o.present }; });
    chart.setOption({
      animation: false, backgroundColor: "transparent",
      tooltip: { renderMode: "richText" },
      color: ["#5ec8f2", "#f2c14e", "#b784f2"],
      series: [{ type: "pie", radius: ["40%", "70%"], data: slices,
                 label: { color: "#e8eef8", fontSize: Math.round(20 * s), formatter: "{b} {d}%" } }]
    }, true);
  }

  var DRAW = { heatmap: drawHeatmap, line: drawLine, origin: drawPie };

  function drawCharts(feed) {
    feed.panels().forEach(function (panel) {
      Array.prototype.forEach.call(panel.querySelectorAll("[data-chart]"), function (el) {
        var draw = DRAW[el.getAttribute("data-chart")];
        if (draw && feed.envelope) { draw(el, feed.envelope.data || {}); }
      });
    });
  }

  // ---- emergency overlay -------------------------------------------------------------------------
  function showEmergency(emergency) {
    if (!overlay) { return; }
    if (!emergency) {
      overlay.hidden = true;
      overlay.removeAttribute("data-id");
      return;
    }
    var text = (ENGLISH && emergency.text_en) ? emergency.text_en : emergency.text;
    if (overlayText.textContent !== text) { overlayText.textContent = text; }
    overlay.className = "emergency sev-" + emergency.severity;
    overlay.setAttribute("data-id", String(emergency.id));
    overlay.hidden = false;
  }

  // ---- a feed ------------------------------------------------------------------------------------
  function Feed(root) {
    var self = this;
    this.name = root.getAttribute("data-feed-root");
    this.channel = root.getAttribute("data-channel");
    this.streamUrl = root.getAttribute("data-stream");
    this.pollUrl = root.getAttribute("data-poll");
    this.ticketUrl = root.getAttribute("data-ticket");
    var block = document.getElementById(root.getAttribute("data-envelope"));
    this.envelope = block ? JSON.parse(block.textContent) : null;
    this.seq = this.envelope ? this.envelope.seq : -1;
    this.failures = 0;
    this.lostSince = null;
    this.source = null;
    this.pollTimer = null;
    this.renewTimer = null;
    this.panels = function () {
      return Array.prototype.slice.call(document.querySelectorAll('[data-feed="' + self.name + '"]'));
    };
  }

  Feed.prototype.apply = function (envelope) {
    if (!envelope || !envelope.data) { return; }
    this.envelope = envelope;
    this.seq = envelope.seq;
    var data = envelope.data;
    (data.zones || []).forEach(function (z) { zoneNames[z.code] = z.name; });
    this.panels().forEach(function (panel) {
      Array.prototype.forEach.call(panel.querySelectorAll("[data-bind]"), function (el) {
        setField(el, get(data, el.getAttribute("data-bind")), data);
      });
      Array.prototype.forEach.call(panel.querySelectorAll("[data-list]"), function (el) {
        renderList(el, get(data, el.getAttribute("data-list")));
      });
    });
    drawCharts(this);
    showEmergency(envelope.emergency);
    this.markStale();
    api.applied += 1;
  };

  Feed.prototype.markStale = function () {
    var data = (this.envelope || {}).data || {};
    var cut = this.lostSince !== null && Date.now() - this.lostSince > STALE_AFTER;
    var stale = Boolean(data.stale) || cut;
    this.panels().forEach(function (panel) {
      panel.classList.toggle("is-stale", stale);
      Array.prototype.forEach.call(panel.querySelectorAll(".stale-badge"), function (b) { b.hidden = !stale; });
    });
  };

  Feed.prototype.lost = function () {
    if (this.lostSince === null) { this.lostSince = Date.now(); }
  };

  Feed.prototype.contact = function () {
    this.lostSince = null;
    this.markStale();
  };

  Feed.prototype.start = function () {
    var self = this;
    if (!window.EventSource) { this.startPolling(); return; }
    if (!this.ticketUrl) { this.open(this.streamUrl); return; }
    fetch(this.ticketUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("ticket " + r.status); } return r.json(); })
      .then(function (t) {
        self.open(t.stream);
        clearTimeout(self.renewTimer);  // renew at 80 % of its life: reopen with the new ticket
        self.renewTimer = setTimeout(function () { self.start(); }, Math.max(10, t.expires_in * 0.8) * 1000);
      })
      .catch(function () { self.fail(); });
  };

  Feed.prototype.open = function (url) {
    var self = this;
    if (this.source) { this.source.close(); }
    var source = this.source = new EventSource(url);
    api.mode[this.name] = "sse";
    source.addEventListener("snapshot", function (event) {
      self.failures = 0;
      self.contact();
      try { self.apply(JSON.parse(event.data)); } catch (e) { /* a broken frame: wait for the next */ }
    });
    source.onopen = function () { self.failures = 0; self.contact(); };
    source.onerror = function () {
      self.lost();
      if (source.readyState === EventSource.CLOSED) {  // refused (an expired ticket…): not retried by itself
        source.close();
        self.fail();
      } else {
        self.failures += 1;
        if (self.failures >= FAILURES_BEFORE_POLL) { source.close(); self.startPolling(); }
      }
    };
  };

  Feed.prototype.fail = function () {
    var self = this;
    this.lost();
    this.failures += 1;
    if (this.failures >= FAILURES_BEFORE_POLL) { this.startPolling(); return; }
    setTimeout(function () { self.start(); }, 3000);
  };

  Feed.prototype.startPolling = function () {
    var self = this;
    if (this.pollTimer !== null) { return; }
    api.mode[this.name] = "poll";
    clearTimeout(this.renewTimer);
    var until = Date.now() + RETRY_STREAM_MS;
    var tick = function () {
      var sep = self.pollUrl.indexOf("?") < 0 ? "?" : "&";
      fetch(self.pollUrl + sep + "since=" + encodeURIComponent(self.seq), { credentials: "same-origin" })
        .then(function (r) {
          if (r.status === 204) { self.contact(); return null; }
          if (!r.ok) { throw new Error("poll " + r.status); }
          return r.json();
        })
        .then(function (envelope) { if (envelope) { self.contact(); self.apply(envelope); } })
        .catch(function () { self.lost(); self.markStale(); })
        .then(function () {
          if (Date.now() > until && window.EventSource) {  // try the stream again
            self.pollTimer = null;
            self.failures = 0;
            self.start();
            return;
          }
          self.pollTimer = setTimeout(tick, INTERVAL);
        });
    };
    this.pollTimer = setTimeout(tick, 0);
  };

  // ---- page --------------------------------------------------------------------------------------
  var feeds = [];
  Array.prototype.forEach.call(document.querySelectorAll("[data-feed-root]"), function (root) {
    var feed = new Feed(root);
    api.feeds[feed.name] = feed;
    feeds.push(feed);
  });

  function drawAll() { feeds.forEach(drawCharts); }

  function clock() {
    var el = document.getElementById("bs-clock");
    if (!el) { return; }
    // The installation's time zone (Asia/Shanghai), whatever the screen's operating system says.
    var zone = el.getAttribute("data-tz") || "Asia/Shanghai";
    try {
      el.textContent = new Intl.DateTimeFormat("en-GB", {timeZone: zone, hour: "2-digit", minute: "2-digit",
                                                        second: "2-digit", hour12: false}).format(new Date());
    } catch (e) {
      var now = new Date();
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      el.textContent = pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
    }
  }

  function rotate() {
    var every = Number(body.getAttribute("data-rotate-ms"));
    var slots = Array.prototype.slice.call(document.querySelectorAll("[data-slot]"));
    if (!every || slots.length < 2) { return; }
    var shown = 0;
    setInterval(function () {
      slots[shown].classList.add("slot-off");
      shown = (shown + 1) % slots.length;
      slots[shown].classList.remove("slot-off");
      Array.prototype.forEach.call(slots[shown].querySelectorAll("[data-chart]"), function (el) {
        var chart = window.echarts && window.echarts.getInstanceByDom(el);
        if (chart) { chart.resize(); }
      });
    }, every);
  }

  function init() {
    feeds.forEach(function (feed) { if (feed.envelope) { showEmergency(feed.envelope.emergency); } });
    drawAll();
    feeds.forEach(function (feed) { feed.markStale(); feed.start(); });
    clock();
    setInterval(clock, 1000);
    setInterval(function () { feeds.forEach(function (f) { f.markStale(); }); }, 1000);
    window.addEventListener("resize", function () {
      Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (el) {
        var chart = window.echarts && window.echarts.getInstanceByDom(el);
        if (chart) { chart.resize(); }
      });
      drawAll();
    });
    rotate();
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
