// @ts-check
/* 统计分析: draws each chart of the page from its data-chart JSON with Apache ECharts (SVG renderer), so the
   charts print well and their text can be read by tests and screen readers. The same numbers are in the
   table beside each chart. No inline script: the page works under a strict Content-Security-Policy. */
(function () {
  "use strict";
  /* global echarts */

  /** The ECharts option of one chart shape (server/services/stats/shapes.py chart()). */
  function optionOf(chart) {
    const unit = chart.unit || "";
    const legend = { top: 0, type: "scroll" };
    const tooltip = { trigger: chart.kind === "pie" ? "item" : "axis", valueFormatter: (v) => (v == null ? "暂无数据" : v + unit) };
    if (chart.kind === "pie") {
      const values = chart.series[0].data;
      return {
        animation: false, aria: { enabled: true }, tooltip, legend: { ...legend, data: chart.categories },
        series: [{ type: "pie", name: chart.series[0].name, radius: ["35%", "65%"], top: 30,
          label: { formatter: "{b}：{c}" },
          data: chart.categories.map((name, i) => ({ name, value: values[i] })).filter((d) => d.value) }],
      };
    }
    const series = chart.series.map((s, i) => {
      const out = { type: chart.kind, name: s.name, data: s.data, connectNulls: false };
      if (i === 0 && chart.floor != null) {
        out.markLine = { symbol: "none", silent: true, lineStyle: { type: "dashed", color: "#c0392b" },
          label: { formatter: "底线 " + chart.floor + unit, position: "insideEndTop" }, data: [{ yAxis: chart.floor }] };
      }
      return out;
    });
    const many = chart.categories.length > 6;
    return {
      animation: false, aria: { enabled: true }, tooltip, legend: { ...legend, data: chart.series.map((s) => s.name) },
      grid: { left: 48, right: 16, top: 36, bottom: many ? 96 : 40 },
      xAxis: { type: "category", data: chart.categories,
        axisLabel: { interval: 0, rotate: many ? 35 : 0, width: 110, overflow: "truncate" } },
      yAxis: { type: "value", axisLabel: { formatter: "{value}" + unit } },
      series,
    };
  }

  const charts = [];
  document.querySelectorAll(".chart[data-chart]").forEach((el) => {
    const data = JSON.parse(el.getAttribute("data-chart") || "{}");
    const chart = echarts.init(/** @type {HTMLElement} */ (el), null, { renderer: "svg", locale: "ZH" });
    chart.setOption(optionOf(data));
    el.setAttribute("data-rendered", "1");
    charts.push(chart);
  });
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
