// @ts-check
/** 现场照片 (camera capture, processed on the phone) and 现场当事人 (the party on site). */
import { h, field, setFieldError, nextId } from '../dom.js';
import { dateTime } from '../format.js';
import * as ls from '../local-state.js';
import { idNumberProblem } from '../checks.js';
import { keepTyping } from '../typing.js';
import { load } from './inspection.js';

let objectUrls = [];

/**
 * A photo or signature as an image: this phone's file or a thumbnail kept from the server; otherwise the
 * placeholder, swapped for the server's thumbnail once it has downloaded (online only; else it stays).
 * Object URLs are pushed onto `urls`, which the screen revokes on its next render.
 */
export async function evidenceImage(ctx, sha256, { attrs, placeholder, urls, held = true }) {
  const img = (blob) => {
    const url = URL.createObjectURL(blob);
    urls.push(url);
    return h('img', { ...attrs, src: url });
  };
  const local = await ctx.store.image(sha256);
  if (local) return img(local);
  // Only a file the server holds is fetched: asking for one it does not hold is a 404 in the console.
  if (held) ctx.store.fetchThumb(sha256).then((blob) => { if (blob && placeholder.parentNode) placeholder.replaceWith(img(blob)); });
  return placeholder;
}

function thumbnail(ctx, photo) {
  return evidenceImage(ctx, photo.sha256, { held: photo.held !== false,
    attrs: { class: 'thumb', alt: photo.caption || `现场照片 ${dateTime(photo.taken_at)}` },
    placeholder: h('div', { class: 'thumb missing' }, photo.by ? `${photo.by}拍摄（在服务器上）` : '照片在服务器上'),
    urls: objectUrls,
  });
}

function photoMeta(p) {
  const place = p.latitude != null ? `定位误差约 ${Math.round(p.accuracy_m || 0)} 米` : '无定位';
  return `${dateTime(p.taken_at)}，${place}${p.late ? '，补充证据' : ''}${p.pending ? '，待同步' : ''}`;
}

/** The photo full-screen (pinch to zoom), with 删除照片 before submitting. */
async function viewPhoto(ctx, v, p, editable) {
  const blob = await ctx.store.image(p.sha256);
  const url = blob ? URL.createObjectURL(blob) : null;
  const close = () => { dialog.close(); dialog.remove(); if (url) URL.revokeObjectURL(url); };
  const remove = h('button', { type: 'button', class: 'btn danger' }, '删除照片');
  remove.addEventListener('click', async () => {
    const ok = await ctx.confirm({ title: '删除这张照片？', message: '删除后这张照片不再计入检查记录。为留痕，照片仍保存在记录中，审核人员可以看到它已被删除。',
      buttons: [{ label: '删除', value: true, kind: 'danger' }, { label: '保留', value: false }] });
    if (!ok) return;
    try {
      await ctx.store.withdrawPhoto(v.id, p.id, '提交前由检查人员删除');
      close();
      ctx.toast('已删除照片（记录中保留备查）');
      ctx.refresh();
    } catch (err) { ctx.toast(err.message, 'error'); }
  });
  const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'dialog viewer', 'aria-label': '照片' },
    url ? h('img', { class: 'viewer-img', src: url, alt: p.caption || `现场照片 ${dateTime(p.taken_at)}` })
      : h('p', { class: 'thumb missing' }, '照片在服务器上，手机上只有缩略图'),
    h('p', {}, p.caption || '（无说明）'), h('p', { class: 'muted small' }, photoMeta(p)),
    h('div', { class: 'actions' }, editable ? remove : null, h('button', { type: 'button', class: 'btn primary', onclick: close }, '关闭'))));
  dialog.addEventListener('cancel', () => { if (url) URL.revokeObjectURL(url); dialog.remove(); });
  document.body.append(dialog);
  dialog.showModal();
}

