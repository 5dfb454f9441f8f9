// Loaded between require.js and the ipywidgets HTML manager on a page that shows a widget
// (see nb_ipywidgets_js in _config.yml). Both come from this site's _static/vendor, not a CDN.
(function () {
  // 1. The manager's bundled modules load their icon fonts from the folder of their require.js
  //    module path (by default "@jupyter-widgets/...", relative to the page, where nothing is):
  //    map those module names into _static/vendor/html-manager, wherever the page is. The files
  //    named are never fetched (the modules are defined inside embed-amd.js); only the folder counts.
  var src = document.currentScript.src;
  var vendor = src.slice(0, src.lastIndexOf("/") + 1) + "vendor/html-manager/";
  var paths = {"@jupyter-widgets/html-manager/dist": vendor.slice(0, -1)};
  ["base", "controls", "html-manager", "output"].forEach(function (name) {
    paths["@jupyter-widgets/" + name] = vendor + name;
  });
  require.config({paths: paths});
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
