// The store's thumbnails of files other group members took: fetched with the user's token, kept on the phone
// under a key of their own, never queued, uploaded or pushed; offline or refused, the screen keeps its placeholder.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { freshFactory, examples, exampleBlob, exampleResponse, jsonResponse, fakeServer } from './helpers.js';
import * as db from '../../pwa/js/db.js';
import * as outbox from '../../pwa/js/outbox.js';
import { createStore, THUMB_KEY } from '../../pwa/js/store.js';

const EX = examples();
const SHA = 'c'.repeat(64);
const OWN = '5'.repeat(64);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
const thumbResponse = () => new Response(JPEG, { status: 200, headers: { 'Content-Type': 'image/jpeg' } });

beforeEach(() => {
  const items = new Map();
  globalThis.localStorage = { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, String(v)), removeItem: (k) => items.delete(k) };
  Object.defineProperty(globalThis, 'navigator', { value: { onLine: true }, configurable: true, writable: true });
});

async function signedIn(routes) {
  const factory = freshFactory();
  const server = fakeServer({ 'POST /api/v1/auth/token': () => exampleResponse(EX.auth_token), ...routes });
  const store = createStore({ factory, fetchFn: server.fetchFn });
  const user = await store.login('wangjg', 'password123', '王建国的手机');
  const handle = await db.openUserDb(factory, user.id); // a second connection, to look at what the store wrote
  return { store, server, handle, token: (await db.getMeta(handle, 'auth')).token };
}

const thumbCalls = (server) => server.calls.filter((c) => c.key.endsWith('/thumb'));

test('a thumbnail is fetched once with the token and kept apart from the files this phone took', async () => {
  const { store, server, handle, token } = await signedIn({ [`GET /api/v1/media/${SHA}/thumb`]: thumbResponse });
  assert.equal(await store.image(SHA), null, 'nothing on the phone yet');
  const [a, b] = await Promise.all([store.fetchThumb(SHA), store.fetchThumb(SHA)]);
  assert.deepEqual(new Uint8Array(await a.arrayBuffer()), JPEG);
  assert.equal(a, b, 'two screens asking at once share one download');
  assert.equal(thumbCalls(server).length, 1);
  assert.equal(thumbCalls(server)[0].headers.Authorization, `Bearer ${token}`);

  const kept = await db.get(handle, db.S.BLOBS, THUMB_KEY(SHA));
  assert.equal(kept.sha256, `thumb:${SHA}`);
  assert.equal(kept.kind, 'thumb');
  assert.equal(await db.get(handle, db.S.BLOBS, SHA), undefined, 'never stored under the bare hash of an original');
  assert.deepEqual(new Uint8Array(await (await store.image(SHA)).arrayBuffer()), JPEG, 'shown from the phone from now on');
  assert.equal(thumbCalls(server).length, 1);
  assert.equal(await store.queued(), 0, 'nothing queued');
  assert.deepEqual(await outbox.mediaToUpload(handle, [], { all: true }), [], 'nothing to upload');
});

test('a sync after fetching a thumbnail uploads only the phone\'s own file', async () => {
  const own = exampleBlob({ body_base64: Buffer.from('own signature').toString('base64') });
  const { store, server, handle } = await signedIn({
    [`GET /api/v1/media/${SHA}/thumb`]: thumbResponse,
    [`PUT /api/v1/media/${OWN}`]: () => jsonResponse(200, { sha256: OWN, created: false }),
    'POST /api/v1/sync/push': (call) => jsonResponse(200, { protocol: 1, client_id: call.body.client_id, last_applied: 1, rejected: [], server_time: '2024-05-06T01:10:00+00:00' }),
    'GET /api/v1/sync/pull': () => exampleResponse(EX.pull_first),
  });
  await store.fetchThumb(SHA);
  await outbox.enqueue(handle, 'signature.add', { inspection_id: 1, id: 'e0000000-0000-4000-8000-000000000001', sha256: OWN },
    { blob: { sha256: OWN, blob: own, type: 'image/png', kind: 'signature' } });
  assert.deepEqual((await outbox.mediaToUpload(handle, [], { all: true })).map((f) => f.sha256), [OWN]);
  await store.sync('manual');
  const media = server.calls.filter((c) => c.key.includes('/media/') && !c.key.endsWith('/thumb'));
  assert.deepEqual(media.map((c) => c.key + c.url.search), [`PUT /api/v1/media/${OWN}?kind=signature`]);
  const pushed = server.calls.filter((c) => c.key === 'POST /api/v1/sync/push').flatMap((c) => c.body.mutations);
  assert.deepEqual(pushed.map((m) => m.args.sha256), [OWN], 'the thumbnail is never pushed');
  assert.equal((await db.get(handle, db.S.BLOBS, THUMB_KEY(SHA))).kind, 'thumb', 'and stays on the phone');
});

test('offline, nothing is fetched and the screen keeps its placeholder', async () => {
  const { store, server } = await signedIn({ [`GET /api/v1/media/${SHA}/thumb`]: thumbResponse });
  navigator.onLine = false;
  assert.equal(await store.fetchThumb(SHA), null);
  assert.equal(await store.image(SHA), null);
  assert.equal(thumbCalls(server).length, 0);
});

test('a refusal or a captive portal\'s page stores nothing, and a later visit tries again', async () => {
  const forbidden = () => jsonResponse(403, { status: 403, code: 'forbidden', message: '您无权查看此文件：它不属于您所在检查组的检查', errors: {} });
  const portal = () => new Response('<html>请先登录 Wi-Fi</html>', { status: 200, headers: { 'Content-Type': 'text/html' } });
  const { store, server, handle } = await signedIn({ [`GET /api/v1/media/${SHA}/thumb`]: [forbidden, portal, thumbResponse] });
  assert.equal(await store.fetchThumb(SHA), null);
  assert.equal(await store.fetchThumb(SHA), null);
  assert.equal(await db.get(handle, db.S.BLOBS, THUMB_KEY(SHA)), undefined);
  assert.ok(await store.fetchThumb(SHA), 'the third try gets the image');
  assert.equal(thumbCalls(server).length, 3);
});
