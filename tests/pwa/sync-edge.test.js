// The sync edge cases of sync/examples replayed against the PWA's client: one malformed entry, an entry the
// server cannot advance past, a reinstalled phone replaying its outbox, a reused mutation id, and a batch
// resent after its answer was cut. None of them loses a queued mutation or folds a rejected one in as done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freshFactory, examples, concrete, exampleResponse, fakeServer, fakeTimers, SERVER_TIME } from './helpers.js';
import * as db from '../../pwa/js/db.js';
import * as outbox from '../../pwa/js/outbox.js';
import { createApi } from '../../pwa/js/api.js';
import { createSyncClient, receiptStatus } from '../../pwa/js/sync-client.js';

const EX = examples();
const PULL = () => exampleResponse(EX.pull_first);

async function setup(routes) {
  const handle = await db.openUserDb(freshFactory(), 1);
  const server = fakeServer(routes);
  const api = createApi({ fetchFn: server.fetchFn, getToken: () => 'T'.repeat(43) });
  const timers = fakeTimers();
  const client = createSyncClient({ db: handle, api, timers, random: () => 0.5, now: () => new Date(SERVER_TIME) });
  return { handle, server, client, timers };
}

/** The example's entries in the outbox as they are, malformed ones included (a phone's store gone wrong). */
async function queueAsSent(handle, example) {
  const { client_id: clientId, mutations } = example.request.json;
  await db.setMeta(handle, 'client', { client_id: clientId, next_id: mutations.at(-1).id + 1 });
  for (const m of mutations) {
    await db.put(handle, db.S.OUTBOX, { ...m, inspection_id: m.args && m.args.inspection_id, by: '', media: null });
  }
}

const journal = async (handle) => (await db.all(handle, db.S.JOURNAL)).map((j) => [j.id, j.status, j.code]);

test('one malformed entry goes to “需要处理” with its data, and the rest of the batch is done', async () => {
  const ex = EX.push_bad_entries;
  const { handle, server, client } = await setup({ 'POST /api/v1/sync/push': () => exampleResponse(ex), 'GET /api/v1/sync/pull': PULL });
  await queueAsSent(handle, ex);
  await client.flush('manual');
  const sent = server.calls.find((c) => c.key === 'POST /api/v1/sync/push').body;
  assert.deepEqual(sent, ex.request.json, 'the push body is the golden request');
  assert.equal((await outbox.pending(handle)).length, 0, 'the queue moved on');
  const att = (await outbox.attentionList(handle)).reverse();
  assert.deepEqual(att.map((a) => [a.mutation.id, a.code, a.message]), ex.response.body.results
    .filter((r) => r.status === 'rejected').map((r) => [r.id, r.code, r.message]));
  assert.deepEqual(att[0].mutation.args, [1, 1, 'compliant'], 'the data stays on the phone as it was');
  assert.deepEqual((await journal(handle)).filter(([, status]) => status !== 'rejected'), [[1, 'applied', null], [5, 'applied', null]]);
  assert.equal(client.state.error, null);
});

test('an impossible time is rejected with the reason and does not come back as a retry loop', async () => {
  const ex = EX.push_time_out_of_range;
  const { handle, client, timers } = await setup({ 'POST /api/v1/sync/push': () => exampleResponse(ex), 'GET /api/v1/sync/pull': PULL });
  await queueAsSent(handle, ex);
  await client.flush('manual');
  assert.equal((await outbox.pending(handle)).length, 0);
  const att = (await outbox.attentionList(handle)).reverse();
  assert.deepEqual(att.map((a) => a.mutation.id), [2, 3]);
  assert.match(att[0].message, /时间超出范围.*请检查手机的日期和时间设置/);
  assert.equal(timers.scheduled.length, 0, 'nothing to retry');
});

