/**
 * The page's service worker (built to dist/web/sw.js by scripts/bundle-web.mjs): keeps the
 * built files in a cache named after the build's content hash, so the page loads from any
 * static host and, once loaded, offline. The build writes FW_VERSION and FW_ASSETS (every
 * file of dist/web but this one and the source maps), so a new build is a new sw.js: the
 * browser installs it beside the old one, it fills its own cache, takes over and deletes
 * the old cache. A page already open keeps the code it runs (one bundle, nothing loaded
 * later) and is told a new build is ready (src/web/offline.ts).
 */
export {};

declare const FW_VERSION: string;
declare const FW_ASSETS: string[];

// The few service-worker types used here (the project compiles against the DOM library,
// which does not declare the worker scope).
interface LifecycleEvent extends Event { waitUntil(work: Promise<unknown>): void }
interface FetchLikeEvent extends LifecycleEvent { readonly request: Request; respondWith(response: Promise<Response>): void }
interface WorkerScope {
  readonly registration: { readonly scope: string };
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (e: LifecycleEvent) => void): void;
  addEventListener(type: 'fetch', listener: (e: FetchLikeEvent) => void): void;
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
}

const scope = self as unknown as WorkerScope;
const PREFIX = 'flashwright-web-';
const CACHE = `${PREFIX}${FW_VERSION}`;

scope.addEventListener('install', (e) => {
  // cache: 'reload' skips the HTTP cache, so the new cache never holds a stale copy of a file.
  e.waitUntil(caches.open(CACHE)
    .then((cache) => cache.addAll(FW_ASSETS.map((a) => new Request(a, { cache: 'reload' }))))
    // A build not fetched whole is not kept at all: no half-filled cache is left behind.
    .catch((e: unknown) => caches.delete(CACHE).then(() => { throw e; }))
    .then(() => scope.skipWaiting()));
});

scope.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => scope.clients.claim()));
});

scope.addEventListener('fetch', (e) => {
  const request = e.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== location.origin) return;
  e.respondWith(answer(request));
});

/** The build's own files from its cache; the page's address (a navigation to the scope) is index.html; the rest from the network. */
// caches.match with cacheName, never caches.open: opening creates the cache, and a worker
// still answering for the old build would bring back the cache its successor just deleted.
async function answer(request: Request): Promise<Response> {
  const hit = await caches.match(request, { cacheName: CACHE, ignoreSearch: true });
  if (hit) return hit;
  const path = new URL(request.url).pathname;
  if (request.mode === 'navigate' && path === new URL(scope.registration.scope).pathname) {
    const page = await caches.match(new URL('index.html', scope.registration.scope).href, { cacheName: CACHE });
    if (page) return page;
  }
  return fetch(request);
}

// The page asks which build this worker serves (shown in its footer).
scope.addEventListener('message', (e) => {
  if ((e.data as { type?: string } | null)?.type === 'version') e.ports[0]?.postMessage({ version: FW_VERSION, assets: FW_ASSETS.length });
});
