// @ts-check
/** 需要处理: returned inspections with the reviewer's note, and work the server refused, with its reason. */
import { h } from '../dom.js';
import { dateTime } from '../format.js';
import { LABELS } from '../messages.js';

function what(row) {
  if (row.kind === 'media') return '上传文件被拒收';
  if (row.kind === 'withdrawn') return '检查已撤回或调整';
  const m = row.mutation || {};
  const a = m.args || {};
  const detail = a.description || a.name || a.caption || a.signer_name || (a.answer ? `第 ${a.checkpoint_id} 项` : '');
  return `${LABELS.mutations[m.name] || m.name || '记录'}${detail ? `：${detail}` : ''}`;
}

/** The attention list. */
export async function render(ctx) {
  const rows = await ctx.store.attention();
  const returned = (await ctx.store.inspections()).filter((v) => v.status === 'returned');
  const body = h('div', {},
    h('h2', {}, `被退回的检查（${returned.length}）`),
    returned.length ? h('ul', { class: 'cards' }, returned.map((v) => h('li', { class: 'card' },
      h('h3', {}, v.target.name), h('p', { class: 'reviewer-note' }, h('strong', {}, '退回意见：'), v.reviewer_note || '（无）'),
      h('a', { class: 'btn small primary', href: `#/i/${v.id}` }, '去修改')))) : h('p', { class: 'empty' }, '没有被退回的检查。'),
    h('h2', {}, `服务器拒收的记录（${rows.length}）`),
    rows.length ? h('ul', { class: 'cards' }, rows.map((row) => h('li', { class: `card attention ${row.handled ? 'handled' : ''}` },
      h('h3', {}, what(row)),
      h('p', { class: 'server-reason' }, h('strong', {}, '原因：'), row.message || row.code),
      h('p', { class: 'muted small' }, `检查 ${row.inspection_id ?? ''} · ${dateTime(row.at)}${row.handled ? ' · 已读' : ''}`),
      row.kind === 'rejected' ? h('p', { class: 'muted small' }, '记录内容保留在手机上，服务器也保存了一份供审核人员查看。') : null,
      row.handled ? null : h('button', { type: 'button', class: 'btn small', onclick: () => ctx.store.markHandled(row.key) }, '知道了')))) 
      : h('p', { class: 'empty' }, '没有被拒收的记录。'));
  return { title: '需要处理', body, live: true };
}
