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

// On a phone (narrower than 640 px) a legend at the right leaves the plot no room: move it
// under the plot and shrink the margins, so every chart keeps its full width.
(function () {
  var narrow = null;
  function fit() {
    var now = window.innerWidth < 640;
    if (now === narrow || typeof Plotly === "undefined") { return; }
    narrow = now;
    document.querySelectorAll(".js-plotly-plot").forEach(function (gd) {
      if (!gd.layout) { return; }
      if (!gd._wideLayout) {
        gd._wideLayout = {"legend.orientation": (gd.layout.legend || {}).orientation || "v",
                          "legend.x": (gd.layout.legend || {}).x, "legend.y": (gd.layout.legend || {}).y,
                          "margin.l": (gd.layout.margin || {}).l, "margin.r": (gd.layout.margin || {}).r,
                          "yaxis.ticklabelposition": (gd.layout.yaxis || {}).ticklabelposition || "outside"};
      }
      // Lane and axis labels go inside the plot: on a phone they would take half its width.
      Plotly.relayout(gd, now ? {"legend.orientation": "h", "legend.x": 0, "legend.y": -0.25,
                                 "margin.l": 4, "margin.r": 4,
                                 "yaxis.ticklabelposition": "inside"} : gd._wideLayout);
    });
  }
  window.addEventListener("load", fit);
  window.addEventListener("resize", fit);
})();
