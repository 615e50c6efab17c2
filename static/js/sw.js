// Service worker for the check-in scanner (served as /checkin/sw.js, scope /checkin/): keeps the scanner page and
// its files so that a reload, or opening the installed app, works while the venue network is down.
// Network first, so staff always get the current page and code when online; the copy only answers when the network
// does not. JSON API calls are left alone: the page itself decides what to do without a network.

const CACHE = "checkin-shell-v1";
const TIMEOUT_MS = { page: 5000, file: 3000 };
const SHELL_FILES = new Set(["script", "worker", "style", "image", "manifest", "font"]);

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("checkin-shell-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// The page, once this worker runs, names itself and the files it was built from (it knows their addresses).
self.addEventListener("message", (event) => {
  if (event.data?.type !== "keep" || !Array.isArray(event.data.urls)) return;
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await Promise.all(event.data.urls.filter(sameOrigin).map(async (url) => {
      try {
        const response = await fetch(url, { credentials: "same-origin", cache: "no-cache" });
        if (keepable(response)) await cache.put(url, response);
      } catch { /* offline right now: kept on the next visit */ }
    }));
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || !sameOrigin(request.url)) return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, TIMEOUT_MS.page));
  } else if (SHELL_FILES.has(request.destination)) {
    event.respondWith(networkFirst(request, TIMEOUT_MS.file));
  }
  // anything else (the JSON API: counts, search results with emails and phones) is neither kept nor answered here
});

function sameOrigin(url) {
  return new URL(url, self.location.href).origin === self.location.origin;
}

function keepable(response) {
  // not a redirect to the login page, not an error page
  return response.ok && response.type === "basic" && !response.redirected;
}

async function networkFirst(request, timeout) {
  const cache = await caches.open(CACHE);
  const network = (request.mode === "navigate"
    // a navigation's own Request cannot be re-sent with options; redirects (to the login page) go to the browser
    ? fetch(request.url, { credentials: "same-origin", redirect: "manual" })
    : fetch(request)
  ).then(async (response) => {
    if (keepable(response)) await cache.put(request, response.clone());
    return response;
  });
  network.catch(() => {}); // answered from the copy; the failure needs no report
  // A slow network gives way to the copy after `timeout`; without a copy, the network gets all the time it needs.
  const slow = new Promise((resolve) => setTimeout(resolve, timeout))
    .then(async () => (await cache.match(request, { ignoreVary: true })) ?? network);
  try {
    return await Promise.race([network, slow]);
  } catch (error) {
    const kept = await cache.match(request, { ignoreVary: true });
    if (kept) return kept;
    throw error;
  }
}
