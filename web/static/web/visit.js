/* visit.js: the visit page's progressive parts (the page says everything without them):
 * - the visit's time in this device's zone, when it is another than the page's;
 * - a countdown to the room's opening, as h:mm:ss (no words to translate); at zero the page
 *   reloads once and shows the room;
 * - a camera and microphone check before the visit (the preview never leaves the device). */
(function () {
  "use strict";

  function deviceTime() {
    var box = document.querySelector(".device-time[data-start]");
    if (!box || !window.Intl) { return; }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone || zone === box.getAttribute("data-zone")) { return; }
    var start = new Date(box.getAttribute("data-start"));
    if (isNaN(start.getTime())) { return; }
    var text = start.toLocaleString(document.documentElement.lang || undefined, {
      timeZone: zone, weekday: "short", day: "numeric", month: "short",
      hour: "numeric", minute: "2-digit"
    });
    box.textContent = text + " " + box.getAttribute("data-label").replace("{zone}", zone);
    box.hidden = false;
  }

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function countdown() {
    var box = document.querySelector(".countdown[data-opens-at]");
    if (!box) { return; }
    var opensAt = Date.parse(box.getAttribute("data-opens-at"));
    var value = box.querySelector(".countdown__value");
    if (isNaN(opensAt) || !value) { return; }
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
      var hours = Math.floor(seconds / 3600);
      value.textContent = hours + ":" + two(Math.floor((seconds % 3600) / 60)) + ":" + two(seconds % 60);
    }
    tick();
    box.hidden = false;
    timer = window.setInterval(tick, 1000);
  }

  function deviceCheck() {
    var box = document.querySelector(".device-check");
    var media = navigator.mediaDevices;
    if (!box || !media || !media.getUserMedia) { return; }
    var start = box.querySelector(".device-check__start");
    var status = box.querySelector(".device-check__status");
    var preview = box.querySelector(".device-check__preview");
    start.addEventListener("click", function () {
      media.getUserMedia({ video: true, audio: true }).then(function (stream) {
        preview.srcObject = stream;
        preview.hidden = false;
        status.textContent = status.getAttribute("data-ok");
        // Let go of the camera when the page goes: the room will ask for it again.
        window.addEventListener("pagehide", function () {
          stream.getTracks().forEach(function (track) { track.stop(); });
        });
      }, function () {
        status.textContent = status.getAttribute("data-failed");
      });
    });
    box.hidden = false;
  }

  deviceTime();
  countdown();
  deviceCheck();
})();
