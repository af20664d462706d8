// Procedures per month by guidance: a stacked bar chart from the page's JSON data.
(function () {
  "use strict";
  const canvas = document.getElementById("monthly-chart");
  const dataNode = document.getElementById("monthly-chart-data");
  if (!canvas || !dataNode || typeof Chart === "undefined") return;
  const data = JSON.parse(dataNode.textContent);
  const colours = ["#0b3b75", "#2a9d8f", "#e9c46a", "#f4a261", "#6c757d"];
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: data.series.map((s, i) => ({ label: s.label, data: s.data, backgroundColor: colours[i % colours.length] })),
    },
    options: {
      responsive: true,
      animation: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } },
    },
  });
})();
