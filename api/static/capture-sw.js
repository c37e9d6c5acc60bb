// The capture page's service worker (served by GET /capture-sw.js, scope /capture): it keeps the
// page's files in a cache named after their digest, serves them first from there, so the page opens
// with no network, and sends the queue on Background Sync where the browser has it.

import { SYNC_TAG, flush } from "/static/capture-queue.js";

const VERSION = "__VERSION__";
const ASSETS = ["__ASSETS__"];
const PREFIX = "sunlight-capture-";
const CACHE = PREFIX + VERSION;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  const old = (keys) => keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE);
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(old(keys).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

let opened = null; // the cache, opened once per worker start
const cache = () => (opened ??= caches.open(CACHE));

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!ASSETS.includes(url.pathname)) return; // the API always goes to the network
  event.respondWith(cache().then((c) => c.match(url.pathname)).then((hit) => hit || fetch(event.request)));
});

self.addEventListener("sync", (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(flush());
});
