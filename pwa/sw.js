// @ts-check
/* The service worker only wires events: precache the shell under a versioned cache, serve the shell
 * cache-first (offline reload works), delete old caches on activate, wait for the user's “更新”.
 * API calls and media are never served from a cache. The server fills in VERSION and SHELL. */
const VERSION = "__VERSION__";
const SHELL = ["__SHELL__"];
const CACHE = `spotcheck-shell-${VERSION}`;
const SCOPE = new URL('./', self.location.href).pathname; // "/app/"

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL.map((p) => new Request(p, { cache: 'reload' })))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith('spotcheck-shell-') && n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

// Background Sync, where the browser has it (never the only path): wake the app's open pages to flush.
self.addEventListener('sync', (event) => {
  if (event.tag !== 'spotcheck-outbox') return;
  event.waitUntil(self.clients.matchAll({ type: 'window' }).then((list) => list.forEach((c) => c.postMessage({ type: 'FLUSH' }))));
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
});

let shell = null; // the open cache, reused by every fetch of a page load
const openShell = () => (shell = shell || caches.open(CACHE));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE)) return;
  if (request.mode === 'navigate') {
    event.respondWith(openShell().then((cache) => cache.match(SCOPE)).then((hit) => hit || fetch(request)));
    return;
  }
  event.respondWith(openShell().then((cache) => cache.match(request)).then((hit) => hit || fetch(request)));
});
