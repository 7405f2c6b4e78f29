/* A list of documents being made in the background ([data-refresh-while]): every 5 seconds the page is
   read again and only that list is replaced (its region is polite, so a screen reader hears the change);
   once the page no longer marks it as in progress, the looking stops and the notice goes. The page is
   never reloaded under the reader (a meta refresh would). */
(function () {
  "use strict";
  var list = document.querySelector("[data-refresh-while]");
  if (!list || !window.fetch || !window.DOMParser) { return; }
  var selector = '[data-testid="' + list.getAttribute("data-testid") + '"]';
  var notice = document.querySelector('[data-testid="in-progress"]');
  var timer = setInterval(function () {
    fetch(window.location.href, { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (!html) { return; }
      var fresh = new DOMParser().parseFromString(html, "text/html").querySelector(selector);
      if (!fresh) { return; }
      if (fresh.innerHTML !== list.innerHTML) { list.innerHTML = fresh.innerHTML; }
      if (!fresh.hasAttribute("data-refresh-while")) {
        clearInterval(timer);
        if (notice) { notice.hidden = true; }
      }
    }).catch(function () { /* offline a moment: the next look will tell */ });
  }, 5000);
})();
