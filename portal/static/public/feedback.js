/* "Did this page answer your question?" without a reload, and a count of e-service starts.
   Both post to the public API (the form's action, the start button's data-start-url) with no cookie and
   nothing about the citizen. Without JavaScript the form posts itself; the starts are then not counted. */
(function () {
  "use strict";
  var TIMEOUT_MS = 8000;

  function post(url, data, keepalive) {
    var options = { method: "POST", body: data, credentials: "omit", headers: { "Accept": "application/json" } };
    if (keepalive) { options.keepalive = true; }
    var controller = window.AbortController ? new AbortController() : null;
    if (controller) {
      options.signal = controller.signal;
      setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    }
    return fetch(url, options).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response;
    });
  }

  var form = document.querySelector("form[data-feedback]");
  if (form && window.fetch && window.URLSearchParams && window.FormData) {
    var section = form.closest(".feedback");
    var thanks = section.querySelector(".feedback-thanks");
    var error = form.querySelector(".feedback-error");
    var buttons = form.querySelectorAll("button[name=helpful]");
    var pressed = null;
    buttons.forEach(function (button) {
      button.addEventListener("click", function () { pressed = button; });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = event.submitter || pressed;
      var data = new URLSearchParams(new FormData(form));
      data.set("helpful", button ? button.value : "yes");
      error.hidden = true;
      buttons.forEach(function (b) { b.disabled = true; });
      post(form.action, data, false).then(function () {
        section.classList.add("is-sent");
        thanks.focus();
      }).catch(function () {
        error.hidden = false;
        buttons.forEach(function (b) { b.disabled = false; });
      });
    });
  }

  document.querySelectorAll("a[data-start-url]").forEach(function (link) {
    link.addEventListener("click", function () {
      var data = new URLSearchParams({ article: link.getAttribute("data-article"), lang: link.getAttribute("data-lang") });
      var url = link.getAttribute("data-start-url");
      try {
        if (!(navigator.sendBeacon && navigator.sendBeacon(url, data)) && window.fetch) {
          post(url, data, true).catch(function () { /* a count lost is no loss to the citizen */ });
        }
      } catch (err) { /* never stand between the citizen and the e-service */ }
    });
  });
})();
