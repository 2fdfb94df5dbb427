// @ts-check
/** One inspection: the target card, its sections with progress, and the notice (告知) shown to the party. */
import { h } from '../dom.js';
import { LABELS, AppError } from '../messages.js';
import { dueLabel, dateTime, mapLink } from '../format.js';
import * as ls from '../local-state.js';

/** Loads an inspection for a screen or throws not_found. */
export async function load(ctx) {
  const v = await ctx.store.inspection(Number(ctx.params.id));
  if (!v) throw new AppError('not_found');
  return v;
}

function row(label, ...value) {
  return h('div', { class: 'kv' }, h('dt', {}, label), h('dd', {}, ...value));
}

function licenceText(lic) {
  const until = lic.valid_until ? `，有效期至 ${lic.valid_until}` : '';
  return `${lic.kind || '许可证'}${lic.no ? ` ${lic.no}` : ''}${until}`;
}

/** 行业类别 as the target's own line of business (a 危货 freight company is 道路危险货物运输). */
export function categoryLabel(t) {
  if (t.category_label) return t.category_label;
  const licences = (t.licences || []).map((l) => (l && l.kind) || '').join(' ');
  if (t.category === 'freight' && ((t.tags || []).includes('危货') || licences.includes('危险货物'))) return '道路危险货物运输';
  return LABELS.categories[t.category] || t.category || '';
}

/** The target card: name, USCC, address with a map link, contacts (name and phone apart), licences, risk level. */
export function targetCard(v) {
  const t = v.target || {};
  const phone = t.contact_phone
    ? h('a', { href: `tel:${t.contact_phone}`, class: 'link tel', 'aria-label': `拨打 ${t.contact_phone}` }, t.contact_phone) : '未登记';
  return h('section', { class: 'card target', 'aria-label': '检查对象' },
    h('h2', {}, t.name),
    h('dl', {},
      row('统一社会信用代码', h('span', { class: 'mono' }, t.uscc || '')),
      row('地址', t.address || '未登记', ' ', h('a', { href: mapLink(t), target: '_blank', rel: 'noopener', class: 'link' }, '在地图中查看')),
      row('联系人', t.contact_name || '未登记'),
      row('联系电话', phone),
      t.legal_rep && t.legal_rep !== t.contact_name ? row('法定代表人', t.legal_rep) : null,
      row('行业类别', categoryLabel(t)),
      (t.licences || []).length ? row('许可证', ...t.licences.map((l) => h('span', { class: 'licence' }, licenceText(l)))) : null,
      row('风险等级', h('span', { class: `pill risk ${t.risk_level}` }, LABELS.risk[t.risk_level] || t.risk_level || '未评定'))));
}

function section(href, title, state, done) {
  return h('li', {}, h('a', { href, class: `section-link ${done ? 'done' : ''}` },
    h('span', { class: 'section-title' }, title), h('span', { class: 'section-state' }, state)));
}

