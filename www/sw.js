// The site's service worker: the page usable offline after a first visit (lecture halls have bad
// Wi-Fi). scripts/service-worker.cjs writes this file into every build with BUILD filled in (the
// build's files and a version hashed from their contents); www/boot.js registers it.
//
// - Scope: the folder the site is served from (the worker's own folder), so an embedding page or
//   anything else on the host is never touched. It answers only for its own files: navigations
//   to the page (the folder, or index.html, with any query) and the build's files; every other
//   request goes to the network untouched.
// - The page: network first, revalidated (so a new deployment shows at once), the cached copy
//   when offline or when the network has not answered within NETWORK_WAIT_MS.
// - The hashed .js/.wasm/.css: from the cache of this build, else the network.
// - A new deployment has another version, hence another sw.js: the browser installs it, it caches
//   the new files (checking that the page it fetched names exactly them), then deletes the
//   previous build's cache. A cached page and its files always come from one build.
"use strict";

const BUILD = { version: "unbuilt", files: [] };

const NETWORK_WAIT_MS = 4000;
const SCOPE = self.registration.scope;
// Cache storage is per origin: two copies of the site in two folders of one host keep apart.
const CACHE_PREFIX = "sgd-playground " + SCOPE + " ";
const CACHE = CACHE_PREFIX + BUILD.version;
const PAGE = new URL("index.html", SCOPE).href;
const FILES = new Set(BUILD.files.map((file) => new URL(file, SCOPE).href));

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // The page revalidated (never a stale copy naming other files), the hashed files through the
    // HTTP cache (immutable names: usually just downloaded by the page itself).
    const page = await fetch(PAGE, { cache: "no-cache" });
    const html = await page.clone().text();
    if (!page.ok) throw new Error("sw: the page answered " + page.status);
    // The page names the hashed engine files it loads (Trunk's names: "name-<16 hex>.js",
    // "…_bg.wasm"); worker.js, which the engine starts, has a fixed name and is not named there.
    for (const file of BUILD.files) {
      if (/^[^/]+-[0-9a-f]{16}(_bg)?\.(js|wasm)$/.test(file) && !html.includes(file)) {
        throw new Error("sw: the page served is not this build's (it does not name " + file + ")");
      }
    }
    const others = await Promise.all(BUILD.files.filter((file) => file !== "index.html").map(async (file) => {
      // A file whose name does not change with its content (worker.js, the engine's snippets,
      // whose folder is named after the crate) is revalidated: the HTTP cache may hold the
      // previous deployment's.
      const hashed = /^[^/]+-[0-9a-f]{16}(_bg)?\.[a-z]+$/.test(file);
      const response = await fetch(new URL(file, SCOPE).href, hashed ? {} : { cache: "no-cache" });
      if (!response.ok) throw new Error("sw: " + file + " answered " + response.status);
      return [file, response];
    }));
    await cache.put(PAGE, page);
    for (const [file, response] of others) await cache.put(new URL(file, SCOPE).href, response);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(CACHE_PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  const bare = url.origin + url.pathname;
  if (request.mode === "navigate" && (bare === SCOPE || bare === PAGE)) {
    event.respondWith(page());
  } else if (FILES.has(bare) && bare !== PAGE) {
    event.respondWith(file(request, bare));
  }
});

async function page() {
  const cached = await caches.open(CACHE).then((cache) => cache.match(PAGE));
  // Revalidated, never the HTTP cache's copy (GitHub Pages lets browsers keep pages 10 minutes):
  // a new deployment shows at the next visit; unchanged, the server answers 304.
  // index.html whatever the link's query or path (the folder or index.html): one file in the
  // HTTP cache, so an unchanged page costs one 304.
  const network = fetch(PAGE, { cache: "no-cache", credentials: "same-origin" });
  if (!cached) return network;
  const late = new Promise((resolve) => setTimeout(() => resolve(cached), NETWORK_WAIT_MS));
  return Promise.race([network.catch(() => cached), late]);
}

async function file(request, bare) {
  const cached = await caches.open(CACHE).then((cache) => cache.match(bare));
  return cached || fetch(request);
}
