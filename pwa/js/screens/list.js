// @ts-check
/** 我的检查任务: due dates, status, sync state and the unsynced count; returned inspections on top. */
import { h } from '../dom.js';
import { dueLabel, daysUntil } from '../format.js';
import { LABELS } from '../messages.js';

function syncState(v) {
  if (v.pending) return { text: `${v.pending} 条待同步`, kind: 'pending' };
  if (v.receipt && v.receipt.status.ok && ['submitted', 'approved'].includes(v.status)) return { text: '证据已全部上传', kind: 'ok' };
  if (['pending_evidence', 'submitted'].includes(v.status)) return { text: '回执未完整', kind: 'warn' };
  return { text: '已同步', kind: 'ok' };
}

function card(v) {
  const due = daysUntil(v.due_date);
  const state = syncState(v);
  const overdue = due !== null && due < 0 && !['submitted', 'approved', 'pending_evidence'].includes(v.status);
  return h('li', { class: `inspection-card status-${v.status}` },
    h('a', { href: `#/i/${v.id}`, class: 'card-link' },
      h('h2', {}, v.target.name),
      h('p', { class: 'muted' }, `${v.task.code} ${v.task.name}`),
      h('p', { class: 'meta' },
        h('span', { class: `pill status ${v.status}` }, v.status_label || LABELS.statuses[v.status] || v.status),
        h('span', { class: `pill sync ${state.kind}` }, state.text)),
      h('p', { class: overdue ? 'due overdue' : 'due' }, dueLabel(v.due_date, new Date(), v.status)),
      v.status === 'returned' && v.reviewer_note ? h('p', { class: 'reviewer-note' }, h('strong', {}, '退回意见：'), v.reviewer_note) : null));
}

/** The inspection list. */
export async function render(ctx) {
  const rows = await ctx.store.inspections();
  const queued = rows.reduce((n, v) => n + v.pending, 0);
  const body = h('div', {},
    h('p', { class: 'summary' }, `共 ${rows.length} 项检查`, queued ? `，${queued} 条记录待同步` : ''),
    rows.length
      ? h('ul', { class: 'cards', 'aria-label': '检查任务' }, rows.map(card))
      : h('div', { class: 'empty' }, h('p', {}, '还没有下载到检查任务。'), h('p', {}, '联网后点右上角“同步”下载分配给您的检查。')));
  return { title: '我的检查任务', body, live: true };
}
