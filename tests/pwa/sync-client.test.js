// The sync client against the golden examples of sync/examples (the server's real answers), replayed by a
// scripted fake server: uploads before pushes, FIFO batches, rejections kept, gaps recovered, token errors
// and 500/HTML pages keep the queue, receipts decide “证据已全部上传”.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  freshFactory, examples, concrete, exampleBlob, exampleResponse, jsonResponse, fakeServer, fakeTimers, SERVER_TIME,
} from './helpers.js';
import * as db from '../../pwa/js/db.js';
import * as outbox from '../../pwa/js/outbox.js';
import { createApi } from '../../pwa/js/api.js';
import { createSyncClient, backoffDelay, receiptStatus, BACKOFF } from '../../pwa/js/sync-client.js';

const EX = examples();
const PULL = () => exampleResponse(EX.pull_first);
const DEVICE_NOW = new Date(Date.parse(SERVER_TIME) + 90_000); // the phone is 90 s fast

async function setup(routes, { random = () => 0.5, net = { online: true, visible: true } } = {}) {
  const handle = await db.openUserDb(freshFactory(), 1);
  const server = fakeServer(routes);
  const api = createApi({ fetchFn: server.fetchFn, getToken: () => 'T'.repeat(43) });
  const timers = fakeTimers();
  const events = [];
  const client = createSyncClient({ db: handle, api, timers, random, now: () => DEVICE_NOW, onEvent: (t, d) => events.push([t, d]),
    isOnline: () => net.online, isVisible: () => net.visible });
  return { handle, server, client, timers, events, net };
}

async function enqueueExample(handle, example, blobs = {}) {
  for (const m of example.request.json.mutations) {
    const sha = m.args.sha256;
    const blob = sha && blobs[sha] ? { sha256: sha, blob: blobs[sha], type: 'image/png', kind: m.name === 'signature.add' ? 'signature' : 'photo' } : null;
    const entry = await outbox.enqueue(handle, m.name, m.args, { blob, now: new Date(m.created_at) });
    assert.equal(entry.id, m.id, 'the phone numbers its queue as the example does');
  }
}

function setupBlobs(example) {
  return Object.fromEntries(example.setup.filter((r) => r.method === 'PUT')
    .map((r) => [r.path.split('/').pop(), exampleBlob(r)]));
}

test('first pull stores the bundles, the reference data, the cursor and the clock offset', async () => {
  const { handle, client } = await setup({ 'GET /api/v1/sync/pull': PULL });
  await client.flush('start');
  const bundle = await db.get(handle, db.S.INSPECTIONS, 1);
  assert.equal(bundle.target.name, '阳城县宏达物流有限公司');
  assert.equal(bundle.checklist[0].checkpoints.length, 2);
  assert.equal((await db.getMeta(handle, 'reference')).photo.max_side_px, 1600);
  assert.equal(await db.getMeta(handle, 'cursor'), 'cursor-1');
  assert.equal((await db.getMeta(handle, 'clock')).offset_ms, 90_000);
  assert.equal(client.state.error, null);
});

