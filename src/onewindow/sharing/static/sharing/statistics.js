// Charts of the data-sharing statistics (issue #13 part 6), from the JSON the page embeds.
(function () {
  "use strict";
  var node = document.getElementById("sharing-statistics-chart");
  if (!node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  var shown = ["ok", "not_found", "failed"];
  var label = {};
  data.measures.forEach(function (m) { label[m[0]] = m[1]; });
  // richText: the HTML tooltip uses style="" markup, which the Content-Security-Policy blocks.
  var tooltip = { renderMode: "richText", trigger: "axis" };
  var months = document.getElementById("chart-months");
  if (months) {
    echarts.init(months).setOption({
      tooltip: tooltip,
      legend: { data: ["total", "failed", "saved"].map(function (m) { return label[m]; }) },
      grid: { left: 50, right: 20, top: 60, bottom: 30 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", minInterval: 1 },
      series: ["total", "failed", "saved"].map(function (m) {
        return { name: label[m], type: "line", data: data.by_month[m] };
      })
    });
  }
  function stacked(id, names, values) {
    var el = document.getElementById(id);
    if (!el) { return; }
    echarts.init(el).setOption({
      tooltip: tooltip,
      legend: { data: shown.map(function (m) { return label[m]; }) },
      grid: { left: 200, right: 20, top: 60, bottom: 20 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: names, inverse: true },
      series: shown.map(function (m) {
        return { name: label[m], type: "bar", stack: "all", data: values[m] };
      })
    });
  }
  stacked("chart-resources", data.resources, data.by_resource);
  stacked("chart-consumers", data.consumers, data.by_consumer);
  var failures = document.getElementById("chart-failures");
  if (failures) {
    echarts.init(failures).setOption({
      tooltip: { renderMode: "richText", trigger: "item" },
      series: [{ type: "pie", radius: "55%", label: { width: 130, overflow: "break" },
                 data: data.failures.map(function (f) { return { name: f[0], value: f[1] }; }) }]
    });
  }
})();
