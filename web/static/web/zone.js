/* zone.js: tells the server this browser's time zone, in a `tz` cookie (web/context.py reads
 * it), so that pages for a visitor who is not signed in show times in it from the next page on.
 * Without it (no JavaScript, the first page) times are in the clinic's zone; every page names
 * the zone it uses. A signed-in person's profile zone wins over the cookie. */
(function () {
  "use strict";
  var zone;
  try {
    zone = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  // IANA names are plain cookie characters (letters, digits, "/", "_", "+", "-").
  if (!zone || !/^[A-Za-z0-9\/_+-]+$/.test(zone)) { return; }
  if (document.cookie.split("; ").indexOf("tz=" + zone) !== -1) { return; }
  document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax" +
    (window.location.protocol === "https:" ? "; Secure" : "");
})();
