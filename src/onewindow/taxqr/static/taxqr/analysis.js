// Charts of 数据运用分析 from the JSON the page embeds (ECharts served locally).
(function () {
  "use strict";
  var node = document.getElementById("taxqr-chart");
  if (!node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  function bar(id, pairs, horizontal) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var names = pairs.map(function (p) { return p[0]; });
    var values = pairs.map(function (p) { return p[1]; });
    var category = { type: "category", data: names, axisLabel: { interval: 0, rotate: horizontal ? 0 : 30 } };
    var value = { type: "value", minInterval: 1 };
    echarts.init(el).setOption({
      // richText: the tooltip is drawn on the canvas; the HTML tooltip uses style="" markup,
      // which the Content-Security-Policy blocks.
      tooltip: { renderMode: "richText" }, grid: { left: horizontal ? 110 : 40, right: 10, bottom: 60, top: 10 },
      xAxis: horizontal ? value : category, yAxis: horizontal ? category : value,
      series: [{ type: "bar", data: values }]
    });
  }
  bar("chart-streets", data.streets, true);
  bar("chart-months", data.months, false);
  bar("chart-bands", data.bands, false);
})();
