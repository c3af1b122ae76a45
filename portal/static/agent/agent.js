/* The agent app: search as you type, keyboard navigation, copy buttons. No inline script (CSP). */
(function () {
  "use strict";

  function isTyping(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  function hitLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("#results .hit-link"));
  }

  function setupSearch() {
    var form = document.getElementById("search-form");
    var box = document.getElementById("q");
    var results = document.getElementById("results");
    var status = document.getElementById("status");
    if (!form || !box || !results) { return; }
    var endpoint = form.getAttribute("data-endpoint");
    var timer = null;
    var settle = null;
    var SETTLE_MS = 350;
    var seq = 0;
    var controller = null;

    function params(prefix) {
      var data = new URLSearchParams(new FormData(form));
      Array.from(data.keys()).forEach(function (k) { if (!data.get(k)) { data.delete(k); } });
      var shown = data.toString();
      data.set("prefix", prefix ? "1" : "0");
      return { fetch: data.toString(), shown: shown };
    }

    function run(prefix, log) {
      var p = params(prefix);
      clearTimeout(settle);
      var mine = ++seq;
      if (controller) { controller.abort(); }
      controller = typeof AbortController === "function" ? new AbortController() : null;
      history.replaceState(null, "", p.shown ? "?" + p.shown : window.location.pathname);
      if (!box.value.trim()) {
        results.innerHTML = "";
        status.textContent = "";
        return;
      }
      fetch(endpoint + "?" + p.fetch + (log ? "&log=1" : ""), {
        headers: { "Accept": "application/json" }, credentials: "same-origin",
        signal: controller ? controller.signal : undefined
      }).then(function (res) {
        if (res.redirected || !res.ok) { window.location.reload(); return null; }
        return res.json();
      }).then(function (data) {
        if (!data || mine !== seq) { return; }
        if (!prefix && results.contains(document.activeElement) && !log) {
          // the agent is already moving through the hits: the settled list must not move under the keys
        } else {
          results.innerHTML = data.html;
          status.textContent = (data.count === 1 ? "1 träff" : data.count + " träffar") +
            (data.mode === "hybrid" && !data.answered && data.count ? ", inget säkert svar" : "");
        }
        if (prefix) {
          // Typing paused: the settled query is asked once more, ranked by words and meaning (hybrid).
          settle = setTimeout(function () { run(false, false); }, SETTLE_MS);
        } else if (!log && !data.answered) {
          // a search with no confident answer that the agent settles on is worth telling the editors about
          settle = setTimeout(function () { run(false, true); }, 2000);
        }
      }).catch(function (err) {
        if (err && err.name === "AbortError") { return; }
        status.textContent = "Sökningen misslyckades. Tryck Enter för att försöka igen.";
      });
    }

    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { run(true); }, 150);
    });
    form.addEventListener("change", function (e) {
      if (e.target !== box) { clearTimeout(timer); run(false); }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      clearTimeout(timer);
      run(false, true);
    });

    document.addEventListener("keydown", function (e) {
      var links = hitLinks();
      var index = links.indexOf(document.activeElement);
      if (e.key === "/" && !isTyping(e.target)) {
        e.preventDefault();
        box.focus();
        box.select();
      } else if (e.key === "Escape" && (e.target === box || index >= 0)) {
        e.preventDefault();
        clearTimeout(timer);
        box.value = "";
        box.focus();
        run(false);
      } else if (e.key === "ArrowDown" && (e.target === box || index >= 0) && links.length) {
        e.preventDefault();
        links[Math.min(index + 1, links.length - 1)].focus();
      } else if (e.key === "ArrowUp" && index >= 0) {
        e.preventDefault();
        if (index === 0) { box.focus(); } else { links[index - 1].focus(); }
      }
    });
  }

  // A copied e-service link counts as an e-service start for the editors' figures (nothing about who).
  function countStart(button) {
    var url = button.getAttribute("data-count");
    if (!url) { return; }
    var body = new URLSearchParams({ lang: button.getAttribute("data-lang") || "" });
    fetch(url, {
      method: "POST", body: body, credentials: "same-origin", keepalive: true,
      headers: { "X-CSRF-Token": button.getAttribute("data-csrf") || "" }
    }).catch(function () { /* a lost count must never get in the agent's way */ });
  }

  function setupCopy() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var field = document.getElementById(button.getAttribute("data-copy"));
        var out = document.getElementById(button.getAttribute("aria-describedby"));
        function fallback() {
          field.focus();
          field.select();
          var ok = false;
          try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
          out.textContent = ok ? "Kopierad" : "Markerad – tryck Ctrl+C för att kopiera";
        }
        countStart(button);
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(function () {
            out.textContent = "Kopierad";
            setTimeout(function () { out.textContent = ""; }, 4000);
          }, fallback);
        } else {
          fallback();
        }
      });
    });
    document.querySelectorAll(".copy-field").forEach(function (field) {
      field.addEventListener("focus", function () { field.select(); });
    });
  }

  function setupGlobalKeys() {
    if (document.getElementById("q")) { return; }
    document.addEventListener("keydown", function (e) {
      if (e.key === "/" && !isTyping(e.target) && document.querySelector(".top .nav")) {
        e.preventDefault();
        var home = document.querySelector(".brand");
        if (home) { window.location.href = home.getAttribute("href"); }
      }
    });
  }

  // Back on "Nytt och ändrat" after marking an article read: the keyboard goes on from that article, not the top.
  function focusTarget() {
    var id = window.location.hash.slice(1);
    var target = id && document.getElementById(id);
    if (target && target.getAttribute("tabindex") === "-1") { target.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupSearch();
    setupCopy();
    setupGlobalKeys();
    focusTarget();
  });
}());