test('a full inspection: files go up first (PUT naming their kind, none the server holds), then one push, then the receipt proves it', async () => {
  const ex = EX.push_full_inspection;
  const blobs = setupBlobs(ex);
  const submitted = { ...concrete(EX.pull_first.response.body), inspections: [{ ...concrete(EX.pull_first.response.body.inspections[0]), status: 'submitted', locked: true }] };
  const { handle, server, client, events } = await setup({
    'PUT /api/v1/media/710ba93f4c14b50c2f3101dbe762a7e33f2f40c57e01ed91c1b64b436dfd6ea3': () => exampleResponse(EX.media_put),
    'POST /api/v1/sync/push': () => exampleResponse(ex),
    'GET /api/v1/sync/pull': () => jsonResponse(200, submitted),
    'GET /api/v1/inspections/1/receipt': () => exampleResponse(EX.receipt_complete),
  });
  const bundle = concrete(EX.pull_first.response.body.inspections[0]);
  // the last pull says the server already holds the signature (say, sent before a lost answer): not sent again
  bundle.record.signatures = [{ id: 'x', sha256: 'a759399ff9229fbc8be3268f2921153ec0711c9c90dbe79eafdad4aafd1aada4', held: true }];
  await db.put(handle, db.S.INSPECTIONS, bundle);
  await db.setMeta(handle, 'client', { client_id: ex.request.json.client_id, next_id: 1 });
  await enqueueExample(handle, ex, blobs);
  await client.flush('manual');
  assert.deepEqual(server.calls.map((c) => c.key.split(' ')[0] + ' ' + c.url.pathname.split('/').slice(3, 5).join('/')
    + (c.key.startsWith('PUT') ? c.url.search : '')), [
    'PUT media/710ba93f4c14b50c2f3101dbe762a7e33f2f40c57e01ed91c1b64b436dfd6ea3?kind=photo',
    'POST sync/push', 'GET sync/pull', 'GET inspections/1',
  ]);
  assert.ok(!server.calls.some((c) => c.key.startsWith('HEAD')), 'no HEAD: a 404 for each new file is an error in the console');
  const push = server.calls.find((c) => c.key === 'POST /api/v1/sync/push').body;
  const sameTime = (m) => ({ ...m, created_at: Date.parse(m.created_at) });
  assert.deepEqual({ ...push, mutations: push.mutations.map(sameTime) },
    { ...ex.request.json, mutations: ex.request.json.mutations.map(sameTime) }, 'the push body is the golden request');
  assert.equal((await outbox.pending(handle)).length, 0);
  const stored = await db.get(handle, db.S.RECEIPTS, 1);
  assert.equal(stored.status.ok, true);
  const shown = events.filter(([t]) => t === 'progress').map(([, d]) => d.state.progress.text);
  assert.deepEqual(shown.slice(0, 3), ['照片与签名 1/2', '照片与签名 2/2', '提交记录 10 条']);
  assert.equal((await db.get(handle, db.S.BLOBS, '710ba93f4c14b50c2f3101dbe762a7e33f2f40c57e01ed91c1b64b436dfd6ea3')).uploaded, true);
  assert.equal((await db.get(handle, db.S.BLOBS, 'a759399ff9229fbc8be3268f2921153ec0711c9c90dbe79eafdad4aafd1aada4')).uploaded, true);
});

test('rejected mutations are shown with the server reason and their data, and the queue moves on', async () => {
  const ex = EX.push_rejections;
  const { handle, client, events } = await setup({ 'POST /api/v1/sync/push': () => exampleResponse(ex), 'GET /api/v1/sync/pull': PULL });
  await enqueueExample(handle, ex);
  await client.flush('manual');
  assert.equal((await outbox.pending(handle)).length, 0);
  const att = (await outbox.attentionList(handle)).reverse();
  assert.deepEqual(att.map((a) => a.message), [
    '该检查不属于您所在的检查组', '检查要点 99 不在本次检查的清单中', '未知的同步操作“inspection.teleport”，请更新应用',
    '操作数据有误：answer 应为 compliant（符合）、noncompliant（不符合）或 na（不涉及）',
  ]);
  assert.equal(att[3].mutation.args.answer, 'maybe');
  assert.ok(events.some(([t, d]) => t === 'rejected' && d.count === 4));
});

test('a gap the server reports (it expects 1, the phone sent 5) is resent from the expected id', async () => {
  const ex = EX.push_gap;
  let pushes = 0;
  const { handle, server, client } = await setup({
    'POST /api/v1/sync/push': [() => { pushes += 1; return exampleResponse(ex); },
      (call) => { pushes += 1; return jsonResponse(200, { protocol: 1, client_id: call.body.client_id, last_applied_id: 1, server_time: SERVER_TIME,
        results: [{ id: 1, status: 'applied' }], inspections: [] }); }],
    'GET /api/v1/sync/pull': PULL,
  });
  await db.setMeta(handle, 'client', { client_id: ex.request.json.client_id, next_id: 5 });
  await outbox.enqueue(handle, 'inspection.start', ex.request.json.mutations[0].args);
  await client.flush('manual');
  assert.equal(pushes, 2);
  const second = server.calls.filter((c) => c.key === 'POST /api/v1/sync/push')[1].body;
  assert.deepEqual(second.mutations.map((m) => m.id), [1]);
  assert.equal((await outbox.pending(handle)).length, 0);
});

