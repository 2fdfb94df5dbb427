// The store the screens use, composed of its parts: every call the screens and app.js make exists, work
// recorded offline is queued under the inspector's name and shown at once, submitting checks what is
// missing, and logging out with queued work asks first and keeps it on the phone.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { PWA, freshFactory, examples, exampleResponse, concrete, fakeServer } from './helpers.js';
import * as db from '../../pwa/js/db.js';
import * as outbox from '../../pwa/js/outbox.js';
import { createStore } from '../../pwa/js/store.js';

const EX = examples();
const BUNDLE = concrete(EX.pull_first.response.body.inspections[0]);

beforeEach(() => {
  const items = new Map();
  globalThis.localStorage = { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, String(v)), removeItem: (k) => items.delete(k) };
  Object.defineProperty(globalThis, 'navigator', { value: { onLine: true }, configurable: true, writable: true });
});

/** The store methods the app's own code calls (`store.x(` or `ctx.store.x(`). */
function methodsTheAppCalls() {
  const files = ['app.js', ...readdirSync(path.join(PWA, 'screens')).map((f) => path.join('screens', f))];
  const names = new Set();
  for (const f of files) {
    for (const m of readFileSync(path.join(PWA, f), 'utf8').matchAll(/\bstore\.([A-Za-z]+)\s*\(/g)) names.add(m[1]);
  }
  return [...names].sort();
}

/** A store signed in as 王建国 with the example inspection on the phone, then offline. */
async function offlineWithInspection() {
  const factory = freshFactory();
  const server = fakeServer({ 'POST /api/v1/auth/token': () => exampleResponse(EX.auth_token) });
  const store = createStore({ factory, fetchFn: server.fetchFn });
  const user = await store.login('wangjg', 'password123', '王建国的手机');
  const handle = await db.openUserDb(factory, user.id);
  await db.put(handle, db.S.INSPECTIONS, BUNDLE);
  navigator.onLine = false;
  return { store, handle, factory };
}

test('every store call the screens and app.js make is there', () => {
  const store = createStore({ factory: freshFactory() });
  const called = methodsTheAppCalls();
  assert.ok(called.includes('login') && called.includes('addPhoto') && called.includes('fetchThumb'), called.join());
  assert.deepEqual(called.filter((name) => typeof store[name] !== 'function'), []);
});

test('work recorded offline is queued under the inspector\'s name and shown at once', async () => {
  const { store, handle } = await offlineWithInspection();
  const changed = [];
  store.on((type, detail) => { if (type === 'changed') changed.push(detail.inspectionId); });
  await store.start(1);
  await store.answer(await store.inspection(1), 2, 'noncompliant', '缺少年度审验记录');
  await store.addFinding(1, { checkpoint_id: 2, description: '档案不全', legal_basis: '', rectification: '', rectify_by: null });
  await store.recordParty(1, { name: '赵志强', position: '经理', id_number: '', phone: '', refused_to_sign: false, note: '' });

  const queued = await outbox.pending(handle);
  assert.deepEqual(queued.map((e) => e.name), ['inspection.start', 'checkpoint.record', 'finding.add', 'party.record']);
  assert.deepEqual([...new Set(queued.map((e) => e.by))], ['王建国']);
  assert.deepEqual(changed, [1, 1, 1, 1]);
  assert.equal(await store.queued(), 4);

  const v = await store.inspection(1);
  assert.equal(v.status_label, '检查中');
  assert.equal(v.pending, 4);
  assert.equal(v.record.registers[0].answer, 'noncompliant');
  assert.equal(v.record.findings[0].description, '档案不全');
  const [row] = await store.inspections();
  assert.equal(row.target.name, '阳城县宏达物流有限公司');
  assert.equal(row.pending, 4);
});

test('submitting with something missing says what and queues nothing', async () => {
  const { store } = await offlineWithInspection();
  await assert.rejects(store.submit(1), (err) => err.code === 'incomplete' && /还有 \d+ 项未完成：检查要点未作判定/.test(err.message));
  assert.equal(await store.queued(), 0);
  await store.saveDraft(1, { result_categories: ['01'], methods: ['on_site'], follow_ups: ['none'], summary: '' });
  assert.deepEqual((await store.draft(1)).result_categories, ['01'], 'the draft is kept on the phone');
});

test('logging out with queued work asks first, and keeping it leaves it on the phone', async () => {
  const { store, factory } = await offlineWithInspection();
  await store.start(1);
  assert.deepEqual(await store.logout(), { needsConfirm: 1 });
  assert.equal(store.user().display_name, '王建国', 'still signed in until confirmed');
  assert.deepEqual(await store.logout({ keep: true }), { loggedOut: true, kept: 1 });
  assert.equal(store.user(), null);
  assert.equal(await createStore({ factory }).init(), null, 'the next start shows the login');
  const kept = await db.openUserDb(factory, 1);
  assert.equal(await db.count(kept, db.S.OUTBOX), 1, 'the queued work stays for this user');
});
