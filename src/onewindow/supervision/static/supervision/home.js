// Charts of the supervision home page, from the JSON the page embeds (ECharts served locally).
(function () {
  "use strict";
  var node = document.getElementById("supervision-chart");
  if (!node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  var notices = document.getElementById("chart-notices");
  if (notices) {
    // richText: the tooltip is drawn on the canvas; the HTML tooltip uses style="" markup,
    // which the Content-Security-Policy blocks.
    echarts.init(notices).setOption({
      tooltip: { renderMode: "richText", trigger: "axis" },
      legend: { data: [notices.dataset.received, notices.dataset.answered] },
      grid: { left: 160, right: 20, top: 30, bottom: 20 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: data.departments, inverse: true },
      series: [
        { name: notices.dataset.received, type: "bar", data: data.received },
        { name: notices.dataset.answered, type: "bar", data: data.answered }
      ]
    });
  }
  var records = document.getElementById("chart-records");
  if (records) {
    echarts.init(records).setOption({
      tooltip: { renderMode: "richText" },
      series: [{ type: "pie", radius: ["35%", "65%"],
                 data: data.records.map(function (r) { return { name: r[0], value: r[1] }; }) }]
    });
  }
})();
