// @ts-check
/**
 * 需要处理: returned inspections with the reviewer's note, work the server refused (with its reason and the fix),
 * and judgements that arrived after a partner submitted (not counted). Everything in words: no ids, no codes.
 */
import { h } from '../dom.js';
import { dateTime } from '../format.js';
import { messageFor } from '../messages.js';
import * as ls from '../local-state.js';

function what(row, byId) {
  if (row.kind === 'media') return '上传文件被拒收';
  if (row.kind === 'withdrawn') return '检查已撤回或调整';
  return row.what || ls.describeEntry(byId.get(row.inspection_id), row.mutation || {});
}

// Where each refused submit is fixed (sync/submit_rules.py's codes; the server's message says how).
const FIX_AT = {
  incomplete_submission: ['checklist', '去判定检查要点'], result_inconsistent: ['result', '去修改检查结论'],
  item_result_inconsistent: ['findings', '去记录发现的问题'], noncompliant_photo_missing: ['photos', '去拍照'],
  party_missing: ['party', '去登记当事人'], absence_unproven: ['photos', '去拍照'], signatures_missing: ['signatures', '去签名'],
};

function fix(row) {
  if (FIX_AT[row.code]) return h('a', { class: 'btn small primary', href: `#/i/${row.inspection_id}/${FIX_AT[row.code][0]}` }, FIX_AT[row.code][1]);
  if (row.code === 'signatures_stale') return h('a', { class: 'btn small primary', href: `#/i/${row.inspection_id}/signatures` }, '去重新签名');
  if (row.code === 'photo_too_small' || row.code === 'image_too_small') return h('a', { class: 'btn small primary', href: `#/i/${row.inspection_id}/photos` }, '去重新拍照');
  if (row.code === 'signature_too_small') return h('a', { class: 'btn small primary', href: `#/i/${row.inspection_id}/signatures` }, '去重新签名');
  return null;
}

function entry(ctx, row, byId) {
  const v = byId.get(row.inspection_id);
  const late = row.kind === 'late';
  return h('li', { class: `card attention ${row.handled ? 'handled' : ''}` },
    h('h3', {}, late ? `未计入：${what(row, byId)}` : what(row, byId)),
    h('p', { class: 'server-reason' }, h('strong', {}, late ? '说明：' : '原因：'), row.message || messageFor(row.code)),
    ((row.errors || {}).also || []).length ? h('ul', { class: 'also-reasons', 'aria-label': '还需处理' },
      row.errors.also.map((a) => h('li', {}, a.message || messageFor(a.code)))) : null,
    h('p', { class: 'muted small' }, `${v ? v.target.name : row.target || '已不在本机的检查'} · ${dateTime(row.at)}${row.handled ? ' · 已读' : ''}`),
    row.kind === 'rejected' ? h('p', { class: 'muted small' }, '记录内容保留在手机上，服务器也保存了一份供审核人员查看。') : null,
    h('div', { class: 'actions' }, row.handled ? null : fix(row),
      row.handled ? null : h('button', { type: 'button', class: 'btn small', onclick: () => ctx.store.markHandled(row.key) }, '知道了')));
}

/** The attention list. */
export async function render(ctx) {
  const rows = await ctx.store.attention();
  const inspections = await ctx.store.inspections();
  const byId = new Map(inspections.map((v) => [v.id, v]));
  const returned = inspections.filter((v) => v.status === 'returned');
  const open = rows.filter((r) => !r.handled).length;
  const refused = rows.filter((r) => r.kind !== 'late');
  const late = rows.filter((r) => r.kind === 'late');
  const body = h('div', {},
    h('p', { class: 'summary', role: 'status' }, open + returned.length ? `共 ${open + returned.length} 项需要处理` : '没有需要处理的事项'),
    h('h2', {}, `被退回的检查（${returned.length}）`),
    returned.length ? h('ul', { class: 'cards' }, returned.map((v) => h('li', { class: 'card' },
      h('h3', {}, v.target.name), h('p', { class: 'reviewer-note' }, h('strong', {}, '退回意见：'), v.reviewer_note || '（无）'),
      h('a', { class: 'btn small primary', href: `#/i/${v.id}` }, '去修改')))) : h('p', { class: 'empty' }, '没有被退回的检查。'),
    late.length ? [h('h2', {}, `未计入检查结果的记录（${late.length}）`),
      h('ul', { class: 'cards' }, late.map((row) => entry(ctx, row, byId)))] : null,
    h('h2', {}, `服务器拒收的记录（${refused.length}）`),
    refused.length ? h('ul', { class: 'cards' }, refused.map((row) => entry(ctx, row, byId)))
      : h('p', { class: 'empty' }, '没有被拒收的记录。'));
  return { title: '需要处理', body, live: true };
}