test('a 422 for the whole push keeps every queued entry and shows the server reason', async () => {
  const ex = EX.push_entry_without_id;
  const { handle, client } = await setup({ 'POST /api/v1/sync/push': () => exampleResponse(ex), 'GET /api/v1/sync/pull': PULL });
  await outbox.enqueue(handle, 'inspection.start', ex.request.json.mutations[0].args);
  await outbox.enqueue(handle, 'checkpoint.record', ex.request.json.mutations[1].args);
  await client.flush('manual');
  assert.equal((await outbox.pending(handle)).length, 2, 'nothing dropped');
  assert.equal(client.state.error.code, 'validation_error');
  assert.equal(client.state.error.message, ex.response.body.message);
});

test('a reinstalled phone replaying its outbox under a new client id: each record was already held, and the receipt proves it', async () => {
  const ex = EX.push_replay_new_client;
  const { handle, client } = await setup({ 'POST /api/v1/sync/push': () => exampleResponse(ex), 'GET /api/v1/sync/pull': PULL });
  await db.setMeta(handle, 'client', { client_id: ex.request.json.client_id, next_id: 1 });
  for (const m of ex.request.json.mutations) await outbox.enqueue(handle, m.name, m.args, { now: new Date(m.created_at) });
  await client.flush('manual');
  assert.equal((await outbox.pending(handle)).length, 0);
  assert.deepEqual(await outbox.attentionList(handle), [], 'a replay is nothing to act on');
  const done = await journal(handle);
  assert.deepEqual(done.map(([, status]) => status), ['applied', ...Array(9).fill('duplicate')]);
  const receipt = concrete(EX.receipt_complete.response.body);
  assert.equal(receiptStatus(receipt, await outbox.journalFor(handle, 1)).ok, true);
});

test('a record the phone already shows is not shown twice when the server answers that it held it', async () => {
  const handle = await db.openUserDb(freshFactory(), 1);
  const bundle = concrete(EX.pull_first.response.body.inspections[0]);
  const m = EX.push_replay_new_client.request.json.mutations[1];
  bundle.record.answers = [{ ...m.args, by: '王建国', created_at: m.created_at }];
  await db.put(handle, db.S.INSPECTIONS, bundle);
  const entry = await outbox.enqueue(handle, m.name, m.args, { now: new Date(m.created_at) });
  await outbox.acknowledge(handle, 'c', entry.id, [{ id: entry.id, status: 'duplicate', code: 'record_exists' }]);
  assert.deepEqual((await db.get(handle, db.S.INSPECTIONS, 1)).record.answers.map((a) => a.id), [m.args.id]);
});

test('changed content under a used mutation id is shown in “需要处理” with the server reason', async () => {
  const ex = EX.push_mutation_id_reused;
  const { handle, client } = await setup({ 'POST /api/v1/sync/push': () => exampleResponse(ex), 'GET /api/v1/sync/pull': PULL });
  await queueAsSent(handle, ex);
  await client.flush('manual');
  assert.equal((await outbox.pending(handle)).length, 0);
  const [att] = await outbox.attentionList(handle);
  assert.equal(att.code, 'mutation_id_reused');
  assert.equal(att.message, ex.response.body.results[0].message);
  assert.equal(att.mutation.args.note, '另一条记录误用了编号 3');
});

test('a batch resent after its answer was cut: rejections stay rejections, never folded in as done', async () => {
  const ex = EX.push_resent_rejections;
  const { handle, client, timers } = await setup({
    'POST /api/v1/sync/push': [() => { throw new TypeError('Failed to fetch'); }, () => exampleResponse(ex)],
    'GET /api/v1/sync/pull': PULL,
  });
  await queueAsSent(handle, ex);
  await client.flush('manual');
  assert.equal((await outbox.pending(handle)).length, 4, 'the cut answer drops nothing');
  await timers.scheduled[0].fn();
  assert.equal((await outbox.pending(handle)).length, 0);
  assert.equal((await outbox.attentionList(handle)).length, 4);
  assert.deepEqual(await journal(handle), ex.response.body.results.map((r) => [r.id, 'rejected', r.code]));
});
