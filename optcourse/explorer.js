// The static learning-rate explorer's script (see optcourse/explorer.py). __UID__ is replaced
// by the id of the explorer's <div>; the trajectories are read from its JSON <script> block.
(function () {
  var root = document.getElementById("__UID__");
  var D = JSON.parse(root.querySelector(".oc-data").textContent);
  var W = D.size[0], H = D.size[1], P = D.size[2], NS = "http://www.w3.org/2000/svg";
  var top = 10, bottom = H - P, steps = D.paths[0][0].length - 1;
  function clamp(v) { return Math.max(-1e4, Math.min(1e4, v)); }
  function sx(x) { return clamp(P + (x - D.xlim[0]) / (D.xlim[1] - D.xlim[0]) * (W - P - 10)); }
  var yr = D.ylim[1] - D.ylim[0] || 1;
  function sy(y) { return clamp(bottom - (y - D.ylim[0]) / yr * (bottom - top)); }
  function tx(t) { return W + P + t / steps * (W - P - 10); }
  function ty(x) { return clamp((top + bottom) / 2 - x / D.ilim[1] * (bottom - top) / 2); }
  function curveAt(x) {
    var c = D.curve, n = c.length;
    if (x === null || x < c[0][0] || x > c[n - 1][0]) { return null; }
    var k = Math.min(n - 2, Math.floor((x - c[0][0]) / (c[1][0] - c[0][0])));
    var a = c[k], b = c[k + 1], s = (x - a[0]) / (b[0] - a[0]);
    return a[1] + s * (b[1] - a[1]);
  }
  function el(name, attrs, parent, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (text !== undefined) { e.textContent = text; }
    parent.appendChild(e);
    return e;
  }
  var svg = root.querySelector(".oc-svg"), axes = root.querySelector(".oc-axes");
  var labels = root.querySelector(".oc-labels");
  el("line", {x1: P, y1: bottom, x2: W - 10, y2: bottom}, axes);
  el("line", {x1: P, y1: top, x2: P, y2: bottom}, axes);
  el("line", {x1: W + P, y1: bottom, x2: 2 * W - 10, y2: bottom}, axes);
  el("line", {x1: W + P, y1: top, x2: W + P, y2: bottom}, axes);
  el("text", {x: (W + P) / 2, y: H - 8, "text-anchor": "middle"}, labels, "parameter x");
  el("text", {x: 12, y: (top + bottom) / 2, transform: "rotate(-90 12 " + (top + bottom) / 2 + ")",
    "text-anchor": "middle"}, labels, "loss f(x)");
  el("text", {x: W + (W + P) / 2, y: H - 8, "text-anchor": "middle"}, labels, "step t");
  var itLabel = el("text", {x: W + 12, y: (top + bottom) / 2,
    transform: "rotate(-90 " + (W + 12) + " " + (top + bottom) / 2 + ")", "text-anchor": "middle"},
    labels, "iterate x");
  el("tspan", {"baseline-shift": "sub", "font-size": "9"}, itLabel, "t");
  el("text", {x: P, y: bottom + 14, "text-anchor": "middle"}, labels, String(D.xlim[0]));
  el("text", {x: W - 10, y: bottom + 14, "text-anchor": "middle"}, labels, String(D.xlim[1]));
  el("text", {x: 2 * W - 10, y: bottom + 14, "text-anchor": "middle"}, labels, String(steps));
  el("text", {x: W + P, y: bottom + 14, "text-anchor": "middle"}, labels, "0");
  el("text", {x: W + P - 4, y: top + 10, "text-anchor": "end"}, labels, String(D.ilim[1]));
  el("text", {x: W + P - 4, y: bottom, "text-anchor": "end"}, labels, String(D.ilim[0]));
  root.querySelector(".oc-curve").setAttribute("points",
    D.curve.map(function (p) { return sx(p[0]) + "," + sy(p[1]); }).join(" "));
  var zero = root.querySelector(".oc-zero");
  zero.setAttribute("x1", W + P); zero.setAttribute("x2", 2 * W - 10);
  zero.setAttribute("y1", ty(0)); zero.setAttribute("y2", ty(0));
  var etaIn = root.querySelector(".oc-eta"), x0In = root.querySelector(".oc-x0");
  function fmt(v) { return v === null ? "overflow" : (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)) ? v.toExponential(2) : String(+v.toPrecision(4)); }
  function draw() {
    var i = +etaIn.value, j = +x0In.value, path = D.paths[i][j];
    root.querySelector(".oc-eta-value").textContent = D.etas[i];
    root.querySelector(".oc-x0-value").textContent = D.x0s[j];
    // Screen readers announce the value, not the slider's grid index.
    etaIn.setAttribute("aria-valuetext", "η = " + D.etas[i]);
    x0In.setAttribute("aria-valuetext", "x₀ = " + D.x0s[j]);
    var pts = [], balls = root.querySelector(".oc-balls"), outside = false;
    while (balls.firstChild) { balls.removeChild(balls.firstChild); }
    path.forEach(function (x, t) {
      var y = curveAt(x);
      if (y === null) { outside = true; return; }
      pts.push(sx(x) + "," + sy(y));
      el("circle", {cx: sx(x), cy: sy(y), r: t === 0 ? 6 : 3.5,
        fill: t === 0 ? "#000" : "#0072B2", "fill-opacity": t === 0 ? 1 : 0.8}, balls);
    });
    root.querySelector(".oc-steps").setAttribute("points", pts.join(" "));
    root.querySelector(".oc-iterates").setAttribute("points", path.map(function (x, t) {
      return tx(t) + "," + ty(x === null ? 1e300 : x); }).join(" "));
    var text = "After " + steps + " steps: x = " + fmt(path[steps]) + ", f(x) = " + fmt(D.loss[i][j]);
    if (D.regime) { text += ". Behaviour: " + D.regimes[D.regime[i][j]]; }
    if (outside) { text += " (the ball left the picture)"; }
    root.querySelector(".oc-readout").textContent = text + ".";
    root.setAttribute("data-eta", D.etas[i]);
    root.setAttribute("data-x0", D.x0s[j]);
  }
  etaIn.addEventListener("input", draw);
  x0In.addEventListener("input", draw);
  draw();
})();
