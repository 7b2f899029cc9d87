// The verification page's service worker, served at /verify-sw.js with scope /verify. The server
// puts its settings first (self.TEEKA_VERIFY: the page, the trust list and the fingerprinted
// assets to keep). It keeps the page, its script and styles and the trust list, so the page opens
// and verifies offline; online it fetches the page and the trust list afresh and keeps the copies.
const { version, page, trustList, precache } = self.TEEKA_VERIFY;
const CACHE = `teeka-verify-${version}`;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(precache.map((url) => new Request(url, { cache: 'no-cache' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith('teeka-verify-') && key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

/** Online: the network, keeping a copy under `key`; offline (or failing): the copy. */
async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  if (self.navigator.onLine !== false) {
    try {
      const response = await fetch(request);
      if (response.ok) await cache.put(key, response.clone());
      return response;
    } catch {
      // Unreachable: fall back to the copy.
    }
  }
  return (await cache.match(key)) ?? Response.error();
}

/** Fingerprinted assets never change: the copy, else the network (and keep it). */
async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && url.pathname === page) event.respondWith(networkFirst(request, page));
  else if (url.pathname === trustList) event.respondWith(networkFirst(request, trustList));
  else if (url.pathname.startsWith('/assets/')) event.respondWith(cacheFirst(request));
});
