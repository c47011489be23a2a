// Statistics charts (ECharts, vendored): the three rates by group, cases per month, top
// categories. The data comes from a json_script block rendered by the page.
(function () {
  "use strict";
  var el = document.getElementById("case-stats-data");
  if (!el || !window.echarts) { return; }
  var data = JSON.parse(el.textContent);
  function chart(id, option) {
    var node = document.getElementById(id);
    if (!node) { return; }
    var c = window.echarts.init(node);
    // Cheap phones: no animation. ECharts 6 centres titles by default: pin the title to the
    // top line and keep the legend below it, or they overlap on a 375-px screen.
    option.animation = false;
    option.title.left = "center";
    option.title.top = 0;
    if (option.legend) { option.legend.top = 26; }
    c.setOption(option);
    window.addEventListener("resize", function () { c.resize(); });
  }
  chart("chart-rates", {
    title: { text: "三率对比（%）", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { top: 24, data: ["响应率", "解决率", "满意率"] },
    grid: { top: 60, left: 40, right: 10, bottom: 60 },
    xAxis: { type: "category", data: data.groups, axisLabel: { rotate: 30 } },
    yAxis: { type: "value", max: 100 },
    series: [
      { name: "响应率", type: "bar", data: data.response },
      { name: "解决率", type: "bar", data: data.solve },
      { name: "满意率", type: "bar", data: data.satisfaction }
    ]
  });
  chart("chart-months", {
    title: { text: "月度案件数", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { top: 24, data: ["上报", "超期"] },
    grid: { top: 60, left: 40, right: 10, bottom: 30 },
    xAxis: { type: "category", data: data.months },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "上报", type: "line", data: data.monthReported },
      { name: "超期", type: "line", data: data.monthOverdue }
    ]
  });
  chart("chart-top", {
    title: { text: "高发问题分类", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "item" },
    series: [{ type: "pie", radius: ["35%", "65%"], top: 30, data: data.top }]
  });
})();
