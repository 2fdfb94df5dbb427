// The pure view of an inspection: registers as the server computes them, amendments, the submit lock,
// and the review screen's list of what is still missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { examples, concrete } from './helpers.js';
import * as ls from '../../pwa/js/local-state.js';
import { content, digest } from '../../pwa/js/signing.js';

const EX = examples();
const BUNDLE = concrete(EX.pull_first.response.body.inspections[0]);
let n = 0;
const entry = (name, args, at = `2024-05-06T09:0${n}:00+08:00`) => ({ id: ++n, name, args: { inspection_id: 1, ...args }, created_at: at, by: '王建国' });
const answer = (id, cp, value, base = [], at) => entry('checkpoint.record', { id, checkpoint_id: cp, answer: value, note: '', base }, at);

test('two answers given without seeing each other are a conflict; seeing both resolves it', () => {
  let v = ls.inspectionView(BUNDLE, [answer('a1', 1, 'compliant', [], '2024-05-06T09:00:00+08:00'),
    answer('a2', 1, 'noncompliant', [], '2024-05-06T09:01:00+08:00')]);
  let reg = ls.registerFor(v, 1);
  assert.equal(reg.conflict, true);
  assert.equal(reg.answer, 'noncompliant', 'the later head is current');
  assert.deepEqual(reg.heads, ['a1', 'a2']);
  v = ls.applyMutation(v, answer('a3', 1, 'noncompliant', ['a1', 'a2'], '2024-05-06T09:02:00+08:00'));
  reg = ls.registerFor(v, 1);
  assert.equal(reg.conflict, false);
  assert.deepEqual(reg.heads, ['a3']);
});

test('the current answer is ordered by time across offsets, not by text', () => {
  const v = ls.inspectionView(BUNDLE, [answer('b', 2, 'na', [], '2024-05-06T09:00:00+08:00'),
    answer('a', 2, 'compliant', [], '2024-05-06T02:00:00+00:00')]);
  assert.equal(ls.registerFor(v, 2).answer, 'compliant');
});

test('an amendment supersedes the finding it corrects and keeps it', () => {
  const v = ls.inspectionView(BUNDLE, [
    entry('finding.add', { id: 'f1', checkpoint_id: 2, description: '档案不全', legal_basis: '', rectification: '', rectify_by: null }),
    entry('finding.amend', { id: 'f2', finding_id: 'f1', checkpoint_id: 2, description: '两车档案不全', legal_basis: '',
      rectification: '限期补齐', rectify_by: '2024-06-30', reason: '补充车牌' }),
  ]);
  assert.equal(v.record.findings.length, 2);
  assert.deepEqual(v.record.findings[0].superseded_by, ['f2']);
  assert.deepEqual(ls.currentFindings(v).map((f) => f.id), ['f2']);
});

const sig = (id, role, inspectorId, name, covers, at = '2024-05-06T09:07:00+08:00') => entry('signature.add', {
  id, sha256: 'a'.repeat(64), signer_role: role, signer_name: name, inspector_id: inspectorId, signed_at: at, digest: covers });
const DRAFT = { result_categories: ['01'], methods: ['on_site'], follow_ups: ['none'], summary: '' };
const covering = (v, draft = DRAFT) => digest(content(ls.signedContent(v, draft)));
const answered = () => ls.inspectionView(BUNDLE, [answer('x1', 1, 'compliant'), answer('x2', 2, 'na'),
  entry('party.record', { id: 'p1', name: '赵志强', position: '', id_number: '', phone: '', refused_to_sign: false, note: '' })]);

test('the review screen lists everything still missing, then nothing', async () => {
  const v0 = ls.inspectionView(BUNDLE, []);
  const missing = ls.missingForSubmit(v0, {}).map((m) => m.text);
  assert.deepEqual(missing, [
    '检查要点未作判定：1. 是否取得道路运输经营许可证', '检查要点未作判定：2. 车辆技术档案是否齐全',
    '未选择检查结果', '未选择检查方式', '未选择后续处置措施', '检查人员 王建国 未签名', '检查人员 李明 未签名',
    '未登记现场当事人',
  ]);
  let v = answered();
  const d = await covering(v);
  v = ls.applyMutation(ls.applyMutation(v, sig('s1', 'inspector', 1, '王建国', d)), sig('s2', 'inspector', 2, '李明', d));
  assert.deepEqual(ls.missingForSubmit(v, DRAFT, d).map((m) => m.text), ['当事人 赵志强 未签名（拒绝签名的请在当事人处注明）']);
  const done = ls.applyMutation(v, sig('s3', 'party', null, '赵志强', d));
  assert.deepEqual(ls.missingForSubmit(done, DRAFT, d), []);
  assert.deepEqual(ls.warningsForSubmit(done), ['没有现场照片']);
});

