// A 书面检查 / 网络监测 is recorded in the office and reaches no phone; should a phone still push into one, the
// server's refusal (sync/examples/push_desk_inspection.json) is shown in “需要处理” with its reason, the queue
// moves on and what was recorded stays on the phone, like every rejection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freshFactory, examples, exampleResponse, fakeServer, fakeTimers, SERVER_TIME } from './helpers.js';
import * as db from '../../pwa/js/db.js';
import * as outbox from '../../pwa/js/outbox.js';
import { createApi } from '../../pwa/js/api.js';
import { createSyncClient } from '../../pwa/js/sync-client.js';

const EX = examples();

test('the server refusing a push into a desk inspection is shown with its reason and the data is kept', async () => {
  const ex = EX.push_desk_inspection;
  const handle = await db.openUserDb(freshFactory(), 1);
  const server = fakeServer({ 'POST /api/v1/sync/push': () => exampleResponse(ex), 'GET /api/v1/sync/pull': () => exampleResponse(EX.pull_first) });
  const api = createApi({ fetchFn: server.fetchFn, getToken: () => 'T'.repeat(43) });
  const client = createSyncClient({ db: handle, api, timers: fakeTimers(), random: () => 0.5, now: () => new Date(SERVER_TIME),
    onEvent: () => {}, isOnline: () => true, isVisible: () => true });
  await db.setMeta(handle, 'client', { client_id: ex.request.json.client_id, next_id: 1 });
  for (const m of ex.request.json.mutations) await outbox.enqueue(handle, m.name, m.args);
  await client.flush('manual');
  assert.equal((await outbox.pending(handle)).length, 0, 'the queue moved on');
  const attention = await outbox.attentionList(handle);
  assert.equal(attention.length, 2);
  for (const att of attention) assert.match(att.message, /只能由检查组在办公室的“书面检查”页面录入/);
  assert.deepEqual(attention.map((a) => a.mutation.args.note ?? a.mutation.args.caption).sort(), ['经营许可证', '许可证在有效期内'].sort());
});
