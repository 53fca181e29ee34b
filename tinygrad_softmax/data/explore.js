"use strict";
(function () {
const D = JSON.parse(document.getElementById("data").textContent);
const SVGNS = "http://www.w3.org/2000/svg";
const N = D.steps.length;
const num = v => (typeof v === "string" ? Number(v) : v);
function fmt(v) {
  v = num(v);
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(4).replace(/\.?0+e/, "e");
  return String(Number(v.toPrecision(5)));
}
function esc(s) { return String(s).replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c])); }
function shapeText(a) { return "(" + a.shape.join(", ") + (a.shape.length === 1 ? "," : "") + ")"; }
function argsText(n) {
  const ks = Object.keys(n.args);
  return ks.length ? n.op + "(" + ks.map(k => k + "=" + n.args[k]).join(", ") + ")" : n.op;
}
function label(i) {
  const n = D.nodes[i];
  if (n.name) return n.name;
  return n.step === null ? "constant " + shapeText(n.value) : "#" + (n.step + 1) + " " + n.op;
}
function shortText(a) {
  if (a.v) {
    if (a.v.length === 1) return fmt(a.v[0]);
    const head = a.v.slice(0, 3).map(fmt).join(", ");
    return "[" + head + (a.v.length > 3 ? ", \u2026" : "") + "]";
  }
  const s = a.stats;
  return s.min === undefined ? "all non-finite" : fmt(s.min) + " \u2026 " + fmt(s.max);
}
// one array in full (small) or as statistics and a heat-map (large)
function heatSVG(h, size) {
  // values of both signs: white at 0, red above, blue below (scaled by the largest |value|);
  // one sign only: light at the smallest |value|, dark at the largest, so a near-constant
  // array still shows its structure
  let lo = Infinity, hi = -Infinity;
  for (const v of h.v) { const x = num(v); if (Number.isFinite(x)) { lo = Math.min(lo, x); hi = Math.max(hi, x); } }
  const both = lo < 0 && hi > 0, mx = Math.max(Math.abs(lo), Math.abs(hi));
  const cw = Math.max(4, Math.min(24, Math.floor(size / h.cols)));
  const ch = Math.max(4, Math.min(24, Math.floor(size / h.rows)));
  let s = '<svg class="heat" width="' + (cw * h.cols) + '" height="' + (ch * h.rows) + '">';
  for (let r = 0; r < h.rows; r++) for (let c = 0; c < h.cols; c++) {
    const v = num(h.v[r * h.cols + c]);
    let col = "#000";
    if (Number.isFinite(v)) {
      let t;  // 0 (white) .. 1 (full colour)
      if (both) t = mx ? Math.abs(v) / mx : 0;
      else t = hi > lo ? 0.15 + 0.85 * (Math.abs(v) - Math.min(Math.abs(lo), Math.abs(hi))) / (mx - Math.min(Math.abs(lo), Math.abs(hi))) : 0.6;
      const k = Math.round(255 * (1 - Math.max(0, Math.min(1, t))));
      col = v >= 0 ? "rgb(255," + k + "," + k + ")" : "rgb(" + k + "," + k + ",255)";
    }
    s += '<rect x="' + c * cw + '" y="' + r * ch + '" width="' + cw + '" height="' + ch + '" fill="' + col +
      '" stroke="#fff" stroke-width="0.5"><title>' + fmt(v) + "</title></rect>";
  }
  return s + "</svg>" + '<div class="meta">heat-map of block means: ' +
    (both ? "red &gt; 0 &gt; blue, white at 0" : "darker = larger |value| (from " + fmt(lo) + " to " + fmt(hi) + ")") + "</div>";
}
function arrayHTML(a) {
  let s = '<div class="arr" data-shape="' + a.shape.join(",") + '">';
  s += '<div class="meta">shape ' + shapeText(a) + " " + a.dtype + "</div>";
  if (a.v) {
    const cols = a.shape.length ? a.shape[a.shape.length - 1] : 1;
    s += "<table>";
    for (let r = 0; r * Math.max(cols, 1) < Math.max(a.v.length, 1) && a.v.length; r++) {
      s += "<tr>" + a.v.slice(r * cols, (r + 1) * cols).map(v => '<td><span class="num">' + fmt(v) + "</span></td>").join("") + "</tr>";
    }
    s += "</table>";
  } else {
    const st = a.stats;
    s += '<table class="stats">' + ["min", "max", "mean", "std", "norm"].filter(k => st[k] !== undefined)
      .map(k => '<tr><td>' + k + '</td><td><span class="stat" data-k="' + k + '">' + fmt(st[k]) + "</span></td></tr>").join("");
    if (st.nonfinite) s += "<tr><td>non-finite</td><td>" + st.nonfinite + "</td></tr>";
    s += "</table>" + heatSVG(a.heat, 160);
  }
  return s + "</div>";
}
// gradient each node holds after `p` steps: [array, how] or null
const partial = D.nodes.map(() => []);
D.steps.forEach((st, s) => st.sends.forEach(snd => { if (snd.grad) partial[snd.to].push([s, snd.sum || snd.grad, snd.k, snd.n]); }));
function gradAt(i, p) {
  const n = D.nodes[i];
  if (n.step !== null && n.step < p) return [D.steps[n.step].grad, "complete"];
  let got = null;
  for (const e of partial[i]) if (e[0] < p) got = e;
  return got ? [got[1], "partial: " + got[2] + " of " + got[3] + " contributions"] : null;
}
// ---- drawing ----
const svg = document.getElementById("graph");
const root = document.createElementNS(SVGNS, "g");
svg.appendChild(root);
svg.innerHTML = '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0,0L10,5L0,10z" fill="#888"/></marker></defs>';
svg.appendChild(root);
function el(tag, attrs, parent) {
  const e = document.createElementNS(SVGNS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  (parent || root).appendChild(e);
  return e;
}
const W = D.nodeW, H = D.nodeH;
for (const c of D.clusters) {
  const inner = D.clusters.filter(d => d !== c && d.members.length < c.members.length && d.members.every(i => c.members.includes(i))).length;
  const pad = 8 + 10 * inner;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const i of c.members) { const n = D.nodes[i]; x0 = Math.min(x0, n.x - W / 2); x1 = Math.max(x1, n.x + W / 2); y0 = Math.min(y0, n.y - H / 2); y1 = Math.max(y1, n.y + H / 2); }
  el("rect", {class: "cluster", x: x0 - pad, y: y0 - pad - 8, width: x1 - x0 + 2 * pad, height: y1 - y0 + 2 * pad + 8, rx: 8});
  const t = el("text", {class: "cluster-label", x: x0 - pad + 4, y: y0 - pad + 3}); t.textContent = c.name;
}
const edgeEls = D.edges.map(e => el("path", {class: "edge", d: e.d, "marker-end": "url(#arrow)"}));
const nodeEls = [], gradText = [];
function clip(s, n) { return s.length > n ? s.slice(0, n - 1) + "\u2026" : s; }
D.nodes.forEach((n, i) => {
  const g = el("g", {class: "node " + n.kind + (n.root ? " root" : ""), transform: "translate(" + (n.x - W / 2) + "," + (n.y - H / 2) + ")"});
  g.dataset.id = i;
  el("rect", {width: W, height: H, rx: 7}, g);
  const title = [n.name || (n.step === null ? "" : "#" + (n.step + 1)), n.comp[n.comp.length - 1] || ""]
    .filter(Boolean).join(" \u00b7 ");
  const lines = [[title || argsText(n), "title"], [title ? argsText(n) : "", ""],
                 [shapeText(n.value) + " " + n.value.dtype, ""], ["value " + shortText(n.value), ""], ["", "grad"]];
  let y = 14;
  for (const [txt, cls] of lines) {
    const t = el("text", {x: 6, y: y, class: cls}, g);
    t.textContent = clip(txt, 30);
    if (cls === "grad") gradText[i] = t;
    if (txt || cls === "grad") y += 14;
  }
  g.addEventListener("click", ev => { ev.stopPropagation(); selected = i; render(); });
  nodeEls.push(g);
});
// ---- pan and zoom ----
let vb = {x: 0, y: 0, w: D.width, h: D.height};
function applyVB() { svg.setAttribute("viewBox", vb.x + " " + vb.y + " " + vb.w + " " + vb.h); }
function fit() {
  const r = svg.getBoundingClientRect(), aspect = (r.width || 800) / (r.height || 600);
  let w = D.width, h = D.height;
  if (w / h < aspect) w = h * aspect; else h = w / aspect;
  vb = {x: (D.width - w) / 2, y: (D.height - h) / 2, w: w, h: h};
  applyVB();
}
svg.addEventListener("wheel", ev => {
  ev.preventDefault();
  const r = svg.getBoundingClientRect(), f = ev.deltaY > 0 ? 1.15 : 1 / 1.15;
  const mx = vb.x + (ev.clientX - r.left) / r.width * vb.w, my = vb.y + (ev.clientY - r.top) / r.height * vb.h;
  vb = {x: mx - (mx - vb.x) * f, y: my - (my - vb.y) * f, w: vb.w * f, h: vb.h * f};
  applyVB();
}, {passive: false});
let drag = null;
svg.addEventListener("mousedown", ev => { drag = {x: ev.clientX, y: ev.clientY, vx: vb.x, vy: vb.y}; });
window.addEventListener("mouseup", () => { drag = null; });
window.addEventListener("mousemove", ev => {
  if (!drag) return;
  const r = svg.getBoundingClientRect();
  vb.x = drag.vx - (ev.clientX - drag.x) / r.width * vb.w;
  vb.y = drag.vy - (ev.clientY - drag.y) / r.height * vb.h;
  applyVB();
});
let zoomedIn = false;
function reveal(i) {
  const n = D.nodes[i];
  const r = svg.getBoundingClientRect();
  if (!zoomedIn && r.width && r.width / vb.w < 0.45) {  // a big graph: the first step zooms to readable size
    zoomedIn = true;
    vb = {x: n.x - r.width / 2, y: n.y - r.height / 2, w: r.width, h: r.height};
    applyVB();
    return;
  }
  if (n.x - W / 2 < vb.x || n.x + W / 2 > vb.x + vb.w || n.y - H / 2 < vb.y || n.y + H / 2 > vb.y + vb.h) {
    vb.x = n.x - vb.w / 2; vb.y = n.y - vb.h / 2; applyVB();
  }
}
// ---- the step panel ----
let pos = 0, selected = null;
function stepHTML(p) {
  if (p === 0) {
    const r = D.nodes[D.steps.length ? D.steps[0].node : 0];
    return "<h2>Before backward</h2><p>The graph has " + D.nodes.length + " tensors. Backward visits the " + N +
      " tensors that need a gradient, newest first, so that every op that used a tensor has sent its share before the tensor passes a gradient on.</p>" +
      "<p>Step 1 starts at <b>" + esc(label(r.id)) + "</b> with dL/dL = 1 (or the gradient you passed). Press &#x2192;.</p>";
  }
  const st = D.steps[p - 1], n = D.nodes[st.node];
  let s = '<h2 class="visit">Step ' + p + ": visiting <b>" + esc(label(st.node)) + "</b></h2>";
  s += '<div class="meta">' + esc(argsText(n)) + (n.comp.length ? " \u00b7 inside " + esc(n.comp.join(" \u203a ")) : "") + "</div>";
  s += '<h3>Upstream gradient arriving: dL/d(' + esc(label(st.node)) + ")</h3>";
  s += '<div class="upstream">' + arrayHTML(st.grad) + "</div>";
  if (st.leaf) {
    s += "<p>" + (st.accumulates ? "A leaf: this gradient is added into its <code>.grad</code>." : "A tensor that called retain_grad(): its <code>.grad</code> keeps this gradient.") + "</p>";
    return s;
  }
  if (n.formula) s += '<h3>Derivative (from the op\u2019s docstring)</h3><div class="formula">' + esc(n.formula) + "</div>";
  s += "<h3>Sends to its inputs</h3>";
  for (const snd of st.sends) {
    const who = "input " + snd.input + " \u2192 " + esc(label(snd.to));
    if (!snd.grad) { s += '<div class="send none" data-to="' + snd.to + '">' + who + ": nothing (needs no gradient)</div>"; continue; }
    s += '<div class="send" data-to="' + snd.to + '"><div>' + who + (snd.n > 1 ? ' <span class="meta">(contribution ' + snd.k + " of " + snd.n + ")</span>" : "") + "</div>";
    s += '<div class="sent">' + arrayHTML(snd.grad) + "</div>";
    if (snd.sum) s += '<div class="runsum"><div class="meta">running sum of dL/d(' + esc(label(snd.to)) + ") so far (" + snd.k + " of " + snd.n + ")</div>" + arrayHTML(snd.sum) + "</div>";
    s += "</div>";
  }
  return s;
}
function inspectHTML(i, p) {
  const n = D.nodes[i];
  let s = "<h2>Node " + esc(label(i)) + "</h2><div class=\"meta\">" + esc(argsText(n)) + (n.comp.length ? " \u00b7 inside " + esc(n.comp.join(" \u203a ")) : "") +
    (n.step === null ? " \u00b7 not visited by backward (needs no gradient)" : " \u00b7 visited at step " + (n.step + 1)) + "</div>";
  if (n.formula) s += '<div class="formula">' + esc(n.formula) + "</div>";
  s += "<h3>Value</h3>" + arrayHTML(n.value);
  const g = gradAt(i, p);
  s += "<h3>Gradient dL/d(" + esc(label(i)) + ")" + (g ? " \u2014 " + g[1] : "") + "</h3>" +
    (g ? '<div class="igrad">' + arrayHTML(g[0]) + "</div>" : '<div class="meta">not received yet</div>');
  return s;
}
function render() {
  pos = Math.max(0, Math.min(N, pos));
  const cur = pos > 0 ? D.steps[pos - 1] : null;
  const targets = new Set(cur ? cur.sends.filter(x => x.grad).map(x => x.to) : []);
  D.nodes.forEach((n, i) => {
    const cl = nodeEls[i].classList;
    const g = gradAt(i, pos);
    cl.toggle("current", !!cur && cur.node === i);
    cl.toggle("done", n.step !== null && n.step < pos - 1);
    cl.toggle("target", targets.has(i));
    cl.toggle("partial", !!g && g[1] !== "complete");
    cl.toggle("selected", selected === i);
    gradText[i].textContent = g ? clip("grad " + shortText(g[0]), 30) : "";
  });
  D.edges.forEach((e, k) => edgeEls[k].classList.toggle("hot", !!cur && e.to === cur.node));
  document.getElementById("counter").textContent = "step " + pos + " / " + N;
  document.getElementById("step").innerHTML = stepHTML(pos);
  const shown = selected !== null ? selected : (cur ? cur.node : null);
  document.getElementById("inspect").innerHTML = shown === null ? "" : inspectHTML(shown, pos);
  if (cur) reveal(cur.node);
}
function go(p) { pos = p; selected = null; render(); }
document.getElementById("first").onclick = () => go(0);
document.getElementById("prev").onclick = () => go(pos - 1);
document.getElementById("next").onclick = () => go(pos + 1);
document.getElementById("last").onclick = () => go(N);
document.getElementById("fit").onclick = fit;
svg.addEventListener("click", () => { selected = null; render(); });
document.addEventListener("keydown", ev => {
  if (ev.key === "ArrowRight" || ev.key === "ArrowDown") { go(pos + 1); ev.preventDefault(); }
  else if (ev.key === "ArrowLeft" || ev.key === "ArrowUp") { go(pos - 1); ev.preventDefault(); }
  else if (ev.key === "Home") go(0);
  else if (ev.key === "End") go(N);
});
fit();
const start = /[?&]step=(\d+)/.exec(location.search);
if (start) pos = Number(start[1]);
render();
// ---- self-test: step through everything and write down what was displayed ----
function shownArray(box) {
  if (!box) return null;
  const a = box.querySelector(".arr");
  const out = {shape: a.dataset.shape};
  const nums = a.querySelectorAll(".num");
  if (nums.length || !a.querySelector(".stats")) out.values = Array.from(nums, x => x.textContent);
  else { out.stats = {}; a.querySelectorAll(".stat").forEach(x => { out.stats[x.dataset.k] = x.textContent; }); }
  return out;
}
if (/[?&]selftest\b/.test(location.search)) {
  const report = {steps: [], errors: window.__errors};
  try {
    go(0);
    for (let p = 1; p <= N; p++) {
      document.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight"}));
      const panel = document.getElementById("step");
      const st = D.steps[p - 1];
      const rec = {counter: document.getElementById("counter").textContent,
                   visit: panel.querySelector("h2").textContent, node: st.node,
                   current: nodeEls.map((g, i) => g.classList.contains("current") ? i : -1).filter(i => i >= 0),
                   upstream: shownArray(panel.querySelector(".upstream")), sends: [],
                   inspected: shownArray(document.querySelector("#inspect .igrad"))};
      panel.querySelectorAll(".send").forEach(d => rec.sends.push({to: Number(d.dataset.to),
        grad: shownArray(d.querySelector(".sent")), sum: shownArray(d.querySelector(".runsum"))}));
      report.steps.push(rec);
    }
    document.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowLeft"}));
    report.afterBack = document.getElementById("counter").textContent;
    document.getElementById("first").click();
    report.afterFirst = document.getElementById("counter").textContent;
  } catch (e) { window.__errors.push(String(e && e.stack || e)); }
  report.errors = window.__errors;
  const out = document.getElementById("selftest");
  out.textContent = JSON.stringify(report);
  out.hidden = false;
}
document.getElementById("errors").textContent = JSON.stringify(window.__errors);
})();
