/* Says plainly why the app cannot run here and offers the phone switch (R7), or that its files did
   not arrive. A classic script in plain ES5, so that every browser that runs JavaScript at all runs
   it: an old in-app browser must get the fallback page, never a blank screen or an endless
   "正在加载…". index.html's first script has checked that this browser can compile the app's
   WebAssembly (docs/BROWSERS.md: window.__huifangMissing names what it lacks) and, if it can,
   started the first screen and the app; it loads this file only when it cannot, or when the
   app's files did not arrive. A separate file, not inline: the CSP allows only the first script
   by its hash, and most pages never need this. */
(function () {
  'use strict';

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
    // The first screen (below) goes: without the app its code could not be entered; the shell's
    // own markup comes back under the message.
    var first = window.__huifangFirst;
    if (first && first.shell && !first.taken) {
      first.taken = true;
      var app = byId('app');
      app.textContent = '';
      app.appendChild(first.shell);
    }
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

  function run() {
    window.__huifangLoadFailed = showLoadFailed;
    var missing = window.__huifangMissing;
    if (Object.prototype.toString.call(missing) !== '[object Array]') missing = ['first-script'];
    if (missing.length) {
      showFallback(missing);
    } else if (window.__huifangLoadFailedEarly) {
      showLoadFailed();
    }
  }

  // Asked for by the first script, perhaps before the page was parsed.
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', run);
  } else {
    run();
  }
})();