test('a change after signing makes the signatures stale; signing again replaces the stale one', async () => {
  let v = answered();
  const before = await covering(v);
  for (const [id, role, who, name] of [['s1', 'inspector', 1, '王建国'], ['s2', 'inspector', 2, '李明'], ['s3', 'party', null, '赵志强']]) {
    v = ls.applyMutation(v, sig(id, role, who, name, before));
  }
  v = ls.applyMutation(v, answer('x3', 2, 'compliant', ['x2']));
  const after = await covering(v);
  assert.notEqual(after, before);
  assert.deepEqual(ls.missingForSubmit(v, DRAFT, after).map((m) => m.text), [
    '检查人员 王建国 签名之后内容有改动，需重新签名', '检查人员 李明 签名之后内容有改动，需重新签名',
    '当事人 赵志强 签名之后内容有改动，需重新签名']);
  assert.notEqual(await covering(v, { ...DRAFT, summary: '改过的综述' }), after, 'the conclusion is covered too');
  for (const [id, role, who, name] of [['t1', 'inspector', 1, '王建国'], ['t2', 'inspector', 2, '李明'], ['t3', 'party', null, '赵志强']]) {
    v = ls.applyMutation(v, sig(id, role, who, name, after, '2024-05-06T09:30:00+08:00'));
  }
  assert.deepEqual(ls.missingForSubmit(v, DRAFT, after), []);
  assert.equal(v.record.signatures.length, 6, 'the replaced signatures stay on record');
  assert.deepEqual(ls.currentSignatures(v).map((s) => s.id), ['t1', 't2', 't3']);
  assert.equal(ls.signatureOf(v, { role: 'party', name: '赵志强' }).id, 't3');
});

test('a new party on site must sign again; a signature without a digest is asked for again', async () => {
  let v = answered();
  const d = await covering(v);
  v = ls.applyMutation(v, sig('s3', 'party', null, '赵志强', d));
  assert.equal(ls.signatureState(v, ls.signers(v).find((s) => s.role === 'party'), d), 'valid');
  v = ls.applyMutation(v, entry('party.record', { id: 'p2', name: '钱多多', position: '', id_number: '', phone: '', refused_to_sign: false, note: '' }));
  assert.equal(ls.signatureState(v, ls.signers(v).find((s) => s.role === 'party'), d), 'stale');
  v = ls.applyMutation(v, sig('s4', 'inspector', 1, '王建国', undefined));
  assert.equal(ls.signatureState(v, ls.signers(v)[0], d), 'stale');
});

test('nobody on site (无人在场) needs no party signature, but a photo or a witness to show it', async () => {
  let v = ls.inspectionView(BUNDLE, [answer('x1', 1, 'na'), answer('x2', 2, 'na'),
    entry('party.record', { id: 'p1', name: '', position: '', id_number: '', phone: '', refused_to_sign: false, absent: true, note: '大门紧锁' })]);
  const draft = { result_categories: ['05'], methods: ['on_site'], follow_ups: ['none'], summary: '' };
  const d = await covering(v, draft);
  v = ls.applyMutation(ls.applyMutation(v, sig('s1', 'inspector', 1, '王建国', d)), sig('s2', 'inspector', 2, '李明', d));
  assert.deepEqual(ls.signers(v).map((s) => s.role), ['inspector', 'inspector']);
  const texts = ls.missingForSubmit(v, draft, d).map((m) => m.text);
  assert.equal(texts.length, 1);
  assert.match(texts[0], /无人在场，但没有见证人签名，也没有现场照片证明：请/);
  v = ls.applyMutation(v, entry('photo.attach', { id: 'ph1', sha256: 'c'.repeat(64), finding_id: null, checkpoint_id: null }));
  assert.deepEqual(ls.missingForSubmit(v, draft, d), []);
});

test('a 不符合 checkpoint needs its finding and a photo, and the result must say a problem was found', async () => {
  const v = ls.inspectionView(BUNDLE, [answer('x1', 1, 'compliant'), answer('x2', 2, 'noncompliant')]);
  const found = ls.missingForSubmit(v, DRAFT).filter((m) => m.code).map((m) => [m.code, m.section]);
  assert.deepEqual(found, [['result_inconsistent', 'result'], ['item_result_inconsistent', 'findings'],
    ['noncompliant_photo_missing', 'photos']]);
});

test('submitting locks the inspection on the phone; a photo after it is late evidence', () => {
  let v = ls.inspectionView(BUNDLE, [entry('inspection.submit', { result_categories: ['01'], methods: ['on_site'],
    follow_ups: ['none'], summary: '未发现问题' })]);
  assert.equal(v.status, 'submitted');
  assert.equal(v.locked, true);
  assert.equal(ls.isEditable(v), false);
  v = ls.applyMutation(v, entry('photo.attach', { id: 'p9', sha256: 'b'.repeat(64) }));
  assert.equal(v.record.photos[0].late, true);
});

test('a returned inspection is editable again', () => {
  assert.equal(ls.isEditable({ ...BUNDLE, status: 'returned', locked: false }), true);
});

test('after the partner submitted, a late judgement is not shown as counted and is explained in words', () => {
  const locked = { ...BUNDLE, status: 'submitted', locked: true };
  const late = answer('z1', 2, 'noncompliant');
  const v = ls.inspectionView(locked, [late]);
  assert.equal(ls.registerFor(v, 2), null, 'the server did not count it');
  assert.equal(v.pending, 1);
  const note = ls.lateNote(locked, late);
  assert.match(note, /^检查要点“2\. 车辆技术档案是否齐全”的判定“不符合”未计入检查结果/);
  assert.match(note, /同组人员已提交/);
  assert.doesNotMatch(note, /checkpoint|noncompliant/);
});

test('a withdrawn photo no longer counts but stays on the phone', () => {
  const v = ls.inspectionView(BUNDLE, [entry('photo.attach', { id: 'ph1', sha256: 'c'.repeat(64) }),
    entry('photo.withdraw', { id: 'w1', photo_id: 'ph1', reason: '拍错了' })]);
  assert.equal(v.record.photos.length, 1);
  assert.deepEqual(ls.currentPhotos(v), []);
});
