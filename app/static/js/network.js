// Directory map: an enhancement over the server-rendered list. The map stays hidden until a
// tile actually loads; if tiles fail (offline tile server, blocked network) the list alone remains.
(function () {
  "use strict";
  var box = document.getElementById("directory-map");
  if (!box || typeof L === "undefined") { return; }
  var items = document.querySelectorAll(".directory-results [data-lat][data-lon]");
  if (!items.length) { return; }

  box.hidden = false;  // Leaflet needs a sized container; it stays invisible until a tile loads
  box.classList.add("map-pending");
  var map = L.map(box, { scrollWheelZoom: false, zoomControl: false });
  // Leaflet's own button titles are English: the page gives them in its language.
  L.control.zoom({
    zoomInTitle: box.dataset.zoomIn || "+",
    zoomOutTitle: box.dataset.zoomOut || "-"
  }).addTo(map);
  var layer = L.tileLayer(box.dataset.tileUrl, {
    maxZoom: 18,
    attribution: box.dataset.attribution || ""
  });
  var loaded = false;
  function giveUp() {
    if (loaded) { return; }
    map.remove();
    box.hidden = true;
    box.classList.remove("map-pending");
    box.dataset.state = "unavailable";
  }
  layer.on("tileload", function () {
    loaded = true;
    box.classList.remove("map-pending");
    box.dataset.state = "ready";
  });
  layer.on("tileerror", function () { if (!loaded) { giveUp(); } });
  window.setTimeout(giveUp, 8000);
  layer.addTo(map);

  var bounds = [];
  items.forEach(function (item) {
    var lat = parseFloat(item.dataset.lat), lon = parseFloat(item.dataset.lon);
    if (isNaN(lat) || isNaN(lon)) { return; }
    var link = document.createElement("a");
    link.href = item.dataset.url;
    link.textContent = item.dataset.name;  // text, never HTML: names are user input
    L.marker([lat, lon], { title: item.dataset.name, alt: item.dataset.name })
      .addTo(map).bindPopup(link);
    bounds.push([lat, lon]);
  });
  if (bounds.length === 1) { map.setView(bounds[0], 11); } else { map.fitBounds(bounds, { padding: [24, 24] }); }
})();
