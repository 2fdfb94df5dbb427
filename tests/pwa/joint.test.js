// 联合抽查 on the phone: each member records the items of their own department and sees the others read-only;
// the server's refusal of another department's item (sync/examples/push_other_department_item.json) is shown
// with its reason and the data kept, like every rejection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { examples, concrete, flushedExample } from './helpers.js';
import * as outbox from '../../pwa/js/outbox.js';
import * as ls from '../../pwa/js/local-state.js';

const EX = examples();
const BASE = concrete(EX.pull_first.response.body.inspections[0]);
const ZF = { id: 1, code: 'ZF1', name: '执法一中队' };
const SCJ = { id: 2, code: 'SCJ', name: '县市场监督管理局' };
const JOINT = {
  ...BASE,
  checklist: [
    { item_id: 1, code: 'JT-001', name: '巡游出租汽车经营服务', department: ZF, checkpoints: [{ id: 1, seq: 1, text: '是否取得经营许可' }, { id: 2, seq: 2, text: '车辆是否按规定安装计价器' }] },
    { item_id: 2, code: 'SCJ-001', name: '计价器计量和价格行为', department: SCJ, checkpoints: [{ id: 3, seq: 1, text: '计价器是否经检定合格' }, { id: 4, seq: 2, text: '是否明码标价' }] },
  ],
  members: [{ inspector_id: 1, name: '王建国', cert_no: '14052000000001', department: '执法一中队', is_me: true },
    { inspector_id: 2, name: '常文静', cert_no: '14052000000002', department: '县市场监督管理局', is_me: false }],
};

test('a member records only the items of their own department; without departments every item is theirs', () => {
  assert.deepEqual(ls.ownCheckpoints(JOINT).map((cp) => cp.id), [1, 2]);
  assert.equal(ls.ownsItem(JOINT, JOINT.checklist[1]), false);
  const theirs = { ...JOINT, members: JOINT.members.map((m) => ({ ...m, is_me: !m.is_me })) };
  assert.deepEqual(ls.ownCheckpoints(theirs).map((cp) => cp.id), [3, 4]);
  assert.deepEqual(ls.ownCheckpoints(BASE).map((cp) => cp.id), ls.checkpoints(BASE).map((cp) => cp.id));
});

test('the server refusing another department\'s item is shown with its reason and the answer is kept', async () => {
  const ex = EX.push_other_department_item;
  const handle = await flushedExample(ex, EX.pull_first);
  assert.equal((await outbox.pending(handle)).length, 0);
  const [att] = await outbox.attentionList(handle);
  assert.match(att.message, /由县市场监督管理局负责检查和录入/);
  assert.equal(att.mutation.args.note, '看了一眼计价器');
});
