// @ts-check
/** 签名: each group member and the party sign on the phone's screen. */
import { h } from '../dom.js';
import { AppError } from '../messages.js';
import { dateTime } from '../format.js';
import { createSignaturePad } from '../signature.js';
import * as ls from '../local-state.js';
import { load } from './inspection.js';

function signers(v) {
  const list = (v.members || []).map((m) => ({ key: `m${m.inspector_id}`, role: 'inspector', name: m.name, inspectorId: m.inspector_id, label: `检查人员 ${m.name}` }));
  const party = ls.currentParty(v);
  if (party) list.push({ key: 'party', role: 'party', name: party.name, inspectorId: null, label: `当事人 ${party.name}`, refused: party.refused_to_sign });
  return list;
}

function signatureOf(v, s) {
  return v.record.signatures.filter((x) => x.signer_role === s.role && (s.role !== 'inspector' || x.inspector_id === s.inspectorId)).pop();
}

/** Who has signed and who still has to. */
export async function render(ctx) {
  const v = await load(ctx);
  const editable = ls.isEditable(v);
  const rows = signers(v).map((s) => {
    const sig = signatureOf(v, s);
    const state = sig ? `已签名 ${dateTime(sig.signed_at)}${sig.pending ? '（待同步）' : ''}` : s.refused ? '当事人拒绝签名（已注明）' : '未签名';
    return h('li', { class: `signer ${sig ? 'done' : ''}` }, h('span', { class: 'signer-name' }, s.label), h('span', { class: 'muted' }, state),
      editable && !s.refused ? h('a', { class: `btn small ${sig ? '' : 'primary'}`, href: `#/i/${v.id}/sign/${s.key}` }, sig ? '重新签名' : '签名') : null);
  });
  const body = h('div', {},
    h('p', { class: 'lead' }, '请当事人先阅读“现场检查笔录”预览，再签名。'),
    h('a', { class: 'btn block', href: `#/i/${v.id}/preview` }, '预览现场检查笔录'),
    ls.currentParty(v) ? null : h('p', { class: 'banner info' }, '尚未登记现场当事人：登记后当事人才能签名。'),
    h('ul', { class: 'signers' }, rows));
  return { title: '签名', body, back: `#/i/${v.id}`, live: true };
}

/** The signature pad for one signer. */
export async function sign(ctx) {
  const v = await load(ctx);
  if (!ls.isEditable(v)) throw new AppError('locked');
  const who = signers(v).find((s) => s.key === ctx.params.who);
  if (!who) throw new AppError('not_found', '找不到该签名人');
  const canvas = h('canvas', { class: 'signature-pad', 'aria-label': `${who.label}的签名区域`, role: 'img' });
  const save = h('button', { type: 'button', class: 'btn primary' }, '确认签名');
  const clear = h('button', { type: 'button', class: 'btn' }, '清除重签');
  const error = h('p', { class: 'error-block', role: 'alert', hidden: true });
  const body = h('div', {},
    h('p', { class: 'lead' }, `请 ${who.label} 在下面的框内签名。`),
    who.role === 'party' ? h('p', { class: 'muted' }, '签名即表示：以上笔录已经本人核对，与事实相符。') : null,
    canvas, error, h('div', { class: 'actions' }, clear, save));
  const mount = () => {
    const pad = createSignaturePad(canvas);
    clear.addEventListener('click', () => { pad.clear(); error.hidden = true; });
    save.addEventListener('click', async () => {
      save.disabled = true;
      try {
        const sig = await pad.export();
        await ctx.store.addSignature(v.id, sig, { role: who.role, name: who.name, inspectorId: who.inspectorId });
        ctx.toast(`${who.label} 已签名`);
        ctx.go(`#/i/${v.id}/signatures`);
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
        save.disabled = false;
      }
    });
  };
  return { title: '签名', body, back: `#/i/${v.id}/signatures`, mount };
}
