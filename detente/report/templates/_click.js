// Clicking a marker that carries an event id leads to its evidence: an anchor in the report,
// the event's page on the dashboard (data-evidence-base on <body>).
window.addEventListener("load", function () {
  var base = document.body.getAttribute("data-evidence-base") || "#ev-";
  var panel = document.getElementById("event-detail");
  document.querySelectorAll(".js-plotly-plot").forEach(function (gd) {
    if (!gd.on) { return; }
    gd.on("plotly_click", function (ev) {
      var pt = ev && ev.points && ev.points[0];
      if (!pt) { return; }
      var id = pt.customdata;
      if (Array.isArray(id)) { id = null; }
      if (panel && pt.hovertext) { panel.innerHTML = pt.hovertext; }
      if (!id) { return; }
      if (base.charAt(0) === "#") {
        var row = document.getElementById(base.slice(1) + id);
        if (row) { window.location.hash = base.slice(1) + id; }
      } else {
        window.location.href = base + encodeURIComponent(id);
      }
    });
  });
});
