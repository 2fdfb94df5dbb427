// @ts-check
/** 现场检查笔录 preview, built on the phone from what it holds, for the party to read before signing. */
import { h } from '../dom.js';
import { LABELS } from '../messages.js';
import { dateTime } from '../format.js';
import * as ls from '../local-state.js';
import { load } from './inspection.js';
import { evidenceImage } from './evidence.js';

let urls = [];

function labelsOf(list, codes) {
  const by = new Map((list || []).map((o) => [o.code, o.label]));
  return (codes || []).map((c) => by.get(c) || c).join('；') || '未填写';
}

function signatureImage(ctx, sig) {
  return evidenceImage(ctx, sig.sha256, { held: sig.held !== false, attrs: { class: 'sig-img', alt: `${sig.signer_name}的签名` },
    placeholder: h('span', {}, `${sig.signer_name}（已签名）`), urls });
}

function table(rows) {
  return h('table', { class: 'record-table' }, h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))));
}

/** The record preview. */
export async function render(ctx) {
  urls.forEach((u) => URL.revokeObjectURL(u));
  urls = [];
  const v = await load(ctx);
  const ref = await ctx.store.reference();
  const draft = await ctx.store.draft(v.id);
  const party = ls.currentParty(v);
  const t = v.target || {};
  const findings = ls.currentFindings(v);
  const sigs = await Promise.all(ls.currentSignatures(v).map(async (s) => h('div', { class: 'sig' },
    h('p', {}, `${LABELS.roles[s.signer_role] || ''} ${s.signer_name}`), await signatureImage(ctx, s), h('p', { class: 'small' }, dateTime(s.signed_at)))));
  const body = h('article', { class: 'record-preview', 'aria-label': '现场检查笔录预览' },
    h('h2', { class: 'record-title' }, '现场检查笔录'),
    table([
      ['检查对象', t.name || ''], ['统一社会信用代码', t.uscc || ''], ['地址', t.address || ''],
      ['检查任务', `${v.task.code} ${v.task.name}`],
      ['检查时间', `${dateTime(v.record.started_at) || '尚未开始'} 起`],
      ['检查人员', (v.members || []).map((m) => `${m.name}（执法证号 ${m.cert_no}）`).join('；')],
      ['现场当事人', party && party.absent ? `无人在场${party.note ? `（${party.note}）` : ''}` : party ? `${party.name}${party.position ? `，${party.position}` : ''}${party.phone ? `，电话 ${party.phone}` : ''}` : '未登记'],
    ]),
    h('h3', {}, '检查事项及结果'),
    h('ol', { class: 'record-items' }, ls.checkpoints(v).map((cp) => {
      const reg = ls.registerFor(v, cp.id);
      return h('li', {}, `${cp.text}：`, h('strong', {}, reg ? LABELS.answers[reg.answer] : '未判定'), reg && reg.note ? `（${reg.note}）` : '');
    })),
    h('h3', {}, '发现的问题'),
    findings.length ? h('ol', {}, findings.map((f) => h('li', {}, f.description,
      f.legal_basis ? `。依据：${f.legal_basis}` : '', f.rectification ? `。责令改正：${f.rectification}` : '',
      f.rectify_by ? `（整改期限：${f.rectify_by}）` : ''))) : h('p', {}, '未发现问题。'),
    h('h3', {}, '检查结论'),
    table([['检查结果', labelsOf(ref.result_categories, draft.result_categories)], ['检查方式', labelsOf(ref.methods, draft.methods)],
      ['后续处置', labelsOf(ref.follow_ups, draft.follow_ups)], ['综述', draft.summary || '未填写']]),
    h('p', {}, `现场照片 ${ls.currentPhotos(v).length} 张。`),
    h('p', { class: 'confirm' }, '以上笔录已经本人核对，与事实相符。'),
    party && party.refused_to_sign ? h('p', {}, `当事人拒绝签名。${party.note || ''}`) : null,
    h('div', { class: 'sigs' }, sigs.length ? sigs : h('p', {}, '尚无签名。')),
    h('p', { class: 'muted small' }, '此为手机上的预览；正式笔录以审核通过后生成的文书为准。'));
  return { title: '笔录预览', body, back: `#/i/${v.id}` };
}