/** The photos screen: take a photo, see those taken. */
export async function photos(ctx) {
  objectUrls.forEach((u) => URL.revokeObjectURL(u));
  objectUrls = [];
  const v = await load(ctx);
  const editable = ls.isEditable(v);
  const cps = ls.ownCheckpoints(v); // 联合抽查: photos only for the inspector's own department's items
  const preset = Number(ctx.query.cp) || null;
  const caption = h('input', { maxlength: 500, placeholder: '例如：车辆技术档案（晋E12345）' });
  const cpSelect = h('select', {}, h('option', { value: '' }, '不关联检查要点'),
    cps.map((cp) => h('option', { value: String(cp.id), selected: cp.id === preset }, `${cp.seq}. ${cp.text}`)));
  const findingSelect = h('select', {}, h('option', { value: '' }, '不关联问题'),
    ls.currentFindings(v).map((f) => h('option', { value: f.id }, f.description.slice(0, 40))));
  const status = h('p', { class: 'status-line', role: 'status' });
  const cameraId = nextId('camera');
  const camera = h('input', { id: cameraId, type: 'file', accept: 'image/*', capture: 'environment', class: 'visually-hidden' });
  camera.addEventListener('change', async () => {
    const file = camera.files && camera.files[0];
    if (!file) return;
    status.textContent = '正在处理照片…';
    status.className = 'status-line busy';
    try {
      await ctx.store.addPhoto(v, file, { caption: caption.value.trim(), checkpointId: cpSelect.value ? Number(cpSelect.value) : null,
        findingId: findingSelect.value || null });
      ctx.toast('照片已保存在手机上（待同步）');
      ctx.refresh();
    } catch (err) {
      status.textContent = err.message;
      status.className = 'status-line error';
      status.setAttribute('role', 'alert');
    } finally {
      camera.value = '';
    }
  });
  const current = ls.currentPhotos(v);
  const list = await photoList(ctx, v, current, editable);
  const canAdd = editable || v.locked; // after submitting, photos are still accepted as late evidence
  const body = h('div', {},
    v.locked ? h('p', { class: 'banner info' }, '该检查已提交：新拍的照片会作为补充证据提交给审核人员。') : null,
    canAdd ? h('div', { class: 'card form' },
      field('照片说明', caption),
      field('关联检查要点', cpSelect),
      field('关联问题', findingSelect),
      h('label', { for: cameraId, class: 'btn primary block camera' }, v.locked ? '拍摄补充证据' : '拍照'), camera, status) : null,
    h('h2', {}, `已拍照片（${current.length}）`), list);
  return { title: '现场照片', body, back: `#/i/${v.id}` };
}

/** The photos that count, each opening full-screen, and the withdrawn ones apart (kept on record). */
async function photoList(ctx, v, current, editable) {
  const gone = v.record.photos.filter((p) => p.withdrawn);
  const items = await Promise.all(current.map(async (p) => h('li', { class: 'photo' },
    h('button', { type: 'button', class: 'photo-open', 'aria-label': `放大查看：${p.caption || dateTime(p.taken_at)}`,
      onclick: () => viewPhoto(ctx, v, p, editable && !p.late) }, await thumbnail(ctx, p)),
    h('p', {}, p.caption || '（无说明）'), h('p', { class: 'muted small' }, photoMeta(p)))));
  return [
    items.length ? [h('p', { class: 'muted small' }, '点照片可放大查看；提交前拍错的照片可以删除。'), h('ul', { class: 'photos' }, items)]
      : h('p', { class: 'empty' }, '还没有照片。'),
    gone.length ? h('details', {}, h('summary', {}, `已删除的照片（${gone.length}，记录中保留备查）`),
      h('ul', {}, gone.map((p) => h('li', { class: 'superseded' }, `${p.caption || '（无说明）'} ${dateTime(p.taken_at)}`)))) : null,
  ];
}

function earlierParties(v) {
  return v.record.party.length > 1 ? h('details', {}, h('summary', {}, `之前的登记（${v.record.party.length - 1}）`),
    h('ul', {}, v.record.party.slice(0, -1).map((p) => h('li', {}, p.absent ? '无人在场' : `${p.name} ${p.position || ''}`)))) : null;
}