test('a lost acknowledgement (expected id ahead) drops what the server already applied', async () => {
  const { handle, server, client } = await setup({
    'POST /api/v1/sync/push': [
      () => jsonResponse(409, { status: 409, code: 'mutation_gap', message: '同步编号不连续', errors: { expected_id: 3, last_applied_id: 2 } }),
      (call) => jsonResponse(200, { protocol: 1, client_id: call.body.client_id, last_applied_id: 3, server_time: SERVER_TIME,
        results: [{ id: 3, status: 'applied' }], inspections: [] })],
    'GET /api/v1/sync/pull': PULL,
  });
  for (let i = 0; i < 3; i += 1) await outbox.enqueue(handle, 'inspection.start', { inspection_id: 1, started_at: SERVER_TIME });
  await client.flush('manual');
  assert.deepEqual(server.calls.filter((c) => c.key === 'POST /api/v1/sync/push')[1].body.mutations.map((m) => m.id), [3]);
  assert.equal((await outbox.pending(handle)).length, 0);
});

test('a revoked token asks for a login and keeps every queued mutation', async () => {
  const { handle, client, timers } = await setup({ 'POST /api/v1/sync/push': () => exampleResponse(EX.auth_token_revoked) });
  await outbox.enqueue(handle, 'inspection.start', { inspection_id: 1, started_at: SERVER_TIME });
  await client.flush('manual');
  assert.equal(client.state.needsLogin, true);
  assert.equal(client.state.error.message, '此设备的登录已被注销，请重新登录（未同步的记录会保留）');
  assert.equal((await outbox.pending(handle)).length, 1);
  assert.equal(timers.scheduled.length, 0, 'no retry loop against a dead token');
});

for (const [label, response] of [
  ['an HTML 500 error page', () => new Response('<html><body><h1>502 Bad Gateway</h1></body></html>', { status: 502, headers: { 'Content-Type': 'text/html' } })],
  ['a JSON 500', () => jsonResponse(500, { status: 500, code: 'internal_error', message: '服务器内部错误，请稍后再试；如持续出现请联系管理员', errors: {} })],
  ['a 503 transient', () => jsonResponse(503, { status: 503, code: 'transient', message: '服务器繁忙，请稍后重试', errors: {} }, { 'Retry-After': '2' })],
  ['a 200 HTML page from a captive portal', () => new Response('<html>请登录 Wi-Fi</html>', { status: 200, headers: { 'Content-Type': 'text/html' } })],
  ['a dropped connection', () => { throw new TypeError('Failed to fetch'); }],
]) {
  test(`${label} in the middle of a sync keeps the queue and retries with back-off`, async () => {
    const ok = (call) => jsonResponse(200, { protocol: 1, client_id: call.body.client_id, last_applied_id: 2, server_time: SERVER_TIME,
      results: [{ id: 1, status: 'applied' }, { id: 2, status: 'applied' }], inspections: [] });
    const { handle, client, timers } = await setup({ 'POST /api/v1/sync/push': [response, ok], 'GET /api/v1/sync/pull': PULL }, { random: () => 0.999 });
    await outbox.enqueue(handle, 'inspection.start', { inspection_id: 1, started_at: SERVER_TIME });
    await outbox.enqueue(handle, 'party.record', { id: outbox.newId(), inspection_id: 1, name: '赵志强' });
    await client.flush('manual');
    assert.equal((await outbox.pending(handle)).length, 2, 'nothing was dropped');
    assert.ok(client.state.error.message.length > 0);
    assert.equal(timers.scheduled.length, 1);
    assert.ok(timers.scheduled[0].ms >= 0 && timers.scheduled[0].ms < BACKOFF.base);
    await timers.scheduled[0].fn();
    assert.equal((await outbox.pending(handle)).length, 0, 'the retry delivered both');
    assert.equal(client.state.error, null);
  });
}

