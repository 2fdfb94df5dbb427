// @ts-check
/**
 * 签名: each group member and the party sign on the phone's screen, after the conclusion, over the content as it
 * stands (its digest). 重新签名 replaces that person's signature; a change to the conclusion, an answer or a
 * finding after signing makes the signatures stale, and they are asked for again.
 */
import { h } from '../dom.js';
import { AppError, messageFor } from '../messages.js';
import { dateTime } from '../format.js';
import { createSignaturePad } from '../signature.js';
import * as ls from '../local-state.js';
import { load } from './inspection.js';

const STATE_TEXT = { missing: '未签名', valid: '已签名', stale: '签名之后内容有改动，需重新签名' };

function signerRow(v, s, digest, editable) {
  const sig = ls.signatureOf(v, s);
  const state = ls.signatureState(v, s, digest);
  const text = s.refused ? '当事人拒绝签名（已注明）'
    : `${STATE_TEXT[state]}${sig && state === 'valid' ? ` ${dateTime(sig.signed_at)}` : ''}${sig && sig.pending ? '（待同步）' : ''}`;
  return h('li', { class: `signer ${state === 'valid' ? 'done' : ''} ${state === 'stale' ? 'stale' : ''}` },
    h('span', { class: 'signer-name' }, s.label), h('span', { class: state === 'stale' ? 'warn-text' : 'muted' }, text),
    editable && !s.refused ? h('a', { class: `btn small ${state === 'valid' ? '' : 'primary'}`, href: `#/i/${v.id}/sign/${s.key}` },
      sig ? '重新签名' : '签名') : null);
}

/** Who has signed and who still has to (or again). */
export async function render(ctx) {
  const v = await load(ctx);
  const editable = ls.isEditable(v);
  const draft = await ctx.store.draft(v.id);
  const digest = await ctx.store.contentDigest(v);
  const ready = ls.conclusionReady(draft);
  const replaced = v.record.signatures.length - ls.currentSignatures(v).length;
  const body = h('div', {},
    ready ? h('p', { class: 'lead' }, '请当事人先阅读“现场检查笔录”预览，再签名。签名确认的是笔录现在的全部内容。')
      : h('div', { class: 'banner warn', role: 'note' }, messageFor('signature_needs_conclusion'), ' ',
        h('a', { class: 'link', href: `#/i/${v.id}/result` }, '去填写检查结论')),
    h('a', { class: 'btn block', href: `#/i/${v.id}/preview` }, '预览现场检查笔录'),
    ls.currentParty(v) ? null : h('p', { class: 'banner info' }, '尚未登记现场当事人：登记后当事人才能签名。'),
    h('ul', { class: 'signers' }, ls.signers(v).map((s) => signerRow(v, s, digest, editable && ready))),
    replaced > 0 ? h('p', { class: 'muted small' }, `被重新签名替换的签名 ${replaced} 个：仍保存在记录中，不再作为有效签名。`) : null);
  return { title: '签名', body, back: `#/i/${v.id}`, live: true };
}

/** The signature pad for one signer. */
export async function sign(ctx) {
  const v = await load(ctx);
  if (!ls.isEditable(v)) throw new AppError('locked');
  const who = ls.signers(v).find((s) => s.key === ctx.params.who);
  if (!who) throw new AppError('not_found', '找不到该签名人');
  if (!ls.conclusionReady(await ctx.store.draft(v.id))) {
    const body = h('div', {}, h('p', { class: 'banner warn', role: 'note' }, messageFor('signature_needs_conclusion')),
      h('a', { class: 'btn primary block', href: `#/i/${v.id}/result` }, '去填写检查结论'));
    return { title: '签名', body, back: `#/i/${v.id}/signatures` };
  }
  const ref = await ctx.store.reference();
  const canvas = h('canvas', { class: 'signature-pad', 'aria-label': `${who.label}的签名区域`, role: 'img' });
  const save = h('button', { type: 'button', class: 'btn primary' }, '确认签名');
  const clear = h('button', { type: 'button', class: 'btn' }, '清除重签');
  const error = h('p', { class: 'error-block', role: 'alert', hidden: true });
  const again = ls.signatureOf(v, who);
  const body = h('div', {},
    h('p', { class: 'lead' }, `请 ${who.label} 在下面的框内签名。`),
    again ? h('p', { class: 'muted' }, '这次签名将替换之前的签名（之前的签名仍保存在记录中）。') : null,
    who.role === 'party' ? h('p', { class: 'muted' }, '签名即表示：以上笔录已经本人核对，与事实相符。') : null,
    canvas, error, h('div', { class: 'actions' }, clear, save));
  const mount = () => {
    const pad = createSignaturePad(canvas, ref.signature);
    clear.addEventListener('click', () => { pad.clear(); error.hidden = true; });
    save.addEventListener('click', async () => {
      save.disabled = true;
      clear.disabled = true;
      save.textContent = '正在保存签名…';
      save.setAttribute('aria-busy', 'true');
      error.hidden = true;
      try {
        const sig = await pad.export();
        await ctx.store.addSignature(v.id, sig, { role: who.role, name: who.name, inspectorId: who.inspectorId });
        ctx.toast(`${who.label} 已签名`);
        ctx.go(`#/i/${v.id}/signatures`);
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
        save.disabled = false;
        clear.disabled = false;
        save.textContent = '确认签名';
        save.removeAttribute('aria-busy');
      }
    });
  };
  return { title: '签名', body, back: `#/i/${v.id}/signatures`, mount };
}
