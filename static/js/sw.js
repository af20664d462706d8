// Precept's service worker: logging a procedure with no network (issue 10, point 3).
// Served at /sw.js by config/offline.py, which fills in the outbox script's address.
//
// Hand-written rather than Workbox: it does three small things, and Workbox's own loader
// fetches its modules from a CDN unless bundled, which would add a build step.
// - CSS, JS and icons (hashed names, never stale): from the cache once fetched.
// - Log a procedure: from the network; kept, for its signed-in user, for when the network
//   is gone. Other pages are never kept: offline they get a short page that says so.
// - Saving the entry form with no network: the entry goes into the outbox (IndexedDB)
//   under a key made here, and the form comes back empty; pages upload the outbox when
//   the network returns (offline.js).
// The kept form belongs to one user: a page of anyone else, or the sign-in page, makes
// the worker drop it, and signing out drops everything.
importScripts("__OUTBOX_DB_URL__");

const PAGES = "precept-pages";
const ASSETS = "precept-assets";
const STATE = "precept-state";
const FORM = "/entries/new/";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

async function owner() {
  const hit = await (await caches.open(STATE)).match("/owner");
  return hit ? hit.text() : "";
}

async function remember(user, assets, keepForm) {
  if ((await owner()) !== user) await caches.delete(PAGES);
  await (await caches.open(STATE)).put("/owner", new Response(user));
  if (!user) return;
  const cache = await caches.open(ASSETS);
  await Promise.all(assets.map(async (url) => {
    if (!(await cache.match(url))) await cache.add(url).catch(() => null);
  }));
  const pages = await caches.open(PAGES);
  if (!keepForm || (await pages.match(FORM))) return;
  const form = await fetch(FORM, { credentials: "same-origin", redirect: "manual" }).catch(() => null);
  if (form && form.ok && form.type === "basic") await pages.put(FORM, form);
}

async function forget() {
  await Promise.all([PAGES, ASSETS, STATE].map((name) => caches.delete(name)));
}

// One message at a time, in the order the pages sent them: the sign-in page's "nobody"
// must not land after the next page's "alice" and leave the kept form without its owner.
let work = Promise.resolve();
self.addEventListener("message", (event) => {
  const data = event.data || {};
  let job = null;
  if (data.type === "page") {
    job = () => remember(String(data.user || ""), data.assets || [], data.form === FORM);
  }
  if (data.type === "forget") job = forget;
  if (!job) return;
  work = work.then(job).catch(() => null);
  event.waitUntil(work);
});

async function fromCacheFirst(request) {
  const cache = await caches.open(ASSETS);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

const OFFLINE_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Offline · Precept</title>
</head><body><main><h1>No network</h1>
<p>This page needs the network. <a href="${FORM}">Log a procedure</a> works without it:
entries are kept on this phone and uploaded when the network returns.</p></main></body></html>`;

// The kept form carries the one-time key it was rendered with (Entry.form_key). Served
// again, it must not: an entry saved from a second copy would be taken by the server for
// the first, already stored, and dropped. So each copy gets a key of its own.
async function withFreshKey(kept) {
  const html = (await kept.text()).replace(
    /(name="form_key" value=")[^"]*/, "$1" + self.crypto.randomUUID()
  );
  return new Response(html, { status: kept.status, headers: kept.headers });
}

async function navigate(request, url) {
  try {
    const response = await fetch(request);
    if (url.pathname === FORM && !url.search && response.ok && (await owner())) {
      await (await caches.open(PAGES)).put(FORM, response.clone());
    }
    return response;
  } catch (error) {
    if (url.pathname === FORM) {
      const kept = await (await caches.open(PAGES)).match(FORM);
      if (kept) return withFreshKey(kept);
    }
    return new Response(OFFLINE_PAGE, {
      status: 503,
      headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
    });
  }
}

// The entry form sent with no network: into the outbox, under a key of its own.
async function sendOrKeep(request) {
  const copy = request.clone();
  try {
    return await fetch(request);
  } catch (error) {
    const user = await owner();
    if (!user) throw error;
    const fields = {};
    for (const [name, value] of (await copy.formData()).entries()) {
      if (name === "csrfmiddlewaretoken") continue;
      (fields[name] = fields[name] || []).push(String(value));
    }
    const key = self.crypto.randomUUID();
    fields.form_key = [key];
    await PreceptOutbox.put({ key, user, fields, savedAt: Date.now(), refused: null });
    return Response.redirect(FORM + "?kept=1", 303);
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === FORM && !request.headers.has("X-Precept-Upload")) {
    event.respondWith(sendOrKeep(request));
  } else if (request.method !== "GET") {
    return;
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(fromCacheFirst(request));
  } else if (request.mode === "navigate") {
    event.respondWith(navigate(request, url));
  }
});
