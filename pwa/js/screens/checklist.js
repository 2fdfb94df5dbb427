// @ts-check
/** 逐项检查: each checkpoint answered 符合 / 不符合 / 不涉及 with a note; conflicts between members shown. */
import { h, nextId } from '../dom.js';
import { LABELS } from '../messages.js';
import * as ls from '../local-state.js';
import { keepTyping } from '../typing.js';
import { load } from './inspection.js';

const ANSWERS = ['compliant', 'noncompliant', 'na'];

function conflictNote(v, reg) {
  const heads = v.record.answers.filter((a) => reg.heads.includes(a.id));
  return h('div', { class: 'banner warn', role: 'note' },
    h('strong', {}, '检查人员意见不一致：'),
    heads.map((a) => `${a.by || '检查人员'}判定“${LABELS.answers[a.answer]}”`).join('；'),
    '。请共同核对后重新判定（重新选择即视为已看到双方意见）。');
}

async function checkpointCard(ctx, v, cp, editable) {
  const reg = ls.registerFor(v, cp.id);
  const noteId = nextId('note');
  const note = h('textarea', { id: noteId, rows: 2, maxlength: 2000, disabled: !editable, placeholder: '可填写检查情况说明' });
  note.value = reg ? reg.note || '' : '';
  // The note is kept as it is typed (a reload or a killed app loses nothing) and recorded with the answer.
  const typing = keepTyping(ctx.store, v.id, `${v.id}:note:${cp.id}`, { note });
  const restored = editable && await typing.restore();
  const choose = async (answer) => {
    try {
      await ctx.store.answer(v, cp.id, answer, note.value.trim());
      await typing.forget();
      ctx.refresh();
    } catch (err) { ctx.toast(err.message, 'error'); }
  };
  note.addEventListener('change', () => {
    if (reg && note.value.trim() !== (reg.note || '')) choose(reg.answer);
  });
  const labelId = nextId('cp');
  return h('li', { class: `checkpoint ${reg ? `answered ${reg.answer}` : ''}`, 'aria-labelledby': labelId },
    h('p', { class: 'cp-text', id: labelId }, h('span', { class: 'seq' }, `${cp.seq}.`), ' ', cp.text),
    cp.legal_basis ? h('p', { class: 'muted small' }, `依据：${cp.legal_basis}`) : null,
    h('div', { class: 'answer-group', role: 'group', 'aria-label': `第 ${cp.seq} 项判定` },
      ANSWERS.map((a) => h('button', {
        type: 'button', class: `answer ${a}`, 'aria-pressed': String(Boolean(reg && reg.answer === a)), disabled: !editable,
        onclick: () => choose(a),
      }, LABELS.answers[a]))),
    reg && reg.conflict ? conflictNote(v, reg) : null,
    h('label', { for: noteId, class: 'small-label' }, `第 ${cp.seq} 项说明`), note,
    restored && note.value.trim() !== ((reg && reg.note) || '') ? h('p', { class: 'muted small', role: 'status' },
      reg ? ['已恢复上次未保存的说明。', h('button', { type: 'button', class: 'btn small', onclick: () => choose(reg.answer) }, '保存这条说明')]
        : '已恢复上次未保存的说明：选择判定后一并保存。') : null,
    reg && reg.pending ? h('p', { class: 'muted small' }, '待同步') : null,
    reg && reg.answer === 'noncompliant' && editable
      ? h('div', { class: 'actions' },
        h('a', { class: 'btn small', href: `#/i/${v.id}/finding/new?cp=${cp.id}` }, '记录问题'),
        h('a', { class: 'btn small', href: `#/i/${v.id}/photos?cp=${cp.id}` }, '拍照取证'))
      : null);
}

/** The checklist screen. */
export async function render(ctx) {
  const v = await load(ctx);
  const editable = ls.isEditable(v);
  const cps = ls.checkpoints(v);
  const answered = cps.filter((cp) => ls.registerFor(v, cp.id)).length;
  const body = h('div', {},
    h('p', { class: 'summary', role: 'status' }, `已判定 ${answered}/${cps.length} 项`),
    editable ? null : h('p', { class: 'banner info' }, '该检查已提交，判定不能再修改。'),
    await Promise.all((v.checklist || []).map(async (item) => {
      const mine = ls.ownsItem(v, item); // 联合抽查: another department's item is shown, read-only
      return h('section', { class: `item${mine ? '' : ' other-department'}`, 'aria-label': item.name },
        h('h2', {}, `${item.code} ${item.name}`),
        item.department ? h('p', { class: mine ? 'muted small' : 'banner info' }, mine
          ? `检查部门：${item.department.name}（本部门，由您录入）`
          : `本事项由${item.department.name}负责检查和录入，您只能查看。`) : null,
        item.legal_basis ? h('p', { class: 'muted small' }, `法律依据：${item.legal_basis}`) : null,
        h('ol', { class: 'checkpoints' }, await Promise.all(item.checkpoints.map((cp) => checkpointCard(ctx, v, cp, editable && mine)))));
    })),
    h('a', { class: 'btn block', href: `#/i/${v.id}` }, '返回检查详情'));
  return { title: '逐项检查', body, back: `#/i/${v.id}` };
}
