// The app's module entry, loaded by boot.js once it knows this browser can run the app. The file
// names carry the build (__BUILD__, stamped by tools/build-app.sh), so a page never mixes the glue
// of one build with the WebAssembly of another, and sw.js can keep them cache-first.
import init from '/app.js?v=__BUILD__';

init({ module_or_path: '/app_bg.wasm?v=__BUILD__' }).then(
  () => {
    // Keep the shell for the next visit (sw.js). Not every in-app browser has service workers;
    // without one the page works the same, from the HTTP cache.
    if ('serviceWorker' in navigator) {
      navigator.serviceWorker.register('/sw.js').catch(() => {});
    }
  },
  () => {
    if (window.__huifangLoadFailed) window.__huifangLoadFailed();
  },
);
