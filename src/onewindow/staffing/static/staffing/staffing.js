// Charts of 弹性调配 (issue #15): each chart of the page's embedded data ("staffing-charts") is drawn
// into the element of its id. A chart is {id, title, categories, series: [{name, data, axis, type}],
// axes: [name, name?]}: bars on the first axis, a second value axis when a series asks for it.
(function () {
  "use strict";
  var node = document.getElementById("staffing-charts");
  if (!node || typeof echarts === "undefined") { return; }
  var charts = JSON.parse(node.textContent) || [];
  // richText: the HTML tooltip uses style="" markup, which the Content-Security-Policy blocks.
  var tooltip = { renderMode: "richText", trigger: "axis" };
  var drawn = [];
  charts.forEach(function (chart) {
    var el = document.getElementById(chart.id);
    if (!el) { return; }
    var axes = (chart.axes || [""]).map(function (name) {
      return { type: "value", name: name, nameTextStyle: { align: "left" } };
    });
    var series = chart.series.map(function (s) {
      return { name: s.name, type: s.type || "bar", yAxisIndex: s.axis || 0, data: s.data };
    });
    var instance = echarts.init(el);
    instance.setOption({
      tooltip: tooltip,
      legend: { data: series.map(function (s) { return s.name; }), type: "scroll" },
      grid: { left: 10, right: 10, top: 60, bottom: 10, containLabel: true },
      xAxis: { type: "category", data: chart.categories },
      yAxis: axes,
      series: series
    });
    el.setAttribute("data-drawn", "1");
    drawn.push(instance);
  });
  window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
})();
