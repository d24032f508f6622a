// New timeline rows from the server as they are recorded (server-sent events). The rows
// arrive as HTML the server rendered and escaped, the same template as the page's own.
(function () {
  "use strict";
  var body = document.getElementById("timeline");
  var badge = document.getElementById("live-state");
  if (!body || !window.EventSource) {
    if (badge) { badge.textContent = "reload for news"; badge.classList.add("off"); }
    return;
  }
  var MOST_ROWS = 500;
  var source = new EventSource("/live?after=" + encodeURIComponent(body.dataset.after));
  source.addEventListener("open", function () {
    badge.textContent = "live";
    badge.classList.remove("off");
  });
  source.addEventListener("error", function () {
    badge.textContent = "reconnecting";
    badge.classList.add("off");
  });
  source.addEventListener("row", function (message) {
    var empty = document.getElementById("nothing-yet");
    if (empty) { empty.remove(); }
    body.insertAdjacentHTML("afterbegin", message.data);
    body.firstElementChild.classList.add("fresh");
    while (body.children.length > MOST_ROWS) { body.lastElementChild.remove(); }
  });
})();
