/* visit-room.js: the visit page's video room with the twilio provider, through Twilio Video's
 * JavaScript SDK (web/static/web/vendor/twilio-video-2.36.0.min.js, pinned and vendored: no CDN).
 * The access token and the room come from the page's data attributes (no inline script); the
 * texts too, translated by the page. */
(function () {
  "use strict";
  var box = document.querySelector(".twilio-room[data-token]");
  if (!box || !window.Twilio || !window.Twilio.Video) { return; }
  var join = box.querySelector(".twilio-room__join");
  var leave = box.querySelector(".twilio-room__leave");
  var status = box.querySelector(".twilio-room__status");
  var local = box.querySelector(".twilio-room__local");
  var remote = box.querySelector(".twilio-room__remote");
  var current = null;

  function say(name) { status.textContent = box.getAttribute("data-" + name); }

  function show(track, into) {
    if (track && typeof track.attach === "function") { into.appendChild(track.attach()); }
  }

  function hide(track) {
    if (track && typeof track.detach === "function") {
      track.detach().forEach(function (element) { element.remove(); });
    }
  }

  function follow(participant) {
    participant.tracks.forEach(function (publication) { show(publication.track, remote); });
    participant.on("trackSubscribed", function (track) { show(track, remote); });
    participant.on("trackUnsubscribed", hide);
  }

  function connected(room) {
    current = room;
    say("connected");
    room.localParticipant.tracks.forEach(function (publication) { show(publication.track, local); });
    room.participants.forEach(follow);
    room.on("participantConnected", follow);
    room.on("participantDisconnected", function (participant) {
      participant.tracks.forEach(function (publication) { hide(publication.track); });
    });
    room.on("disconnected", function (gone) {
      gone.localParticipant.tracks.forEach(function (publication) {
        if (publication.track && publication.track.stop) { publication.track.stop(); }
        hide(publication.track);
      });
      remote.textContent = "";
      current = null;
      leave.hidden = true;
      join.hidden = false;
      join.disabled = false;
      say("left");
    });
    join.hidden = true;
    leave.hidden = false;
    leave.focus();
  }

  join.addEventListener("click", function () {
    join.disabled = true;
    say("connecting");
    window.Twilio.Video.connect(box.getAttribute("data-token"), {
      name: box.getAttribute("data-room"),
      audio: true,
      video: { width: 640 }
    }).then(connected, function () {
      join.disabled = false;
      say("failed");
    });
  });
  leave.addEventListener("click", function () { if (current) { current.disconnect(); } });
  window.addEventListener("pagehide", function () { if (current) { current.disconnect(); } });
  box.hidden = false;
})();
