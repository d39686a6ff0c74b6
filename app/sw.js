/* Keeps the app shell on the phone, so that a second visit on a poor network starts from the phone
   instead of downloading the app again (issue 4, part 5). Registered by start.js once the app runs.
   - The shell's files are requested with ?v=<build> (stamped by tools/build-app.sh, here too), and
     are served cache-first by exact URL: a new build's page asks for new URLs, so it never runs
     with an old build's files; this file changes with every build, so the browser installs the new
     worker, which precaches the new files and deletes the old caches.
   - Pages (navigations) go to the network first, so the page and the edge always agree; the cached
     shell answers only when the network fails.
   - The API (/v1/*) and every non-GET request (the fallback's form) are never touched. */
'use strict';

var BUILD = '__BUILD__';
var PREFIX = 'huifang-shell-';
var CACHE = PREFIX + BUILD;
var PAGE = '/';
var FILES = ['/boot.js', '/start.js', '/app.js', '/app_bg.wasm'].map(function (path) {
  return path + '?v=' + BUILD;
});

self.addEventListener('install', function (event) {
  event.waitUntil(
    caches.open(CACHE)
      .then(function (cache) { return cache.addAll([PAGE].concat(FILES)); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener('activate', function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (keys) {
        return Promise.all(keys.filter(function (key) {
          return key.indexOf(PREFIX) === 0 && key !== CACHE;
        }).map(function (key) { return caches.delete(key); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf('/v1/') === 0) return;
  if (request.mode === 'navigate') {
    event.respondWith(fetch(request).catch(function () {
      return caches.match(PAGE, { cacheName: CACHE }).then(function (hit) {
        return hit || Response.error();
      });
    }));
    return;
  }
  if (FILES.indexOf(url.pathname + url.search) === -1) return;
  event.respondWith(caches.match(request, { cacheName: CACHE }).then(function (hit) {
    return hit || fetch(request);
  }));
});
