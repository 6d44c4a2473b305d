// The service worker of a front-line page (the gym desk, the lobby kiosk): the page and its files
// come from the network when it answers and from the cache when it does not, so the page opens with
// no network after one visit. The API, the live feed and the paths in NEVER_CACHED (a manifest) are
// never cached: an offline page decides from the manifest it keeps in IndexedDB
// (static/gamification/desk-offline.js, static/staff/kiosk.js).
const CACHE = "{{ cache_name|escapejs }}";
const NEVER_CACHED = JSON.parse("{{ never_cached_json|escapejs }}");  // path suffixes besides /api/ and /ws/

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/ws/")) return;
  if (NEVER_CACHED.some((suffix) => url.pathname.endsWith(suffix))) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(async () => {
        const hit = await caches.match(request, { ignoreVary: true, ignoreSearch: request.mode === "navigate" });
        // A navigation to the page under any query string is the page itself.
        return hit || (request.mode === "navigate" && (await caches.match(self.registration.scope, { ignoreVary: true })))
          || Response.error();
      })
  );
});
