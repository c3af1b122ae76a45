// The root page: send the visitor on to the site in the language they chose here before, else in their
// browser's language. Never when they came from this site (they chose "All languages" and want the list), and
// never twice in a row from the same tab (a language home that leads back here must not loop).
(function () {
  "use strict";
  var KEY = "portal-language";
  var links = document.querySelectorAll("#language-choice a[data-lang]");

  function store(kind, value) {
    try { window[kind].setItem(KEY, value); } catch (e) { /* storage off: the choice is not remembered */ }
  }
  function read(kind) {
    try { return window[kind].getItem(KEY); } catch (e) { return null; }
  }
  function link(code) {
    for (var j = 0; j < links.length; j++) {
      if (links[j].getAttribute("data-lang") === code) { return links[j]; }
    }
    return null;
  }

  for (var i = 0; i < links.length; i++) {
    links[i].addEventListener("click", function (event) {
      store("localStorage", event.currentTarget.getAttribute("data-lang"));
    });
  }
  if (document.referrer) {
    try {
      if (new URL(document.referrer).origin === window.location.origin) { return; }
    } catch (e) { /* an unreadable referrer: carry on */ }
  }
  if (read("sessionStorage") === "sent") {
    // Sent on once in this tab already and back here: show the choice instead of sending again.
    try { window.sessionStorage.removeItem(KEY); } catch (e) { /* nothing to forget */ }
    return;
  }
  var target = link(read("localStorage") || "");
  var wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""];
  for (var k = 0; !target && k < wanted.length; k++) {
    var tag = String(wanted[k]).toLowerCase();
    target = link(tag) || link(tag.split("-")[0]);
  }
  if (target) {
    store("sessionStorage", "sent");
    window.location.replace(target.getAttribute("href"));
  }
})();
