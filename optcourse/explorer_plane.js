// The plane explorer's script (see optcourse/explorer_plane.py). __UID__ is replaced by the id of
// the explorer's <div>. It only selects and draws: every path, loss, regime name and contour line
// was computed in Python and is read from the JSON <script> block. The frame shown is the
// row-major number of the sliders' indices, whatever the sliders are.
(function () {
  var root = document.getElementById("__UID__");
  var D = JSON.parse(root.querySelector(".oc-data").textContent);
  var W = D.size[0], H = D.size[1], P = D.size[2], NS = "http://www.w3.org/2000/svg";
  var top = 10, bottom = H - P, left = P, right = W - 10, B = D.box;
  function clamp(v) { return Math.max(-1e4, Math.min(1e4, v)); }
  function sx(x) { return clamp(left + (x - B[0][0]) / (B[0][1] - B[0][0]) * (right - left)); }
  function sy(y) { return clamp(bottom - (y - B[1][0]) / (B[1][1] - B[1][0]) * (bottom - top)); }
  function el(name, attrs, parent, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (text !== undefined) { e.textContent = text; }
    parent.appendChild(e);
    return e;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  var axes = root.querySelector(".oc-axes"), labels = root.querySelector(".oc-labels");
  el("rect", {x: left, y: top, width: right - left, height: bottom - top}, axes);
  function frameScene(s) {  // the box's labels and the crosses of scene s (one box: drawn once)
    if (D.boxes) { B = D.boxes[s]; }
    clear(labels);
    el("text", {x: (left + right) / 2, y: H - 6, "text-anchor": "middle"}, labels, "θ₁");
    el("text", {x: 10, y: (top + bottom) / 2, "text-anchor": "middle"}, labels, "θ₂");
    el("text", {x: left, y: bottom + 14, "text-anchor": "middle"}, labels, String(B[0][0]));
    el("text", {x: right, y: bottom + 14, "text-anchor": "middle"}, labels, String(B[0][1]));
    el("text", {x: left - 4, y: bottom, "text-anchor": "end"}, labels, String(B[1][0]));
    el("text", {x: left - 4, y: top + 10, "text-anchor": "end"}, labels, String(B[1][1]));
    var marks = D.marks ? D.marks[s] : (D.min ? [D.min] : []), d = "";
    marks.forEach(function (m) {
      var mx = sx(m[0]), my = sy(m[1]);
      d += "M" + (mx - 5) + "," + (my - 5) + "L" + (mx + 5) + "," + (my + 5) + "M" + (mx - 5) +
        "," + (my + 5) + "L" + (mx + 5) + "," + (my - 5);
    });
    root.querySelector(".oc-min").setAttribute("d", d);
  }
  var lossSvg = root.querySelector(".oc-loss-svg"), LH = lossSvg ? +lossSvg.getAttribute("height") : 0;
  function drawLoss(f) {  // the loss curve on a log scale: D.curves[scene] = [log10 lo, log10 hi]
    var R = D.curves[f.s], n = f.k !== undefined ? f.k : f.p.length - 1, m = f.c.length - 1;
    var lt = 10, lb = LH - 24, g = root.querySelector(".oc-loss-labels"), pts = [];
    var ax = root.querySelector(".oc-loss-axes");
    clear(ax); clear(g);
    el("rect", {x: left, y: lt, width: right - left, height: lb - lt}, ax);
    el("text", {x: (left + right) / 2, y: LH - 4, "text-anchor": "middle"}, g, "step");
    el("text", {x: left, y: lb + 14, "text-anchor": "middle"}, g, "0");
    el("text", {x: right, y: lb + 14, "text-anchor": "middle"}, g, String(n));
    el("text", {x: left - 4, y: lt + 10, "text-anchor": "end"}, g, "1e" + R[1]);
    el("text", {x: left - 4, y: lb, "text-anchor": "end"}, g, "1e" + R[0]);
    el("text", {x: left + 6, y: lt + 14}, g, "loss (log scale)");
    f.c.forEach(function (v, i) {
      if (v === null) { return; }
      var y = lb - (Math.max(R[0], Math.min(R[1], v)) - R[0]) / (R[1] - R[0]) * (lb - lt);
      pts.push((left + (m ? i / m : 0) * (right - left)) + "," + y);
    });
    root.querySelector(".oc-loss").setAttribute("points", pts.join(" "));
  }
  var inputs = Array.prototype.slice.call(root.querySelectorAll("input.oc-choice"));
  var outputs = root.querySelectorAll("output.oc-value"), shownScene = -1;
  function fmt(v) {
    if (v === null) { return "overflow"; }
    var a = Math.abs(v);
    return (a >= 1e4 || (v !== 0 && a < 1e-3)) ? v.toExponential(2) : String(+v.toPrecision(4));
  }
  function draw() {
    var k = 0, state = [];
    inputs.forEach(function (input, c) { k = k * D.choices[c].texts.length + (+input.value); });
    var f = D.frames[k], g = root.querySelector(".oc-contours");
    inputs.forEach(function (input, c) {  // a frame may name its own text for a slider (f.t)
      var key = D.choices[c].key, text = (f.t && f.t[key]) || D.choices[c].texts[+input.value];
      outputs[c].textContent = text;
      input.setAttribute("aria-valuetext", text);  // screen readers hear the value, not the index
      state.push(key + "=" + text);
    });
    if (f.s !== shownScene) {
      if (D.boxes || shownScene < 0) { frameScene(f.s); }
      clear(g);
      D.scenes[f.s].forEach(function (line) {
        el("polyline", {points: line.map(function (p) { return sx(p[0]) + "," + sy(p[1]); })
          .join(" ")}, g);
      });
      shownScene = f.s;
    }
    var pts = [], dots = root.querySelector(".oc-dots"), outside = false;
    clear(dots);
    f.p.forEach(function (p, t) {
      if (p[0] === null || p[1] === null) { outside = true; return; }
      var x = sx(p[0]), y = sy(p[1]);
      if (x < left || x > right || y < top || y > bottom) { outside = true; }
      pts.push(x + "," + y);
      el("circle", {cx: x, cy: y, r: t === 0 ? 5 : 2.5, fill: t === 0 ? "#000" : "#D55E00"}, dots);
    });
    root.querySelector(".oc-path").setAttribute("points", pts.join(" "));
    var text = "After " + (f.k !== undefined ? f.k : f.p.length - 1) + " steps the loss is " +
      fmt(f.l) + ". Behaviour: " + D.regimes[f.r];
    if (outside) { text += " (the path left the picture)"; }
    root.querySelector(".oc-readout").textContent = text + "." + (f.n ? " " + f.n : "");
    if (lossSvg) { drawLoss(f); }
    root.setAttribute("data-state", state.join(";"));
    root.setAttribute("data-regime", D.regimes[f.r]);
  }
  inputs.forEach(function (input) { input.addEventListener("input", draw); });
  draw();
})();
