// Central office: a heat map of net sales per showroom and day, drawn as SVG from the JSON in each
// figure's data-heatmap attribute (no inline script or style, so the Content-Security-Policy stays strict).
// Line and bar charts come from charts.js; colours are classes styled in css/office.css.
(function () {
  "use strict";
  // SVG and number helpers shared with charts.js, which the office pages load first.
  const { W, el, text, tip, groups, short } = window.posCharts;
  const LEVELS = 5;
  const money = (v) => (v < 0 ? "−" : "") + groups(Math.abs(v)) + " ₫";

  // Level 1..5 by the value's place between zero and the largest day (square root: small days stay visible).
  function level(v, max) {
    if (v < 0) return "neg";
    if (v === 0) return "h0";
    return "h" + Math.min(LEVELS, 1 + Math.floor(Math.sqrt(v / max) * LEVELS));
  }

  function heatmap(figure, data) {
    const rows = data.rows;
    const days = data.days;
    const labelW = 230, top = 34, right = 8, legendH = 34;
    const rowH = rows.length > 40 ? 14 : 20;
    const cellW = (W - labelW - right) / Math.max(days.length, 1);
    const H = top + rowH * rows.length + legendH;
    const max = Math.max(1, ...rows.map((r) => Math.max(...r.values)));
    const root = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": data.title, class: "chart-svg heatmap-svg" });
    figure.appendChild(root);

    const every = Math.max(1, Math.ceil(days.length / 16));
    days.forEach((day, i) => {
      if (i % every === 0 || i === days.length - 1) {
        const cls = data.weekend && data.weekend[i] ? "tick weekend" : "tick";
        text(root, labelW + cellW * i + cellW / 2, top - 10, day, cls, "middle");
      }
    });
    rows.forEach((row, r) => {
      const y = top + rowH * r;
      // Cut to the label column's width (the full name stays in the tooltip): nothing runs off the left edge.
      const label = row.label.length > 28 ? row.label.slice(0, 27) + "…" : row.label;
      const total = row.values.reduce((a, b) => a + b, 0);
      // The showroom's name opens its sales by day (same period) when the page gives a link.
      const holder = row.href ? el("a", { href: row.href }, root) : el("g", {}, root);
      tip(holder, `${row.label}: ${money(total)} trong kỳ`);
      el("rect", { x: 0, y: y, width: labelW - 2, height: rowH, class: "hit" }, holder);
      text(holder, labelW - 8, y + rowH / 2 + 4, label, rowH < 16 ? "label small" : "label", "end");
      row.values.forEach((v, i) => {
        const cell = el("rect", {
          x: labelW + cellW * i + 0.5,
          y: y + 0.5,
          width: Math.max(1, cellW - 1),
          height: rowH - 1,
          class: "cell " + level(v, max),
        }, root);
        tip(cell, `${row.label} · ${days[i]}: ${v === 0 ? "không có doanh thu" : money(v)}`);
      });
    });

    // Legend: what each shade means, in đồng.
    const ly = top + rowH * rows.length + 12;
    let x = labelW;
    text(root, x - 8, ly + 11, "Chú giải:", "tick", "end");
    const swatch = (cls, caption) => {
      el("rect", { x: x, y: ly, width: 16, height: 14, class: "cell " + cls }, root);
      const t = text(root, x + 21, ly + 11, caption, "tick");
      const drawn = t.getComputedTextLength ? t.getComputedTextLength() : caption.length * 6.6;
      x += 32 + (drawn || caption.length * 6.6);
      return t;
    };
    swatch("h0", "0");
    for (let l = 1; l <= LEVELS; l++) {
      const lo = max * Math.pow((l - 1) / LEVELS, 2);
      const hi = max * Math.pow(l / LEVELS, 2);
      swatch("h" + l, l === 1 ? `dưới ${short(hi, "vnd")}` : `đến ${short(hi, "vnd")}`);
    }
    if (rows.some((r) => r.values.some((v) => v < 0))) swatch("neg", "âm (trả > bán)");
  }

  for (const figure of document.querySelectorAll("[data-heatmap]")) {
    let data;
    try {
      data = JSON.parse(figure.getAttribute("data-heatmap"));
    } catch (err) {
      continue;
    }
    if (data && data.rows && data.rows.length && data.days && data.days.length) heatmap(figure, data);
  }
})();
