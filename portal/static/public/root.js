// The root page: send the visitor on to the site in their browser's language, unless they came
// from this site (then they chose "All languages" and want the list).
(function () {
  "use strict";
  if (document.referrer) {
    try {
      if (new URL(document.referrer).origin === window.location.origin) { return; }
    } catch (e) { /* an unreadable referrer: carry on */ }
  }
  var links = document.querySelectorAll("#language-choice a[data-lang]");
  var wanted = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""]);
  for (var i = 0; i < wanted.length; i++) {
    var code = String(wanted[i]).toLowerCase().split("-")[0];
    for (var j = 0; j < links.length; j++) {
      if (links[j].getAttribute("data-lang") === code) {
        window.location.replace(links[j].getAttribute("href"));
        return;
      }
    }
  }
})();