/** Flags a 身份证号 with a wrong check digit as soon as it is complete (and on leaving the field). */
function checkIdAsTyped(input) {
  const check = () => setFieldError(input, idNumberProblem(input.value));
  input.addEventListener('input', () => {
    if (input.value.replace(/\s+/g, '').length >= 18 || input.getAttribute('aria-invalid')) check();
  });
  input.addEventListener('blur', check);
}

/** The party-on-site screen (append-only: the last record is current). */
export async function party(ctx) {
  const v = await load(ctx);
  const editable = ls.isEditable(v);
  const cur = ls.currentParty(v);
  const name = h('input', { maxlength: 64, autocomplete: 'off', value: cur ? cur.name : '' });
  const position = h('input', { maxlength: 64, value: cur ? cur.position : '' });
  const idNumber = h('input', { maxlength: 32, value: cur ? cur.id_number : '', inputmode: 'text' });
  const phone = h('input', { maxlength: 32, type: 'tel', value: cur ? cur.phone : '' });
  const refused = h('input', { type: 'checkbox', checked: Boolean(cur && cur.refused_to_sign) });
  const absent = h('input', { type: 'checkbox', checked: Boolean(cur && cur.absent) });
  const note = h('textarea', { rows: 2, maxlength: 500 });
  note.value = cur ? cur.note : '';
  const save = h('button', { type: 'submit', class: 'btn primary block', disabled: !editable }, '保存当事人信息');
  const typing = keepTyping(ctx.store, v.id, `${v.id}:party`, { name, position, idNumber, phone, refused, absent, note });
  checkIdAsTyped(idNumber);

  async function onSubmit(e) {
    e.preventDefault();
    const nobody = absent.checked;
    const missing = !nobody && !name.value.trim();
    setFieldError(name, missing ? '请填写当事人姓名（现场无人的请勾选“无人在场”）' : '');
    const refusedWithoutNote = (refused.checked || nobody) && !note.value.trim();
    setFieldError(note, refusedWithoutNote ? (nobody ? '无人在场的，请注明情况（如大门紧锁、电话无人接听）' : '拒绝签名的，请注明情况') : '');
    const badId = idNumberProblem(idNumber.value);
    setFieldError(idNumber, badId);
    if (missing || refusedWithoutNote || badId) { (missing ? name : badId ? idNumber : note).focus(); return; }
    save.disabled = true;
    try {
      await ctx.store.recordParty(v.id, { name: name.value.trim(), position: position.value.trim(),
        id_number: idNumber.value.replace(/\s+/g, '').toUpperCase(), phone: phone.value.trim(), refused_to_sign: !nobody && refused.checked,
        absent: nobody, note: note.value.trim() });
      await typing.forget();
      ctx.toast('已保存当事人信息');
      ctx.go(`#/i/${v.id}`);
    } catch (err) { ctx.toast(err.message, 'error'); save.disabled = false; }
  }
  const restored = editable && await typing.restore();

  const body = h('form', { class: 'card form', onsubmit: onSubmit, novalidate: true },
    restored ? h('p', { class: 'banner info', role: 'status' }, '已恢复上次未保存的填写内容。') : null,
    field('姓名', name, { required: true }),
    field('职务', position, { hint: '例如：安全主管、法定代表人' }),
    field('身份证号', idNumber, { hint: '18 位，最后一位可能是 X；会自动核对校验位' }),
    field('联系电话', phone),
    h('label', { class: 'choice' }, refused, h('span', {}, '当事人拒绝签名')),
    h('label', { class: 'choice' }, absent, h('span', {}, '无人在场（找不到当事人或现场负责人）')),
    h('p', { class: 'muted small' }, '拒绝签名或无人在场的，须有见证人签名或现场照片证明，并在备注中注明情况。'),
    field('备注', note),
    save, earlierParties(v));
  return { title: '现场当事人', body, back: `#/i/${v.id}` };
}
