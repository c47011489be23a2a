// Living-circle maps (Leaflet, no base tiles needed): buildings coloured by walking time to
// the nearest facility of a type, with the facilities; and the siting tool's proposed sites.
(function () {
  "use strict";
  var L = window.L;
  if (!L) { return; }

  function baseMap(el, tiles) {
    var m = L.map(el, { attributionControl: false, preferCanvas: true });
    if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(m); }
    return m;
  }

  function colour(distance, threshold) {
    if (distance === null) { return "#6c757d"; }
    if (distance <= threshold / 2) { return "#198754"; }
    if (distance <= threshold) { return "#ffc107"; }
    return "#dc3545";
  }

  function walkMap(el) {
    var summary = document.getElementById("walk-map-summary");
    fetch(el.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      })
      .then(function (res) {
        if (!res.ok) { summary.textContent = res.body.message || "加载失败"; return; }
        var data = res.body;
        var m = baseMap(el, data.tiles);
        var group = L.featureGroup().addTo(m);
        var inside = 0, outside = 0, far = 0;
        data.buildings.forEach(function (b) {
          var d = b[2];
          if (d === null) { far += 1; } else if (d <= data.threshold_m) { inside += 1; } else { outside += 1; }
          L.circleMarker([b[0], b[1]], { radius: 4, weight: 0, fillColor: colour(d, data.threshold_m), fillOpacity: 0.85 })
            .bindTooltip(d === null ? "超出计算范围" : ("步行约 " + b[3] + " 分钟（" + Math.round(d) + " 米）"))
            .addTo(group);
        });
        data.facilities.forEach(function (f) {
          L.circleMarker([f[0], f[1]], { radius: 7, color: "#fff", weight: 2, fillColor: "#0d6efd", fillOpacity: 1 })
            .bindTooltip(f[2]).addTo(m);
        });
        if (group.getLayers().length) { m.fitBounds(group.getBounds(), { padding: [12, 12] }); } else { m.setView([31, 118.3], 11); }
        summary.textContent = data.type + "：阈值 " + data.threshold_m + " 米（步速 " + data.speed_kmh + " km/h 约 " +
          data.threshold_min + " 分钟）。阈值内 " + inside + " 栋，超出 " + outside + " 栋，超出计算范围 " + far + " 栋" +
          (data.approximate ? "（直线估算）" : "") + "。";
        el.dataset.loaded = String(data.buildings.length);
      })
      .catch(function () { summary.textContent = "地图数据加载失败，请刷新重试"; });
  }

  function sitingMap(el) {
    var holder = document.getElementById("siting-data");
    if (!holder) { return; }
    var data = JSON.parse(holder.textContent);
    var m = baseMap(el, data.tiles);
    // The view first: a circle in metres needs the map's projection before it is drawn.
    var points = data.sites.map(function (s) { return [s[0], s[1]]; })
      .concat(data.homes.map(function (h) { return [h[0], h[1]]; }));
    m.fitBounds(L.latLngBounds(points).pad(0.1), { maxZoom: 16 });
    data.homes.forEach(function (h) {
      L.circleMarker([h[0], h[1]], { radius: 3, weight: 0, fillColor: h[2] ? "#198754" : "#dc3545", fillOpacity: 0.8 })
        .bindTooltip(h[2] ? "新点位覆盖" : "仍未覆盖").addTo(m);
    });
    data.sites.forEach(function (s, i) {
      L.circle([s[0], s[1]], { radius: data.radius_m, color: "#198754", weight: 1, fillOpacity: 0.12 }).addTo(m);
      L.circleMarker([s[0], s[1]], { radius: 9, color: "#fff", weight: 2, fillColor: "#d63384", fillOpacity: 1 })
        .bindTooltip(String(i + 1), { permanent: true, direction: "top" })
        .bindPopup((i + 1) + ". " + s[2] + "：新增覆盖 " + s[3] + " 人（老年人 " + s[4] + "）")
        .addTo(m);
    });
    el.dataset.sites = String(data.sites.length);
  }

  var walk = document.getElementById("walk-map");
  if (walk && walk.dataset.url) { walkMap(walk); }
  var site = document.getElementById("siting-map");
  if (site) { sitingMap(site); }
})();
