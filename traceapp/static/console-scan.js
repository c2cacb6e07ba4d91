// Picks items on the record-event page by scanning their stamps with the phone's camera:
// BarcodeDetector where the browser has it, else the vendored jsQR (loaded only then). A stamp
// holds a GS1 Digital Link URI (/01/GTIN/10/LOT/21/SERIAL); its line goes into the codes box,
// which the server resolves exactly. Typing the printed code works with or without this script.
(function () {
  "use strict";
  var box = document.getElementById("scan");
  var media = navigator.mediaDevices;
  if (!box || !media || !media.getUserMedia) return;
  var codes = document.getElementById("codes");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var start = document.getElementById("scan-start");
  var stop = document.getElementById("scan-stop");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;
  var detector = null;
  var last = "";
  box.hidden = false;

  function say(text, values) {
    status.textContent = text.replace(/\{(\w+)\}/g, function (m, k) {
      return values && k in values ? values[k] : m;
    });
  }

  // The item a stamp names, from its Digital Link URI; null for any other QR code.
  function stamp(text) {
    var url;
    try { url = new URL(text); } catch (e) { return null; }
    var parts = url.pathname.split("/");
    var at = parts.indexOf("01");
    if (at < 0) return null;
    var ai = {};
    for (var i = at; i + 1 < parts.length; i += 2) {
      try { ai[parts[i]] = decodeURIComponent(parts[i + 1]); } catch (e) { return null; }
    }
    if (!/^\d{8,14}$/.test(ai["01"] || "") || !ai["21"]) return null;
    return { gtin: ai["01"], lot: ai["10"] || "", serial: ai["21"], uri: text };
  }

  function take(text) {
    if (text === last) return;
    last = text;
    var item = stamp(text);
    if (!item) { say(box.dataset.foreign); return; }
    var lines = codes.value.split("\n").map(function (l) { return l.trim(); }).filter(Boolean);
    var known = lines.some(function (l) {
      var other = stamp(l);
      return l === item.uri || (other && other.gtin === item.gtin && other.serial === item.serial);
    });
    if (known) { say(box.dataset.twice, { serial: item.serial }); return; }
    lines.push(item.uri);
    codes.value = lines.join("\n") + "\n";
    document.getElementById("scope-items").checked = true;
    say(box.dataset.found, { serial: item.serial, n: lines.length });
  }

  function jsqrFrame() {
    var w = video.videoWidth;
    var h = video.videoHeight;
    if (!w || !h) return [];
    canvas.width = w;
    canvas.height = h;
    context.drawImage(video, 0, 0, w, h);
    var decode = window.jsQR.default || window.jsQR;
    var found = decode(context.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" });
    return found ? [found.data] : [];
  }

  function look() {
    if (!stream) return;
    var seen = detector
      ? detector.detect(video).then(function (r) { return r.map(function (c) { return c.rawValue; }); })
      : Promise.resolve(jsqrFrame());
    seen.then(function (values) { values.forEach(take); }, function () {}).then(function () {
      if (stream) setTimeout(look, 150);
    });
  }

  function loadJsqr() {
    if (window.jsQR) return Promise.resolve();
    return new Promise(function (ok, no) {
      var s = document.createElement("script");
      s.src = box.dataset.jsqr;
      s.onload = ok;
      s.onerror = no;
      document.head.appendChild(s);
    });
  }

  function decoder() {
    if (!("BarcodeDetector" in window)) return loadJsqr();
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") < 0) return loadJsqr();
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    });
  }

  function end() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.hidden = stop.hidden = true;
    start.hidden = false;
  }

  start.addEventListener("click", function () {
    media.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = stop.hidden = false;
      start.hidden = true;
      say(box.dataset.help);
      return Promise.all([video.play(), decoder()]);
    }).then(look, function () { end(); say(box.dataset.denied); });
  });
  stop.addEventListener("click", function () { end(); codes.focus(); });
})();
