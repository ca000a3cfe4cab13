/* visit.js: the visit page's countdown to the room's opening (progressive: without it the page
 * says when the room opens). Shown as h:mm:ss, which needs no translation. At zero the page
 * reloads once and shows the room. */
(function () {
  "use strict";
  var box = document.querySelector(".countdown[data-opens-at]");
  if (!box) { return; }
  var opensAt = Date.parse(box.getAttribute("data-opens-at"));
  var value = box.querySelector(".countdown__value");
  if (isNaN(opensAt) || !value) { return; }

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function clock(seconds) {
    var hours = Math.floor(seconds / 3600);
    return hours + ":" + two(Math.floor((seconds % 3600) / 60)) + ":" + two(seconds % 60);
  }

  function left() { return Math.ceil((opensAt - Date.now()) / 1000); }

  // A device clock ahead of the server's would reload a page that is still early, again and
  // again: count down (and reload) only from a time still to come.
  if (left() <= 0) { return; }
  var timer;
  function tick() {
    var seconds = left();
    if (seconds <= 0) {
      window.clearInterval(timer);
      window.location.reload();
      return;
    }
    value.textContent = clock(seconds);
  }
  tick();
  box.hidden = false;
  timer = window.setInterval(tick, 1000);
})();
