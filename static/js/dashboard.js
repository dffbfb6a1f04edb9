// Draw a unit dashboard's charts from the page's "dashboard-data" JSON
// (reports/dashboard.py shapes it; labels arrive translated in the page language).
//
// Why Chart.js (static/vendor/chartjs/, v4 UMD build) and not ECharts: it is about a
// fifth of the size (about 205 KB against about 1 MB minified), which counts on phones
// on union intranets; it draws on a canvas with built-in accessibility hooks (each
// canvas here has role="img" and an aria-label, and its numbers are in a table); and it
// uses no eval, so a strict Content-Security-Policy holds. Served from our own static
// files, never a CDN: many union networks cannot reach one.
//
// The charts are a picture of the tables printed with them: without scripts, or when
// printing, the tables carry the same numbers.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  var Chart = window.Chart;

  var lang = document.documentElement.lang || "zh-CN";
  var count = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  var money = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var percent = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  // The stylesheet's red first, then colours that stay apart for most kinds of colour blindness.
  var PALETTE = ["#b3261e", "#1f4e8c", "#d08c00", "#1e6b3a", "#6b3fa0", "#5f5f5f", "#2a8c8c", "#e07a5f"];
  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#1f1f1f";
  if (reducedMotion) Chart.defaults.animation = false;

  function formatter(chart) {
    if (chart.percent) return function (v) { return percent.format(v) + "%"; };
    if (chart.money) return function (v) { return money.format(v); };
    return function (v) { return count.format(v); };
  }

  function config(chart) {
    var format = formatter(chart);
    var doughnut = chart.kind === "doughnut";
    var datasets = chart.series.map(function (series, index) {
      var colour = PALETTE[index % PALETTE.length];
      return {
        label: series.label,
        data: series.values,
        backgroundColor: doughnut ? chart.labels.map(function (_, i) { return PALETTE[i % PALETTE.length]; }) : colour,
        borderColor: doughnut ? "#fff" : colour,
        borderWidth: chart.kind === "line" ? 2 : 1,
        tension: 0.25,
        spanGaps: true
      };
    });
    // A doughnut shows one series (this period); the table beside it has the year before too.
    if (doughnut) datasets = datasets.slice(0, 1);
    var valueAxis = {
      beginAtZero: true,
      // Whole numbers on the axis (yuan without fen); the tooltips and the table are exact.
      ticks: { callback: function (v) { return chart.percent ? format(v) : count.format(v); }, precision: 0 }
    };
    if (chart.percent) valueAxis.max = 100;
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: chart.horizontal ? "y" : "x",
      plugins: {
        legend: { display: doughnut || datasets.length > 1, position: "bottom" },
        tooltip: {
          callbacks: {
            label: function (item) {
              var value = item.raw === null ? "—" : format(item.raw);
              return (doughnut ? item.label : item.dataset.label) + ": " + value;
            }
          }
        }
      }
    };
    if (!doughnut) {
      var categoryAxis = { ticks: { autoSkip: !chart.horizontal } };
      options.scales = chart.horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis };
    }
    return { type: chart.kind, data: { labels: chart.labels, datasets: datasets }, options: options };
  }

  data.charts.forEach(function (chart) {
    var canvas = document.getElementById("chart-" + chart.key);
    if (!canvas) return;
    var box = canvas.parentElement;
    if (box.dataset.horizontal) {
      // One bar per label: a long list of units gets a taller chart, not thinner bars.
      var rows = Number(box.dataset.rows) || 1;
      box.style.height = Math.max(12, rows * 2.2 * Math.max(1, chart.series.length) + 4) + "rem";
    }
    new Chart(canvas, config(chart));
    canvas.dataset.drawn = "true";
  });

  // A closed <details> prints closed: open every chart's table for printing, then put back.
  var closed = [];
  window.addEventListener("beforeprint", function () {
    closed = Array.prototype.filter.call(document.querySelectorAll("details.chart-table"), function (d) {
      return !d.open;
    });
    closed.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closed.forEach(function (d) { d.open = false; });
    closed = [];
  });
})();
