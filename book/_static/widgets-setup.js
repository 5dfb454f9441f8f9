// Loaded between require.js and the ipywidgets HTML manager on a page that shows a widget
// (see nb_ipywidgets_js in _config.yml). Both come from this site's _static/vendor, not a CDN.
(function () {
  // 1. The manager loads its icon fonts from its own folder, which it takes from the require.js
  //    module path: point that path at _static/vendor/html-manager, wherever the page is.
  var src = document.currentScript.src;
  var statics = src.slice(0, src.lastIndexOf("/") + 1);
  require.config({paths: {"@jupyter-widgets/html-manager/dist": statics + "vendor/html-manager"}});
  // 2. The manager typesets widget labels with MathJax 2's MathJax.Hub.Queue; the book loads
  //    MathJax 3, so translate that one call (until MathJax has loaded, there is nothing to do).
  function typeset(job) {
    var mj = window.MathJax;
    if (Array.isArray(job) && job[0] === "Typeset" && mj && mj.typesetPromise) {
      mj.typesetPromise([job[2]]);
    }
  }
  function shim() {
    if (window.MathJax && !window.MathJax.Hub) { window.MathJax.Hub = {Queue: typeset}; }
  }
  shim();
  document.addEventListener("DOMContentLoaded", shim);
  window.addEventListener("load", shim);
})();
