// Starts the app. A separate file (not an inline script) so the page works under a strict
// Content-Security-Policy. If the app cannot start (a very old browser), say so instead of
// leaving the loading text forever.
import init from '/app.js';

init().catch(() => {
  const root = document.getElementById('app');
  if (root) {
    root.replaceChildren();
    const main = document.createElement('main');
    const h1 = document.createElement('h1');
    h1.textContent = '保单回访';
    const p = document.createElement('p');
    p.textContent = '页面无法在此浏览器中打开，请更新浏览器或换用手机自带浏览器后重试。您也可以等待保险公司的电话回访。';
    main.className = 'shell';
    main.append(h1, p);
    root.append(main);
  }
});
