// Statistics charts (ECharts, vendored): the three rates by group, cases per month, top
// categories. The data comes from a json_script block rendered by the page.
(function () {
  "use strict";
  var el = document.getElementById("case-stats-data");
  if (!el || !window.echarts) { return; }
  var data = JSON.parse(el.textContent);
  var t = data.labels; // the page's language
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
    title: { text: t.rates, textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { top: 24, data: [t.response, t.solve, t.satisfaction] },
    grid: { top: 60, left: 40, right: 10, bottom: 60 },
    xAxis: { type: "category", data: data.groups, axisLabel: { rotate: 30 } },
    yAxis: { type: "value", max: 100 },
    series: [
      { name: t.response, type: "bar", data: data.response },
      { name: t.solve, type: "bar", data: data.solve },
      { name: t.satisfaction, type: "bar", data: data.satisfaction }
    ]
  });
  chart("chart-months", {
    title: { text: t.months, textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { top: 24, data: [t.reported, t.overdue] },
    grid: { top: 60, left: 40, right: 10, bottom: 30 },
    xAxis: { type: "category", data: data.months },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: t.reported, type: "line", data: data.monthReported },
      { name: t.overdue, type: "line", data: data.monthOverdue }
    ]
  });
  chart("chart-top", {
    title: { text: t.top, textStyle: { fontSize: 14 } },
    tooltip: { trigger: "item" },
    // Category names wrap rather than end in "…" beside a phone's narrow ring.
    series: [{
      type: "pie", radius: ["30%", "55%"], top: 30, data: data.top,
      label: { overflow: "break", width: 64, fontSize: 11 }
    }]
  });
})();
