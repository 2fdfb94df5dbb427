// @ts-check
/** 回执: “证据已全部上传” appears only from a complete receipt listing everything this phone sent. */
import { h } from '../dom.js';
import { dateTime } from '../format.js';
import * as ls from '../local-state.js';
import { load } from './inspection.js';

const KINDS = { answers: '检查要点判定', findings: '发现的问题', photos: '照片', signatures: '签名', party: '当事人记录', late: '补充证据' };
const KIND_WORDS = { answer: '检查要点判定', finding: '发现的问题', photo: '照片', signature: '签名', party: '当事人记录',
  withdrawal: '删除照片的记录', late: '补充证据' };

/** A missing record or file in words: which photo or whose signature, never a hash. */
function missingText(v, m) {
  if (m.kind === 'photo' || m.kind === 'late') {
    const p = v.record.photos.find((x) => x.sha256 === m.sha256 || x.id === m.id);
    return `照片“${(p && p.caption) || '无说明'}”${p ? `（${dateTime(p.taken_at)} 拍摄）` : ''}的文件还没有上传到服务器`;
  }
  if (m.kind === 'signature') {
    const s = v.record.signatures.find((x) => x.sha256 === m.sha256 || x.id === m.id);
    return `${s ? `${s.signer_name} 的` : ''}签名图片还没有上传到服务器`;
  }
  return `一条${KIND_WORDS[m.kind] || '记录'}服务器还没有收到`;
}

function pendingState(v) {
  const online = navigator.onLine !== false;
  return h('div', { class: 'receipt-state pending', role: 'status' }, h('h2', {}, '尚未全部上传'),
    online
      ? h('p', {}, `手机上还有 ${v.pending} 条记录未上传，正在自动上传。这里显示“证据已全部上传”之前，请不要离开现场。`)
      : [h('p', {}, `现在没有网络。手机上还有 ${v.pending} 条记录未上传，都已保存在这部手机上，不会丢失。`),
        h('p', {}, '有信号后会自动上传，不用再操作；上传完成后这里会显示“证据已全部上传”。在那之前请不要卸载本应用或清除它的数据。')]);
}

/** The receipt screen. */
export async function render(ctx) {
  const v = await load(ctx);
  const stored = await ctx.store.receipt(v.id);
  const state = ctx.store.syncState();
  const syncBtn = h('button', { type: 'button', class: 'btn primary block', disabled: Boolean(state && state.running),
    onclick: () => ctx.store.sync('receipt') }, '立即同步');
  let status;
  if (v.pending) {
    status = pendingState(v);
  } else if (stored && stored.status.ok) {
    status = h('div', { class: 'receipt-state ok', role: 'status' }, h('h2', {}, '证据已全部上传'),
      h('p', {}, `服务器已确认收到本检查的全部记录和文件（${dateTime(stored.receipt.server_time)}），回执已保存在手机上。`));
  } else if (stored) {
    status = h('div', { class: 'receipt-state missing', role: 'status' }, h('h2', {}, '服务器尚未收到全部证据'),
      h('ul', {}, stored.status.missing.map((m) => h('li', {}, missingText(v, m)))),
      h('p', {}, '请保持联网并点“立即同步”。'));
  } else {
    status = h('div', { class: 'receipt-state pending', role: 'status' }, h('h2', {}, v.locked ? '等待回执' : '尚未提交'),
      h('p', {}, v.locked ? '联网同步后会取得服务器回执。' : '提交检查结果后，这里会显示服务器回执。'));
  }
  const counts = stored ? Object.entries(stored.receipt.counts || {}).filter(([, n]) => n > 0)
    .map(([k, n]) => h('li', {}, `${KINDS[k] || k}：${n}`)) : [];
  const body = h('div', {}, status,
    counts.length ? h('section', { class: 'card', 'aria-label': '服务器已收到' }, h('h2', {}, '服务器已收到'), h('ul', {}, counts),
      ls.currentSignatures(v).length < v.record.signatures.length ? h('p', { class: 'muted small' }, '签名按人计：重新签名替换的旧签名仍保存在服务器上。') : null) : null,
    syncBtn, h('a', { class: 'btn block', href: `#/i/${v.id}` }, '返回检查详情'));
  return { title: '回执', body, back: `#/i/${v.id}`, live: true };
}
