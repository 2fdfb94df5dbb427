// A 书面检查 / 网络监测 is recorded in the office and reaches no phone; should a phone still push into one, the
// server's refusal (sync/examples/push_desk_inspection.json) is shown in “需要处理” with its reason, the queue
// moves on and what was recorded stays on the phone, like every rejection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { examples, flushedExample } from './helpers.js';
import * as outbox from '../../pwa/js/outbox.js';

const EX = examples();

test('the server refusing a push into a desk inspection is shown with its reason and the data is kept', async () => {
  const ex = EX.push_desk_inspection;
  const handle = await flushedExample(ex, EX.pull_first);
  assert.equal((await outbox.pending(handle)).length, 0, 'the queue moved on');
  const attention = await outbox.attentionList(handle);
  assert.equal(attention.length, 2);
  for (const att of attention) assert.match(att.message, /只能由检查组在办公室的“书面检查”页面录入/);
  assert.deepEqual(attention.map((a) => a.mutation.args.note ?? a.mutation.args.caption).sort(), ['经营许可证', '许可证在有效期内'].sort());
});
