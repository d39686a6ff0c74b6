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

  /* ---- The first screen, before the app's WebAssembly (issue 19) -------------------------------
     The landing must be usable after about one round trip, not after the wasm has arrived and
     only then asked for the session. So this script asks for the session itself (GET /v1/session,
     exactly as the app would: the same call binds the device on first use, R10), draws the landing
     the app would draw (masked data only, R6: it comes from the API, never from the page's HTML,
     which a link-preview bot may fetch), and makes 获取验证码 work. Only then does it load the app:
     on a slow network the app's download would otherwise share the line with the session's answer.
     The app takes over every call made here (app/src/first.rs: window.__huifangFirst.take), so
     there is no second session request and no second code, and draws the same markup, so nothing
     flashes. The words are the core's (app/src/first.rs's test checks each against core/src/words). */
  var WORDS = {
    'zh-CN': {
      doc_title: '保单回访', brand: '保单电子化回访', language: '语言', large_text: '大字模式',
      'switch': '改为电话回访', revisit: '保单回访', loading: '正在加载…',
      landing_lead: '您好！为保障您的权益，请核对以下保单信息，验证身份后逐项确认回访内容。',
      holder: '投保人', policy: '保单号', phone: '手机号', product: '产品名称',
      cooling_off_ends: '犹豫期截止', beijing_time: '（北京时间）',
      sms_note: '我们将向上述手机号发送短信验证码，以确认是您本人操作。', send_code: '获取验证码'
    },
    en: {
      doc_title: 'Policy revisit', brand: 'Online policy revisit', language: 'Language',
      large_text: 'Large text', 'switch': 'Switch to a phone revisit', revisit: 'Policy revisit',
      loading: 'Loading…',
      landing_lead: 'Hello. To protect your rights, please check the policy details below, confirm your identity, then confirm the revisit items one by one.',
      holder: 'Policyholder', policy: 'Policy number', phone: 'Mobile number', product: 'Product',
      cooling_off_ends: 'Cooling-off period ends', beijing_time: ' (Beijing time)',
      sms_note: 'We will text a code to the mobile number above to make sure it is you.',
      send_code: 'Text me a code'
    }
  };
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  var LARGE_KEY = 'huifang.large-text';
  /* A call with no answer after this long is a network failure, as in app/src/api.rs. */
  var TIMEOUT_MS = 20000;

  /* Lang::from_tag: any zh* is Chinese, any en* English. */
  function langOfTag(tag) {
    tag = String(tag || '').toLowerCase();
    if (tag === 'zh' || tag.indexOf('zh-') === 0) return 'zh-CN';
    if (tag === 'en' || tag.indexOf('en-') === 0) return 'en';
    return null;
  }

  /* app/src/i18n.rs from_browser: the first language of navigator.languages that we offer. */
  function browserLang() {
    var tags = navigator.languages || [navigator.language];
    for (var i = 0; i < tags.length; i++) {
      var lang = langOfTag(tags[i]);
      if (lang) return lang;
    }
    return 'zh-CN';
  }

  /* app/src/display.rs beijing_date_time: 2027年1月15日 23:59 / 15 Jan 2027, 23:59. */
  function beijingDateTime(rfc3339, lang) {
    var ms = Date.parse(rfc3339);
    if (isNaN(ms)) return rfc3339;
    var local = new Date(ms + 8 * 3600 * 1000).toISOString();
    var year = local.slice(0, 4), month = Number(local.slice(5, 7)), day = Number(local.slice(8, 10));
    var time = local.slice(11, 16);
    return lang === 'en' ? day + ' ' + MONTHS[month - 1] + ' ' + year + ', ' + time
      : year + '年' + month + '月' + day + '日 ' + time;
  }

  function largeText() {
    try {
      return window.sessionStorage.getItem(LARGE_KEY) === '1';
    } catch (e) {
      return false;
    }
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var name in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, name)) node.setAttribute(name, attrs[name]);
    }
    for (var i = 0; children && i < children.length; i++) {
      var child = children[i];
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  function firstScreen(token) {
    var first = { calls: [], taken: false, switchAsked: false };
    var view = null;
    var lang = browserLang();
    var busy = false;
    var started = false;
    window.__huifangFirst = first;

    /* The app takes over: every call made here is handed to onAnswer(request, status, body, more)
       in order, at once for those already answered; nothing here touches the page after this. */
    first.take = function (onAnswer) {
      first.taken = true;
      var calls = first.calls.slice();
      var i = 0;
      function next() {
        while (i < calls.length) {
          var call = calls[i];
          if (!call.answer) {
            call.then = next;
            return;
          }
          i += 1;
          onAnswer(call.request, call.answer.status, call.answer.body, i < calls.length);
        }
      }
      next();
      return calls.length > 0;
    };

    function send(request, method, path, body) {
      busy = true;
      var call = { request: request, answer: null, then: null };
      first.calls.push(call);
      var done = false;
      var controller = typeof AbortController === 'function' ? new AbortController() : null;
      var timer = setTimeout(function () {
        if (controller) controller.abort();
        finish(0, '');
      }, TIMEOUT_MS);
      function finish(status, text) {
        if (done) return;
        done = true;
        clearTimeout(timer);
        call.answer = { status: status, body: text };
        busy = false;
        if (call.then) call.then();
        if (first.taken) return;
        if (status >= 200 && status < 300) {
          try {
            view = JSON.parse(text);
            lang = view.lang === 'en' ? 'en' : 'zh-CN';
          } catch (e) { /* the app will say what went wrong */ }
        }
        draw();
        if (request === 'load') startApp();
      }
      var init = {
        method: method,
        headers: { Authorization: 'Bearer ' + token },
        cache: 'no-store',
        credentials: 'same-origin'
      };
      if (controller) init.signal = controller.signal;
      if (body !== undefined) {
        init.headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
      }
      fetch('/v1/session' + path, init).then(function (response) {
        return response.text().then(function (text) {
          finish(response.status, text);
        });
      }).then(null, function () {
        finish(0, '');
      });
    }

    function startApp() {
      if (started) return;
      started = true;
      loadApp();
    }

    /* The landing of app/src/pages/landing.rs for stages issued and opened (the SMS step next). */
    function onLanding() {
      return view && (view.stage === 'issued' || view.stage === 'opened') &&
        (!view.next_step || view.next_step === 'sms_code');
    }

    function button(attrs, text, onClick) {
      var node = el('button', attrs, [text]);
      node.onclick = onClick;
      return node;
    }

    /* app/src/components/header.rs and view_options.rs. */
    function header(t) {
      var brand = el('p', { 'class': 'brand' }, [el('span', { 'class': 'brand-name' }, [t.brand])]);
      if (view && view.product) brand.appendChild(el('span', { 'class': 'product' }, [view.product]));
      var choose = function (choice, name) {
        return button({ 'class': 'tool', type: 'button', lang: choice, 'aria-pressed': String(lang === choice) },
          name, function () {
            if (first.taken || busy || lang === choice) return;
            if (onLanding()) {
              send('language:' + choice, 'POST', '/language', { lang: choice });
            } else {
              lang = choice;
            }
            draw();
          });
      };
      var large = largeText();
      var options = el('div', { 'class': 'view-options' }, [
        el('div', { 'class': 'lang-switch', role: 'group', 'aria-label': t.language },
          [choose('zh-CN', '中文'), choose('en', 'English')]),
        button({ 'class': 'tool', type: 'button', 'aria-pressed': String(large) }, t.large_text, function () {
          if (first.taken) return;
          try {
            if (large) window.sessionStorage.removeItem(LARGE_KEY);
            else window.sessionStorage.setItem(LARGE_KEY, '1');
          } catch (e) { /* storage refused: for this page only */ }
          if (large) document.documentElement.removeAttribute('data-text');
          else document.documentElement.setAttribute('data-text', 'large');
          draw();
        })
      ]);
      // 改为电话回访 (R7): the app opens its confirmation panel as soon as it runs.
      var sw = button({ 'class': 'switch', type: 'button' }, t['switch'], function () {
        first.switchAsked = true;
        sw.setAttribute('aria-busy', 'true');
      });
      return el('header', { 'class': 'masthead' }, [brand, options, sw]);
    }

    function landing(t) {
      var fact = function (name, value, nowrap) {
        return el('div', {}, [el('dt', {}, [name]), el('dd', nowrap ? { 'class': 'nowrap' } : {}, [value])]);
      };
      // No space before the span: the app's markup has none (its text carries its own).
      var ends = el('dd', {}, [beijingDateTime(view.expires_at, lang),
        el('span', { 'class': 'nowrap' }, [t.beijing_time])]);
      var code = button({ 'class': 'primary', type: 'button' }, t.send_code, function () {
        if (first.taken || busy) return;
        send('send_code', 'POST', '/code', {});
        draw();
      });
      if (busy) code.disabled = true;
      return el('section', { 'class': 'page landing' }, [
        el('h1', {}, [t.revisit]),
        el('p', { 'class': 'lead' }, [t.landing_lead]),
        el('dl', { 'class': 'facts' }, [
          fact(t.holder, view.holder_masked),
          fact(t.policy, view.policy_masked),
          fact(t.phone, view.phone_masked, true),
          fact(t.product, view.product),
          el('div', {}, [el('dt', {}, [t.cooling_off_ends]), ends])
        ]),
        el('p', {}, [t.sms_note]),
        el('div', { 'class': 'actions' }, [code])
      ]);
    }

    /* app/src/pages/loading.rs. */
    function loading(t) {
      return el('section', { 'class': 'page loading', 'aria-busy': 'true' },
        [el('h1', {}, [t.revisit]), el('p', {}, [t.loading])]);
    }

    function draw() {
      var app = byId('app');
      if (first.taken || !app) return;
      if (!first.shell) first.shell = app.firstElementChild;
      var t = WORDS[lang];
      document.documentElement.setAttribute('lang', lang);
      document.title = t.doc_title;
      var main = el('main', { id: 'main' }, [onLanding() ? landing(t) : loading(t)]);
      app.textContent = '';
      app.appendChild(header(t));
      app.appendChild(main);
    }

    var status = byId('boot-status');
    if (status) status.removeAttribute('hidden');
    // The shell stays until the session answers: then the landing (or, for a later stage, the
    // app's loading page until the app draws it).
    send('load', 'GET', '');
  }

  /* The app's module; its files are asked for together, once the first screen stands. */
  function loadApp() {
    var head = document.head || document.getElementsByTagName('head')[0];
    var wasm = el('link', { rel: 'preload', href: '/app_bg.wasm?v=' + BUILD, as: 'fetch',
      type: 'application/wasm', crossorigin: '' });
    var glue = el('link', { rel: 'modulepreload', href: '/app.js?v=' + BUILD });
    head.appendChild(wasm);
    head.appendChild(glue);
    var start = document.createElement('script');
    start.type = 'module';
    start.src = '/start.js?v=' + BUILD;
    start.onerror = showLoadFailed;
    document.body.appendChild(start);
  }

  var missing = missingFeatures();
  if (missing.length) {
    showFallback(missing);
    return;
  }
  window.__huifangLoadFailed = showLoadFailed;
  var link = /^\/r\/([A-Za-z0-9_-]{38})\/?$/.exec(window.location.pathname);
  if (link && typeof fetch === 'function') {
    firstScreen(link[1]);
  } else {
    var status = byId('boot-status');
    if (status) status.removeAttribute('hidden');
    loadApp();
  }
})();
