/* Starts the app, or says plainly why it cannot and offers the phone switch (R7).
   A classic script in plain ES5, so that every browser that runs JavaScript at all runs it: an old
   in-app browser must get the fallback page, never a blank screen or an endless "正在加载…". It
   checks that this browser can compile the app's WebAssembly (docs/BROWSERS.md) before loading
   anything, then starts the app from a module script (start.js). A separate file, not inline, so
   the page works under a strict Content-Security-Policy. __BUILD__ is stamped by tools/build-app.sh. */
(function () {
  'use strict';

  /* 大字模式 chosen earlier in this browser session (app/src/prefs.rs keeps it under this key): apply
     it before the app starts, so that a reload never shows normal-size text first. */
  try {
    if (window.sessionStorage && window.sessionStorage.getItem('huifang.large-text') === '1') {
      document.documentElement.setAttribute('data-text', 'large');
    }
  } catch (e) { /* storage refused (a private mode): normal size until chosen again */ }

  var BUILD = '__BUILD__';
  var HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

  /* One tiny module per WebAssembly feature that app_bg.wasm uses, written by hand after
     wasm-feature-detect: a browser that refuses any of them cannot compile the app. Each is the
     header, then sections as [id, size, ...content]. */
  var FEATURES = {
    // i32.extend8_s in a function () -> i32
    'sign-ext': [1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0, 10, 7, 1, 5, 0, 0x41, 0, 0xc0, 0x0b],
    // f32.const 0; i32.trunc_sat_f32_s in a function () -> i32
    'nontrapping-fptoint': [1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0, 10, 11, 1, 9, 0, 0x43, 0, 0, 0,
      0, 0xfc, 0, 0x0b],
    // a memory, the data count section, memory.copy and memory.fill
    'bulk-memory': [1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 5, 3, 1, 0, 1, 12, 1, 0, 10, 23, 1, 21, 0,
      0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x0a, 0, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x0b, 0, 0x0b],
    // two tables (funcref, externref); table.set and table.get on the externref one, which is how
    // wasm-bindgen keeps JavaScript values
    'reference-types': [1, 6, 1, 0x60, 1, 0x6f, 1, 0x6f, 3, 2, 1, 0, 4, 7, 2, 0x70, 0, 0, 0x6f, 0, 1,
      10, 14, 1, 12, 0, 0x41, 0, 0x20, 0, 0x26, 1, 0x41, 0, 0x25, 1, 0x0b],
    // a function () -> (i32, i32)
    'multivalue': [1, 6, 1, 0x60, 0, 2, 0x7f, 0x7f, 3, 2, 1, 0, 10, 8, 1, 6, 0, 0x41, 0, 0x41, 0, 0x0b]
  };

  /* The features this browser lacks, by name; empty when it can run the app. */
  function missingFeatures() {
    var missing = [];
    var wasm = typeof WebAssembly === 'object' && WebAssembly !== null ? WebAssembly : null;
    if (!wasm || typeof wasm.validate !== 'function' || typeof Uint8Array !== 'function') {
      return ['webassembly'];
    }
    for (var name in FEATURES) {
      if (!Object.prototype.hasOwnProperty.call(FEATURES, name)) continue;
      var ok = false;
      try {
        ok = wasm.validate(new Uint8Array(HEADER.concat(FEATURES[name])));
      } catch (e) {
        ok = false;
      }
      if (!ok) missing.push(name);
    }
    // The app's glue is an ES module; every browser with the features above has modules too.
    if (!('noModule' in document.createElement('script'))) missing.push('es-modules');
    return missing;
  }

  function byId(id) {
    return document.getElementById(id);
  }

  /* The fallback's markup: the <noscript> block, which a browser running scripts keeps as text. */
  function fallbackParts() {
    var source = byId('fallback-source');
    var holder = document.createElement('div');
    holder.innerHTML = source ? source.textContent || source.innerHTML : '';
    return holder.firstElementChild || holder;
  }

  /* The form posts to the page's own link (/r/<token>) without scripts. Here it goes to the same
     handler under /v1/session, where a browser that ran the app before sends its device cookie. */
  function pointFormsAtSession(root) {
    var link = /^\/r\/([A-Za-z0-9_-]{38})\/?$/.exec(window.location.pathname);
    if (!link || !root.getElementsByTagName) return;
    var forms = root.getElementsByTagName('form');
    for (var i = 0; i < forms.length; i++) {
      forms[i].setAttribute('action', '/v1/session/phone-form/' + link[1]);
    }
  }

  function shell() {
    var app = byId('app');
    return app && app.querySelector('main');
  }

  function hideStatus() {
    var status = byId('boot-status');
    if (status) status.setAttribute('hidden', '');
  }

  /* This browser cannot run the app: show the fallback (why, what to do, the phone switch). */
  function showFallback(missing) {
    var main = shell();
    if (!main) return;
    hideStatus();
    var parts = fallbackParts();
    parts.setAttribute('data-missing', missing.join(' '));
    parts.setAttribute('data-testid', 'fallback');
    pointFormsAtSession(parts);
    main.appendChild(parts);
  }

  /* The app's files did not arrive or did not start: say so, offer a retry and the phone switch. */
  function showLoadFailed() {
    var main = shell();
    if (!main || byId('boot-failed')) return;
    hideStatus();
    var box = document.createElement('div');
    box.id = 'boot-failed';
    box.className = 'notice';
    box.setAttribute('role', 'alert');
    var text = document.createElement('p');
    text.appendChild(document.createTextNode('页面没有加载完成，可能是网络不稳定。请点“重试”。'));
    var retry = document.createElement('button');
    retry.type = 'button';
    retry.className = 'primary';
    retry.appendChild(document.createTextNode('重试'));
    retry.onclick = function () {
      window.location.reload();
    };
    box.appendChild(text);
    box.appendChild(retry);
    main.appendChild(box);
    var parts = fallbackParts();
    var sw = parts.querySelector ? parts.querySelector('.fallback-switch') : null;
    if (sw) {
      pointFormsAtSession(sw);
      main.appendChild(sw);
    }
  }

  var missing = missingFeatures();
  if (missing.length) {
    showFallback(missing);
    return;
  }
  var status = byId('boot-status');
  if (status) status.removeAttribute('hidden');
  window.__huifangLoadFailed = showLoadFailed;
  var start = document.createElement('script');
  start.type = 'module';
  start.src = '/start.js?v=' + BUILD;
  start.onerror = showLoadFailed;
  document.body.appendChild(start);
})();
