/* A page waiting for a document made in the background (data-wait-for="<url>"): every 15 seconds it asks
   the URL (HEAD, nothing is written) and, once the answer is the file, says so in the live region and
   downloads it. The page itself is never reloaded under the reader. */
(function () {
  "use strict";
  var box = document.querySelector("[data-wait-for]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-wait-for");
  var status = box.querySelector("[data-wait-status]");
  var timer = setInterval(function () {
    fetch(url, { method: "HEAD", credentials: "same-origin" }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (response.ok && type.indexOf("text/html") !== 0) {
        clearInterval(timer);
        if (status) { status.textContent = box.getAttribute("data-ready") || ""; }
        window.location.href = url;
      }
    }).catch(function () { /* offline a moment: the next look will tell */ });
  }, 15000);
})();
