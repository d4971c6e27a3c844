// Charts of the supervision platform statistics (issue #12 part 9), from the JSON the page embeds.
(function () {
  "use strict";
  var node = document.getElementById("platform-statistics-chart");
  if (!node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  function series(values, type) {
    return data.measures.map(function (m) { return { name: m[1], type: type, data: values[m[0]] }; });
  }
  var legend = { data: data.measures.map(function (m) { return m[1]; }) };
  var months = document.getElementById("chart-months");
  if (months) {
    // richText: the HTML tooltip uses style="" markup, which the Content-Security-Policy blocks.
    echarts.init(months).setOption({
      tooltip: { renderMode: "richText", trigger: "axis" },
      legend: legend,
      grid: { left: 50, right: 20, top: 60, bottom: 30 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", minInterval: 1 },
      series: series(data.by_month, "line")
    });
  }
  var departments = document.getElementById("chart-departments");
  if (departments) {
    echarts.init(departments).setOption({
      tooltip: { renderMode: "richText", trigger: "axis" },
      legend: legend,
      grid: { left: 200, right: 20, top: 60, bottom: 20 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: data.departments, inverse: true },
      series: series(data.by_department, "bar").map(function (s) { s.stack = "all"; return s; })
    });
  }
})();
