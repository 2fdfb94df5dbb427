// The outbox: FIFO ids from 1, files stored with their mutation or not at all, acknowledgements that fold
// applied work into the inspection and keep rejected work visible, and the gap/mismatch recoveries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freshFactory, examples, concrete } from './helpers.js';
import * as db from '../../pwa/js/db.js';
import * as outbox from '../../pwa/js/outbox.js';
import { inspectionView } from '../../pwa/js/local-state.js';

const EX = examples();
const BUNDLE = concrete(EX.pull_first.response.body.inspections[0]);

async function fresh() {
  const handle = await db.openUserDb(freshFactory(), 1);
  await db.put(handle, db.S.INSPECTIONS, BUNDLE);
  return handle;
}

test('mutations get consecutive ids from 1 and the device time with its offset', async () => {
  const handle = await fresh();
  const a = await outbox.enqueue(handle, 'inspection.start', { inspection_id: 1, started_at: outbox.nowIso() });
  const b = await outbox.enqueue(handle, 'party.record', { id: outbox.newId(), inspection_id: 1, name: '赵志强' });
  assert.deepEqual([a.id, b.id], [1, 2]);
  assert.match(a.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
  assert.deepEqual((await outbox.pending(handle)).map((e) => e.name), ['inspection.start', 'party.record']);
  const client = await outbox.clientState(handle);
  assert.equal(client.next_id, 3);
  assert.match(client.client_id, /^[0-9a-f-]{36}$/);
});

test('nowIso writes the local offset of the device', () => {
  const d = new Date(Date.UTC(2024, 4, 6, 1, 2, 3, 4));
  const iso = outbox.nowIso(d);
  assert.equal(Date.parse(iso), d.getTime());
});

test('a photo and its photo.attach are stored together; a failed write stores neither', async () => {
  const handle = await fresh();
  const blob = { sha256: 'b'.repeat(64), blob: new Blob(['jpeg']), type: 'image/jpeg', kind: 'photo' };
  await outbox.enqueue(handle, 'photo.attach', { id: outbox.newId(), inspection_id: 1, sha256: blob.sha256 }, { blob });
  const stored = await db.get(handle, db.S.BLOBS, blob.sha256);
  assert.equal(stored.uploaded, false);
  assert.equal(stored.inspection_id, 1);

  // A duplicate outbox id makes the second transaction fail after the blob was written: nothing remains.
  await db.setMeta(handle, 'client', { ...(await outbox.clientState(handle)), next_id: 1 });
  const other = { sha256: 'c'.repeat(64), blob: new Blob(['x']), type: 'image/jpeg', kind: 'photo' };
  await assert.rejects(outbox.enqueue(handle, 'photo.attach', { inspection_id: 1, sha256: other.sha256 }, { blob: other }));
  assert.equal(await db.get(handle, db.S.BLOBS, other.sha256), undefined);
  assert.equal((await outbox.pending(handle)).length, 1);
});

test('an acknowledged push folds applied work into the inspection and keeps rejections with their reason', async () => {
  const handle = await fresh();
  const start = await outbox.enqueue(handle, 'inspection.start', { inspection_id: 1, started_at: outbox.nowIso() });
  const answer = await outbox.enqueue(handle, 'checkpoint.record',
    { id: outbox.newId(), inspection_id: 1, checkpoint_id: 1, answer: 'compliant', note: '', base: [] }, { by: '王建国' });
  const bad = await outbox.enqueue(handle, 'checkpoint.record',
    { id: outbox.newId(), inspection_id: 1, checkpoint_id: 99, answer: 'compliant', note: '', base: [] });
  const later = await outbox.enqueue(handle, 'party.record', { id: outbox.newId(), inspection_id: 1, name: '赵志强' });
  const results = [{ id: start.id, status: 'applied' }, { id: answer.id, status: 'applied' },
    { id: bad.id, status: 'rejected', code: 'unknown_checkpoint', message: '检查要点 99 不在本次检查的清单中', errors: { checkpoint_id: 99 } }];
  const { client_id: clientId } = await outbox.clientState(handle);
  const done = await outbox.acknowledge(handle, clientId, 3, results);
  assert.equal(done.acknowledged, 3);
  assert.deepEqual((await outbox.pending(handle)).map((e) => e.id), [later.id]);
  const bundle = await db.get(handle, db.S.INSPECTIONS, 1);
  assert.equal(bundle.status, 'in_progress');
  assert.equal(bundle.record.registers[0].answer, 'compliant');
  assert.equal(bundle.record.answers[0].by, '王建国');
  const [att] = await outbox.attentionList(handle);
  assert.equal(att.message, '检查要点 99 不在本次检查的清单中');
  assert.equal(att.mutation.args.checkpoint_id, 99, 'the rejected data is kept');
  assert.equal((await outbox.journalFor(handle, 1)).length, 3);
  await outbox.markHandled(handle, att.key);
  assert.equal((await outbox.attentionList(handle))[0].handled, true, 'read entries stay on the phone');
});

test('a lost acknowledgement: entries below the expected id count as applied', async () => {
  const handle = await fresh();
  for (let i = 0; i < 3; i += 1) await outbox.enqueue(handle, 'inspection.start', { inspection_id: 1, started_at: outbox.nowIso() });
  const { client_id: clientId } = await outbox.clientState(handle);
  await outbox.acknowledgeBelow(handle, clientId, 3);
  assert.deepEqual((await outbox.pending(handle)).map((e) => e.id), [3]);
});

test('the server lost data: journaled entries go back into the queue with their ids', async () => {
  const handle = await fresh();
  for (let i = 0; i < 3; i += 1) await outbox.enqueue(handle, 'inspection.start', { inspection_id: 1, started_at: outbox.nowIso() });
  const { client_id: clientId } = await outbox.clientState(handle);
  await outbox.acknowledge(handle, clientId, 3, []);
  assert.equal((await outbox.pending(handle)).length, 0);
  assert.equal(await outbox.requeueFrom(handle, clientId, 2), 2);
  assert.deepEqual((await outbox.pending(handle)).map((e) => e.id), [2, 3]);
});

test('renumbering keeps every entry in order under a new client id', async () => {
  const handle = await fresh();
  for (const name of ['a', 'b', 'c']) await outbox.enqueue(handle, name, { inspection_id: 1 });
  await outbox.acknowledge(handle, 'x', 1, []);
  const id = await outbox.renumber(handle);
  const entries = await outbox.pending(handle);
  assert.deepEqual(entries.map((e) => [e.id, e.name]), [[1, 'b'], [2, 'c']]);
  assert.deepEqual(await outbox.clientState(handle), { client_id: id, next_id: 3 });
});

test('the view shows unsynced work on top of the server bundle, marked pending', async () => {
  const handle = await fresh();
  await outbox.enqueue(handle, 'finding.add', { id: 'f1', inspection_id: 1, checkpoint_id: 2, description: '档案不全',
    legal_basis: '', rectification: '补齐', rectify_by: '2024-06-30' });
  const view = inspectionView(await db.get(handle, db.S.INSPECTIONS, 1), await outbox.pendingFor(handle, 1));
  assert.equal(view.pending, 1);
  assert.equal(view.record.findings[0].pending, true);
  assert.equal(view.status, 'in_progress');
  const counts = await outbox.pendingCounts(handle);
  assert.equal(counts.get(1), 1);
});
