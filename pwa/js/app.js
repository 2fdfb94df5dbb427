// @ts-check
/** The app: boot (session, service worker, sync triggers), the hash router and the shared chrome. */
import { earlyOpen } from './boot.js'; // first: starts opening IndexedDB while the rest loads
import { createStore } from './store.js';
import { h } from './dom.js';
import { messageFor } from './messages.js';
import { dateTime, offsetLabel, CLOCK_WARN_MS } from './format.js';
import { match } from './routes.js';

performance.mark('app-start'); // cold-start breakdown for tests/bench/bench_pwa.py
const store = createStore({ onBlocked: () => toast(messageFor('db_blocked'), 'error'), early: earlyOpen });
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
let waitingWorker = null;
let current = { live: false, key: '' };
let renderSeq = 0;

/** Shows a short message in the status region. */
function toast(message, kind = 'info') {
  const el = $('toast');
  el.textContent = message;
  el.className = `toast ${kind}`;
  el.hidden = false;
  clearTimeout(/** @type {any} */ (el).timer);
  /** @type {any} */ (el).timer = setTimeout(() => { el.hidden = true; }, kind === 'error' ? 8000 : 4000);
}

/** A modal question; resolves with the chosen button's value (or null when dismissed). */
function confirmDialog({ title, message, buttons }) {
  return new Promise((resolve) => {
    const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'dialog', 'aria-labelledby': 'dlg-title' },
      h('h2', { id: 'dlg-title' }, title), h('p', {}, message),
      h('div', { class: 'actions stack' }, buttons.map((b) => h('button', {
        type: 'button', class: `btn ${b.kind || ''}`, onclick: () => { dialog.close(); dialog.remove(); resolve(b.value); },
      }, b.label)))));
    dialog.addEventListener('cancel', () => { dialog.remove(); resolve(null); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}


async function syncBarText() {
  const state = store.syncState();
  const queued = await store.queued();
  if (state && state.running) return { text: `正在同步${state.progress ? `：${state.progress.text}` : '…'}`, kind: 'busy' };
  if (state && state.needsLogin) return { text: `${messageFor('login_required')}（${queued} 条待同步）`, kind: 'error' };
  // In the field, no signal is the normal state: calm, with what waits; red is for what the inspector must act on.
  if (navigator.onLine === false) return { text: queued ? `离线：${queued} 条记录保存在手机上，联网后自动同步` : '离线：记录会保存在手机上', kind: 'offline' };
  // Failures that fix themselves (no connection, a busy or broken server) are retried by themselves: calm.
  if (state && state.error && state.error.transient) {
    return { text: `${state.error.message}${queued ? `（${queued} 条待同步）` : ''}`, kind: 'offline' };
  }
  if (state && state.error) return { text: `${state.error.message}${queued ? `（${queued} 条待同步）` : ''}`, kind: 'error' };
  if (queued) return { text: `${queued} 条记录待同步`, kind: 'pending' };
  const last = await store.lastSync();
  return { text: last ? `全部已同步 · ${dateTime(last)}` : '尚未同步', kind: 'ok' };
}

async function updateChrome() {
  if (!store.user()) return;
  const { text, kind } = await syncBarText();
  const bar = $('syncbar');
  bar.textContent = text;
  bar.className = `syncbar ${kind}`;
  const state = store.syncState();
  /** @type {HTMLButtonElement} */ ($('sync-btn')).disabled = Boolean(state && state.running);
  const attention = await store.attentionCount();
  const badge = $('attention-badge');
  badge.textContent = attention ? String(attention) : '';
  badge.hidden = !attention;
  badge.setAttribute('aria-label', `${attention} 项`);
  await banners();
}

async function banners() {
  const list = [];
  if (waitingWorker) {
    list.push(h('div', { class: 'banner update' }, h('span', {}, '有新版本可用。待同步的记录不受影响。'),
      h('button', { type: 'button', class: 'btn small primary', onclick: applyUpdate }, '更新')));
  }
  const state = store.syncState();
  if (state && state.needsLogin && !location.hash.startsWith('#/login')) {
    list.push(h('div', { class: 'banner error' }, h('span', {}, messageFor('login_required')),
      h('a', { class: 'btn small', href: '#/login' }, '重新登录')));
  }
  const clock = await store.clock();
  if (clock && Math.abs(clock.offset_ms) >= CLOCK_WARN_MS) {
    list.push(h('div', { class: 'banner warn' }, `手机时间比服务器${offsetLabel(clock.offset_ms)}：请校准手机时间。照片和记录会同时保存手机时间与偏差。`));
  }
  $('banners').replaceChildren(...list);
}

function applyUpdate() {
  if (!waitingWorker) return;
  sessionStorage.setItem('spotcheck-updating', '1');
  waitingWorker.postMessage({ type: 'SKIP_WAITING' });
}

async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  const reg = await navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' });
  const offer = (worker) => { waitingWorker = worker; updateChrome(); };
  if (reg.waiting && navigator.serviceWorker.controller) offer(reg.waiting);
  reg.addEventListener('updatefound', () => {
    const worker = reg.installing;
    if (!worker) return;
    worker.addEventListener('statechange', () => {
      if (worker.state === 'installed' && navigator.serviceWorker.controller) offer(worker);
    });
  });
  navigator.serviceWorker.addEventListener('message', (event) => {
    if (event.data && event.data.type === 'FLUSH' && store.user()) store.sync('background');
  });
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (sessionStorage.getItem('spotcheck-updating')) { sessionStorage.removeItem('spotcheck-updating'); location.reload(); }
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && navigator.onLine !== false) reg.update().catch(() => {});
  });
}