test('a file the server refuses goes to “需要处理” and does not block the queue', async () => {
  const sha = '5464533c9647b67eb320c40ccc5959537c09102ae75388f6a7675b433e745c9d';
  const { handle, client } = await setup({
    [`PUT /api/v1/media/${sha}`]: () => exampleResponse(EX.media_bad_image),
    'POST /api/v1/sync/push': (call) => jsonResponse(200, { protocol: 1, client_id: call.body.client_id, last_applied_id: 1,
      server_time: SERVER_TIME, results: [{ id: 1, status: 'applied' }], inspections: [] }),
    'GET /api/v1/sync/pull': PULL,
  });
  await outbox.enqueue(handle, 'photo.attach', { id: outbox.newId(), inspection_id: 1, sha256: sha },
    { blob: { sha256: sha, blob: new Blob(['not an image']), type: 'image/jpeg', kind: 'photo' } });
  await client.flush('manual');
  assert.equal((await outbox.pending(handle)).length, 0);
  const [att] = await outbox.attentionList(handle);
  assert.equal(att.kind, 'media');
  assert.equal(att.message, '文件不是有效的图片（仅支持 JPEG、PNG、WebP），请重新拍摄');
});

test('an unreadable cursor is dropped and the pull starts over', async () => {
  const { handle, server, client } = await setup({ 'GET /api/v1/sync/pull': [() => exampleResponse(EX.pull_bad_cursor), PULL] });
  await db.setMeta(handle, 'cursor', 'not-a-cursor');
  await client.flush('start');
  const pulls = server.calls.filter((c) => c.key === 'GET /api/v1/sync/pull');
  assert.equal(pulls[0].url.searchParams.get('cursor'), 'not-a-cursor');
  assert.equal(pulls[1].url.searchParams.get('cursor'), null);
  assert.equal((await db.get(handle, db.S.INSPECTIONS, 1)).id, 1);
});

test('an inspection withdrawn from the inspector leaves the list but its unsynced work stays visible', async () => {
  const body = concrete(EX.pull_first.response.body);
  const { handle, client } = await setup({
    'POST /api/v1/sync/push': () => jsonResponse(503, { status: 503, code: 'transient', message: '服务器繁忙', errors: {} }),
    'GET /api/v1/sync/pull': () => jsonResponse(200, { ...body, inspections: [], assigned: [], tombstones: [{ id: 1, reason: 'withdrawn' }] }),
  });
  await db.put(handle, db.S.INSPECTIONS, body.inspections[0]);
  await outbox.enqueue(handle, 'inspection.start', { inspection_id: 1, started_at: SERVER_TIME });
  await client.flush('manual'); // the push fails for now; the pull still brings the withdrawal
  assert.equal(await db.get(handle, db.S.INSPECTIONS, 1), undefined);
  assert.equal((await outbox.pending(handle)).length, 1);
  const [att] = await outbox.attentionList(handle);
  assert.equal(att.message, '阳城县宏达物流有限公司：该检查已被撤回；本机未同步的 1 条记录仍会提交，服务器会保留给审核人员');
  assert.equal(client.state.error.code, 'transient');
});

test('the receipt decides “证据已全部上传”: complete, and listing everything this phone sent', () => {
  const complete = concrete(EX.receipt_complete.response.body);
  const sent = EX.push_full_inspection.request.json.mutations.map((m) => ({ ...m, inspection_id: 1, status: 'applied' }));
  assert.equal(receiptStatus(complete, sent).ok, true);
  assert.equal(receiptStatus(complete, sent, 1).ok, false, 'not while something is still queued');
  const missingSig = concrete(EX.receipt_missing.response.body);
  const st = receiptStatus(missingSig, sent);
  assert.equal(st.ok, false);
  assert.ok(st.missing.some((m) => m.sha256 === 'a759399ff9229fbc8be3268f2921153ec0711c9c90dbe79eafdad4aafd1aada4'));
  const extra = [...sent, { id: 9, name: 'photo.attach', inspection_id: 1, status: 'applied', args: { id: 'zz', sha256: 'e'.repeat(64) } }];
  assert.equal(receiptStatus(complete, extra).ok, false, 'a photo the receipt does not list');
});

test('back-off: full jitter over 1 s × 2^n, capped at 5 minutes', () => {
  assert.equal(backoffDelay(0, () => 0.999), 999);
  assert.equal(backoffDelay(3, () => 0.5), 4000);
  assert.equal(backoffDelay(30, () => 0.999), Math.floor(0.999 * 300000));
  assert.equal(backoffDelay(2, () => 0), 0);
});

