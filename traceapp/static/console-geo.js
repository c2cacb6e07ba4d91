// Fills a place's latitude and longitude from the phone's position, on a button press.
// Without this script, or without permission, the two fields are typed by hand.
(function () {
  "use strict";
  var button = document.getElementById("geo-fill");
  if (!button || !navigator.geolocation) return;
  var status = document.getElementById("geo-status");
  var lat = document.getElementById("f-latitude");
  var lon = document.getElementById("f-longitude");
  function say(text) { status.textContent = text; }
  button.hidden = false;
  button.addEventListener("click", function () {
    say(button.dataset.waiting);
    navigator.geolocation.getCurrentPosition(
      function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        lon.value = position.coords.longitude.toFixed(6);
        say(button.dataset.done.replace("{metres}", Math.round(position.coords.accuracy)));
      },
      function (error) {
        say(error.code === 1 ? button.dataset.denied : button.dataset.failed);
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
    );
  });
})();
