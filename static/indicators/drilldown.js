// 驾驶舱 drill-down: the trend line (ECharts) and the map of the sub-regions coloured by
// attainment (Leaflet; works without base tiles). Data comes from the page's JSON block.
(function () {
  "use strict";
  var holder = document.getElementById("indicator-chart-data");
  if (!holder) { return; }
  var data = JSON.parse(holder.textContent);

  var COLORS = { met: "#198754", near: "#ffc107", mid: "#fd7e14", low: "#dc3545", none: "#adb5bd",
                 tracked: "#0d6efd" };

  function colorFor(item) {
    if (item.status === "met") { return COLORS.met; }
    if (item.status === "unmet") {
      var a = item.attainment || 0;
      return a >= 0.8 ? COLORS.near : (a >= 0.5 ? COLORS.mid : COLORS.low);
    }
    if (item.status === "tracked" || item.status === "info") { return COLORS.tracked; }
    return COLORS.none;
  }

  function trendChart() {
    var el = document.getElementById("trend-chart");
    if (!el || !window.echarts) { return; }
    if (!data.series || data.series.length < 2) {
      el.textContent = "暂无月度快照，后台生成后显示趋势";
      el.classList.add("d-flex", "align-items-center", "justify-content-center", "text-muted", "small");
      return;
    }
    var chart = window.echarts.init(el);
    var series = [{
      type: "line", name: data.name, smooth: true, symbolSize: 4,
      data: data.series.map(function (p) { return p[1] === null ? null : Math.round(p[1] * 100) / 100; })
    }];
    var hasTarget = data.target !== null && data.target !== undefined;
    if (hasTarget) {
      series[0].markLine = { symbol: "none", lineStyle: { color: "#dc3545", type: "dashed" },
        label: { formatter: "目标 " + data.target, position: "insideEndTop" },
        data: [{ yAxis: data.target }] };
    }
    chart.setOption({
      animation: false,
      grid: { left: 48, right: 16, top: 24, bottom: 32 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.series.map(function (p) { return p[0]; }) },
      yAxis: {
        type: "value", name: data.unit, scale: true,
        min: function (v) { return hasTarget ? Math.min(v.min, data.target) : v.min; },
        max: function (v) { return hasTarget ? Math.max(v.max, data.target) : v.max; }
      },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function map() {
    var el = document.getElementById("indicator-map");
    if (!el || !window.L) { return; }
    var m = window.L.map(el, { zoomControl: true, attributionControl: false, preferCanvas: false });
    if (data.tiles) { window.L.tileLayer(data.tiles, { maxZoom: 18 }).addTo(m); }
    var group = window.L.featureGroup().addTo(m);
    data.children.forEach(function (item) {
      var color = colorFor(item);
      var faint = item.status === "na" || item.status === "missing";
      var layer = null;
      if (item.boundary) {
        layer = window.L.geoJSON(item.boundary, {
          style: { color: faint ? "#ced4da" : "#495057", weight: 1, fillColor: color,
                   fillOpacity: faint ? 0.15 : 0.8 }
        });
      } else if (item.center && item.center[0] !== null) {
        layer = window.L.circleMarker(item.center, { radius: 9, color: "#495057", weight: 1,
          fillColor: color, fillOpacity: 0.85 });
      }
      if (!layer) { return; }
      layer.bindTooltip(item.name + "：" + item.text + "（" + item.status_label + "）");
      layer.on("click", function () { window.location.href = item.url; });
      layer.addTo(group);
    });
    if (data.self && data.self.boundary) {
      window.L.geoJSON(data.self.boundary, { style: { color: "#0d6efd", weight: 2, fill: false } }).addTo(m);
    }
    if (group.getLayers().length) {
      m.fitBounds(group.getBounds(), { padding: [10, 10] });
    } else {
      // Nothing to draw: say so rather than show an empty grey box.
      m.setView([30.92, 118.33], 10);
      var note = window.L.control({ position: "topright" });
      note.onAdd = function () {
        var div = window.L.DomUtil.create("div", "map-empty-note");
        div.textContent = "下级区划尚无边界或中心点坐标，无法在地图上显示；请看下方表格。";
        return div;
      };
      note.addTo(m);
      el.setAttribute("data-empty", "true");
    }
  }

  trendChart();
  map();
})();
