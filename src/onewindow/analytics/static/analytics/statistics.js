// Charts of 统计分析 (issue #14 part 2), drawn from the series the page embeds (the same as the API's).
(function () {
  "use strict";
  var node = document.getElementById("analytics-statistics-data");
  if (!node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  // richText: the HTML tooltip uses style="" markup, which the Content-Security-Policy blocks.
  var tooltip = { renderMode: "richText", trigger: "axis" };
  var skip = { share: true, difference: true };
  var horizontal = { items: true, clerks: true, windows: true, channels: true };
  data.charts.forEach(function (chart) {
    var el = document.getElementById("chart-" + chart.chart);
    if (!el || !chart.rows.length) { return; }
    var labels = chart.rows.map(function (r) { return r.label; });
    var measures = [];
    chart.measures.forEach(function (m, i) { if (!skip[m.key]) { measures.push([m, i]); } });
    var series = measures.map(function (pair) {
      return { name: pair[0].label, type: "bar",
               data: chart.rows.map(function (r) { return r.values[pair[1]]; }) };
    });
    var flat = horizontal[chart.chart];
    var category = { type: "category", data: labels, inverse: !!flat };
    var value = { type: "value", minInterval: 1 };
    var shown = flat ? Math.min(labels.length, 20) : labels.length;
    if (flat && labels.length > shown) {
      category.data = labels.slice(0, shown);
      series.forEach(function (s) { s.data = s.data.slice(0, shown); });
    }
    var chartEl = echarts.init(el);
    chartEl.setOption({
      tooltip: tooltip,
      legend: { data: series.map(function (s) { return s.name; }) },
      grid: { left: flat ? 160 : 50, right: 20, top: 50, bottom: 40, containLabel: !flat },
      xAxis: flat ? value : category,
      yAxis: flat ? category : value,
      series: series
    });
    window.addEventListener("resize", function () { chartEl.resize(); });
  });
})();
