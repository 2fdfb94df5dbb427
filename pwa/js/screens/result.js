// @ts-check
/** 检查结论 (result categories, methods, follow-ups from the reference data), chosen before signing, and 核对并提交. */
import { h, field, checkboxGroup } from '../dom.js';
import * as ls from '../local-state.js';
import { load } from './inspection.js';

/** The result screen: saved on the phone as a draft until submitted. */
export async function render(ctx) {
  const v = await load(ctx);
  const ref = await ctx.store.reference();
  const draft = await ctx.store.draft(v.id);
  const editable = ls.isEditable(v);
  const categories = checkboxGroup('检查结果（可多选）', ref.result_categories || [], draft.result_categories);
  const methods = checkboxGroup('检查方式（可多选）', ref.methods || [], draft.methods);
  const followUps = checkboxGroup('后续处置措施（可多选）', ref.follow_ups || [], draft.follow_ups);
  const summary = h('textarea', { rows: 4, maxlength: 4000, placeholder: '检查情况综述' });
  summary.value = draft.summary || '';
  const saved = h('p', { class: 'status-line', role: 'status' });
  const signedAlready = ls.currentSignatures(v).length > 0;
  const form = h('form', { class: 'card form', novalidate: true, onsubmit: (e) => { e.preventDefault(); ctx.go(`#/i/${v.id}/signatures`); } },
    signedAlready && editable ? h('p', { class: 'banner warn', role: 'note' }, '已有人签名：修改检查结论后，签名需要重新给出。') : null,
    categories.el, methods.el, followUps.el, field('检查情况综述', summary), saved,
    editable ? h('button', { type: 'submit', class: 'btn primary block' }, '下一步：核对笔录并签名') : null);
  if (!editable) form.querySelectorAll('input, textarea').forEach((el) => { /** @type {HTMLInputElement} */ (el).disabled = true; });
  const saveDraft = async () => {
    await ctx.store.saveDraft(v.id, { result_categories: categories.values(), methods: methods.values(), follow_ups: followUps.values(), summary: summary.value });
    saved.textContent = '已保存在手机上';
  };
  let typing = null; // the summary is saved as it is typed, not when the field is left
  form.addEventListener('change', saveDraft);
  summary.addEventListener('input', () => {
    clearTimeout(typing);
    saved.textContent = '';
    typing = setTimeout(saveDraft, 300);
  });
  return { title: '检查结论', body: form, back: `#/i/${v.id}` };
}

/** The review screen: lists everything missing; submits when nothing is. */
export async function review(ctx) {
  const v = await load(ctx);
  const draft = await ctx.store.draft(v.id);
  const missing = ls.isEditable(v) ? ls.missingForSubmit(v, draft, await ctx.store.contentDigest(v)) : [];
  const warnings = ls.warningsForSubmit(v);
  const submit = h('button', { type: 'button', class: 'btn primary block', disabled: missing.length > 0 || !ls.isEditable(v) }, '提交检查结果');
  submit.addEventListener('click', async () => {
    const ok = await ctx.confirm({
      title: '确认提交', message: '提交后检查结果将锁定，不能再修改（审核退回的除外）。没有网络时会在联网后自动上传。',
      buttons: [{ label: '确认提交', value: true, kind: 'primary' }, { label: '再检查一下', value: false }],
    });
    if (!ok) return;
    submit.disabled = true;
    try {
      await ctx.store.submit(v.id);
      ctx.toast('已提交，正在等待同步');
      ctx.go(`#/i/${v.id}/receipt`);
      ctx.store.sync('submit');
    } catch (err) { ctx.toast(err.message, 'error'); submit.disabled = false; }
  });
  const body = h('div', {},
    !ls.isEditable(v) ? h('p', { class: 'banner info' }, '该检查已提交。') : null,
    missing.length
      ? h('section', { class: 'card missing', 'aria-label': '尚未完成' }, h('h2', {}, `还有 ${missing.length} 项未完成`),
        h('ul', {}, missing.map((m) => h('li', {}, h('a', { href: `#/i/${v.id}/${m.section}`, class: 'link' }, m.text)))))
      : (ls.isEditable(v) ? h('p', { class: 'ok-block' }, '必填内容已齐全，可以提交。') : null),
    warnings.length ? h('section', { class: 'card warnings', 'aria-label': '提醒' }, h('h2', {}, '提醒'),
      h('ul', {}, warnings.map((w) => h('li', {}, w)))) : null,
    h('a', { class: 'btn block', href: `#/i/${v.id}/preview` }, '预览现场检查笔录'),
    submit);
  return { title: '核对并提交', body, back: `#/i/${v.id}`, live: true };
}
