// Report page: pick the place on the map or use the phone's position, and look for the
// same problem nearby before submitting (附近已有相同问题). No tiles needed: the map shows
// the communities' centres when no tile server is configured.
(function () {
  "use strict";
  var configEl = document.getElementById("case-map-config");
  var form = document.querySelector("[data-testid=report-form]");
  if (!configEl || !form) { return; }
  var config = JSON.parse(configEl.textContent);
  var lngInput = form.querySelector("input[name=lng]");
  var latInput = form.querySelector("input[name=lat]");
  var systemInput = form.querySelector("input[name=coord_system]");
  var category = form.querySelector("select[name=category]");
  var label = document.getElementById("case-location-label");
  var nearby = document.getElementById("case-nearby");
  var photos = document.getElementById("case-photos");
  var map = null;
  var marker = null;

  function lookNearby() {
    // Asked as soon as a point is picked: the answer names the place, and (once a category
    // is chosen) the same problems nearby.
    if (!lngInput.value || !window.htmx) { return; }
    var url = config.nearbyUrl + "?category=" + encodeURIComponent(category.value) +
      "&lng=" + encodeURIComponent(lngInput.value) + "&lat=" + encodeURIComponent(latInput.value);
    window.htmx.ajax("GET", url, { target: nearby, swap: "innerHTML" });
  }

  function place(lng, lat, text) {
    lngInput.value = lng.toFixed(7);
    latInput.value = lat.toFixed(7);
    systemInput.value = "wgs84";
    label.textContent = text + "（" + lng.toFixed(5) + ", " + lat.toFixed(5) + "）";
    if (map) {
      if (marker) { marker.setLatLng([lat, lng]); }
      else { marker = window.L.circleMarker([lat, lng], { radius: 9, color: "#d63384" }).addTo(map); }
      map.setView([lat, lng], Math.max(map.getZoom(), 15));
    }
    lookNearby();
  }

  if (window.L) {
    map = window.L.map("case-map").setView([config.center[1], config.center[0]], config.zoom || 13);
    map.attributionControl.setPrefix(false);
    if (config.tiles) {
      window.L.tileLayer(config.tiles, { maxZoom: 18 }).addTo(map);
    }
    config.communities.forEach(function (c) {
      if (c.lng === null || c.lat === null) { return; }
      window.L.circleMarker([c.lat, c.lng], { radius: 4, color: "#0d6efd", weight: 1 })
        .bindTooltip(c.name).addTo(map);
    });
    map.on("click", function (event) { place(event.latlng.lng, event.latlng.lat, "已选择位置"); });
  }

  document.getElementById("case-locate").addEventListener("click", function () {
    if (!navigator.geolocation) { label.textContent = "此设备不支持定位，请在地图上点选"; return; }
    label.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      place(pos.coords.longitude, pos.coords.latitude, "当前位置");
    }, function () {
      label.textContent = "定位失败，请在地图上点选或选择社区";
    }, { enableHighAccuracy: true, timeout: 10000 });
  });
  category.addEventListener("change", lookNearby);
  if (photos) {
    photos.addEventListener("change", function () {
      var max = parseInt(photos.getAttribute("data-max-files"), 10) || 9;
      photos.setCustomValidity(photos.files.length > max ? "最多只能选择 " + max + " 张照片" : "");
      photos.reportValidity();
    });
  }
  if (lngInput.value && latInput.value) {
    place(parseFloat(lngInput.value), parseFloat(latInput.value), "已选择位置");
  }
})();
