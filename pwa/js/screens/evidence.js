// @ts-check
/** 现场照片 (camera capture, processed on the phone) and 现场当事人 (the party on site). */
import { h, field, setFieldError, nextId } from '../dom.js';
import { dateTime } from '../format.js';
import * as ls from '../local-state.js';
import { load } from './inspection.js';

let objectUrls = [];

/**
 * A photo or signature as an image: this phone's file or a thumbnail kept from the server; otherwise the
 * placeholder, swapped for the server's thumbnail once it has downloaded (online only; else it stays).
 * Object URLs are pushed onto `urls`, which the screen revokes on its next render.
 */
export async function evidenceImage(ctx, sha256, { attrs, placeholder, urls }) {
  const img = (blob) => {
    const url = URL.createObjectURL(blob);
    urls.push(url);
    return h('img', { ...attrs, src: url });
  };
  const local = await ctx.store.image(sha256);
  if (local) return img(local);
  ctx.store.fetchThumb(sha256).then((blob) => { if (blob && placeholder.parentNode) placeholder.replaceWith(img(blob)); });
  return placeholder;
}

function thumbnail(ctx, photo) {
  return evidenceImage(ctx, photo.sha256, {
    attrs: { class: 'thumb', alt: photo.caption || `现场照片 ${dateTime(photo.taken_at)}` },
    placeholder: h('div', { class: 'thumb missing' }, photo.by ? `${photo.by}拍摄（在服务器上）` : '照片在服务器上'),
    urls: objectUrls,
  });
}

function photoMeta(p) {
  const place = p.latitude != null ? `定位误差约 ${Math.round(p.accuracy_m || 0)} 米` : '无定位';
  return `${dateTime(p.taken_at)}，${place}${p.late ? '，补充证据' : ''}${p.pending ? '，待同步' : ''}`;
}

/** The photos screen: take a photo, see those taken. */
export async function photos(ctx) {
  objectUrls.forEach((u) => URL.revokeObjectURL(u));
  objectUrls = [];
  const v = await load(ctx);
  const editable = ls.isEditable(v);
  const cps = ls.checkpoints(v);
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
  const list = await Promise.all(v.record.photos.map(async (p) => h('li', { class: 'photo' },
    await thumbnail(ctx, p), h('p', {}, p.caption || '（无说明）'), h('p', { class: 'muted small' }, photoMeta(p)))));
  const canAdd = editable || v.locked; // after submitting, photos are still accepted as late evidence
  const body = h('div', {},
    v.locked ? h('p', { class: 'banner info' }, '该检查已提交：新拍的照片会作为补充证据提交给审核人员。') : null,
    canAdd ? h('div', { class: 'card form' },
      field('照片说明', caption),
      field('关联检查要点', cpSelect),
      field('关联问题', findingSelect),
      h('label', { for: cameraId, class: 'btn primary block camera' }, v.locked ? '拍摄补充证据' : '拍照'), camera, status) : null,
    h('h2', {}, `已拍照片（${v.record.photos.length}）`),
    list.length ? h('ul', { class: 'photos' }, list) : h('p', { class: 'empty' }, '还没有照片。'));
  return { title: '现场照片', body, back: `#/i/${v.id}` };
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
  const note = h('textarea', { rows: 2, maxlength: 500 });
  note.value = cur ? cur.note : '';
  const save = h('button', { type: 'submit', class: 'btn primary block', disabled: !editable }, '保存当事人信息');

  async function onSubmit(e) {
    e.preventDefault();
    const missing = !name.value.trim();
    setFieldError(name, missing ? '请填写当事人姓名' : '');
    const refusedWithoutNote = refused.checked && !note.value.trim();
    setFieldError(note, refusedWithoutNote ? '拒绝签名的，请注明情况' : '');
    if (missing || refusedWithoutNote) return;
    save.disabled = true;
    try {
      await ctx.store.recordParty(v.id, { name: name.value.trim(), position: position.value.trim(), id_number: idNumber.value.trim(),
        phone: phone.value.trim(), refused_to_sign: refused.checked, note: note.value.trim() });
      ctx.toast('已保存当事人信息');
      ctx.go(`#/i/${v.id}`);
    } catch (err) { ctx.toast(err.message, 'error'); save.disabled = false; }
  }

  const body = h('form', { class: 'card form', onsubmit: onSubmit, novalidate: true },
    field('姓名', name, { required: true }),
    field('职务', position, { hint: '例如：安全主管、法定代表人' }),
    field('身份证号', idNumber),
    field('联系电话', phone),
    h('label', { class: 'choice' }, refused, h('span', {}, '当事人拒绝签名')),
    field('备注', note),
    save,
    v.record.party.length > 1 ? h('details', {}, h('summary', {}, `之前的登记（${v.record.party.length - 1}）`),
      h('ul', {}, v.record.party.slice(0, -1).map((p) => h('li', {}, `${p.name} ${p.position || ''}`)))) : null);
  return { title: '现场当事人', body, back: `#/i/${v.id}` };
}
