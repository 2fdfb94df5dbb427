// @ts-check
/** 发现的问题: findings with legal basis, rectification order and deadline; corrections are amendments. */
import { h, field, setFieldError } from '../dom.js';
import { AppError } from '../messages.js';
import * as ls from '../local-state.js';
import { keepTyping } from '../typing.js';
import { load } from './inspection.js';

function cpLabel(v, id) {
  const cp = ls.checkpoints(v).find((c) => c.id === id);
  return cp ? `${cp.seq}. ${cp.text}` : '未关联检查要点';
}

function findingCard(v, f, editable) {
  const history = v.record.findings.filter((o) => (o.superseded_by || []).length && chainOf(v, f).includes(o.id));
  return h('li', { class: 'card finding' },
    h('h3', {}, f.description),
    h('dl', {},
      h('div', { class: 'kv' }, h('dt', {}, '检查要点'), h('dd', {}, cpLabel(v, f.checkpoint_id))),
      h('div', { class: 'kv' }, h('dt', {}, '法律依据'), h('dd', {}, f.legal_basis || '未填写')),
      h('div', { class: 'kv' }, h('dt', {}, '责令改正'), h('dd', {}, f.rectification || '无')),
      h('div', { class: 'kv' }, h('dt', {}, '整改期限'), h('dd', {}, f.rectify_by || '无'))),
    f.reason ? h('p', { class: 'muted small' }, `修改原因：${f.reason}`) : null,
    f.pending ? h('p', { class: 'muted small' }, '待同步') : null,
    history.length ? h('details', {}, h('summary', {}, `修改前的版本（${history.length}）`),
      h('ul', {}, history.map((o) => h('li', { class: 'superseded' }, o.description)))) : null,
    editable ? h('a', { class: 'btn small', href: `#/i/${v.id}/finding/${f.id}` }, '修改') : null);
}

function chainOf(v, f) {
  const ids = [];
  let cur = f;
  while (cur && cur.supersedes) {
    ids.push(cur.supersedes);
    cur = v.record.findings.find((o) => o.id === cur.supersedes);
  }
  return ids;
}

/** The findings list. */
export async function render(ctx) {
  const v = await load(ctx);
  const editable = ls.isEditable(v);
  const current = ls.currentFindings(v);
  const body = h('div', {},
    current.length ? h('ul', { class: 'cards' }, current.map((f) => findingCard(v, f, editable))) : h('p', { class: 'empty' }, '尚未记录问题。'),
    editable ? h('a', { class: 'btn primary block', href: `#/i/${v.id}/finding/new` }, '新增问题') : null);
  return { title: '发现的问题', body, back: `#/i/${v.id}`, live: true };
}

function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Adds a finding (fid “new”) or amends one (with a reason). */
export async function edit(ctx) {
  const v = await load(ctx);
  if (!ls.isEditable(v)) throw new AppError('locked');
  const amending = ctx.params.fid !== 'new' ? v.record.findings.find((f) => f.id === ctx.params.fid) : null;
  if (ctx.params.fid !== 'new' && !amending) throw new AppError('not_found', '找不到该问题记录');
  const preset = amending ? amending.checkpoint_id : Number(ctx.query.cp) || null;
  const cps = ls.ownCheckpoints(v); // 联合抽查: only the items of the inspector's own department
  const select = h('select', {}, h('option', { value: '' }, '不关联检查要点'),
    cps.map((cp) => h('option', { value: String(cp.id), selected: cp.id === preset }, `${cp.seq}. ${cp.text}`)));
  const basisOf = (id) => { const cp = cps.find((c) => c.id === id); return cp ? cp.legal_basis || cp.item.legal_basis || '' : ''; };
  const description = h('textarea', { rows: 4, maxlength: 4000 });
  const basis = h('textarea', { rows: 2, maxlength: 2000 });
  const rectification = h('textarea', { rows: 2, maxlength: 2000, placeholder: '例如：责令于 30 日内补齐车辆技术档案' });
  const deadline = h('input', { type: 'date', min: today() });
  const reason = h('input', { maxlength: 500 });
  description.value = amending ? amending.description : '';
  basis.value = amending ? amending.legal_basis : basisOf(preset);
  rectification.value = amending ? amending.rectification : '';
  deadline.value = amending && amending.rectify_by ? amending.rectify_by : '';
  select.addEventListener('change', () => { if (!basis.value.trim()) basis.value = basisOf(Number(select.value)); });
  const save = h('button', { type: 'submit', class: 'btn primary block' }, amending ? '保存修改' : '保存问题');
  const key = `${v.id}:finding:${amending ? amending.id : `new${preset ? `:${preset}` : ''}`}`;
  const typing = keepTyping(ctx.store, v.id, key, { select, description, basis, rectification, deadline, reason });
  const restored = await typing.restore();

  async function onSubmit(e) {
    e.preventDefault();
    const checks = [[description, description.value.trim() ? '' : '请填写问题描述'],
      [deadline, deadline.value && deadline.value < (amending ? '' : today()) ? '整改期限不能早于今天' : ''],
      [reason, amending && !reason.value.trim() ? '请填写修改原因' : '']];
    checks.forEach(([input, msg]) => setFieldError(input, msg));
    const bad = checks.find(([, msg]) => msg);
    if (bad) { bad[0].focus(); return; }
    const data = { checkpoint_id: select.value ? Number(select.value) : null, description: description.value.trim(),
      legal_basis: basis.value.trim(), rectification: rectification.value.trim(), rectify_by: deadline.value || null };
    save.disabled = true;
    try {
      if (amending) await ctx.store.amendFinding(v.id, amending.id, { ...data, reason: reason.value.trim() });
      else await ctx.store.addFinding(v.id, data);
      await typing.forget();
      ctx.toast(amending ? '已保存修改（原记录保留）' : '已保存问题');
      ctx.go(`#/i/${v.id}/findings`);
    } catch (err) { ctx.toast(err.message, 'error'); save.disabled = false; }
  }

  const body = h('form', { class: 'card form', onsubmit: onSubmit, novalidate: true },
    restored ? h('p', { class: 'banner info', role: 'status' }, '已恢复上次未保存的填写内容。') : null,
    field('关联检查要点', select),
    field('问题描述', description, { required: true }),
    field('法律依据', basis),
    field('责令改正内容', rectification),
    field('整改期限', deadline),
    amending ? field('修改原因', reason, { required: true, hint: '修改后原记录仍会保留，供审核人员查看' }) : null,
    save);
  return { title: amending ? '修改问题' : '新增问题', body, back: `#/i/${v.id}/findings` };
}
