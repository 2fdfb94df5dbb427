// @ts-check
/** 回执: “证据已全部上传” appears only from a complete receipt listing everything this phone sent. */
import { h } from '../dom.js';
import { dateTime } from '../format.js';
import { load } from './inspection.js';

const KINDS = { answers: '检查要点判定', findings: '发现的问题', photos: '照片', signatures: '签名', party: '当事人记录', late: '补充证据' };

/** The receipt screen. */
export async function render(ctx) {
  const v = await load(ctx);
  const stored = await ctx.store.receipt(v.id);
  const state = ctx.store.syncState();
  const syncBtn = h('button', { type: 'button', class: 'btn primary block', disabled: Boolean(state && state.running),
    onclick: () => ctx.store.sync('receipt') }, '立即同步');
  let status;
  if (v.pending) {
    status = h('div', { class: 'receipt-state pending', role: 'status' }, h('h2', {}, '尚未全部上传'),
      h('p', {}, `手机上还有 ${v.pending} 条记录未上传。请保持联网并点“立即同步”，上传完成前不要离开现场。`));
  } else if (stored && stored.status.ok) {
    status = h('div', { class: 'receipt-state ok', role: 'status' }, h('h2', {}, '证据已全部上传'),
      h('p', {}, `服务器已确认收到本检查的全部记录和文件（${dateTime(stored.receipt.server_time)}，签名密钥 ${stored.receipt.key_id}）。`));
  } else if (stored) {
    status = h('div', { class: 'receipt-state missing', role: 'status' }, h('h2', {}, '服务器尚未收到全部证据'),
      h('ul', {}, stored.status.missing.map((m) => h('li', {}, m.sha256 ? `缺少文件 ${m.sha256.slice(0, 12)}…（${m.kind}）` : `缺少记录 ${String(m.id).slice(0, 8)}…（${m.kind}）`))),
      h('p', {}, '请保持联网并点“立即同步”。'));
  } else {
    status = h('div', { class: 'receipt-state pending', role: 'status' }, h('h2', {}, v.locked ? '等待回执' : '尚未提交'),
      h('p', {}, v.locked ? '联网同步后会取得服务器回执。' : '提交检查结果后，这里会显示服务器回执。'));
  }
  const counts = stored ? Object.entries(stored.receipt.counts || {}).filter(([, n]) => n > 0)
    .map(([k, n]) => h('li', {}, `${KINDS[k] || k}：${n}`)) : [];
  const body = h('div', {}, status,
    counts.length ? h('section', { class: 'card', 'aria-label': '服务器已收到' }, h('h2', {}, '服务器已收到'), h('ul', {}, counts)) : null,
    syncBtn, h('a', { class: 'btn block', href: `#/i/${v.id}` }, '返回检查详情'));
  return { title: '回执', body, back: `#/i/${v.id}`, live: true };
}
