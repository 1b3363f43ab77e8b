/* Download statistics charts (Chart.js, vendored), data from the page's JSON endpoint. */
(function () {
  "use strict";
  var root = document.getElementById("podcast-stats");
  if (!root || typeof Chart === "undefined") { return; }
  var label = root.getAttribute("data-label") || "";  // in the page's language
  fetch(root.getAttribute("data-stats-url"), { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (stats) {
      new Chart(document.getElementById("chart-days"), {
        type: "bar",
        data: {
          labels: stats.days.map(function (d) { return d.day; }),
          datasets: [{ label: label, data: stats.days.map(function (d) { return d.downloads; }),
                       backgroundColor: "#2e5e3e" }]
        },
        options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
      });
      new Chart(document.getElementById("chart-apps"), {
        type: "bar",
        data: {
          labels: stats.apps.map(function (a) { return a.app; }),
          datasets: [{ label: label, data: stats.apps.map(function (a) { return a.downloads; }),
                       backgroundColor: "#8a5a00" }]
        },
        options: { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
      });
      root.setAttribute("data-ready", "true");
    });
})();
