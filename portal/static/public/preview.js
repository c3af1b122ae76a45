// Live preview (portal serve --dev): reload the page when a content file is saved.
(function () {
  "use strict";
  var script = document.currentScript;
  var seen = script && script.getAttribute("data-generation");
  if (!seen || !window.fetch) { return; }
  function poll() {
    fetch("/_preview/generation", {cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && String(data.generation) !== seen) { window.location.reload(); return; }
        window.setTimeout(poll, 700);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 700);
})();