test('a photo queued while a push is in flight is uploaded before the push that names it', async () => {
  const sha = 'd'.repeat(64);
  let handle;
  const ok = (call) => jsonResponse(200, { protocol: 1, client_id: call.body.client_id, server_time: SERVER_TIME, inspections: [],
    last_applied_id: call.body.mutations.at(-1).id, results: call.body.mutations.map((m) => ({ id: m.id, status: 'applied' })) });
  const env = await setup({
    'POST /api/v1/sync/push': [async (call) => {
      await outbox.enqueue(handle, 'photo.attach', { id: outbox.newId(), inspection_id: 1, sha256: sha },
        { blob: { sha256: sha, blob: new Blob(['jpeg']), type: 'image/jpeg', kind: 'photo' } });
      return ok(call);
    }, ok],
    [`PUT /api/v1/media/${sha}`]: () => jsonResponse(201, { sha256: sha, created: true }),
    'GET /api/v1/sync/pull': PULL,
  });
  handle = env.handle;
  await outbox.enqueue(handle, 'inspection.start', { inspection_id: 1, started_at: SERVER_TIME });
  await env.client.flush('manual');
  const order = env.server.calls.map((c) => c.key.split(' ')[0]);
  assert.deepEqual(order.slice(0, 3), ['POST', 'PUT', 'POST']);
  assert.equal((await db.get(handle, db.S.BLOBS, sha)).uploaded, true);
});

test('a stored file whose mutation was already acknowledged is still uploaded', async () => {
  const sha = 'e'.repeat(64);
  const env = await setup({
    [`PUT /api/v1/media/${sha}`]: () => jsonResponse(201, { sha256: sha, created: true }),
    'GET /api/v1/sync/pull': PULL,
  });
  await db.put(env.handle, db.S.BLOBS, { sha256: sha, blob: new Blob(['x']), type: 'image/png', kind: 'signature', uploaded: false, inspection_id: 1 });
  await env.client.flush('start');
  assert.equal((await db.get(env.handle, db.S.BLOBS, sha)).uploaded, true);
});

test('without a network nothing is requested and nothing is retried: the network coming back flushes at once', async () => {
  const ok = (call) => jsonResponse(200, { protocol: 1, client_id: call.body.client_id, last_applied_id: 1, server_time: SERVER_TIME,
    results: [{ id: 1, status: 'applied' }], inspections: [] });
  const net = { online: false, visible: true };
  const { handle, server, client, timers } = await setup({ 'POST /api/v1/sync/push': ok, 'GET /api/v1/sync/pull': PULL }, { net });
  await outbox.enqueue(handle, 'inspection.start', { inspection_id: 1, started_at: SERVER_TIME });
  for (const reason of ['record', 'retry', 'visibility', 'button']) await client.flush(reason);
  assert.deepEqual(server.calls, [], 'no failed request (each would print an error in the console)');
  assert.deepEqual(timers.scheduled, [], 'no back-off building up while offline');
  assert.equal(client.state.offline, true);
  net.online = true;
  await client.flush('online');
  assert.equal((await outbox.pending(handle)).length, 0);
  assert.equal(client.state.offline, false);
});

test('reconnecting forgets the back-off: a failure right after it is retried within a second, not minutes', async () => {
  const ok = (call) => jsonResponse(200, { protocol: 1, client_id: call.body.client_id, last_applied_id: 1, server_time: SERVER_TIME,
    results: [{ id: 1, status: 'applied' }], inspections: [] });
  const cut = () => { throw new TypeError('Failed to fetch'); };
  const { handle, client, timers } = await setup({ 'POST /api/v1/sync/push': [cut, cut, cut, cut, cut, cut, cut, ok], 'GET /api/v1/sync/pull': PULL },
    { random: () => 0.999 });
  await outbox.enqueue(handle, 'inspection.start', { inspection_id: 1, started_at: SERVER_TIME });
  for (let i = 0; i < 6; i += 1) await client.flush('retry'); // a flaky link: the back-off grows
  assert.ok(timers.scheduled.at(-1).ms > 30_000, `after six failures the next retry waits long (${timers.scheduled.at(-1).ms} ms)`);
  await client.flush('online'); // the link is back, but the first request still fails
  assert.ok(timers.scheduled.at(-1).ms < BACKOFF.base, `retried within a second of reconnecting (${timers.scheduled.at(-1).ms} ms)`);
  await timers.scheduled.at(-1).fn();
  assert.equal((await outbox.pending(handle)).length, 0);
});

