// The console's service worker (served as /console/sw.js, scope /console/). It keeps the
// console's files and the pages a producer works from (record an event, the batch, the queue),
// so that the record-event page opens without a connection. Pages come from the network while
// there is one; events waiting to be sent live in IndexedDB (console-offline.js), not here.
"use strict";
var FILES = "ocop-files-1";
var PAGES = "ocop-pages";
var SHELL = [
  "/static/console.css",
  "/static/console-offline.js",
  "/static/console-scan.js",
  "/static/vendor/jsqr/jsQR.js"
];
var KEPT = [
  /^\/console\/$/,
  /^\/console\/queue$/,
  /^\/console\/batches$/,
  /^\/console\/batches\/[^/]+$/,
  /^\/console\/batches\/[^/]+\/events(\/new)?$/
];
var OFFLINE = '<!doctype html><html lang="vi"><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width, initial-scale=1">' +
  "<title>Mất mạng · No connection</title><main><h1>Mất mạng</h1>" +
  "<p>Trang này chưa được lưu trên điện thoại.</p>" +
  '<p lang="en">No connection. This page is not kept on this phone.</p>' +
  '<p><a href="/console/queue">Sự kiện chờ gửi · Events waiting</a></p></main></html>';

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(FILES).then(function (cache) {
    return cache.addAll(SHELL);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n !== FILES && n !== PAGES;
    }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

// Files: from the cache at once, refreshed from the network for next time.
function file(request) {
  return caches.open(FILES).then(function (cache) {
    return cache.match(request, { ignoreSearch: true }).then(function (hit) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) cache.put(request, response.clone());
        return response;
      });
      if (!hit) return fresh;
      fresh.catch(function () {});
      return hit;
    });
  });
}

// Pages: the network first; a kept copy (or the queue page) only when there is no network.
function page(event, url) {
  var kept = KEPT.some(function (pattern) { return pattern.test(url.pathname); });
  return fetch(event.request).then(function (response) {
    if (kept && response.ok && !response.redirected) {
      var copy = response.clone();
      event.waitUntil(caches.open(PAGES).then(function (c) { return c.put(url.pathname, copy); }));
    }
    return response;
  }, function () {
    return caches.open(PAGES).then(function (cache) {
      return cache.match(url.pathname).then(function (hit) {
        return hit || cache.match("/console/queue");
      });
    }).then(function (hit) {
      return hit || new Response(OFFLINE, {
        status: 503, headers: { "Content-Type": "text/html; charset=utf-8" }
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST") {
    // Signing out forgets the kept pages (they are this member's).
    if (/\/(logout|sign-out-everywhere)$/.test(url.pathname)) event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (request.method !== "GET") return;
  if (url.pathname.indexOf("/static/") === 0) event.respondWith(file(request));
  else if (request.mode === "navigate" && url.pathname.indexOf("/console/") === 0) {
    event.respondWith(page(event, url));
  }
});