async function render() {
  const seq = ++renderSeq;
  const { route, params, query } = match(location.hash);
  if (!store.user() && route.name !== 'login') { go('#/login'); return; }
  const ctx = { store, params, query, go, toast, confirm: confirmDialog, refresh: render, afterLogin };
  let screen;
  try {
    screen = await route.screen(ctx);
  } catch (err) {
    screen = { title: '出错了', body: h('p', { class: 'error-block', role: 'alert' }, messageFor(err.code, err.message)) };
  }
  if (seq !== renderSeq) return;
  const signedIn = Boolean(store.user());
  document.body.classList.toggle('signed-in', signedIn);
  $('title').textContent = screen.title;
  document.title = `${screen.title} · 双随机检查`;
  const back = /** @type {HTMLAnchorElement} */ ($('back'));
  back.hidden = !screen.back;
  if (screen.back) back.href = screen.back;
  const key = location.hash;
  const keepScroll = current.key === key;
  const y = window.scrollY;
  $('main').replaceChildren(screen.body);
  current = { live: Boolean(screen.live), key };
  if (screen.mount) screen.mount();
  if (keepScroll) window.scrollTo(0, y);
  else { window.scrollTo(0, 0); $('title').focus({ preventScroll: true }); }
  for (const tab of document.querySelectorAll('#tabbar a')) {
    const active = tab.getAttribute('data-tab') === (route.tab || '');
    if (active) tab.setAttribute('aria-current', 'page'); else tab.removeAttribute('aria-current');
  }
  updateChrome();
  if (route.name === 'list') performance.mark('list-ready');
}

function wireTriggers() {
  window.addEventListener('online', () => { updateChrome(); store.sync('online'); });
  window.addEventListener('offline', updateChrome);
  document.addEventListener('visibilitychange', () => { if (store.user()) store.sync('visibility'); });
  $('sync-btn').addEventListener('click', () => {
    if (navigator.onLine === false) toast(messageFor('offline'));
    store.sync('button');
  });
  store.on((type, detail) => {
    if (type === 'sync:rejected') toast(`有 ${detail.count} 条记录被服务器拒收：请在“需要处理”中查看原因`, 'error');
    if (type === 'sync:late') toast(`有 ${detail.count} 条判定未计入检查结果（同组人员已提交）：请在“需要处理”中查看`, 'error');
    if (type === 'sync:progress' || type === 'sync:start' || type === 'sync:done' || type === 'changed') updateChrome();
    if ((type === 'sync:done' || type === 'changed') && current.live) render();
  });
  window.addEventListener('hashchange', render);
}

async function boot() {
  wireTriggers();
  try {
    await store.init();
    performance.mark('session-restored');
  } catch (err) {
    $('main').replaceChildren(h('p', { class: 'error-block', role: 'alert' }, messageFor(err.code, err.message)));
    return;
  }
  await render();
  registerServiceWorker().catch(() => {}); // after the first screen: it competes with the cold start
  if (store.user()) { store.sync('start'); store.startPolling(); }
}

function afterLogin() {
  store.persist().catch(() => false);
  go('#/');
  store.sync('login');
  store.startPolling();
}

boot();