/** The inspection overview. */
export async function render(ctx) {
  const v = await load(ctx);
  const base = `#/i/${v.id}`;
  const draft = await ctx.store.draft(v.id);
  const cps = ls.checkpoints(v);
  const answered = cps.filter((cp) => ls.registerFor(v, cp.id)).length;
  const findings = ls.currentFindings(v).length;
  const party = ls.currentParty(v);
  const digest = await ctx.store.contentDigest(v);
  const toSign = ls.signers(v).filter((s) => !s.refused);
  const signed = toSign.filter((s) => ls.signatureState(v, s, digest) === 'valid').length;
  const stale = toSign.some((s) => ls.signatureState(v, s, digest) === 'stale');
  const editable = ls.isEditable(v);
  const resultDone = ls.conclusionReady(draft);
  const photos = ls.currentPhotos(v).length;
  const uncounted = v.locked && v.pending ? h('div', { class: 'banner warn', role: 'note' }, h('strong', {}, '该检查已提交：'),
    `手机上还有 ${v.pending} 条记录未送达服务器。送达后，提交之后的判定不计入检查结果，交审核人员处理。`) : null;
  const body = h('div', {},
    v.status === 'returned' ? h('div', { class: 'banner warn', role: 'note' }, h('strong', {}, '已退回：'), v.reviewer_note || '请按审核意见修改后重新提交') : null,
    uncounted,
    h('p', { class: 'meta' }, h('span', { class: `pill status ${v.status}` }, v.status_label || LABELS.statuses[v.status]),
      ' ', dueLabel(v.due_date, new Date(), v.status), v.pending ? h('span', { class: 'pill sync pending' }, `${v.pending} 条待同步`) : null),
    targetCard(v),
    h('p', { class: 'muted' }, `${v.task.code} ${v.task.name}；检查组：${(v.members || []).map((m) => m.name).join('、')}`),
    h('ol', { class: 'sections', 'aria-label': '检查步骤' },
      section(`${base}/notice`, '1. 出示检查告知', v.record.started_at ? `已开始 ${dateTime(v.record.started_at)}` : '未开始', Boolean(v.record.started_at)),
      section(`${base}/checklist`, '2. 逐项检查', `${answered}/${cps.length} 已判定`, cps.length > 0 && answered === cps.length),
      section(`${base}/findings`, '3. 发现的问题', findings ? `${findings} 条` : '无', false),
      section(`${base}/photos`, '4. 现场照片', `${photos} 张`, photos > 0),
      section(`${base}/party`, '5. 现场当事人', party ? (party.absent ? '无人在场' : party.name) : '未登记', Boolean(party)),
      section(`${base}/result`, '6. 检查结论', resultDone ? '已选择' : '未选择', resultDone),
      section(`${base}/preview`, '7. 预览现场检查笔录', '给当事人核对', false),
      section(`${base}/signatures`, '8. 签名', stale ? `${signed}/${toSign.length}，需重新签名` : `${signed}/${toSign.length}`,
        toSign.length > 0 && signed === toSign.length),
      editable ? section(`${base}/review`, '9. 核对并提交', '提交前检查缺项', false)
        : section(`${base}/receipt`, '9. 回执', '查看服务器已收到的证据', false)));
  return { title: '检查详情', body, back: '#/', live: true };
}

/** 检查告知: what the inspectors show the party before starting. */
export async function notice(ctx) {
  const v = await load(ctx);
  const members = (v.members || []).map((m) => `${m.name}（执法证号 ${m.cert_no}）`).join('、');
  const items = (v.checklist || []).map((i) => `${i.code} ${i.name}`).join('；');
  const start = h('button', { type: 'button', class: 'btn primary block', onclick: async () => {
    start.disabled = true;
    try {
      await ctx.store.start(v.id);
      ctx.go(`#/i/${v.id}/checklist`);
    } catch (err) { ctx.toast(err.message, 'error'); start.disabled = false; }
  } }, '已出示告知，开始检查');
  const body = h('div', {},
    h('article', { class: 'card notice', 'aria-label': '检查告知' },
      h('h2', {}, '随机抽查告知'),
      h('p', {}, `${v.target.name}：`),
      h('p', {}, `根据“双随机、一公开”抽查工作安排（${v.task.code} ${v.task.name}），经随机抽取，我局检查人员依法对你单位进行检查。`),
      h('p', {}, `检查人员：${members}。检查人员已出示执法证件。`),
      h('p', {}, `检查事项：${items}。`),
      h('p', {}, '你单位应当配合检查，如实提供有关材料和情况，不得拒绝、阻碍。你单位认为检查人员与本单位有直接利害关系的，有权申请回避。'),
      h('p', {}, '检查结果将依法通过国家企业信用信息公示系统等渠道向社会公示。')),
    v.record.started_at ? h('p', { class: 'ok-block' }, `已于 ${dateTime(v.record.started_at)} 开始检查`)
      : (ls.isEditable(v) ? start : null),
    v.record.started_at ? h('a', { class: 'btn block', href: `#/i/${v.id}/checklist` }, '去逐项检查') : null);
  return { title: '检查告知', body, back: `#/i/${v.id}` };
}