test('an open phone pulls every poll_seconds while online and visible, and not otherwise', async () => {
  const body = concrete(EX.pull_first.response.body);
  let clock = Date.parse(SERVER_TIME);
  const handle = await db.openUserDb(freshFactory(), 1);
  const server = fakeServer({ 'GET /api/v1/sync/pull': () => jsonResponse(200, body) });
  const timers = fakeTimers();
  const net = { online: true, visible: true };
  const client = createSyncClient({ db: handle, api: createApi({ fetchFn: server.fetchFn, getToken: () => 'T' }), timers,
    now: () => new Date(clock), isOnline: () => net.online, isVisible: () => net.visible });
  await db.setMeta(handle, 'reference', { ...body.reference, sync: { ...body.reference.sync, poll_seconds: 20 } });
  client.startPolling();
  const pulls = () => server.calls.filter((c) => c.key === 'GET /api/v1/sync/pull').length;
  const tick = async (seconds) => {
    clock += seconds * 1000;
    await timers.scheduled.at(-1).fn();
    await new Promise((r) => setTimeout(r, 20));
  };
  await tick(5);
  assert.equal(pulls(), 0, 'not due yet');
  assert.ok(timers.scheduled.at(-1).ms <= 5000, 'it looks again within seconds');
  await tick(16);
  assert.equal(pulls(), 1, 'a return note or a new assignment comes by itself');
  net.visible = false;
  await tick(25);
  net.visible = true;
  net.online = false;
  await tick(25);
  assert.equal(pulls(), 1, 'not in the background, not offline');
  net.online = true;
  await tick(1);
  assert.equal(pulls(), 2);
  client.stop();
});

test('a judgement the server kept as late is not shown as counted: “需要处理” says why, in words', async () => {
  const body = concrete(EX.pull_first.response.body);
  const locked = { ...body.inspections[0], status: 'submitted', locked: true };
  const { handle, client, events } = await setup({
    'POST /api/v1/sync/push': (call) => jsonResponse(200, { protocol: 1, client_id: call.body.client_id, last_applied_id: 1,
      server_time: SERVER_TIME, results: [{ id: 1, status: 'late' }], inspections: [] }),
    'GET /api/v1/sync/pull': () => jsonResponse(200, { ...body, inspections: [locked] }),
  });
  await db.put(handle, db.S.INSPECTIONS, body.inspections[0]); // the phone has not seen the partner's submit yet
  await outbox.enqueue(handle, 'checkpoint.record', { id: outbox.newId(), inspection_id: 1, checkpoint_id: 2, answer: 'noncompliant',
    note: '无审验记录', base: [] });
  await client.flush('manual');
  const [att] = await outbox.attentionList(handle);
  assert.equal(att.kind, 'late');
  assert.match(att.message, /^检查要点“2\. 车辆技术档案是否齐全”的判定“不符合”未计入检查结果：送达服务器时，同组人员已提交了本检查/);
  assert.deepEqual((await db.get(handle, db.S.INSPECTIONS, 1)).record.answers, [], 'not folded in as if counted');
  assert.ok(events.some(([t, d]) => t === 'late' && d.count === 1));
});

test('a submit the server refuses by a completeness rule goes to “需要处理” with every reason, in Chinese', async () => {
  const ex = EX.push_submit_refused_incomplete;  // the golden example: no signatures, party or photo; 未发现问题 beside a 不符合
  const { handle, client } = await setup({
    'POST /api/v1/sync/push': (call) => jsonResponse(200, { ...concrete(ex.response.body), client_id: call.body.client_id }),
    'GET /api/v1/sync/pull': PULL,
  });
  for (const m of ex.request.json.mutations) await outbox.enqueue(handle, m.name, m.args);
  await client.flush('manual');
  assert.equal((await outbox.pending(handle)).length, 0, 'acknowledged: nothing is resent');
  const [att] = await outbox.attentionList(handle);
  assert.equal(att.kind, 'rejected');
  assert.equal(att.code, 'result_inconsistent');
  assert.match(att.message, /^检查结果选了“未发现问题”，但.*请在“检查结论”中改选/);
  assert.deepEqual(att.errors.also.map((a) => a.code), ['noncompliant_photo_missing', 'party_missing', 'signatures_missing']);
  assert.ok(att.errors.also.every((a) => /请/.test(a.message)), 'each reason says how to fix it');
});
