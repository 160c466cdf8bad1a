/**
 * Offline use: registers the build's service worker (sw.js, see sw.ts) and says in the
 * footer which build this browser keeps, or that a newer one has been installed and a
 * reload switches to it (never reloads by itself: a write may be running).
 */
import { el } from './dom.js';

interface Kept { version: string; assets: number }

/** Asks a worker which build it serves. */
function askVersion(worker: ServiceWorker): Promise<Kept> {
  return new Promise((resolve, reject) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => reject(new Error('the service worker did not answer')), 5000);
    channel.port1.onmessage = (e: MessageEvent<Kept>) => { clearTimeout(timer); resolve(e.data); };
    worker.postMessage({ type: 'version' }, [channel.port2]);
  });
}

export function registerOffline(status: HTMLElement): void {
  const sw = navigator.serviceWorker as ServiceWorkerContainer | undefined;
  if (!sw || !window.isSecureContext) {
    status.textContent = 'Not kept for offline use: that needs https:// or http://localhost and a browser with service workers.';
    return;
  }
  const show = (kept: Kept, updated: boolean) => {
    status.dataset.version = kept.version;
    if (!updated) { status.textContent = `Works offline · build ${kept.version} · ${kept.assets} files kept`; status.title = 'This browser keeps the page: it loads without a network.'; return; }
    const reload = el('button', { class: 'small', text: 'Reload' });
    reload.addEventListener('click', () => location.reload());
    status.replaceChildren(`New build ${kept.version} installed: `, reload);
    status.title = 'A newer build of the page was installed for offline use; reloading switches to it.';
  };
  const fail = (e: unknown) => { status.textContent = `Not kept for offline use: ${(e as Error).message}`; };
  // A page that was already controlled and sees the controller change is looking at an older build.
  const wasControlled = Boolean(sw.controller);
  sw.addEventListener('controllerchange', () => {
    if (sw.controller) askVersion(sw.controller).then((k) => show(k, wasControlled), fail);
  });
  status.textContent = 'Saving the page for offline use…';
  sw.register('sw.js')
    .then((reg) => {
      // A worker that cannot fetch every file of the build gives up (state 'redundant'); ready would never come.
      const installing = reg.installing;
      installing?.addEventListener('statechange', () => { if (installing.state === 'redundant' && !status.dataset.version) fail(new Error('the build\'s files could not all be fetched; reload to try again')); });
      return sw.ready;
    })
    .then((reg) => (reg.active ? askVersion(reg.active) : Promise.reject(new Error('no active service worker'))))
    .then((k) => { if (!status.dataset.version) show(k, false); }, fail);
}
