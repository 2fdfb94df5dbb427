// @ts-check
/** 我的: the user, storage (persistent or not, usage and quota), the clock, the app version, logout. */
import { h } from '../dom.js';
import { bytes, dateTime, offsetLabel } from '../format.js';

/** Whether the app is installed for offline use (in words: the version hash means nothing to an inspector). */
async function offlineState() {
  if (!globalThis.caches) return '此浏览器不支持离线使用';
  const names = await caches.keys();
  return names.some((n) => n.startsWith('spotcheck-shell-')) ? '已安装离线版本：没有网络也能打开' : '离线版本尚未安装：请联网打开一次';
}

async function logout(ctx) {
  let result = await ctx.store.logout();
  if (result.needsConfirm) {
    const choice = await ctx.confirm({
      title: '还有未同步的记录',
      message: `手机上还有 ${result.needsConfirm} 条记录没有上传到服务器。建议先联网同步再退出。若现在退出，这些记录会保留在本机，只有您本人重新登录后才能看到并继续同步，不会被删除。`,
      buttons: [{ label: '先同步', value: 'sync', kind: 'primary' }, { label: '退出（记录保留在本机）', value: 'keep' }, { label: '取消', value: null }],
    });
    if (choice === 'sync') { ctx.store.sync('logout'); return; }
    if (choice !== 'keep') return;
    result = await ctx.store.logout({ keep: true });
  }
  ctx.toast(result.kept ? `已退出：${result.kept} 条未同步记录保留在本机` : '已退出登录');
  ctx.go('#/login');
}

/** The 我的 screen. */
export async function render(ctx) {
  const { store } = ctx;
  const user = store.user();
  const storage = await store.storage();
  const clock = await store.clock();
  const queued = await store.queued();
  const persistBtn = h('button', { type: 'button', class: 'btn small', onclick: async () => {
    const ok = await store.persist();
    ctx.toast(ok ? '已获得持久存储：系统清理空间时不会删除本应用的数据' : '浏览器未同意持久存储：请将本应用添加到主屏幕后重试', ok ? 'info' : 'error');
    ctx.refresh();
  } }, '申请持久存储');
  const body = h('div', {},
    h('section', { class: 'card', 'aria-label': '账号' }, h('h2', {}, user.display_name),
      h('p', {}, `用户名 ${user.username}`), user.inspector ? h('p', {}, `执法证号 ${user.inspector.cert_no}`) : null),
    h('section', { class: 'card', 'aria-label': '手机存储' }, h('h2', {}, '手机存储'),
      storage.supported ? [
        h('p', {}, storage.persisted ? '持久存储：已获得（系统清理空间时不会删除本应用的数据）' : '持久存储：未获得（系统空间不足时可能清理本应用的数据）'),
        h('p', {}, `已用 ${bytes(storage.usage)}，可用上限 ${bytes(storage.quota)}`),
        storage.persisted ? null : persistBtn,
      ] : h('p', {}, '此浏览器不支持查询存储空间')),
    h('section', { class: 'card', 'aria-label': '同步' }, h('h2', {}, '同步'),
      h('p', {}, `待同步记录：${queued} 条`),
      h('p', {}, clock ? `手机时间与服务器相差：${offsetLabel(clock.offset_ms)}（${dateTime(clock.measured_at)} 测得）` : '尚未与服务器对时')),
    h('section', { class: 'card', 'aria-label': '应用' }, h('h2', {}, '应用'), h('p', {}, await offlineState())),
    h('button', { type: 'button', class: 'btn danger block', onclick: () => logout(ctx) }, '退出登录'));
  return { title: '我的', body };
}
