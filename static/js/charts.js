// Report charts drawn as SVG from the JSON in each figure's data-chart attribute.
// No library and no inline script or style, so the Content-Security-Policy stays strict; colours come
// from classes styled in css/reports.css.
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  const W = 960;

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, x, y, content, cls, anchor) {
    const node = el("text", { x: x, y: y, class: cls || "", "text-anchor": anchor || "start" }, parent);
    node.textContent = content;
    return node;
  }

  function tip(parent, content) {
    el("title", {}, parent).textContent = content;
  }

  const groups = (n) => Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  const money = (v) => groups(v) + " ₫";
  const full = (v, unit) => (unit === "vnd" ? money(v) : groups(v));

  // Short axis labels in the way people say them: 500.000 -> "500 nghìn", 1.250.000 -> "1,3 tr", 2 tỷ.
  function short(v, unit) {
    if (unit !== "vnd") return groups(v);
    const abs = Math.abs(v);
    const fmt = (x) => (Math.round(x * 10) / 10).toString().replace(".", ",");
    if (abs >= 1e9) return fmt(v / 1e9) + " tỷ";
    if (abs >= 1e6) return fmt(v / 1e6) + " tr";
    if (abs >= 1e3) return fmt(v / 1e3) + " nghìn";
    return groups(v);
  }

  // A round axis maximum and step (1, 2 or 5 times a power of ten).
  function scale(max) {
    if (max <= 0) return { max: 1, step: 1 };
    const raw = max / 4;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
    return { max: Math.ceil(max / step) * step, step: step };
  }

  function svg(figure, height, label) {
    const node = el("svg", { viewBox: `0 0 ${W} ${height}`, role: "img", "aria-label": label, class: "chart-svg" });
    figure.appendChild(node);
    return node;
  }

  function yAxis(root, s, top, bottom, left, right, unit) {
    for (let v = 0; v <= s.max + 1e-9; v += s.step) {
      const y = bottom - ((bottom - top) * v) / s.max;
      el("line", { x1: left, x2: right, y1: y, y2: y, class: v === 0 ? "axis" : "grid" }, root);
      text(root, left - 8, y + 4, short(v, unit), "tick", "end");
    }
  }

  function lineChart(figure, data) {
    const H = 280, top = 16, bottom = H - 34, left = 78, right = W - 12;
    const values = data.values.map((v) => Math.max(0, v));
    const s = scale(Math.max(...values, 0));
    const root = svg(figure, H, data.title);
    yAxis(root, s, top, bottom, left, right, data.unit);
    const n = values.length;
    const x = (i) => (n === 1 ? (left + right) / 2 : left + ((right - left) * i) / (n - 1));
    const y = (v) => bottom - ((bottom - top) * v) / s.max;
    const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
    el("polygon", { points: `${x(0)},${bottom} ${points.join(" ")} ${x(n - 1)},${bottom}`, class: "area" }, root);
    el("polyline", { points: points.join(" "), class: "line" }, root);
    const every = Math.max(1, Math.ceil(n / 12));
    const slot = n > 1 ? (right - left) / (n - 1) : right - left;
    data.labels.forEach((label, i) => {
      // Thin the day labels; the last one is kept, right-aligned, unless it would touch the previous one.
      const last = i === n - 1;
      if (i % every === 0 && (last || n - 1 - i >= every / 2 || n <= 12)) {
        text(root, x(i), bottom + 18, label, "tick", last && n > 1 ? "end" : "middle");
      } else if (last) {
        text(root, x(i), bottom + 18, label, "tick", "end");
      }
      if (n <= 62) el("circle", { cx: x(i), cy: y(values[i]), r: 3, class: "dot" }, root);
      const hit = el("rect", { x: x(i) - slot / 2, y: top, width: slot, height: bottom - top, class: "hit" }, root);
      tip(hit, `${label}: ${full(data.values[i], data.unit)}`);
    });
  }

  function columnChart(figure, data) {
    const H = 260, top = 16, bottom = H - 34, left = 78, right = W - 12;
    const s = scale(Math.max(...data.values, 0));
    const root = svg(figure, H, data.title);
    yAxis(root, s, top, bottom, left, right, data.unit);
    const n = data.values.length;
    const slot = (right - left) / Math.max(n, 1);
    data.values.forEach((v, i) => {
      const h = ((bottom - top) * Math.max(0, v)) / s.max;
      const bar = el("rect", { x: left + slot * i + slot * 0.15, y: bottom - h, width: slot * 0.7, height: h, class: "bar" }, root);
      tip(bar, `${data.labels[i]}: ${full(v, data.unit)}`);
      text(root, left + slot * i + slot / 2, bottom + 18, data.labels[i], "tick", "middle");
    });
  }

  function barChart(figure, data, share) {
    const row = 28, top = 6, labelW = 250, valueW = 200;
    const n = data.values.length;
    const H = top * 2 + row * n;
    const root = svg(figure, H, data.title);
    const total = data.values.reduce((a, b) => a + Math.max(0, b), 0);
    const max = Math.max(...data.values, 1);
    const span = W - labelW - valueW - 16;
    data.values.forEach((v, i) => {
      const y = top + row * i;
      const label = data.labels[i].length > 34 ? data.labels[i].slice(0, 33) + "…" : data.labels[i];
      text(root, labelW - 10, y + row / 2 + 5, label, "label", "end");
      const w = Math.max(1, (span * Math.max(0, v)) / max);
      const other = share && i === n - 1 && /^Khác/.test(data.labels[i]);
      const bar = el("rect", { x: labelW, y: y + 5, width: w, height: row - 10, rx: 3, class: other ? "bar other" : "bar" }, root);
      const pct = total > 0 ? ((100 * Math.max(0, v)) / total).toFixed(1).replace(".", ",") + "%" : "";
      const shown = share ? `${pct} · ${short(v, data.unit)}` : full(v, data.unit);
      tip(bar, `${data.labels[i]}: ${full(v, data.unit)}${share ? " (" + pct + ")" : ""}`);
      text(root, labelW + w + 8, y + row / 2 + 5, shown, "value");
    });
  }

  // The drawing and number helpers, for the office heat map (office-charts.js, loaded after this file),
  // set before drawing so that one bad chart cannot leave the heat map without them.
  window.posCharts = Object.freeze({ W: W, el: el, text: text, tip: tip, groups: groups, short: short });

  for (const figure of document.querySelectorAll("[data-chart]")) {
    let data;
    try {
      data = JSON.parse(figure.getAttribute("data-chart"));
    } catch (err) {
      continue;
    }
    if (!data || !data.values || !data.values.length) continue;
    if (data.type === "line") lineChart(figure, data);
    else if (data.type === "columns") columnChart(figure, data);
    else barChart(figure, data, data.type === "share");
  }
})();
